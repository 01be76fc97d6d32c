"""Consignments in plain Python."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any


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
