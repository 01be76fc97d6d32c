"""The events consignment_service records in its outbox."""

from __future__ import annotations

from typing import Any

from consignment_service.domain import CANCELLED, Consignment, Transition
from shippy_common.envelope import CONSIGNMENT_CANCELLED, CONSIGNMENT_CREATED, CONSIGNMENT_STATUS_CHANGED, new_event
from shippy_common.times import as_utc

#: Containers listed in ``consignment.created``; ``container_count`` tells how
#: many there are in all. A whole consignment (up to 1,000 containers of
#: 200-character origins) would not fit in an event.
MAX_LISTED_CONTAINERS = 20


def created_event(consignment: Consignment) -> dict[str, Any]:
    """``consignment.created``: what the booking confirmation needs, no secrets."""
    return new_event(CONSIGNMENT_CREATED, consignment.id, created_data(consignment))


def created_data(consignment: Consignment) -> dict[str, Any]:
    """``consignment.created``'s data: the consignment's own fields, as stored. The
    outbox makes it again from the stored document, which keeps the event without it
    (``repository.ConsignmentRepository.add``)."""
    listed = consignment.containers[:MAX_LISTED_CONTAINERS]
    return {
        **_about(consignment),
        "description": consignment.description,
        "weight": consignment.weight,
        "container_count": len(consignment.containers),
        "containers": [{"customer_id": c.customer_id, "origin": c.origin} for c in listed],
        "created_at": as_utc(consignment.created_at).isoformat(),
    }


def transition_event(consignment: Consignment, transition: Transition) -> dict[str, Any]:
    """``consignment.cancelled`` or ``consignment.status_changed`` for
    ``transition``: addressed to the owner (``email`` ``None`` for a consignment
    stored before contacts were), no secrets. Its id and time come from the
    transition, so two writers of the same transition make the same event."""
    event_type = CONSIGNMENT_CANCELLED if transition.new_status == CANCELLED else CONSIGNMENT_STATUS_CHANGED
    event = new_event(
        event_type,
        consignment.id,
        {
            **_about(consignment),
            "old_status": transition.old_status,
            "new_status": transition.new_status,
            "at": transition.at.isoformat(),
            "by": transition.by,
        },
    )
    return {**event, "id": transition.event_id, "occurred_at": transition.at.isoformat()}


def _about(consignment: Consignment) -> dict[str, Any]:
    """What every consignment event says first: which consignment, whose, on which vessel and voyage."""
    return {
        "consignment_id": consignment.id,
        "reference": consignment.reference,
        "owner": {"id": consignment.owner_id, "name": consignment.owner_name, "email": consignment.owner_email},
        "vessel": {"id": consignment.vessel_id, "name": consignment.vessel_name},
        "voyage": consignment.voyage,
    }
