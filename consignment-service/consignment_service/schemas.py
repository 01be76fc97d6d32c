"""What consignment_service accepts over RPC."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from consignment_service.domain import BookingRequest, Container
from shippy_common.schemas import Identifier, StrictModel

MAX_CONTAINERS = 1000
MAX_WEIGHT = 10**9

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


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
    """``get_consignment(id)``: an id a consignment can have."""

    id: Identifier
