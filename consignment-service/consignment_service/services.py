"""What consignment_service does, in plain Python over its ports (the store,
the transition log, the voyage changes, vessel_service and the reconciliation
checkpoint); the nameko entrypoints in ``service`` call these, unit tests call
them with in-memory fakes.

Booking is safe to retry: the consignment id is also the vessel booking id,
and it is fixed before the request is sent (by the client, or derived from the
request message when the client gave none), so a repeated create (a client
retry, a redelivered message) books the vessel once and answers the same.
Room reserved for a consignment that was never stored (its caller gave up, its
store write failed) is found by :func:`reconcile` and given back.

A consignment's life after booking is its transition log (:class:`TransitionLog`):
insert-only, one entry per transition, the ``seq``-th written only by whoever
read entry ``seq - 1`` as the newest. The store's unique key lets exactly one of
two concurrent writers win, the loser reads the log again and answers what it
now says. No document is updated to decide anything: our MongoDB-wire server
(FerretDB) makes no update atomic. The log is the truth for status and
timeline; the ``status`` kept on the consignment itself only serves listings by
status and is repaired wherever a read finds it disagreeing with the log.

Who wins a race between a departure and a cancel is vessel_service's ledger:
it refuses to release a booking on a voyage that has departed, and a booking
released before the departure is not among the departure's bookings.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from consignment_service.domain import (
    BOOKED,
    CANCELLED,
    DELIVERED,
    IN_TRANSIT,
    STATUSES,
    VOYAGE_MOVES,
    BookedVessel,
    BookingRequest,
    Consignment,
    Page,
    Position,
    ReferenceTaken,
    Reservation,
    Transition,
    VoyageChange,
    VoyageReport,
    check_transition,
    is_at_or_past,
    new_reference,
    to_milliseconds,
)
from consignment_service.events import created_event, transition_event
from shippy_common.auth import Caller
from shippy_common.errors import AlreadyExists, BookingReleased, Forbidden, InvalidTransition, NotFound

log = logging.getLogger("consignment_service")
reconcile_log = logging.getLogger("consignment_service.reconcile")

#: New references tried for one consignment before giving up (a collision
#: among 2**60 references is already rare).
REFERENCE_ATTEMPTS = 5
#: Consignments read at once when a voyage moves its bookings.
VOYAGE_BATCH = 500


class Consignments(Protocol):
    def add(self, consignment: Consignment, event: dict[str, Any]) -> Consignment | None:
        """Store with its event, in one write, and return it as stored; ``None``
        if the id is taken; ``ReferenceTaken`` if its reference is."""

    def get(self, consignment_id: str) -> Consignment | None: ...

    def get_many(self, consignment_ids: Sequence[str]) -> list[Consignment]: ...

    def by_reference(self, reference: str) -> Consignment | None: ...

    def owned_by(self, owner_id: str) -> list[Consignment]:
        """The owner's consignments, newest first."""

    def page(self, owner_id: str, status: str | None, after: Position | None, limit: int) -> Page:
        """Up to ``limit`` of the owner's consignments whose stored ``status``
        is ``status`` (any if ``None``), newest first, strictly after ``after``."""

    def existing_ids(self, consignment_ids: Sequence[str]) -> set[str]: ...

    def set_status(self, consignment_id: str, status: str, seq: int) -> None:
        """Record ``status`` (reached by transition ``seq``) on the consignment,
        unless a later transition's is there already: for listings only."""


class TransitionLog(Protocol):
    def of(self, consignment_id: str) -> list[Transition]:
        """The consignment's transitions in ``seq`` order."""

    def of_many(self, consignment_ids: Sequence[str]) -> dict[str, list[Transition]]: ...

    def append(self, transition: Transition, event: dict[str, Any]) -> bool:
        """Insert ``transition`` with its event in one write; ``False`` if its
        ``seq`` is taken (another writer was first)."""


class Voyages(Protocol):
    """The voyage changes consignment_service has seen (insert-only)."""

    def record(self, change: VoyageChange) -> None:
        """Keep ``change``; keeping it twice is harmless."""

    def of(self, vessel_id: str, voyage: int) -> list[VoyageChange]:
        """The departure and arrival of one voyage, as far as recorded."""


class Vessels(Protocol):
    def book(self, booking_id: str, containers: int, weight: int, again: bool = True) -> BookedVessel:
        """Room on a vessel, or the room ``booking_id`` holds already for the
        same load (``AlreadyExists`` for another). An id whose room was given
        back is booked anew, or if not ``again`` refused with ``BookingReleased``."""

    def release(self, booking_id: str, generation: int | None = None) -> bool:
        """``True`` if this call gave the room back; ``InvalidTransition`` if
        the booking's voyage has departed."""

    def bookings_between(self, since: datetime, until: datetime, limit: int) -> Sequence[Reservation]: ...

    def depart(self, vessel_id: str, by: str) -> VoyageChange: ...

    def arrive(self, vessel_id: str, by: str) -> VoyageChange: ...


