"""consignment_service's nameko entrypoints. Every call is gated by the
caller's token, checked by user_service before anything else happens."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nameko.rpc import rpc
from nameko.web.handlers import http
from werkzeug.wrappers import Request, Response

from consignment_service import bookings
from consignment_service.repository import ConsignmentStore
from consignment_service.schemas import NewConsignment
from shippy_common.auth import CallerToken
from shippy_common.calllog import CallLog
from shippy_common.config import require_number
from shippy_common.errors import (
    AlreadyExists,
    InvalidToken,
    NoVesselAvailable,
    ServiceUnavailable,
    Unauthorized,
    ValidationError,
)
from shippy_common.health import HealthCheck
from shippy_common.rpc import TimedRpcProxy
from shippy_common.schemas import parse


def _now() -> datetime:
    """Now, to the millisecond: what MongoDB keeps, so a create answers
    exactly what a later read of the same consignment will."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class ConsignmentService:
    name = "consignment_service"

    consignments = ConsignmentStore()
    calls = CallLog()
    caller_token = CallerToken()
    user_service = TimedRpcProxy("user_service")
    vessel_service = TimedRpcProxy("vessel_service")
    health = HealthCheck("rabbitmq", "mongodb")

    @staticmethod
    def check_config(config: dict[str, Any]) -> None:
        require_number(config, "RPC_TIMEOUT_SECONDS", minimum=0.1)

    def _caller(self) -> dict[str, Any]:
        """The user (id, name, company, email) whose valid token came with this call."""
        if self.caller_token is None:
            raise Unauthorized("no access token sent")
        try:
            answer = self.user_service.validate_token(self.caller_token)
        except InvalidToken as exc:
            raise Unauthorized(str(exc)) from None
        return answer["user"]

    @rpc(
        expected_exceptions=(Unauthorized, ValidationError, NoVesselAvailable, AlreadyExists, ServiceUnavailable),
    )
    def create_consignment(self, consignment: Any) -> dict[str, Any]:
        owner = self._caller()
        request = parse(NewConsignment, consignment, name="consignment")
        created = bookings.create(self.consignments, self.vessel_service, owner, request, now=_now)
        return created.to_dict()

    @rpc(expected_exceptions=(Unauthorized, ServiceUnavailable))
    def get_consignments(self) -> list[dict[str, Any]]:
        owner = self._caller()
        return [consignment.to_dict() for consignment in self.consignments.owned_by(owner["id"])]

    @http("GET", "/health")
    def health_check(self, request: Request) -> Response:
        return self.health.response()
