"""The fleet's rules, in plain Python: no broker, no database."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
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


class VesselStatus(StrEnum):
    """Where a vessel is in its voyages: ``open`` takes bookings on its open
    voyage, ``at_sea`` has departed with them, ``retired`` is for good."""

    OPEN = "open"
    AT_SEA = "at_sea"
    RETIRED = "retired"


#: The voyage a vessel's ledger opens with (and the one of every entry written before voyages).
FIRST_VOYAGE = 1


@dataclass(frozen=True)
class Allocation:
    """A vessel after its ``seq``-th ledger entry: its voyage, its status and
    what is still free on that voyage."""

    vessel_id: str
    seq: int
    containers_left: int
    weight_left: int
    voyage: int = FIRST_VOYAGE
    status: VesselStatus = VesselStatus.OPEN

    @classmethod
    def opening(cls, vessel: Vessel) -> Allocation:
        return cls(vessel_id=vessel.id, seq=0, containers_left=vessel.capacity, weight_left=vessel.max_weight)

    def can_take(self, load: Load) -> bool:
        return (
            self.status is VesselStatus.OPEN
            and self.containers_left >= load.containers
            and self.weight_left >= load.weight
        )

    def is_empty(self, vessel: Vessel) -> bool:
        """Whether nothing is booked on the open voyage: all of ``vessel``'s room is free."""
        return self.containers_left == vessel.capacity and self.weight_left == vessel.max_weight

    def after(self, load: Load) -> Allocation:
        """The room left once ``load`` is booked."""
        return replace(
            self,
            seq=self.seq + 1,
            containers_left=self.containers_left - load.containers,
            weight_left=self.weight_left - load.weight,
        )

    def released(self, load: Load) -> Allocation:
        """The room once a booking of ``load`` is given back."""
        return replace(
            self,
            seq=self.seq + 1,
            containers_left=self.containers_left + load.containers,
            weight_left=self.weight_left + load.weight,
        )

    def departed(self) -> Allocation:
        """At sea with the open voyage's bookings: the room stays as it was."""
        return replace(self, seq=self.seq + 1, status=VesselStatus.AT_SEA)

    def arrived(self, vessel: Vessel) -> Allocation:
        """In port: the next voyage opens with all of ``vessel``'s room."""
        return Allocation(
            vessel_id=self.vessel_id,
            seq=self.seq + 1,
            containers_left=vessel.capacity,
            weight_left=vessel.max_weight,
            voyage=self.voyage + 1,
            status=VesselStatus.OPEN,
        )

    def retired(self) -> Allocation:
        return replace(self, seq=self.seq + 1, status=VesselStatus.RETIRED)


#: The generation of a booking id's first booking; each booking after a release is the next.
FIRST_GENERATION = 1


class EntryKind(StrEnum):
    OPENING = "opening"
    BOOKING = "booking"
    RELEASE = "release"
    DEPARTURE = "departure"
    ARRIVAL = "arrival"
    RETIREMENT = "retirement"


#: The entries that change a vessel's voyage or status rather than its room.
VOYAGE_CHANGES = (EntryKind.DEPARTURE, EntryKind.ARRIVAL, EntryKind.RETIREMENT)


@dataclass(frozen=True)
class LedgerEntry:
    """One entry of a vessel's ledger: the vessel after it, and what it did.

    A booking id is reserved (``BOOKING``) and may later be given back
    (``RELEASE``); if the same id is booked again after that, it is the next
    ``generation``. A voyage closes with a ``DEPARTURE`` and ends with an
    ``ARRIVAL`` (which opens the next one); ``RETIREMENT`` ends the ledger.
    ``key`` is unique in the store: its first part is the kind, so no booking
    id a client chooses can ever name another kind of entry, and there is one
    departure and one arrival per voyage, one retirement per vessel.

    A departure or an arrival carries its ``event`` (``vessel.departed``,
    ``vessel.arrived``): the store keeps it as the outbox's pending event.
    """

    allocation: Allocation
    kind: EntryKind
    booking_id: str | None = None
    generation: int = 0
    load: Load | None = None
    at: datetime | None = None
    #: Who made a voyage change (a user id).
    by: str | None = None
    event: dict[str, Any] | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        if self.kind is EntryKind.OPENING or self.kind is EntryKind.RETIREMENT:
            return f"{self.kind}/{self.allocation.vessel_id}"
        if self.kind is EntryKind.DEPARTURE or self.kind is EntryKind.ARRIVAL:
            return voyage_change_key(self.kind, self.allocation.vessel_id, self.voyage)
        return f"{self.kind}/{self.generation}/{self.booking_id}"

    @property
    def vessel_id(self) -> str:
        return self.allocation.vessel_id

    @property
    def voyage(self) -> int:
        """The voyage this entry is about: an arrival's is the one that ended
        (its allocation is already on the next one)."""
        if self.kind is EntryKind.ARRIVAL:
            return self.allocation.voyage - 1
        return self.allocation.voyage

    @classmethod
    def opening(cls, vessel: Vessel) -> LedgerEntry:
        return cls(Allocation.opening(vessel), EntryKind.OPENING)