class Checkpoint(Protocol):
    """How far reconciliation got: every booking made before it was checked."""

    def load(self) -> datetime | None: ...

    def save(self, checked_until: datetime) -> None: ...


def create_consignment(
    consignments: Consignments,
    transitions: TransitionLog,
    voyages: Voyages,
    vessels: Vessels,
    owner: Caller,
    request: BookingRequest,
    now: Callable[[], datetime],
    reference: Callable[[], str] = new_reference,
) -> Consignment:
    """Book ``request`` for ``owner``, or answer the booking it repeats.

    Most creates are an id's first, so the vessel is booked before the
    consignment is looked for: a repeat gets the room its id holds back from
    vessel_service, then finds its consignment when storing it. Only an id
    whose room was given back (its consignment was cancelled, or reconciliation
    released a reservation never stored) is looked up first, and booked anew
    only if no consignment has it.

    A booking made just before its vessel departed may be stored after
    ``depart_vessel`` looked for its consignment: once stored, the consignment
    follows the voyage changes recorded for its voyage itself."""
    try:
        vessel = vessels.book(request.id, len(request.containers), request.weight, again=False)
    except BookingReleased:
        existing = consignments.get(request.id)
        if existing is not None:
            found = _read(consignments, transitions, [_retry_of(existing, request, owner)])[0]
            return _follow_voyage(consignments, transitions, voyages, found)
        vessel = vessels.book(request.id, len(request.containers), request.weight)
    created_at = to_milliseconds(now())
    for _ in range(REFERENCE_ATTEMPTS):
        consignment = Consignment(
            id=request.id,
            owner_id=owner.id,
            description=request.description,
            weight=request.weight,
            containers=request.containers,
            vessel_id=vessel.id,
            created_at=created_at,
            reference=reference(),
            voyage=vessel.voyage,
            vessel_name=vessel.name,
            owner_name=owner.name,
            owner_email=owner.email,
        )
        try:
            stored = consignments.add(consignment, created_event(consignment))
        except ReferenceTaken:
            log.warning("reference %s of consignment %s was taken; drawing another", consignment.reference, request.id)
            continue
        break
    else:
        raise RuntimeError(f"no free reference for consignment {request.id} in {REFERENCE_ATTEMPTS} attempts")
    if stored is None:
        found = _read(consignments, transitions, [_retry_of(consignments.get(request.id), request, owner)])[0]
        return _follow_voyage(consignments, transitions, voyages, found)
    return _follow_voyage(consignments, transitions, voyages, stored)


def consignments_of(consignments: Consignments, transitions: TransitionLog, owner: Caller) -> list[Consignment]:
    """All the caller's consignments, newest first (``get_consignments``)."""
    return _read(consignments, transitions, consignments.owned_by(owner.id))


def list_consignments(
    consignments: Consignments,
    transitions: TransitionLog,
    caller: Caller,
    status: str | None,
    after: Position | None,
    limit: int,
) -> Page:
    """One page of the caller's consignments, newest first, in ``status`` if
    given. The stored status picks the page; the log has the last word, so a
    page may hold fewer than ``limit`` (one whose stored status lagged is left
    out, and repaired for the next listing)."""
    page = consignments.page(caller.id, status, after, limit)
    items = _read(consignments, transitions, page.items)
    if status is not None:
        items = [consignment for consignment in items if consignment.status == status]
    return Page(items=tuple(items), next=page.next)


def consignment_of(
    consignments: Consignments, transitions: TransitionLog, caller: Caller, consignment_id: str
) -> Consignment:
    """One consignment, for its owner or an admin; anyone else's is as missing as one that does not exist."""
    return _visible(consignments, transitions, caller, consignments.get(consignment_id))


def track(consignments: Consignments, transitions: TransitionLog, caller: Caller, reference: str) -> Consignment:
    """The consignment with tracking ``reference`` (normalized), for its owner or an admin."""
    return _visible(consignments, transitions, caller, consignments.by_reference(reference))


