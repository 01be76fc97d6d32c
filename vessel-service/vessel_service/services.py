"""What vessel_service does, in plain Python over its ports (the fleet and the
ledger); the nameko entrypoints in ``service`` call these, unit tests call
them with in-memory fakes.

No vessel is ever overbooked. Each vessel's free room is an append-only
ledger: entry ``n + 1`` may only be written by whoever read entry ``n`` as the
newest, and the store's unique keys let exactly one concurrent writer win; the
others re-read and try again. Only inserts under a unique index are relied on,
because the MongoDB-wire server used locally (FerretDB) does not make
conditional updates atomic. Within one process the writers of a vessel take
turns (``Ledger.writing``) and start from the entry the last of them wrote, so
bookings made at once for one vessel queue for a moment instead of racing and
reading again: only writers of other processes race. The bookings that queued
while a turn was taken are written together by the next writer, as
consecutive entries in one ordered insert (:class:`Turn`). A booking id is
unique per generation, so a retry of the same booking returns the first
outcome instead of booking twice, and a release is unique per booking, so room
goes back exactly once.

Voyages live in the same ledger: a departure, an arrival and a retirement are
entries too, so each one is ordered against every booking and release of the
vessel. A booking either makes it onto the voyage before the departure's entry
(and is among its ``booking_ids``) or reads the departure and goes elsewhere;
a release either gives its room back before the departure, or reads it and is
refused.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from types import TracebackType
from typing import Protocol

from shippy_common.auth import Caller
from shippy_common.errors import (
    AlreadyExists,
    BookingReleased,
    Forbidden,
    InvalidTransition,
    NotFound,
    NoVesselAvailable,
)
from vessel_service.domain import (
    FIRST_GENERATION,
    FIRST_VOYAGE,
    Allocation,
    BookedVessel,
    EntryKind,
    LedgerEntry,
    Load,
    Placement,
    Stamp,
    Vessel,
    VesselState,
    VesselStatus,
    Voyage,
    VoyageChange,
    VoyageStatus,
    best_fit_order,
    live_bookings,
    to_milliseconds,
)
from vessel_service.events import voyage_event


class Fleet(Protocol):
    def candidates(self, load: Load, fresh: bool = False) -> Iterable[Vessel]:
        """Available vessels big enough for ``load``, smallest first: as
        stored if ``fresh``, else possibly as stored up to a second ago."""

    def get(self, vessel_id: str) -> Vessel | None: ...

    def add(self, vessel: Vessel) -> Vessel:
        """Store a new vessel; ``AlreadyExists`` if its id is taken."""

    def page(self, after: str | None, limit: int) -> Sequence[Vessel]:
        """Up to ``limit`` vessels ordered by id, from the first after ``after``."""

    def withdraw(self, vessel_id: str) -> None:
        """Leave the vessel out of :meth:`candidates` from now on (it retired)."""


class Outcome(Enum):
    WRITTEN = "written"
    #: The vessel has no room for the load.
    FULL = "full"
    #: The entry's sequence number or its key was taken: a race lost, or the booking id's.
    LOST = "lost"


@dataclass
class Attempt:
    """A booking waiting to be written onto one vessel, and how that went."""

    booking_id: str
    generation: int
    load: Load
    at: datetime
    #: Refuse only on the room as stored now, not as this process remembers it.
    fresh: bool
    outcome: Outcome | None = None
    entry: LedgerEntry | None = None


class Turn:
    """A vessel's turn among the ledger writers of one process, held from
    reading the vessel's newest entry to appending the next, and the bookings
    waiting for it.

    Bookings wait here instead of each writing its entry in a turn of its
    own: on a vessel every booking wants, each insert would wait for the one
    before it, and the vessel would take bookings no faster than one store
    round trip each. The writer that takes the turn writes every booking
    waiting then, in one ordered insert (a group commit); the bookings it
    wrote find their outcome when their own turn comes, and go."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.waiting: list[Attempt] = []

    def __enter__(self) -> Turn:
        self._lock.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self._lock.release()


