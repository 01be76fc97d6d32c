"""Consignments in plain Python."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

CONSIGNMENT_ID_NAMESPACE = uuid.UUID("5b0e8f4e-4a8e-4c43-9d0c-5d1b3f6c9a21")


def default_consignment_id(owner_id: str, message_id: str | None) -> str:
    """The id of a consignment sent without one: derived from the request
    message, which a redelivered copy shares, so booking it again books nothing twice."""
    return str(uuid.uuid5(CONSIGNMENT_ID_NAMESPACE, f"{owner_id}/{message_id or uuid.uuid4()}"))


@dataclass(frozen=True)
class Container:
    customer_id: str
    origin: str
    id: str | None = None


@dataclass(frozen=True)
class BookingRequest:
    """What a shipper asks to book; ``id`` is chosen before the request is sent."""

    id: str
    description: str
    weight: int
    containers: tuple[Container, ...]


@dataclass(frozen=True)
class BookedVessel:
    id: str
    name: str


@dataclass(frozen=True)
class Consignment:
    id: str
    owner_id: str
    description: str
    weight: int
    containers: tuple[Container, ...]
    vessel_id: str
    created_at: datetime

    def answers(self, request: BookingRequest, owner_id: str) -> bool:
        """Whether ``request`` by ``owner_id`` asks for this very booking (a retry)."""
        return (self.owner_id, self.description, self.weight, self.containers) == (
            owner_id,
            request.description,
            request.weight,
            request.containers,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["containers"] = [asdict(c) for c in self.containers]
        data["created_at"] = self.created_at.isoformat()
        return data


@dataclass(frozen=True)
class Reservation:
    """Room a vessel holds under a booking id (one ``generation`` of it)."""

    booking_id: str
    generation: int
    vessel_id: str
    at: datetime