def cancel_consignment(
    consignments: Consignments,
    transitions: TransitionLog,
    vessels: Vessels,
    caller: Caller,
    consignment_id: str,
    now: Callable[[], datetime],
) -> Consignment:
    """Cancel a booked consignment, for its owner or an admin: its room goes
    back to its vessel once, however often this is called or retried, and a
    cancelled consignment is answered as it is."""
    consignment = _visible(consignments, transitions, caller, consignments.get(consignment_id))
    if consignment.status == CANCELLED:
        return consignment
    check_transition(consignment.id, consignment.status, CANCELLED)
    try:
        released = vessels.release(consignment.id)
    except InvalidTransition as exc:
        raise InvalidTransition(
            f"consignment {consignment.id} cannot be cancelled: its vessel has sailed ({exc})"
        ) from None
    if not released:
        log.info("the room of consignment %s was given back before (an earlier attempt)", consignment.id)
    if consignment.owner_email is None and caller.id == consignment.owner_id:
        # Stored before owner contacts were: the owner's own call tells where to mail.
        consignment = replace(consignment, owner_name=caller.name, owner_email=caller.email)
    cancelled, _ = _transition(consignments, transitions, consignment, CANCELLED, now(), caller.id)
    return cancelled


def mark_delivered(
    consignments: Consignments,
    transitions: TransitionLog,
    caller: Caller,
    consignment_id: str,
    now: Callable[[], datetime],
) -> Consignment:
    """An arrived consignment handed over (admin only); answered as it is if delivered already."""
    _require_admin(caller, "mark a consignment delivered")
    consignment = _visible(consignments, transitions, caller, consignments.get(consignment_id))
    delivered, _ = _transition(consignments, transitions, consignment, DELIVERED, now(), caller.id)
    return delivered


def depart_vessel(
    consignments: Consignments,
    transitions: TransitionLog,
    voyages: Voyages,
    vessels: Vessels,
    caller: Caller,
    vessel_id: str,
) -> VoyageReport:
    """The vessel's open voyage departs (admin only): each of its consignments
    goes in transit. Safe to retry: vessel_service answers the same departure,
    and a consignment moved already stays as it is."""
    _require_admin(caller, "depart a vessel")
    return _apply(consignments, transitions, voyages, vessels.depart(vessel_id, caller.id))


def arrive_vessel(
    consignments: Consignments,
    transitions: TransitionLog,
    voyages: Voyages,
    vessels: Vessels,
    caller: Caller,
    vessel_id: str,
) -> VoyageReport:
    """The vessel's voyage at sea arrives (admin only): each of its
    consignments in transit arrives. Safe to retry, as :func:`depart_vessel`."""
    _require_admin(caller, "arrive a vessel")
    return _apply(consignments, transitions, voyages, vessels.arrive(vessel_id, caller.id))


def _apply(
    consignments: Consignments, transitions: TransitionLog, voyages: Voyages, change: VoyageChange
) -> VoyageReport:
    """Record ``change`` first (a consignment stored from now on finds it and
    follows it itself), then move every consignment of its bookings already stored."""
    voyages.record(change)
    recorded = voyages.of(change.vessel_id, change.voyage)
    _, target = VOYAGE_MOVES[change.status]
    moved = 0
    for batch in _batches(change.booking_ids, VOYAGE_BATCH):
        for consignment in _read(consignments, transitions, consignments.get_many(batch)):
            after = _follow(consignments, transitions, consignment, recorded)
            if is_at_or_past(after.status, target):
                moved += 1
    log.info(
        "vessel %s voyage %d %s: %d of %d bookings' consignments moved",
        change.vessel_id,
        change.voyage,
        change.status,
        moved,
        len(change.booking_ids),
    )
    return VoyageReport(change=change, consignments=moved)


def _follow_voyage(
    consignments: Consignments, transitions: TransitionLog, voyages: Voyages, consignment: Consignment
) -> Consignment:
    """``consignment`` after the recorded changes of its voyage (one look-up)."""
    if consignment.voyage is None or consignment.status not in (BOOKED, IN_TRANSIT):
        return consignment
    changes = voyages.of(consignment.vessel_id, consignment.voyage)
    return _follow(consignments, transitions, consignment, changes) if changes else consignment


def _follow(
    consignments: Consignments,
    transitions: TransitionLog,
    consignment: Consignment,
    changes: Sequence[VoyageChange],
) -> Consignment:
    """Apply a voyage's departure, then its arrival, to one of its
    consignments, with the content they dictate (time and operator of the
    voyage change), so that whoever writes a transition writes the same."""
    by_status = {change.status: change for change in changes}
    for status in ("departed", "arrived"):
        change = by_status.get(status)
        previous, target = VOYAGE_MOVES[status]
        if change is None or consignment.status != previous:
            continue
        try:
            consignment, _ = _transition(consignments, transitions, consignment, target, change.at, change.by)
        except InvalidTransition as exc:  # another writer took it elsewhere meanwhile
            log.warning("consignment %s did not follow its voyage: %s", consignment.id, exc)
            break
    return consignment


