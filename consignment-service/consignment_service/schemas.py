"""What consignment_service accepts over RPC."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from consignment_service.domain import BookingRequest, Container, Position
from shippy_common.schemas import Identifier, StrictModel

MAX_CONTAINERS = 1000
MAX_WEIGHT = 10**9
MAX_PAGE = 200
DEFAULT_PAGE = 50
#: A cursor this service gives is far shorter (a nanosecond time and an id).
MAX_CURSOR = 200

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Cursor = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CURSOR, pattern=r"^[A-Za-z0-9_-]+$")]
Status = Literal["booked", "in_transit", "arrived", "delivered", "cancelled"]


class ContainerIn(StrictModel):
    id: Identifier | None = None
    customer_id: Identifier
    origin: Text


class NewConsignment(StrictModel):
    id: Identifier | None = None
    description: Description
    weight: Annotated[int, Field(gt=0, le=MAX_WEIGHT)]
    containers: Annotated[list[ContainerIn], Field(min_length=1, max_length=MAX_CONTAINERS)]
    # Accepted for compatibility with the original clients, and ignored:
    # the service, not the caller, chooses the vessel.
    vessel_id: Identifier | None = None

    def to_domain(self, default_id: str) -> BookingRequest:
        """The request, with ``default_id`` as its id if the client chose none."""
        return BookingRequest(
            id=self.id or default_id,
            description=self.description,
            weight=self.weight,
            containers=tuple(Container(customer_id=c.customer_id, origin=c.origin, id=c.id) for c in self.containers),
        )


class ConsignmentRef(StrictModel):
    """``get_consignment(id)``, ``cancel_consignment(id)``, ``mark_delivered(id)``: an id a consignment can have."""

    id: Identifier


class ReferenceIn(StrictModel):
    """``track(reference)``: at most a reference with a few separators too many."""

    reference: Annotated[str, StringConstraints(min_length=1, max_length=32)]


class VesselRef(StrictModel):
    """``depart_vessel(vessel_id)``, ``arrive_vessel(vessel_id)``."""

    vessel_id: Identifier


def encode_cursor(position: Position) -> str:
    """The opaque cursor of ``position``, as ``list_consignments`` gives it."""
    raw = json.dumps([position.created_ns, position.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Position:
    """``ValueError`` unless ``cursor`` is one :func:`encode_cursor` makes."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_ns, consignment_id = json.loads(raw)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValueError("not a cursor this service gave") from exc
    if (
        not isinstance(created_ns, int)
        or isinstance(created_ns, bool)
        or not 0 <= created_ns < 2**63
        or not isinstance(consignment_id, str)
        or not 0 < len(consignment_id) <= 64
    ):
        raise ValueError("not a cursor this service gave")
    return Position(created_ns=created_ns, id=consignment_id)


class ListRequest(StrictModel):
    """``list_consignments({"status"?, "limit"?, "cursor"?})``."""

    status: Status | None = None
    limit: Annotated[int, Field(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE
    cursor: Cursor | None = None

    @field_validator("cursor")
    @classmethod
    def _a_cursor_we_gave(cls, cursor: str | None) -> str | None:
        if cursor is not None:
            decode_cursor(cursor)
        return cursor

    @property
    def after(self) -> Position | None:
        return None if self.cursor is None else decode_cursor(self.cursor)
