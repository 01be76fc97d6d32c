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
from consignment_service.domain import default_consignment_id
from consignment_service.schemas import ConsignmentRef, NewConsignment
from consignment_service.settings import ConsignmentSettings
from shippy_common.auth import RpcCurrentUser
from shippy_common.calllog import CallLog
from shippy_common.errors import (
    AlreadyExists,
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
from shippy_common.timer import every

log = logging.getLogger("consignment_service")


def _now() -> datetime:
    return datetime.now(UTC)


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

    @rpc(expected_exceptions=(Unauthorized, ValidationError, NoVesselAvailable, AlreadyExists, ServiceUnavailable))
    def create_consignment(self, consignment: Any) -> dict[str, Any]:
        owner = self.current_user.caller
        default_id = default_consignment_id(owner.id, self.message_id)
        request = parse(NewConsignment, consignment, name="consignment").to_domain(default_id)
        return services.create_consignment(self.consignments, self.vessels, owner, request, now=_now).to_dict()

    @rpc(expected_exceptions=(Unauthorized, ServiceUnavailable))
    def get_consignments(self) -> list[dict[str, Any]]:
        owner = self.current_user.caller
        return [consignment.to_dict() for consignment in services.consignments_of(self.consignments, owner)]

    @rpc(expected_exceptions=(Unauthorized, NotFound, ServiceUnavailable))
    def get_consignment(self, id: Any) -> dict[str, Any]:
        owner = self.current_user.caller
        try:
            consignment_id = parse(ConsignmentRef, {"id": id}, name="id").id
        except ValidationError:
            raise NotFound("no such consignment") from None  # no consignment can have that id
        return services.consignment_of(self.consignments, owner, consignment_id).to_dict()

    @every("reconcile_interval_seconds")
    def reconcile(self) -> None:
        report = services.reconcile(
            self.consignments, self.vessels, self.consignments.checkpoint, now=_now, grace=self.settings.reconcile_grace
        )
        log.info("reconcile: checked=%d released=%d", report.checked, report.released)

    @http("GET", "/health")
    def health_check(self, request: Request) -> Response:
        return self.health.response()
