"""The events vessel_service records in its outbox: a voyage's departure and arrival."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from shippy_common.envelope import VESSEL_ARRIVED, VESSEL_DEPARTED, new_event
from vessel_service.domain import EntryKind, Vessel

#: The namespace of the voyage events' ids (uuid5).
VOYAGE_EVENTS = uuid.uuid5(uuid.NAMESPACE_URL, "https://shippy.example/events/vessel-voyages")
EVENT_TYPES = {EntryKind.DEPARTURE: VESSEL_DEPARTED, EntryKind.ARRIVAL: VESSEL_ARRIVED}


def voyage_event_id(vessel_id: str, voyage: int, kind: EntryKind) -> str:
    """The same for every writer of the same departure or arrival."""
    return str(uuid.uuid5(VOYAGE_EVENTS, f"{vessel_id}/{voyage}/{kind}"))


def voyage_event(kind: EntryKind, vessel: Vessel, voyage: int, at: datetime, by: str, bookings: int) -> dict[str, Any]:
    """``vessel.departed`` or ``vessel.arrived``. It counts the voyage's
    consignments instead of listing them, so that its size is bounded."""
    event = new_event(
        EVENT_TYPES[kind],
        vessel.id,
        {
            "vessel_id": vessel.id,
            "vessel_name": vessel.name,
            "voyage": voyage,
            "at": at.isoformat(),
            "by": by,
            "consignments": bookings,
        },
    )
    return {**event, "id": voyage_event_id(vessel.id, voyage, kind), "occurred_at": at.isoformat()}
