"""Booking a consignment: plain Python over the store and the other services.

Safe to retry: the consignment id doubles as the vessel booking id, so a
repeated create (a client retry, a redelivered message, a worker that died
between booking and storing) books the vessel once and answers the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from consignment_service.domain import Consignment
from consignment_service.schemas import NewConsignment
from shippy_common.errors import AlreadyExists
from shippy_common.events import CONSIGNMENT_CREATED, new_event


class Consignments(Protocol):
    def add(self, consignment: Consignment, event: dict[str, Any]) -> bool: ...
    def get(self, consignment_id: str) -> Consignment | None: ...


class VesselBooker(Protocol):
    def book(self, booking: dict[str, Any]) -> dict[str, Any]: ...


def create(
    consignments: Consignments,
    vessels: VesselBooker,
    owner: dict[str, Any],
    request: NewConsignment,
    now: Callable[[], datetime],
) -> Consignment:
    """Book ``request`` for ``owner`` (the caller's public profile)."""
    owner_id = owner["id"]
    consignment_id = request.id or str(uuid.uuid4())
    existing = consignments.get(consignment_id)
    if existing is not None:
        return _retry_of(existing, request, owner_id)
    vessel = vessels.book(
        {"booking_id": consignment_id, "containers": len(request.containers), "weight": request.weight}
    )
    consignment = request.to_domain(id=consignment_id, owner_id=owner_id, vessel_id=vessel["id"], created_at=now())
    if consignments.add(consignment, _created_event(consignment, owner, vessel)):
        return consignment
    return _retry_of(consignments.get(consignment_id), request, owner_id)


def _retry_of(existing: Consignment | None, request: NewConsignment, owner_id: str) -> Consignment:
    """``existing`` if ``request`` repeats it, else ``AlreadyExists``."""
    if existing is not None:
        asked = request.to_domain(id=existing.id, owner_id=owner_id, vessel_id="", created_at=existing.created_at)
        if existing.same_request_as(asked):
            return existing
    raise AlreadyExists("a different consignment with this id exists already")


def _created_event(consignment: Consignment, owner: dict[str, Any], vessel: dict[str, Any]) -> dict[str, Any]:
    """``consignment.created``: what the booking confirmation needs, no secrets."""
    return new_event(
        CONSIGNMENT_CREATED,
        consignment.id,
        {
            "consignment_id": consignment.id,
            "owner": {"id": owner["id"], "name": owner["name"], "email": owner["email"]},
            "vessel": {"id": vessel["id"], "name": vessel["name"]},
            "description": consignment.description,
            "weight": consignment.weight,
            "containers": [{"customer_id": c.customer_id, "origin": c.origin} for c in consignment.containers],
            "created_at": consignment.created_at.isoformat(),
        },
    )
