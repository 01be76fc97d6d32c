"""``GET /health``: 200 while every server the service needs answers, else 503."""

from __future__ import annotations

import json
from typing import Any

import eventlet
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Response

from shippy_common.servers import CHECK_TIMEOUT, Server, describe_failure, servers_from_config


class HealthReport:
    def __init__(self, service_name: str, servers: list[Server]) -> None:
        self.service_name = service_name
        self.servers = servers

    def _check(self, server: Server) -> str:
        try:
            with eventlet.Timeout(CHECK_TIMEOUT + 1):
                server.check()
        except eventlet.Timeout:
            return f"no answer within {CHECK_TIMEOUT + 1:.0f}s"
        except Exception as exc:
            return describe_failure(exc)
        return "ok"

    def response(self) -> Response:
        checks = dict(
            zip([s.name for s in self.servers], eventlet.GreenPool().imap(self._check, self.servers), strict=False)
        )
        healthy = all(result == "ok" for result in checks.values())
        body: dict[str, Any] = {
            "service": self.service_name,
            "status": "ok" if healthy else "unavailable",
            "checks": checks,
        }
        return Response(json.dumps(body), status=200 if healthy else 503, mimetype="application/json")


class HealthCheck(DependencyProvider):
    """Injects a :class:`HealthReport` over the named servers
    (``"rabbitmq"``, ``"mongodb"``, ``"postgres"``)."""

    def __init__(self, *kinds: str) -> None:
        self.kinds = kinds

    def setup(self) -> None:
        self.report = HealthReport(self.container.service_name, servers_from_config(self.container.config, self.kinds))

    def get_dependency(self, worker_ctx: Any) -> HealthReport:
        return self.report
