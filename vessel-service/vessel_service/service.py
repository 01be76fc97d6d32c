"""vessel_service's nameko entrypoints: validate at the edge, then the domain."""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc
from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from shippy_common.errors import AlreadyExists, NoVesselAvailable, ValidationError
from shippy_common.health import HealthCheck
from shippy_common.schemas import parse
from vessel_service import domain
from vessel_service.repository import VesselStore
from vessel_service.schemas import NewVessel, Specification


class VesselService:
    name = "vessel_service"

    vessels = VesselStore()
    health = HealthCheck("rabbitmq", "mongodb")

    @rpc(expected_exceptions=(ValidationError, AlreadyExists))
    def create(self, vessel: Any) -> dict[str, Any]:
        new_vessel = parse(NewVessel, vessel, name="vessel").to_domain()
        return self.vessels.add(new_vessel).to_dict()

    @rpc(expected_exceptions=(ValidationError, NoVesselAvailable))
    def find_available(self, specification: Any) -> dict[str, Any]:
        load = parse(Specification, specification, name="specification").to_domain()
        return domain.find_available(self.vessels.candidates(load), load).to_dict()

    @http("GET", "/health")
    def health_check(self, request: Request) -> Response:
        return self.health.response()
