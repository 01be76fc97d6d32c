"""The events consignment_service records in its outbox."""

from __future__ import annotations

from typing import Any

from consignment_service.domain import BookedVessel, Consignment
from shippy_common.auth import Caller
from shippy_common.envelope import CONSIGNMENT_CREATED, new_event

#: Containers listed in ``consignment.created``; ``container_count`` tells how
#: many there are in all. A whole consignment (up to 1,000 containers of
#: 200-character origins) would not fit in an event.
MAX_LISTED_CONTAINERS = 20


def created_event(consignment: Consignment, owner: Caller, vessel: BookedVessel) -> dict[str, Any]:
    """``consignment.created``: what the booking confirmation needs, no secrets."""
    listed = consignment.containers[:MAX_LISTED_CONTAINERS]
    return new_event(
        CONSIGNMENT_CREATED,
        consignment.id,
        {
            "consignment_id": consignment.id,
            "owner": {"id": owner.id, "name": owner.name, "email": owner.email},
            "vessel": {"id": vessel.id, "name": vessel.name},
            "description": consignment.description,
            "weight": consignment.weight,
            "container_count": len(consignment.containers),
            "containers": [{"customer_id": c.customer_id, "origin": c.origin} for c in listed],
            "created_at": consignment.created_at.isoformat(),
        },
    )
