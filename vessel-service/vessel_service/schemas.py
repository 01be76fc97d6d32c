"""What vessel_service accepts over RPC. Bounds keep a hostile payload small."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from shippy_common.schemas import Identifier, StrictModel
from vessel_service.domain import Load, Vessel

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

    def to_domain(self) -> Load:
        return Load(containers=self.containers, weight=self.weight)


class Release(StrictModel):
    """Room to give back; with ``generation``, only if the booking is still that one."""

    booking_id: Identifier
    generation: Annotated[int, Field(ge=1)] | None = None


MAX_BOOKINGS_PAGE = 1000
Instant = Annotated[datetime, Field(strict=False)]


class BookingWindow(StrictModel):
    """Bookings made in ``[since, until)``, at most ``limit`` of them."""

    since: Instant
    until: Instant
    limit: Annotated[int, Field(ge=1, le=MAX_BOOKINGS_PAGE)] = 500
