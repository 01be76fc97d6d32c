"""The fleet's rules, in plain Python: no broker, no database."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class Load:
    """What a vessel must carry: a number of containers and their total weight."""

    containers: int
    weight: int


@dataclass(frozen=True)
class Vessel:
    id: str
    name: str
    capacity: int
    max_weight: int
    available: bool = True
    owner_id: str | None = None

    def can_carry(self, load: Load) -> bool:
        return self.available and self.capacity >= load.containers and self.max_weight >= load.weight

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def best_fit_order(vessel: Vessel) -> tuple[int, int, str]:
    """Smallest vessel first, so large vessels stay free for large loads."""
    return (vessel.capacity, vessel.max_weight, vessel.id)


@dataclass(frozen=True)
class Allocation:
    """What is still free on a vessel after its ``seq``-th ledger entry."""

    vessel_id: str
    seq: int
    containers_left: int
    weight_left: int

    @classmethod
    def opening(cls, vessel: Vessel) -> Allocation:
        return cls(vessel_id=vessel.id, seq=0, containers_left=vessel.capacity, weight_left=vessel.max_weight)

    def can_take(self, load: Load) -> bool:
        return self.containers_left >= load.containers and self.weight_left >= load.weight

    def after(self, load: Load) -> Allocation:
        """The room left once ``load`` is booked."""
        return Allocation(
            self.vessel_id, self.seq + 1, self.containers_left - load.containers, self.weight_left - load.weight
        )

    def released(self, load: Load) -> Allocation:
        """The room once a booking of ``load`` is given back."""
        return Allocation(
            self.vessel_id, self.seq + 1, self.containers_left + load.containers, self.weight_left + load.weight
        )


#: The generation of a booking id's first booking; each booking after a release is the next.
FIRST_GENERATION = 1


class EntryKind(StrEnum):
    OPENING = "opening"
    BOOKING = "booking"
    RELEASE = "release"


@dataclass(frozen=True)
class LedgerEntry:
    """One entry of a vessel's ledger: the room left after it, and what it did.

    A booking id is reserved (``BOOKING``) and may later be given back
    (``RELEASE``); if the same id is booked again after that, it is the next
    ``generation``. ``key`` is unique in the store: its first part is the kind,
    so no booking id a client chooses can ever name an opening or a release.
    """

    allocation: Allocation
    kind: EntryKind
    booking_id: str | None = None
    generation: int = 0
    load: Load | None = None
    at: datetime | None = None

    @property
    def key(self) -> str:
        if self.kind is EntryKind.OPENING:
            return f"{self.kind}/{self.allocation.vessel_id}"
        return f"{self.kind}/{self.generation}/{self.booking_id}"

    @property
    def vessel_id(self) -> str:
        return self.allocation.vessel_id

    @classmethod
    def opening(cls, vessel: Vessel) -> LedgerEntry:
        return cls(Allocation.opening(vessel), EntryKind.OPENING)


@dataclass(frozen=True)
class BookedVessel:
    """Where a booking id holds room: the vessel and the load reserved."""

    vessel: Vessel
    load: Load
    generation: int