class Ledger(Protocol):
    def latest_for(self, booking_id: str) -> LedgerEntry | None:
        """The newest entry that booked or released ``booking_id``."""

    def newest(self, vessel: Vessel) -> Allocation:
        """The vessel's room now (its newest entry; the opening one if it has none)."""

    def append(self, entry: LedgerEntry) -> bool:
        """Write ``entry``; ``False`` if its sequence number or its key is taken."""

    def append_all(self, entries: Sequence[LedgerEntry]) -> int:
        """Write ``entries`` in order, in one round trip, up to the first whose
        sequence number or key is taken: how many were written."""

    def writing(self, vessel_id: str) -> Turn:
        """The vessel's turn among the writers of this process (the same
        ``Turn`` each call): they take turns instead of racing."""

    def head(self, vessel: Vessel) -> Allocation:
        """For a writer holding :meth:`writing`: the newest entry, as this
        process last wrote or read it within a second. If another process
        wrote since, the append after it fails like any lost race (and the
        next head is read), and room it gave back is seen within that second."""

    def bookings_between(self, since: datetime, until: datetime, limit: int) -> Sequence[LedgerEntry]:
        """Booking entries made in ``[since, until)``, oldest first."""

    def voyage_entries(self, vessel_id: str, voyage: int, through_seq: int) -> Sequence[LedgerEntry]:
        """The bookings and releases on ``voyage`` up to sequence number ``through_seq``, oldest first."""

    def voyage_change(self, vessel_id: str, kind: EntryKind, voyage: int) -> LedgerEntry | None:
        """``voyage``'s departure or arrival entry (``kind``), if written."""


MAX_ROUNDS = 1000


def jittered_pause(round_number: int) -> None:
    """A short random wait between rounds, so that racing writers spread out."""
    time.sleep(random.uniform(0, 0.001 * min(round_number + 1, 20)))


def create_vessel(fleet: Fleet, caller: Caller, vessel: Vessel) -> VesselState:
    _require_admin(caller, "add a vessel")
    return VesselState(fleet.add(vessel), Allocation.opening(vessel))


def find_available(fleet: Fleet, ledger: Ledger, load: Load) -> Vessel:
    """The best-fitting vessel that has room left for ``load`` now."""
    for vessel in _fitting(fleet, load, fresh=True):  # an answer, not a hot path: read as stored
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
    again: bool = True,
) -> Placement:
    """Reserve room for ``load`` on the open voyage of a vessel that still has
    it: the best-fitting one. Bookings of one process take turns on a vessel;
    a booking that loses a race to another process tries the next vessel with
    room, and rounds repeat while any vessel has room. A vessel at sea or
    retired has none.

    Booking an id that holds room already is a retry: it answers the same
    vessel and voyage if it asks for the same load, and is ``AlreadyExists``
    otherwise. Most bookings are an id's first, so the first write assumes so
    and the id's history is read only when its key turns out to be taken.
    An id whose room was given back is booked as its next generation, or, if
    not ``again``, refused with ``BookingReleased``: consignment_service books
    before it looks for the consignment, and looks only then.
    """
    generation = FIRST_GENERATION
    fresh = False
    vessels = _fitting(fleet, load, fresh)
    for round_number in range(MAX_ROUNDS):
        any_room = False
        for vessel in vessels:
            attempt = _book_in_turn(ledger, vessel, Attempt(booking_id, generation, load, now(), fresh))
            if attempt.outcome is Outcome.FULL:
                continue
            any_room = True
            if attempt.outcome is Outcome.WRITTEN and attempt.entry is not None:
                return Placement(vessel, attempt.entry.allocation.voyage)
            latest = ledger.latest_for(booking_id)
            if latest is not None and latest.kind is EntryKind.BOOKING:  # a retry, or the same id booked concurrently
                return _retry(fleet, latest, load)
            if latest is not None and not again:
                raise BookingReleased(f"the room of booking {booking_id} was given back")
            if latest is not None:  # released: this is its next generation
                generation = latest.generation + 1
        if not any_room:
            if fresh:
                break
            fresh = True  # a refusal is made on the fleet as stored now, too
            vessels = _fitting(fleet, load, fresh)
            continue
        pause(round_number)
    latest = ledger.latest_for(booking_id)
    if latest is not None and latest.kind is EntryKind.BOOKING:  # a retry of a booking its vessel has no room after
        return _retry(fleet, latest, load)
    if latest is not None and not again:
        raise BookingReleased(f"the room of booking {booking_id} was given back")
    raise NoVesselAvailable(f"no vessel has room left for {load.containers} containers weighing {load.weight}")


