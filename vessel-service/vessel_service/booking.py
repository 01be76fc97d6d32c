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

from collections.abc import Iterable
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


MAX_ATTEMPTS_PER_VESSEL = 1000


def book(fleet: Fleet, ledger: Ledger, booking_id: str, load: Load) -> Vessel:
    """Reserve room for ``load`` on the best-fitting vessel that still has it."""
    booked = _already_booked(fleet, ledger, booking_id)
    if booked is not None:
        return booked
    for vessel in sorted((v for v in fleet.candidates(load) if v.can_carry(load)), key=best_fit_order):
        for _ in range(MAX_ATTEMPTS_PER_VESSEL):
            newest = ledger.newest(vessel)
            if not newest.can_take(load):
                break
            if ledger.append(newest.after(load), booking_id):
                return vessel
            booked = _already_booked(fleet, ledger, booking_id)
            if booked is not None:  # the same booking, retried concurrently, won
                return booked
    raise NoVesselAvailable(f"no vessel has room left for {load.containers} containers weighing {load.weight}")


def _already_booked(fleet: Fleet, ledger: Ledger, booking_id: str) -> Vessel | None:
    vessel_id = ledger.vessel_booked_for(booking_id)
    return None if vessel_id is None else fleet.get(vessel_id)
