"""What consignment_service does, in plain Python over its ports (the store,
vessel_service and the reconciliation checkpoint); the nameko entrypoints in
``service`` call these, unit tests call them with in-memory fakes.

Booking is safe to retry: the consignment id is also the vessel booking id,
and it is fixed before the request is sent (by the client, or derived from the
request message when the client gave none), so a repeated create (a client
retry, a redelivered message) books the vessel once and answers the same.
Room reserved for a consignment that was never stored (its caller gave up, its
store write failed) is found by :func:`reconcile` and given back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from consignment_service.domain import BookedVessel, BookingRequest, Consignment, Reservation
from consignment_service.events import created_event
from shippy_common.auth import Caller
from shippy_common.errors import AlreadyExists, NotFound

log = logging.getLogger("consignment_service.reconcile")


class Consignments(Protocol):
    def add(self, consignment: Consignment, event: dict[str, Any]) -> Consignment | None:
        """Store with its event, in one write, and return it as stored; ``None`` if the id is taken."""

    def get(self, consignment_id: str) -> Consignment | None: ...

    def owned_by(self, owner_id: str) -> list[Consignment]:
        """The owner's consignments, newest first."""

    def existing_ids(self, consignment_ids: Sequence[str]) -> set[str]: ...


class Vessels(Protocol):
    def book(self, booking_id: str, containers: int, weight: int) -> BookedVessel: ...

    def release(self, booking_id: str, generation: int) -> bool: ...

    def bookings_between(self, since: datetime, until: datetime, limit: int) -> Sequence[Reservation]: ...


class Checkpoint(Protocol):
    """How far reconciliation got: every booking made before it was checked."""

    def load(self) -> datetime | None: ...

    def save(self, checked_until: datetime) -> None: ...


def create_consignment(
    consignments: Consignments,
    vessels: Vessels,
    owner: Caller,
    request: BookingRequest,
    now: Callable[[], datetime],
) -> Consignment:
    """Book ``request`` for ``owner``, or answer the booking it repeats."""
    existing = consignments.get(request.id)
    if existing is not None:
        return _retry_of(existing, request, owner)
    vessel = vessels.book(request.id, len(request.containers), request.weight)
    consignment = Consignment(
        id=request.id,
        owner_id=owner.id,
        description=request.description,
        weight=request.weight,
        containers=request.containers,
        vessel_id=vessel.id,
        created_at=now(),
    )
    stored = consignments.add(consignment, created_event(consignment, owner, vessel))
    if stored is not None:
        return stored
    return _retry_of(consignments.get(request.id), request, owner)


def consignments_of(consignments: Consignments, owner: Caller) -> list[Consignment]:
    return consignments.owned_by(owner.id)


def consignment_of(consignments: Consignments, owner: Caller, consignment_id: str) -> Consignment:
    """One of the owner's consignments; someone else's is as missing as one that does not exist."""
    found = consignments.get(consignment_id)
    if found is None or found.owner_id != owner.id:
        raise NotFound("no such consignment")
    return found


def _retry_of(existing: Consignment | None, request: BookingRequest, owner: Caller) -> Consignment:
    if existing is not None and existing.answers(request, owner.id):
        return existing
    raise AlreadyExists("a different consignment with this id exists already")


@dataclass(frozen=True)
class ReconcileReport:
    checked: int
    released: int
    checked_until: datetime


RECONCILE_BATCH = 500


def reconcile(
    consignments: Consignments,
    vessels: Vessels,
    checkpoint: Checkpoint,
    now: Callable[[], datetime],
    grace: timedelta,
    first_run_lookback: timedelta = timedelta(days=1),
) -> ReconcileReport:
    """Give back the room of bookings older than ``grace`` that never became a
    consignment. Idempotent: a release happens once whatever the overlap of
    runs (vessel_service releases a booking generation once), so several
    instances may reconcile at the same time."""
    until = now() - grace
    since = checkpoint.load() or until - first_run_lookback
    checked = released = 0
    while since < until:
        batch = vessels.bookings_between(since, until, RECONCILE_BATCH)
        stored = consignments.existing_ids([reservation.booking_id for reservation in batch])
        for reservation in batch:
            if reservation.booking_id not in stored and vessels.release(reservation.booking_id, reservation.generation):
                released += 1
                log.warning(
                    "released the room of booking %s on %s: no consignment was stored for it",
                    reservation.booking_id,
                    reservation.vessel_id,
                )
        checked += len(batch)
        # A booking at the batch's last instant may be checked twice: harmless.
        since = until if len(batch) < RECONCILE_BATCH else max(batch[-1].at, since + timedelta(milliseconds=1))
        checkpoint.save(since)
    return ReconcileReport(checked=checked, released=released, checked_until=until)