def _book_in_turn(ledger: Ledger, vessel: Vessel, attempt: Attempt) -> Attempt:
    """``attempt``, written or refused by whichever booking of this process
    took the vessel's turn first after it began to wait (:class:`Turn`)."""
    turn = ledger.writing(vessel.id)
    turn.waiting.append(attempt)
    with turn:
        if attempt.outcome is None:
            batch, turn.waiting = turn.waiting, []
            try:
                _write_bookings(ledger, vessel, batch)
            except BaseException:
                turn.waiting[:0] = [waiting for waiting in batch if waiting.outcome is None and waiting is not attempt]
                raise  # the others wait on, and the next of them to take the turn writes them
    return attempt


def _write_bookings(ledger: Ledger, vessel: Vessel, batch: Sequence[Attempt]) -> None:
    """Book ``batch`` in order, each on the room the one before it left, in
    one append (more only if a refusal must first read what is stored). An
    entry refused by the store refuses every entry after it: they were
    counted on its room."""
    room = ledger.head(vessel)
    entries: list[tuple[Attempt, LedgerEntry]] = []
    for attempt in batch:
        if not room.can_take(attempt.load) and attempt.fresh:
            _append_all(ledger, entries)  # a refusal is made on what is stored now
            entries = []
            room = ledger.newest(vessel)
        if not room.can_take(attempt.load):
            attempt.outcome = Outcome.FULL
            continue
        booked = room.after(attempt.load)
        entry = LedgerEntry(booked, EntryKind.BOOKING, attempt.booking_id, attempt.generation, attempt.load, attempt.at)
        entries.append((attempt, entry))
        room = booked
    _append_all(ledger, entries)


def _append_all(ledger: Ledger, entries: Sequence[tuple[Attempt, LedgerEntry]]) -> None:
    if not entries:
        return
    written = ledger.append_all([entry for _, entry in entries])
    for number, (attempt, entry) in enumerate(entries):
        attempt.outcome, attempt.entry = (Outcome.WRITTEN if number < written else Outcome.LOST), entry


