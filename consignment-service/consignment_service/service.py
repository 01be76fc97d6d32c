"""consignment_service's nameko entrypoints. Every call acts for the caller
whose token user_service accepts (``current_user``), before anything else."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from consignment_service import services
from consignment_service.dependencies import ConsignmentStore, VesselService
from consignment_service.domain import default_consignment_id, normalize_reference
from consignment_service.schemas import (
    ConsignmentRef,
    ListRequest,
    NewConsignment,
    ReferenceIn,
    VesselRef,
    encode_cursor,
)
from consignment_service.settings import ConsignmentSettings
from shippy_common.auth import RpcCurrentUser
from shippy_common.calllog import CallLog
from shippy_common.errors import (
    AlreadyExists,
    Forbidden,
    InvalidTransition,
    NotFound,
    NoVesselAvailable,
    ServiceUnavailable,
    Unauthorized,
    ValidationError,
)
from shippy_common.health import HealthCheck
from shippy_common.rpc import MessageId, rpc
from shippy_common.schemas import parse
from shippy_common.settings import Settings
from shippy_common.timer import Stopping, every

log = logging.getLogger("consignment_service")


def _now() -> datetime:
    return datetime.now(UTC)


def _consignment_id(id: Any) -> str:
    try:
        return parse(ConsignmentRef, {"id": id}, name="id").id
    except ValidationError:
        raise NotFound("no such consignment") from None  # no consignment can have that id


#: What ``depart_vessel`` and ``arrive_vessel`` raise on purpose.
VOYAGE_ERRORS = (Unauthorized, Forbidden, ValidationError, NotFound, InvalidTransition, ServiceUnavailable)


class ConsignmentService:
    name = "consignment_service"
    settings_type = ConsignmentSettings

    consignments = ConsignmentStore()
    vessels = VesselService()
    current_user = RpcCurrentUser()
    message_id = MessageId()
    settings = Settings()
    calls = CallLog()
    health = HealthCheck("rabbitmq", "mongodb")
    stopping = Stopping()

    @rpc(expected_exceptions=(Unauthorized, ValidationError, NoVesselAvailable, AlreadyExists, ServiceUnavailable))
    def create_consignment(self, consignment: Any) -> dict[str, Any]:
        owner = self.current_user.caller
        default_id = default_consignment_id(owner.id, self.message_id)
        request = parse(NewConsignment, consignment, name="consignment").to_domain(default_id)
        store = self.consignments
        return services.create_consignment(
            store, store.transitions, store.voyages, self.vessels, owner, request, now=_now
        ).to_dict()

    @rpc(expected_exceptions=(Unauthorized, ServiceUnavailable))
    def get_consignments(self) -> list[dict[str, Any]]:
        owner = self.current_user.caller
        store = self.consignments
        return [consignment.to_dict() for consignment in services.consignments_of(store, store.transitions, owner)]

    @rpc(expected_exceptions=(Unauthorized, ValidationError, ServiceUnavailable))
    def list_consignments(self, query: Any = None) -> dict[str, Any]:
        caller = self.current_user.caller
        request = parse(ListRequest, {} if query is None else query, name="query")
        store = self.consignments
        page = services.list_consignments(
            store, store.transitions, caller, status=request.status, after=request.after, limit=request.limit
        )
        return {
            "items": [consignment.to_dict() for consignment in page.items],
            "next_cursor": None if page.next is None else encode_cursor(page.next),
        }

    @rpc(expected_exceptions=(Unauthorized, NotFound, ServiceUnavailable))
    def get_consignment(self, id: Any) -> dict[str, Any]:
        caller = self.current_user.caller
        store = self.consignments
        return services.consignment_of(store, store.transitions, caller, _consignment_id(id)).to_dict()

    @rpc(expected_exceptions=(Unauthorized, NotFound, ServiceUnavailable))
    def track(self, reference: Any) -> dict[str, Any]:
        caller = self.current_user.caller
        try:
            normalized = normalize_reference(parse(ReferenceIn, {"reference": reference}, name="reference").reference)
        except ValidationError:
            normalized = None
        if normalized is None:
            raise NotFound("no such consignment")  # no consignment can have that reference
        store = self.consignments
        return services.track(store, store.transitions, caller, normalized).to_dict()

    @rpc(expected_exceptions=(Unauthorized, NotFound, InvalidTransition, ServiceUnavailable))
    def cancel_consignment(self, id: Any) -> dict[str, Any]:
        caller = self.current_user.caller
        store = self.consignments
        return services.cancel_consignment(
            store, store.transitions, self.vessels, caller, _consignment_id(id), now=_now
        ).to_dict()

    @rpc(expected_exceptions=(Unauthorized, Forbidden, NotFound, InvalidTransition, ServiceUnavailable))
    def mark_delivered(self, id: Any) -> dict[str, Any]:
        caller = self.current_user.caller
        store = self.consignments
        return services.mark_delivered(store, store.transitions, caller, _consignment_id(id), now=_now).to_dict()

    @rpc(expected_exceptions=VOYAGE_ERRORS)
    def depart_vessel(self, vessel_id: Any) -> dict[str, Any]:
        caller = self.current_user.caller
        vessel = parse(VesselRef, {"vessel_id": vessel_id}, name="vessel_id").vessel_id
        store = self.consignments
        return services.depart_vessel(store, store.transitions, store.voyages, self.vessels, caller, vessel).to_dict()

    @rpc(expected_exceptions=VOYAGE_ERRORS)
    def arrive_vessel(self, vessel_id: Any) -> dict[str, Any]:
        caller = self.current_user.caller
        vessel = parse(VesselRef, {"vessel_id": vessel_id}, name="vessel_id").vessel_id
        store = self.consignments
        return services.arrive_vessel(store, store.transitions, store.voyages, self.vessels, caller, vessel).to_dict()

    @every("reconcile_interval_seconds")
    def reconcile(self) -> None:
        report = services.reconcile(
            self.consignments,
            self.vessels,
            self.consignments.checkpoint,
            now=_now,
            grace=self.settings.reconcile_grace,
            stopping=self.stopping,
        )
        log.info("reconcile: checked=%d released=%d until=%s", report.checked, report.released, report.checked_until)

    @http("GET", "/health")
    def health_check(self, request: Request) -> Response:
        return self.health.response()
