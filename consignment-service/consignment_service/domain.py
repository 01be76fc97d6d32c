"""Consignments in plain Python: what a booking is, the statuses it goes
through, its tracking reference and its timeline."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from shippy_common.errors import InvalidTransition

CONSIGNMENT_ID_NAMESPACE = uuid.UUID("5b0e8f4e-4a8e-4c43-9d0c-5d1b3f6c9a21")
#: Namespace of the ids of transition events: uuid5(<consignment id>/<new status>).
TRANSITION_EVENT_NAMESPACE = uuid.UUID("0f6f2a3c-93c4-4d5e-a1f2-6b7c8d9e0a14")

BOOKED = "booked"
IN_TRANSIT = "in_transit"
ARRIVED = "arrived"
DELIVERED = "delivered"
CANCELLED = "cancelled"
STATUSES = (BOOKED, IN_TRANSIT, ARRIVED, DELIVERED, CANCELLED)

#: Every transition there is; anything else is ``InvalidTransition``. No status
#: is reached twice, so (consignment, new status) names one transition.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    BOOKED: (IN_TRANSIT, CANCELLED),
    IN_TRANSIT: (ARRIVED,),
    ARRIVED: (DELIVERED,),
    DELIVERED: (),
    CANCELLED: (),
}

#: What a status becomes when its vessel departs or arrives.
VOYAGE_MOVES = {"departed": (BOOKED, IN_TRANSIT), "arrived": (IN_TRANSIT, ARRIVED)}

_REQUIREMENT = {
    IN_TRANSIT: "only a booked consignment can depart",
    CANCELLED: "only a booked consignment can be cancelled",
    ARRIVED: "only a consignment in transit can arrive",
    DELIVERED: "only an arrived consignment can be delivered",
    BOOKED: "a consignment is booked only when it is created",
}


def check_transition(consignment_id: str, old: str, new: str) -> None:
    """``InvalidTransition`` naming the status unless ``old -> new`` is allowed."""
    if new not in TRANSITIONS.get(old, ()):
        raise InvalidTransition(f"consignment {consignment_id} is {old}: {_REQUIREMENT.get(new, 'no such status')}")


def is_at_or_past(status: str, target: str) -> bool:
    """Whether ``status`` is ``target`` or comes after it on the way to delivery."""
    journey = (BOOKED, IN_TRANSIT, ARRIVED, DELIVERED)
    return status in journey and target in journey and journey.index(status) >= journey.index(target)


def transition_event_id(consignment_id: str, new_status: str) -> str:
    """The id of the event of ``consignment_id`` reaching ``new_status``: the
    same whoever records it (a departure and a late create both may)."""
    return str(uuid.uuid5(TRANSITION_EVENT_NAMESPACE, f"{consignment_id}/{new_status}"))


def to_milliseconds(moment: datetime) -> datetime:
    """``moment`` as MongoDB keeps it."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def default_consignment_id(owner_id: str, message_id: str | None) -> str:
    """The id of a consignment sent without one: derived from the request
    message, which a redelivered copy shares, so booking it again books nothing twice."""
    return str(uuid.uuid5(CONSIGNMENT_ID_NAMESPACE, f"{owner_id}/{message_id or uuid.uuid4()}"))


#: Crockford's base32: no I, L, O or U, so a reference reads out loud without doubt.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_READ_AS = {"I": "1", "L": "1", "O": "0"}
REFERENCE_CHARS = 12


def new_reference() -> str:
    """A random tracking reference, ``XXXX-XXXX-XXXX`` (60 random bits)."""
    chars = "".join(secrets.choice(CROCKFORD) for _ in range(REFERENCE_CHARS))
    return "-".join(chars[i : i + 4] for i in range(0, REFERENCE_CHARS, 4))


def normalize_reference(text: str) -> str | None:
    """``text`` as stored (``XXXX-XXXX-XXXX``), read as Crockford does (any
    case, hyphens and spaces anywhere, I and L as 1, O as 0); ``None`` if no
    reference can be written so."""
    chars = "".join(_READ_AS.get(c, c) for c in text.upper() if c not in "- ")
    if len(chars) != REFERENCE_CHARS or any(c not in CROCKFORD for c in chars):
        return None
    return "-".join(chars[i : i + 4] for i in range(0, REFERENCE_CHARS, 4))


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
    #: The voyage the booking went onto (``None`` from a vessel_service that does not say).
    voyage: int | None = None


