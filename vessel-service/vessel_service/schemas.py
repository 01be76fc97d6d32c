"""What vessel_service accepts over RPC. Bounds keep a hostile payload small."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from shippy_common.errors import ValidationError
from shippy_common.schemas import Identifier, StrictModel
from shippy_common.times import as_utc
from vessel_service.domain import Load, Vessel, VesselStatus

MAX_CONTAINERS = 100_000
MAX_WEIGHT = 10**9

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ContainerCount = Annotated[int, Field(gt=0, le=MAX_CONTAINERS)]
Weight = Annotated[int, Field(gt=0, le=MAX_WEIGHT)]


class NewVessel(StrictModel):
    id: Identifier | None = None
    name: Name
    capacity: ContainerCount
    max_weight: Weight
    available: bool = True
    owner_id: Identifier | None = None

    def to_domain(self) -> Vessel:
        return Vessel(
            id=self.id or str(uuid.uuid4()),
            name=self.name,
            capacity=self.capacity,
            max_weight=self.max_weight,
            available=self.available,
            owner_id=self.owner_id,
        )


class Specification(StrictModel):
    """A load to place: ``capacity`` containers of ``max_weight`` total weight."""

    capacity: ContainerCount
    max_weight: Weight

    def to_domain(self) -> Load:
        return Load(containers=self.capacity, weight=self.max_weight)


class Booking(StrictModel):
    """Room to reserve for one consignment; ``booking_id`` makes retries safe."""

    booking_id: Identifier
    containers: ContainerCount
    weight: Weight
    again: bool = True
    """``False``: an id whose room was given back is refused (``BookingReleased``), not booked anew."""

    def to_domain(self) -> Load:
        return Load(containers=self.containers, weight=self.weight)


class Release(StrictModel):
    """Room to give back; with ``generation``, only if the booking is still that one."""

    booking_id: Identifier
    generation: Annotated[int, Field(ge=1)] | None = None


MAX_BOOKINGS_PAGE = 1000


Instant = Annotated[datetime, Field(strict=False), AfterValidator(as_utc)]


#: The longest window ``bookings_between`` reads: one query per minute of it.
MAX_BOOKINGS_WINDOW = timedelta(days=1)


class BookingWindow(StrictModel):
    """Bookings made in ``[since, until)``, at most ``limit`` of them."""

    since: Instant
    until: Instant
    limit: Annotated[int, Field(ge=1, le=MAX_BOOKINGS_PAGE)] = 500

    @model_validator(mode="after")
    def at_most_a_day(self) -> BookingWindow:
        if self.until - self.since > MAX_BOOKINGS_WINDOW:
            raise ValueError("until is more than a day after since")
        return self


#: Who made a voyage change: the caller's user id, as consignment_service sends it.
Actor = Annotated[str, StringConstraints(min_length=1, max_length=200)]


class VoyageChangeRequest(StrictModel):
    """A departure or an arrival of ``vessel_id``, made by ``by``."""

    vessel_id: Identifier
    by: Actor


class VoyageRef(StrictModel):
    vessel_id: Identifier
    voyage: Annotated[int, Field(ge=1)]


class VesselRef(StrictModel):
    vessel_id: Identifier


DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_CURSOR_LENGTH = 200
_CURSOR_PREFIX = "v1:"


def encode_cursor(vessel_id: str) -> str:
    """An opaque cursor: the id of the last vessel of a page, encoded."""
    return base64.urlsafe_b64encode((_CURSOR_PREFIX + vessel_id).encode()).decode().rstrip("=")


class FleetQuery(StrictModel):
    """A page of the fleet: ``cursor`` is a ``next_cursor`` this listing gave."""

    status: Literal["open", "at_sea", "retired"] | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=MAX_CURSOR_LENGTH)] | None = None

    def vessel_status(self) -> VesselStatus | None:
        return None if self.status is None else VesselStatus(self.status)

    def after(self) -> str | None:
        """The vessel id the page starts after; ``ValidationError`` for a cursor this listing did not make."""
        if self.cursor is None:
            return None
        try:
            text = base64.urlsafe_b64decode(self.cursor + "=" * (-len(self.cursor) % 4)).decode()
        except (ValueError, binascii.Error):
            text = ""
        if not text.startswith(_CURSOR_PREFIX) or len(text) == len(_CURSOR_PREFIX):
            raise ValidationError("cursor", "must be a next_cursor from this list")
        return text[len(_CURSOR_PREFIX) :]
