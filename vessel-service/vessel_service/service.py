"""vessel_service's nameko entrypoints: validate at the edge, then the use cases."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from shippy_common.calllog import CallLog
from shippy_common.errors import AlreadyExists, NoVesselAvailable, ValidationError
from shippy_common.health import HealthCheck
from shippy_common.rpc import rpc
from shippy_common.schemas import parse
from vessel_service import services
from vessel_service.dependencies import VesselStore
from vessel_service.schemas import Booking, BookingWindow, NewVessel, Release, Specification
from vessel_service.settings import VesselSettings


def _now() -> datetime:
    return datetime.now(UTC)


class VesselService:
    name = "vessel_service"
    settings_type = VesselSettings

    vessels = VesselStore()
    calls = CallLog()
    health = HealthCheck("rabbitmq", "mongodb")

    @rpc(expected_exceptions=(ValidationError, AlreadyExists))
    def create(self, vessel: Any) -> dict[str, Any]:
        new_vessel = parse(NewVessel, vessel, name="vessel").to_domain()
        return services.create_vessel(self.vessels, new_vessel).to_dict()

    @rpc(expected_exceptions=(ValidationError, NoVesselAvailable))
    def find_available(self, specification: Any) -> dict[str, Any]:
        """The best-fitting vessel with room left for the load now."""
        load = parse(Specification, specification, name="specification").to_domain()
        return services.find_available(self.vessels, self.vessels.ledger, load).to_dict()

    @rpc(expected_exceptions=(ValidationError, NoVesselAvailable, AlreadyExists))
    def book(self, booking_request: Any) -> dict[str, Any]:
        """Reserve room for a load; the same ``booking_id`` and load always get the same vessel."""
        request = parse(Booking, booking_request, name="booking")
        vessel = services.book(self.vessels, self.vessels.ledger, request.booking_id, request.to_domain(), _now)
        return vessel.to_dict()

    @rpc(expected_exceptions=(ValidationError,))
    def release(self, release_request: Any) -> dict[str, Any]:
        """Give a booking's room back, once; ``released`` says whether this call did."""
        request = parse(Release, release_request, name="release")
        released = services.release(
            self.vessels, self.vessels.ledger, request.booking_id, _now, generation=request.generation
        )
        return {"booking_id": request.booking_id, "released": released}

    @rpc(expected_exceptions=(ValidationError,))
    def bookings_between(self, window: Any) -> list[dict[str, Any]]:
        """Bookings made in a time window, oldest first (for reconciliation)."""
        request = parse(BookingWindow, window, name="window")
        entries = services.bookings_between(self.vessels.ledger, request.since, request.until, request.limit)
        return [
            {
                "booking_id": entry.booking_id,
                "generation": entry.generation,
                "vessel_id": entry.vessel_id,
                "at": entry.at.isoformat() if entry.at else None,
            }
            for entry in entries
        ]

    @http("GET", "/health")
    def health_check(self, request: Request) -> Response:
        return self.health.response()
