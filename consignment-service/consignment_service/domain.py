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
class Consignment:
    id: str
    owner_id: str
    description: str
    weight: int
    containers: tuple[Container, ...]
    vessel_id: str
    created_at: datetime

    def same_request_as(self, other: Consignment) -> bool:
        """Whether ``other`` asks for the same booking (a retry, not a new one)."""
        return (self.owner_id, self.description, self.weight, self.containers) == (
            other.owner_id,
            other.description,
            other.weight,
            other.containers,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["containers"] = [asdict(c) for c in self.containers]
        data["created_at"] = self.created_at.isoformat()
        return data
