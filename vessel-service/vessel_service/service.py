"""vessel_service's nameko entrypoints: validate at the edge, then the use cases.

The fleet calls (``create``, ``retire``, ``list_vessels``) act for the caller
whose token user_service accepts (``current_user``); the ledger calls are
consignment_service's, which checks its own callers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from shippy_common.auth import RpcCurrentUser
from shippy_common.calllog import CallLog
from shippy_common.errors import (
    AlreadyExists,
    BookingReleased,
    Forbidden,
    InvalidTransition,
    NotFound,
    NoVesselAvailable,
    ServiceUnavailable,
    Unauthorized,
    ValidationError,
)
from shippy_common.health import HealthCheck
from shippy_common.rpc import rpc
from shippy_common.schemas import parse
from vessel_service import services
from vessel_service.dependencies import VesselStore
from vessel_service.schemas import (
    Booking,
    BookingWindow,
    FleetQuery,
    NewVessel,
    Release,
    Specification,
    VesselRef,
    VoyageChangeRequest,
    VoyageRef,
    encode_cursor,
)
from vessel_service.settings import VesselSettings

#: What a call acting for its caller may raise besides its own errors.
CALLER_ERRORS = (Unauthorized, Forbidden, ServiceUnavailable)


def _now() -> datetime:
    return datetime.now(UTC)


class VesselService:
    name = "vessel_service"
    settings_type = VesselSettings

    vessels = VesselStore()
    current_user = RpcCurrentUser()
    calls = CallLog()
    health = HealthCheck("rabbitmq", "mongodb")

    @rpc(expected_exceptions=(*CALLER_ERRORS, ValidationError, AlreadyExists))
    def create(self, vessel: Any) -> dict[str, Any]:
        """Add a vessel (admins only): its admin view, empty and open on voyage 1."""
        caller = self.current_user.caller
        new_vessel = parse(NewVessel, vessel, name="vessel").to_domain()
        return services.create_vessel(self.vessels, caller, new_vessel).admin_view()

    @rpc(expected_exceptions=(*CALLER_ERRORS, ValidationError, NotFound, InvalidTransition))
    def retire(self, vessel: Any) -> dict[str, Any]:
        """Retire a vessel for good (admins only); a retired one answers as it is."""
        caller = self.current_user.caller
        request = parse(VesselRef, vessel, name="vessel")
        return services.retire(self.vessels, self.vessels.ledger, caller, request.vessel_id, _now).admin_view()

    @rpc(expected_exceptions=(*CALLER_ERRORS, ValidationError))
    def list_vessels(self, query: Any) -> dict[str, Any]:
        """A page of the fleet by vessel id: every vessel with its room used and
        free for an admin, only vessels taking bookings and their free room for a customer."""
        caller = self.current_user.caller
        request = parse(FleetQuery, query, name="query")
        page = services.list_vessels(
            self.vessels, self.vessels.ledger, caller, request.vessel_status(), request.limit, request.after()
        )
        items = [state.admin_view() if page.for_admin else state.customer_view() for state in page.states]
        next_cursor = None if page.next_after is None else encode_cursor(page.next_after)
        return {"items": items, "next_cursor": next_cursor}

    @rpc(expected_exceptions=(ValidationError, NoVesselAvailable))
    def find_available(self, specification: Any) -> dict[str, Any]:
        """The best-fitting vessel with room left for the load now."""
        load = parse(Specification, specification, name="specification").to_domain()
        return services.find_available(self.vessels, self.vessels.ledger, load).to_dict()

    @rpc(expected_exceptions=(ValidationError, NoVesselAvailable, AlreadyExists, BookingReleased))
    def book(self, booking_request: Any) -> dict[str, Any]:
        """Reserve room for a load on a vessel's open voyage; the same
        ``booking_id`` and load always get the same vessel and voyage. An id
        whose room was given back is booked anew, unless ``again`` is false."""
        request = parse(Booking, booking_request, name="booking")
        placement = services.book(
            self.vessels, self.vessels.ledger, request.booking_id, request.to_domain(), _now, again=request.again
        )
        return placement.to_dict()

    @rpc(expected_exceptions=(ValidationError, InvalidTransition))
    def release(self, release_request: Any) -> dict[str, Any]:
        """Give a booking's room back, once; ``released`` says whether this call
        did. ``InvalidTransition`` once its voyage has departed."""
        request = parse(Release, release_request, name="release")
        released = services.release(
            self.vessels, self.vessels.ledger, request.booking_id, _now, generation=request.generation
        )
        return {"booking_id": request.booking_id, "released": released}

    @rpc(expected_exceptions=(ValidationError, NotFound, InvalidTransition))
    def depart(self, departure: Any) -> dict[str, Any]:
        """Close the open voyage; ``booking_ids``: the bookings that sailed. Retries answer the same."""
        request = parse(VoyageChangeRequest, departure, name="departure")
        return services.depart(self.vessels, self.vessels.ledger, request.vessel_id, request.by, _now).to_dict()

    @rpc(expected_exceptions=(ValidationError, NotFound, InvalidTransition))
    def arrive(self, arrival: Any) -> dict[str, Any]:
        """End the voyage at sea and open the next; retries answer the same."""
        request = parse(VoyageChangeRequest, arrival, name="arrival")
        return services.arrive(self.vessels, self.vessels.ledger, request.vessel_id, request.by, _now).to_dict()

    @rpc(expected_exceptions=(ValidationError, NotFound))
    def voyage(self, voyage: Any) -> dict[str, Any]:
        """A voyage's status, and when and by whom it departed and arrived."""
        request = parse(VoyageRef, voyage, name="voyage")
        return services.voyage(self.vessels, self.vessels.ledger, request.vessel_id, request.voyage).to_dict()

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
                "voyage": entry.voyage,
                "at": entry.at.isoformat() if entry.at else None,
            }
            for entry in entries
        ]

    @http("GET", "/health")
    def health_check(self, request: Request) -> Response:
        return self.health.response()
