"""vessel_service's nameko entrypoints: validate at the edge, then the domain."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc
from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from shippy_common.calllog import CallLog
from shippy_common.config import require_bool
from shippy_common.errors import AlreadyExists, NoVesselAvailable, ValidationError
from shippy_common.health import HealthCheck
from shippy_common.schemas import parse
from vessel_service import booking, domain
from vessel_service.repository import VesselStore
from vessel_service.schemas import Booking, NewVessel, Specification


class VesselService:
    name = "vessel_service"

    vessels = VesselStore()
    calls = CallLog()
    health = HealthCheck("rabbitmq", "mongodb")

    @staticmethod
    def check_config(config: dict[str, Any]) -> None:
        require_bool(config, "SEED_DEFAULT_FLEET")

    @rpc(expected_exceptions=(ValidationError, AlreadyExists))
    def create(self, vessel: Any) -> dict[str, Any]:
        new_vessel = parse(NewVessel, vessel, name="vessel").to_domain()
        return self.vessels.add(new_vessel).to_dict()

    @rpc(expected_exceptions=(ValidationError, NoVesselAvailable))
    def find_available(self, specification: Any) -> dict[str, Any]:
        load = parse(Specification, specification, name="specification").to_domain()
        return domain.find_available(self.vessels.candidates(load), load).to_dict()

    @rpc(expected_exceptions=(ValidationError, NoVesselAvailable))
    def book(self, booking_request: Any) -> dict[str, Any]:
        """Reserve room for a load; the same ``booking_id`` always gets the same vessel."""
        request = parse(Booking, booking_request, name="booking")
        vessel = booking.book(self.vessels, self.vessels.ledger, request.booking_id, request.to_domain())
        return vessel.to_dict()

    @http("GET", "/health")
    def health_check(self, request: Request) -> Response:
        return self.health.response()
