"""Booking a load onto a vessel so that no vessel is ever overbooked.

Each vessel's free capacity is an append-only ledger: entry ``n + 1`` may only
be written by whoever read entry ``n`` as the newest, and the store's unique
key on (vessel, sequence number) lets exactly one concurrent writer win; the
others re-read and try again. Only inserts under a unique index are relied on,
because the MongoDB-wire server used locally (FerretDB) does not make
conditional updates atomic. A unique booking id per entry makes retries of the
same booking return the first outcome instead of booking twice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from shippy_common.errors import NoVesselAvailable
from vessel_service.domain import Allocation, Load, Vessel, best_fit_order


class Ledger(Protocol):
    def vessel_booked_for(self, booking_id: str) -> str | None:
        """The id of the vessel ``booking_id`` was booked on, if it was."""

    def newest(self, vessel: Vessel) -> Allocation:
        """The vessel's newest ledger entry (its opening entry if it has none)."""

    def append(self, allocation: Allocation, booking_id: str) -> bool:
        """Write ``allocation``; ``False`` if its sequence number or the booking id is taken."""


class Fleet(Protocol):
    def candidates(self, load: Load) -> Iterable[Vessel]: ...
    def get(self, vessel_id: str) -> Vessel | None: ...


MAX_ROUNDS = 1000


def jittered_pause(round_number: int) -> None:
    """A short random wait between rounds, so that racing bookings spread out."""
    time.sleep(random.uniform(0, 0.001 * min(round_number + 1, 20)))


def book(
    fleet: Fleet,
    ledger: Ledger,
    booking_id: str,
    load: Load,
    pause: Callable[[int], None] = jittered_pause,
) -> Vessel:
    """Reserve room for ``load`` on a vessel that still has it: the best-fitting
    one when nothing competes. A booking that loses a race for a vessel tries
    the next one with room instead of queueing behind the winner, so bookings
    made at once spread over the fleet rather than all contending for one
    vessel; rounds repeat while any vessel still has room."""
    booked = _already_booked(fleet, ledger, booking_id)
    if booked is not None:
        return booked
    vessels = sorted((v for v in fleet.candidates(load) if v.can_carry(load)), key=best_fit_order)
    for round_number in range(MAX_ROUNDS):
        any_room = False
        for vessel in vessels:
            newest = ledger.newest(vessel)
            if not newest.can_take(load):
                continue
            any_room = True
            if ledger.append(newest.after(load), booking_id):
                return vessel
            booked = _already_booked(fleet, ledger, booking_id)
            if booked is not None:  # the same booking, retried concurrently, won
                return booked
        if not any_room:
            break
        pause(round_number)
    raise NoVesselAvailable(f"no vessel has room left for {load.containers} containers weighing {load.weight}")


def _already_booked(fleet: Fleet, ledger: Ledger, booking_id: str) -> Vessel | None:
    vessel_id = ledger.vessel_booked_for(booking_id)
    return None if vessel_id is None else fleet.get(vessel_id)
