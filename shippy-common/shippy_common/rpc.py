"""Calls from one service to another that cannot hang.

nameko's ``RpcProxy`` waits for a reply for ever. ``TimedRpcProxy`` gives
every call a deadline (config key ``RPC_TIMEOUT_SECONDS``) and turns a missing
or silent service into ``ServiceUnavailable``. The caller's context data (its
token, say) travels on with each call, as with ``RpcProxy``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import eventlet
from nameko.exceptions import UnknownService
from nameko.rpc import RpcProxy

from shippy_common.config import require_number
from shippy_common.errors import ServiceUnavailable


class TimedServiceProxy:
    def __init__(self, proxy: Any, service_name: str, timeout: float) -> None:
        self._proxy = proxy
        self._service_name = service_name
        self._timeout = timeout

    def __getattr__(self, method_name: str) -> Callable[..., Any]:
        method = getattr(self._proxy, method_name)

        def call(*args: Any, **kwargs: Any) -> Any:
            late = ServiceUnavailable(f"{self._service_name} did not answer within {self._timeout:g}s")
            try:
                with eventlet.Timeout(self._timeout, late):
                    return method(*args, **kwargs)
            except UnknownService:
                raise ServiceUnavailable(f"{self._service_name} is not running") from None

        return call


class TimedRpcProxy(RpcProxy):
    def setup(self) -> None:
        super().setup()
        self.timeout = require_number(self.container.config, "RPC_TIMEOUT_SECONDS", minimum=0.1)

    def get_dependency(self, worker_ctx: Any) -> TimedServiceProxy:
        return TimedServiceProxy(super().get_dependency(worker_ctx), self.target_service, self.timeout)