def booked_vessel(fleet: Fleet, ledger: Ledger, booking_id: str) -> BookedVessel | None:
    """Where ``booking_id`` holds room now, if anywhere."""
    latest = ledger.latest_for(booking_id)
    if latest is None or latest.kind is not EntryKind.BOOKING or latest.load is None:
        return None
    vessel = fleet.get(latest.vessel_id)
    return None if vessel is None else BookedVessel(vessel, latest.load, latest.generation, latest.allocation.voyage)


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
    booked, released already, or booked again as another ``generation``).

    ``InvalidTransition`` if the booking sailed: its voyage departed (the
    vessel is at sea with it, or has arrived since)."""
    for round_number in range(MAX_ROUNDS):
        held = booked_vessel(fleet, ledger, booking_id)
        if held is None or (generation is not None and held.generation != generation):
            return False
        with ledger.writing(held.vessel.id):
            newest = ledger.newest(held.vessel)
            if newest.status is not VesselStatus.OPEN or newest.voyage != held.voyage:
                raise InvalidTransition(
                    f"booking {booking_id} sailed with vessel {held.vessel.id} on voyage {held.voyage}: "
                    "only room on an open voyage can be given back"
                )
            room = newest.released(held.load)
            if ledger.append(LedgerEntry(room, EntryKind.RELEASE, booking_id, held.generation, held.load, now())):
                return True
        pause(round_number)
    raise RuntimeError(f"could not release {booking_id} in {MAX_ROUNDS} rounds")


def depart(
    fleet: Fleet,
    ledger: Ledger,
    vessel_id: str,
    by: str,
    now: Callable[[], datetime],
    pause: Callable[[int], None] = jittered_pause,
) -> VoyageChange:
    """Close the open voyage: the vessel is at sea with the bookings it holds.
    A vessel at sea answers its departure (so a retry answers the same).

    The bookings are read up to the newest entry, and the departure is written
    as the entry after it: if anything was booked or released meanwhile, the
    departure loses that sequence number and reads again."""
    vessel = _vessel(fleet, vessel_id)
    for round_number in range(MAX_ROUNDS):
        with ledger.writing(vessel.id):
            newest = ledger.newest(vessel)
            if newest.status is VesselStatus.RETIRED:
                raise InvalidTransition(f"vessel {vessel.id} is retired")
            if newest.status is VesselStatus.AT_SEA:
                return _voyage_change(ledger, vessel, EntryKind.DEPARTURE, newest.voyage)
            bookings = live_bookings(ledger.voyage_entries(vessel.id, newest.voyage, newest.seq))
            at = to_milliseconds(now())
            event = voyage_event(EntryKind.DEPARTURE, vessel, newest.voyage, at, by, len(bookings))
            if ledger.append(LedgerEntry(newest.departed(), EntryKind.DEPARTURE, at=at, by=by, event=event)):
                return VoyageChange(vessel, newest.voyage, VoyageStatus.DEPARTED, at, by, tuple(bookings))
        pause(round_number)
    raise RuntimeError(f"could not record the departure of {vessel.id} in {MAX_ROUNDS} rounds")


def arrive(
    fleet: Fleet,
    ledger: Ledger,
    vessel_id: str,
    by: str,
    now: Callable[[], datetime],
    pause: Callable[[int], None] = jittered_pause,
) -> VoyageChange:
    """End the voyage at sea; the next one opens with all the vessel's room.
    A vessel in port after an arrival answers that arrival."""
    vessel = _vessel(fleet, vessel_id)
    for round_number in range(MAX_ROUNDS):
        with ledger.writing(vessel.id):
            newest = ledger.newest(vessel)
            if newest.status is VesselStatus.RETIRED:
                raise InvalidTransition(f"vessel {vessel.id} is retired")
            if newest.status is VesselStatus.OPEN:
                if newest.voyage == FIRST_VOYAGE:
                    raise InvalidTransition(f"vessel {vessel.id} has not departed: it is in port on voyage 1")
                return _voyage_change(ledger, vessel, EntryKind.ARRIVAL, newest.voyage - 1)
            bookings = live_bookings(ledger.voyage_entries(vessel.id, newest.voyage, newest.seq))
            at = to_milliseconds(now())
            event = voyage_event(EntryKind.ARRIVAL, vessel, newest.voyage, at, by, len(bookings))
            if ledger.append(LedgerEntry(newest.arrived(vessel), EntryKind.ARRIVAL, at=at, by=by, event=event)):
                return VoyageChange(vessel, newest.voyage, VoyageStatus.ARRIVED, at, by, tuple(bookings))
        pause(round_number)
    raise RuntimeError(f"could not record the arrival of {vessel.id} in {MAX_ROUNDS} rounds")


def voyage(fleet: Fleet, ledger: Ledger, vessel_id: str, number: int) -> Voyage:
    """Voyage ``number`` of the vessel: open, departed or arrived, and when."""
    vessel = _vessel(fleet, vessel_id)
    if number > ledger.newest(vessel).voyage:
        raise NotFound(f"vessel {vessel.id} has no voyage {number} yet")
    departure = ledger.voyage_change(vessel.id, EntryKind.DEPARTURE, number)
    arrival = ledger.voyage_change(vessel.id, EntryKind.ARRIVAL, number)
    return Voyage(vessel.id, number, _stamp(departure), _stamp(arrival))


def retire(
    fleet: Fleet,
    ledger: Ledger,
    caller: Caller,
    vessel_id: str,
    now: Callable[[], datetime],
    pause: Callable[[int], None] = jittered_pause,
) -> VesselState:
    """Take a vessel out of the fleet for good; a retired one answers as it is.
    Only a vessel in port with nothing booked on its open voyage may retire."""
    _require_admin(caller, "retire a vessel")
    vessel = _vessel(fleet, vessel_id)
    for round_number in range(MAX_ROUNDS):
        with ledger.writing(vessel.id):
            newest = ledger.newest(vessel)
            if newest.status is VesselStatus.RETIRED:
                fleet.withdraw(vessel.id)  # again: an earlier call may have stopped before it did
                return VesselState(vessel, newest)
            if newest.status is VesselStatus.AT_SEA:
                raise InvalidTransition(f"vessel {vessel.id} is at sea: it can retire once it has arrived")
            if not newest.is_empty(vessel):
                count = len(live_bookings(ledger.voyage_entries(vessel.id, newest.voyage, newest.seq)))
                raise InvalidTransition(
                    f"vessel {vessel.id} has {count} bookings on its open voyage: cancel them or let it sail"
                )
            entry = LedgerEntry(newest.retired(), EntryKind.RETIREMENT, at=to_milliseconds(now()), by=caller.id)
            if ledger.append(entry):
                fleet.withdraw(vessel.id)
                return VesselState(vessel, entry.allocation)
        pause(round_number)
    raise RuntimeError(f"could not retire {vessel.id} in {MAX_ROUNDS} rounds")


@dataclass(frozen=True)
class FleetPage:
    """A page of the fleet as ``caller`` may see it; ``next_after``: the id
    the next page starts after (``None`` on the last page)."""

    states: tuple[VesselState, ...]
    next_after: str | None
    for_admin: bool


def list_vessels(
    fleet: Fleet,
    ledger: Ledger,
    caller: Caller,
    status: VesselStatus | None,
    limit: int,
    after: str | None,
) -> FleetPage:
    """The fleet by vessel id: every vessel for an admin; for a customer only
    those that take bookings now (open, with room). Reads one vessel past the
    page, so that the last page says it is the last."""

    def shown(state: VesselState) -> bool:
        wanted = status is None or state.status is status
        return wanted and (caller.is_admin or state.offered())

    found: list[VesselState] = []
    last_read = after
    while len(found) <= limit:
        batch = fleet.page(last_read, limit + 1)
        if not batch:
            break
        for vessel in batch:
            state = VesselState(vessel, ledger.newest(vessel))
            if shown(state):
                found.append(state)
                if len(found) > limit:
                    break
        last_read = batch[-1].id
    page = tuple(found[:limit])
    next_after = page[-1].vessel.id if len(found) > limit else None
    return FleetPage(page, next_after, caller.is_admin)


def bookings_between(ledger: Ledger, since: datetime, until: datetime, limit: int) -> Sequence[LedgerEntry]:
    return ledger.bookings_between(since, until, limit)


def _require_admin(caller: Caller, action: str) -> None:
    if not caller.is_admin:
        raise Forbidden(f"only an admin may {action}")


def _vessel(fleet: Fleet, vessel_id: str) -> Vessel:
    vessel = fleet.get(vessel_id)
    if vessel is None:
        raise NotFound(f"no vessel {vessel_id}")
    return vessel


def _voyage_change(ledger: Ledger, vessel: Vessel, kind: EntryKind, number: int) -> VoyageChange:
    """The departure or arrival of voyage ``number`` as it was recorded."""
    entry = ledger.voyage_change(vessel.id, kind, number)
    if entry is None or entry.at is None or entry.by is None:
        raise RuntimeError(f"the ledger of {vessel.id} has no {kind} of voyage {number}")
    bookings = live_bookings(ledger.voyage_entries(vessel.id, number, entry.allocation.seq))
    status = VoyageStatus.DEPARTED if kind is EntryKind.DEPARTURE else VoyageStatus.ARRIVED
    return VoyageChange(vessel, number, status, entry.at, entry.by, tuple(bookings))


def _stamp(entry: LedgerEntry | None) -> Stamp | None:
    return None if entry is None or entry.at is None or entry.by is None else Stamp(entry.at, entry.by)


def _fitting(fleet: Fleet, load: Load, fresh: bool = False) -> list[Vessel]:
    return sorted((v for v in fleet.candidates(load, fresh) if v.can_carry(load)), key=best_fit_order)


def _retry(fleet: Fleet, latest: LedgerEntry, load: Load) -> Placement:
    vessel = fleet.get(latest.vessel_id)
    if latest.load != load or vessel is None:
        raise AlreadyExists(f"booking {latest.booking_id} holds room for a different load")
    return Placement(vessel, latest.allocation.voyage)
