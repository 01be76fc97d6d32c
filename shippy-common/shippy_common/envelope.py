"""Shippy's event envelope (README: "Events"): what every event looks like,
how it is encoded, and how big it may be.

Services build events with :func:`new_event`; subscribers check what they
receive with :func:`read_event` before using any of it.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

SCHEMA_VERSION = 1
USER_CREATED = "user.created"
CONSIGNMENT_CREATED = "consignment.created"
CONSIGNMENT_CANCELLED = "consignment.cancelled"
CONSIGNMENT_STATUS_CHANGED = "consignment.status_changed"
VESSEL_DEPARTED = "vessel.departed"
VESSEL_ARRIVED = "vessel.arrived"
EVENT_TYPES = (
    USER_CREATED,
    CONSIGNMENT_CREATED,
    CONSIGNMENT_CANCELLED,
    CONSIGNMENT_STATUS_CHANGED,
    VESSEL_DEPARTED,
    VESSEL_ARRIVED,
)

#: The largest encoded event :func:`new_event` makes: far below NATS's 1 MiB
#: max payload, so one event can never be too big to publish and hold up
#: every later one behind it.
MAX_EVENT_BYTES = 64 * 1024


class InvalidEvent(ValueError):
    """A message that is not a Shippy event envelope."""


def encode_event(event: dict[str, Any]) -> bytes:
    """The bytes published for ``event``: compact UTF-8 JSON."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def new_event(event_type: str, aggregate_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """An event envelope; ``ValueError`` if it would encode to more than
    :data:`MAX_EVENT_BYTES` (carry a summary, not a whole document)."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    event = {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "version": SCHEMA_VERSION,
        "occurred_at": datetime.now(UTC).isoformat(),
        "aggregate_id": aggregate_id,
        "data": data,
    }
    size = len(encode_event(event))
    if size > MAX_EVENT_BYTES:
        raise ValueError(f"a {event_type} event of {size} bytes is over the limit of {MAX_EVENT_BYTES} bytes")
    return event


def read_event(payload: bytes) -> dict[str, Any]:
    """The envelope in ``payload``, checked: ``id`` a UUID in its canonical
    form (safe as a file name), ``type`` a known event type, ``version`` and
    ``aggregate_id`` of their types, ``data`` an object; else ``InvalidEvent``."""
    try:
        event = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidEvent(f"not JSON: {exc}") from None
    if not isinstance(event, dict):
        raise InvalidEvent(f"not a JSON object but {type(event).__name__}")
    event_id = event.get("id")
    if not isinstance(event_id, str) or not _is_canonical_uuid(event_id):
        raise InvalidEvent(f"id must be a UUID string, got {_preview(event_id)}")
    if event.get("type") not in EVENT_TYPES:
        raise InvalidEvent(f"type must be one of {', '.join(EVENT_TYPES)}, got {_preview(event.get('type'))}")
    checks = (("version", int), ("occurred_at", str), ("aggregate_id", str), ("data", dict))
    for key, expected in checks:
        value = event.get(key)
        # bool is an int to isinstance; an event's version never is one.
        if not isinstance(value, expected) or isinstance(value, bool):
            raise InvalidEvent(f"{key} must be of type {expected.__name__}, got {_preview(value)}")
    return event


def _is_canonical_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text
    except ValueError:
        return False


def _preview(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