@dataclass(frozen=True)
class TimelineEntry:
    status: str
    at: datetime
    by: str

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "at": self.at.isoformat(), "by": self.by}


@dataclass(frozen=True)
class Transition:
    """One entry of a consignment's log: its ``seq``-th change after booking."""

    consignment_id: str
    owner_id: str
    seq: int
    old_status: str
    new_status: str
    at: datetime
    by: str

    @property
    def event_id(self) -> str:
        return transition_event_id(self.consignment_id, self.new_status)


def status_after(transitions: Sequence[Transition]) -> str:
    """The status a log of transitions (in ``seq`` order) leaves a consignment in."""
    return transitions[-1].new_status if transitions else BOOKED


@dataclass(frozen=True)
class Consignment:
    id: str
    owner_id: str
    description: str
    weight: int
    containers: tuple[Container, ...]
    vessel_id: str
    created_at: datetime
    #: ``None`` on consignments stored before references, voyages and contacts were.
    reference: str | None = None
    voyage: int | None = None
    vessel_name: str | None = None
    #: The owner's name and email at booking: the address of the mails about it.
    owner_name: str | None = None
    owner_email: str | None = None
    status: str = BOOKED
    #: After ``booked``; empty until read with its log (:meth:`with_log`).
    transitions: tuple[Transition, ...] = ()

    def answers(self, request: BookingRequest, owner_id: str) -> bool:
        """Whether ``request`` by ``owner_id`` asks for this very booking (a retry)."""
        return (self.owner_id, self.description, self.weight, self.containers) == (
            owner_id,
            request.description,
            request.weight,
            request.containers,
        )

    def with_log(self, transitions: Sequence[Transition]) -> Consignment:
        """This consignment as its log of transitions tells (the log is the truth)."""
        ordered = tuple(sorted(transitions, key=lambda t: t.seq))
        return replace(self, status=status_after(ordered), transitions=ordered)

    @property
    def timeline(self) -> tuple[TimelineEntry, ...]:
        booked = TimelineEntry(BOOKED, self.created_at, self.owner_id)
        return (booked, *(TimelineEntry(t.new_status, t.at, t.by) for t in self.transitions))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "owner_id": self.owner_id,
            "description": self.description,
            "weight": self.weight,
            "containers": [asdict(c) for c in self.containers],
            "vessel_id": self.vessel_id,
            "created_at": self.created_at.isoformat(),
            "status": self.status,
            "reference": self.reference,
            "voyage": self.voyage,
            "timeline": [entry.to_dict() for entry in self.timeline],
        }


@dataclass(frozen=True)
class Reservation:
    """Room a vessel holds under a booking id (one ``generation`` of it)."""

    booking_id: str
    generation: int
    vessel_id: str
    at: datetime


@dataclass(frozen=True)
class VoyageChange:
    """A vessel's voyage departed or arrived, as vessel_service answered it;
    ``booking_ids``: the live bookings on that voyage."""

    vessel_id: str
    vessel_name: str
    voyage: int
    status: str  # "departed" | "arrived"
    at: datetime
    by: str
    booking_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Position:
    """Where a page of a listing ends (newest first): strictly before this."""

    created_ns: int
    id: str


@dataclass(frozen=True)
class Page:
    items: tuple[Consignment, ...]
    #: ``None`` on the last page.
    next: Position | None


@dataclass(frozen=True)
class VoyageReport:
    """What ``depart_vessel`` / ``arrive_vessel`` answer: the voyage change and
    how many of its consignments are (now, or were already) moved."""

    change: VoyageChange
    consignments: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "vessel_id": self.change.vessel_id,
            "vessel_name": self.change.vessel_name,
            "voyage": self.change.voyage,
            "status": self.change.status,
            "at": self.change.at.isoformat(),
            "consignments": self.consignments,
        }


class ReferenceTaken(Exception):
    """A store refused a consignment because another one has its reference."""