def to_milliseconds(moment: datetime) -> datetime:
    """``moment`` as the store keeps it (BSON dates hold milliseconds), so that
    a voyage change answers the same the first time and when read back."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def voyage_change_key(kind: EntryKind, vessel_id: str, voyage: int) -> str:
    """The unique key of ``voyage``'s departure or arrival."""
    return f"{kind}/{vessel_id}/{voyage}"


def live_bookings(entries: Iterable[LedgerEntry]) -> list[str]:
    """The booking ids that hold room after ``entries`` (one voyage's, oldest
    first): booked and not released since, in the order they were booked."""
    held: dict[str, None] = {}
    for entry in entries:
        if entry.booking_id is None:
            continue
        if entry.kind is EntryKind.BOOKING:
            held[entry.booking_id] = None
        elif entry.kind is EntryKind.RELEASE:
            held.pop(entry.booking_id, None)
    return list(held)


@dataclass(frozen=True)
class BookedVessel:
    """Where a booking id holds room: the vessel, the load reserved and the voyage it is on."""

    vessel: Vessel
    load: Load
    generation: int
    voyage: int = FIRST_VOYAGE


@dataclass(frozen=True)
class Placement:
    """Where a booking went: the vessel and the voyage."""

    vessel: Vessel
    voyage: int

    def to_dict(self) -> dict[str, Any]:
        return {**self.vessel.to_dict(), "voyage": self.voyage}


class VoyageStatus(StrEnum):
    OPEN = "open"
    DEPARTED = "departed"
    ARRIVED = "arrived"


@dataclass(frozen=True)
class VoyageChange:
    """A departure or an arrival, with the bookings that sailed on that voyage."""

    vessel: Vessel
    voyage: int
    status: VoyageStatus
    at: datetime
    by: str
    booking_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "vessel_id": self.vessel.id,
            "vessel_name": self.vessel.name,
            "voyage": self.voyage,
            "status": str(self.status),
            "at": self.at.isoformat(),
            "by": self.by,
            "booking_ids": list(self.booking_ids),
        }


@dataclass(frozen=True)
class Stamp:
    """When and by whom a voyage changed."""

    at: datetime
    by: str

    def to_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "by": self.by}


@dataclass(frozen=True)
class Voyage:
    """One voyage of a vessel: open until it departs, then at sea until it arrives."""

    vessel_id: str
    number: int
    departed: Stamp | None = None
    arrived: Stamp | None = None

    @property
    def status(self) -> VoyageStatus:
        if self.arrived is not None:
            return VoyageStatus.ARRIVED
        if self.departed is not None:
            return VoyageStatus.DEPARTED
        return VoyageStatus.OPEN

    def to_dict(self) -> dict[str, Any]:
        return {
            "vessel_id": self.vessel_id,
            "voyage": self.number,
            "status": str(self.status),
            "departed": None if self.departed is None else self.departed.to_dict(),
            "arrived": None if self.arrived is None else self.arrived.to_dict(),
        }


@dataclass(frozen=True)
class VesselState:
    """A vessel and its ledger's newest entry: what the fleet listing shows."""

    vessel: Vessel
    allocation: Allocation

    @property
    def status(self) -> VesselStatus:
        return self.allocation.status

    def has_room(self) -> bool:
        return self.allocation.containers_left > 0 and self.allocation.weight_left > 0

    def offered(self) -> bool:
        """Whether a customer may see it: it takes bookings now."""
        return self.vessel.available and self.status is VesselStatus.OPEN and self.has_room()

    def admin_view(self) -> dict[str, Any]:
        vessel, allocation = self.vessel, self.allocation
        return {
            "id": vessel.id,
            "name": vessel.name,
            "capacity": vessel.capacity,
            "max_weight": vessel.max_weight,
            "status": str(allocation.status),
            "voyage": allocation.voyage,
            "containers_used": vessel.capacity - allocation.containers_left,
            "containers_free": allocation.containers_left,
            "weight_used": vessel.max_weight - allocation.weight_left,
            "weight_free": allocation.weight_left,
        }

    def customer_view(self) -> dict[str, Any]:
        """Only the free room: what others booked is theirs."""
        return {
            "id": self.vessel.id,
            "name": self.vessel.name,
            "status": str(self.allocation.status),
            "voyage": self.allocation.voyage,
            "containers_free": self.allocation.containers_left,
            "weight_free": self.allocation.weight_left,
        }
