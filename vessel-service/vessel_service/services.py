"""What vessel_service does, in plain Python over its ports (the fleet and the
ledger); the nameko entrypoints in ``service`` call these, unit tests call
them with in-memory fakes.

No vessel is ever overbooked. Each vessel's free room is an append-only
ledger: entry ``n + 1`` may only be written by whoever read entry ``n`` as the
newest, and the store's unique keys let exactly one concurrent writer win; the
others re-read and try again. Only inserts under a unique index are relied on,
because the MongoDB-wire server used locally (FerretDB) does not make
conditional updates atomic. A booking id is unique per generation, so a retry
of the same booking returns the first outcome instead of booking twice, and a
release is unique per booking, so room goes back exactly once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol

from shippy_common.errors import AlreadyExists, NoVesselAvailable
from vessel_service.domain import (
    FIRST_GENERATION,
    Allocation,
    BookedVessel,
    EntryKind,
    LedgerEntry,
    Load,
    Vessel,
    best_fit_order,
)


class Fleet(Protocol):
    def candidates(self, load: Load) -> Iterable[Vessel]:
        """Available vessels big enough for ``load``, smallest first."""

    def get(self, vessel_id: str) -> Vessel | None: ...

    def add(self, vessel: Vessel) -> Vessel:
        """Store a new vessel; ``AlreadyExists`` if its id is taken."""


class Ledger(Protocol):
    def latest_for(self, booking_id: str) -> LedgerEntry | None:
        """The newest entry that booked or released ``booking_id``."""

    def newest(self, vessel: Vessel) -> Allocation:
        """The vessel's room now (its newest entry; the opening one if it has none)."""

    def append(self, entry: LedgerEntry) -> bool:
        """Write ``entry``; ``False`` if its sequence number or its key is taken."""

    def bookings_between(self, since: datetime, until: datetime, limit: int) -> Sequence[LedgerEntry]:
        """Booking entries made in ``[since, until)``, oldest first."""


MAX_ROUNDS = 1000


def jittered_pause(round_number: int) -> None:
    """A short random wait between rounds, so that racing writers spread out."""
    time.sleep(random.uniform(0, 0.001 * min(round_number + 1, 20)))


def create_vessel(fleet: Fleet, vessel: Vessel) -> Vessel:
    return fleet.add(vessel)


def find_available(fleet: Fleet, ledger: Ledger, load: Load) -> Vessel:
    """The best-fitting vessel that has room left for ``load`` now."""
    for vessel in _fitting(fleet, load):
        if ledger.newest(vessel).can_take(load):
            return vessel
    raise NoVesselAvailable(f"no available vessel can carry {load.containers} containers weighing {load.weight}")


def book(
    fleet: Fleet,
    ledger: Ledger,
    booking_id: str,
    load: Load,
    now: Callable[[], datetime],
    pause: Callable[[int], None] = jittered_pause,
) -> Vessel:
    """Reserve room for ``load`` on a vessel that still has it: the best-fitting
    one when nothing competes. A booking that loses a race for a vessel tries
    the next one with room instead of queueing behind the winner, so bookings
    made at once spread over the fleet; rounds repeat while any vessel has room.

    Booking an id that holds room already is a retry: it answers the same
    vessel if it asks for the same load, and is ``AlreadyExists`` otherwise.
    """
    latest = ledger.latest_for(booking_id)
    if latest is not None and latest.kind is EntryKind.BOOKING:
        return _retry(fleet, latest, load)
    generation = FIRST_GENERATION if latest is None else latest.generation + 1
    vessels = _fitting(fleet, load)
    for round_number in range(MAX_ROUNDS):
        any_room = False
        for vessel in vessels:
            newest = ledger.newest(vessel)
            if not newest.can_take(load):
                continue
            any_room = True
            entry = LedgerEntry(newest.after(load), EntryKind.BOOKING, booking_id, generation, load, now())
            if ledger.append(entry):
                return vessel
            latest = ledger.latest_for(booking_id)
            if latest is not None and latest.kind is EntryKind.BOOKING:  # the same id, booked concurrently
                return _retry(fleet, latest, load)
        if not any_room:
            break
        pause(round_number)
    raise NoVesselAvailable(f"no vessel has room left for {load.containers} containers weighing {load.weight}")


def booked_vessel(fleet: Fleet, ledger: Ledger, booking_id: str) -> BookedVessel | None:
    """Where ``booking_id`` holds room now, if anywhere."""
    latest = ledger.latest_for(booking_id)
    if latest is None or latest.kind is not EntryKind.BOOKING or latest.load is None:
        return None
    vessel = fleet.get(latest.vessel_id)
    return None if vessel is None else BookedVessel(vessel, latest.load, latest.generation)


def release(
    fleet: Fleet,
    ledger: Ledger,
    booking_id: str,
    now: Callable[[], datetime],
    generation: int | None = None,
    pause: Callable[[int], None] = jittered_pause,
) -> bool:
    """Give the room ``booking_id`` holds back to its vessel, exactly once:
    ``True`` if this call released it, ``False`` if it held none (never
    booked, released already, or booked again as another ``generation``)."""
    for round_number in range(MAX_ROUNDS):
        held = booked_vessel(fleet, ledger, booking_id)
        if held is None or (generation is not None and held.generation != generation):
            return False
        room = ledger.newest(held.vessel).released(held.load)
        if ledger.append(LedgerEntry(room, EntryKind.RELEASE, booking_id, held.generation, held.load, now())):
            return True
        pause(round_number)
    raise RuntimeError(f"could not release {booking_id} in {MAX_ROUNDS} rounds")


def bookings_between(ledger: Ledger, since: datetime, until: datetime, limit: int) -> Sequence[LedgerEntry]:
    return ledger.bookings_between(since, until, limit)


def _fitting(fleet: Fleet, load: Load) -> list[Vessel]:
    return sorted((v for v in fleet.candidates(load) if v.can_carry(load)), key=best_fit_order)


def _retry(fleet: Fleet, latest: LedgerEntry, load: Load) -> Vessel:
    vessel = fleet.get(latest.vessel_id)
    if latest.load != load or vessel is None:
        raise AlreadyExists(f"booking {latest.booking_id} holds room for a different load")
    return vessel