def _transition(
    consignments: Consignments,
    transitions: TransitionLog,
    consignment: Consignment,
    new_status: str,
    at: datetime,
    by: str,
) -> tuple[Consignment, bool]:
    """Append ``consignment``'s transition to ``new_status`` to its log, and
    answer it as the log then says, and whether this call wrote it. Reached
    already: answered unchanged. Not allowed from where the log is:
    ``InvalidTransition``. ``consignment`` must have been read with its log."""
    current, at = consignment, to_milliseconds(at)
    # Each lost race means one more entry in a log that holds at most three.
    for _ in range(len(STATUSES) + 1):
        if current.status == new_status:
            return current, False
        check_transition(current.id, current.status, new_status)
        seq = current.transitions[-1].seq + 1 if current.transitions else 1
        transition = Transition(current.id, current.owner_id, seq, current.status, new_status, at, by)
        after = replace(current, status=new_status, transitions=(*current.transitions, transition))
        if transitions.append(transition, transition_event(after, transition)):
            consignments.set_status(current.id, new_status, seq)
            return after, True
        current = current.with_log(transitions.of(current.id))
    raise RuntimeError(f"the log of consignment {consignment.id} kept changing")


def _read(consignments: Consignments, transitions: TransitionLog, found: Sequence[Consignment]) -> list[Consignment]:
    """``found`` as their logs tell (one look-up for all); a stored status that
    disagrees with its log is repaired (its write was lost, or never made)."""
    if not found:
        return []
    logs = transitions.of_many([consignment.id for consignment in found])
    read = []
    for consignment in found:
        logged = consignment.with_log(logs.get(consignment.id, []))
        if logged.status != consignment.status and logged.transitions:
            log.info("repaired the stored status of consignment %s: %s", consignment.id, logged.status)
            consignments.set_status(consignment.id, logged.status, logged.transitions[-1].seq)
        read.append(logged)
    return read


def _visible(
    consignments: Consignments, transitions: TransitionLog, caller: Caller, found: Consignment | None
) -> Consignment:
    if found is None or (found.owner_id != caller.id and not caller.is_admin):
        raise NotFound("no such consignment")
    return _read(consignments, transitions, [found])[0]


def _require_admin(caller: Caller, action: str) -> None:
    if not caller.is_admin:
        raise Forbidden(f"only an admin may {action}")


def _retry_of(existing: Consignment | None, request: BookingRequest, owner: Caller) -> Consignment:
    if existing is not None and existing.answers(request, owner.id):
        return existing
    raise AlreadyExists("a different consignment with this id exists already")


def _batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class ReconcileReport:
    checked: int
    released: int
    checked_until: datetime


RECONCILE_BATCH = 500
#: The longest window reconciliation asks vessel_service for at once (it takes up to a day).
RECONCILE_WINDOW = timedelta(hours=1)


def reconcile(
    consignments: Consignments,
    vessels: Vessels,
    checkpoint: Checkpoint,
    now: Callable[[], datetime],
    grace: timedelta,
    first_run_lookback: timedelta = timedelta(days=1),
    stopping: Callable[[], bool] = lambda: False,
) -> ReconcileReport:
    """Give back the room of bookings older than ``grace`` that never became a
    consignment. Idempotent: a release happens once whatever the overlap of
    runs (vessel_service releases a booking generation once), so several
    instances may reconcile at the same time. A booking whose voyage has
    departed keeps its room (vessel_service refuses): logged and skipped.
    Once ``stopping()`` is true, returns before the next window; the next run
    goes on from the checkpoint."""
    until = now() - grace
    since = checkpoint.load() or until - first_run_lookback
    checked = released = 0
    while since < until:
        if stopping():
            return ReconcileReport(checked=checked, released=released, checked_until=since)
        window_end = min(until, since + RECONCILE_WINDOW)
        batch = vessels.bookings_between(since, window_end, RECONCILE_BATCH)
        stored = consignments.existing_ids([reservation.booking_id for reservation in batch])
        for reservation in batch:
            if reservation.booking_id in stored:
                continue
            try:
                gave_back = vessels.release(reservation.booking_id, reservation.generation)
            except InvalidTransition as exc:
                reconcile_log.warning(
                    "booking %s on %s has no consignment, and its room cannot go back: %s",
                    reservation.booking_id,
                    reservation.vessel_id,
                    exc,
                )
                continue
            if gave_back:
                released += 1
                reconcile_log.warning(
                    "released the room of booking %s on %s: no consignment was stored for it",
                    reservation.booking_id,
                    reservation.vessel_id,
                )
        checked += len(batch)
        # A booking at the batch's last instant may be checked twice: harmless.
        since = window_end if len(batch) < RECONCILE_BATCH else max(batch[-1].at, since + timedelta(milliseconds=1))
        checkpoint.save(since)
    return ReconcileReport(checked=checked, released=released, checked_until=until)
