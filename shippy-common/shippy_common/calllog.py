"""An access log for RPCs: one INFO line per call, never its arguments.

It also makes the call's request id (context data ``request_id``, sent by the
gateway and passed on by nameko to every call made for the request) the one
every log line of the worker carries (``shippy_common.logs.RequestIdFilter``).
"""

from __future__ import annotations

import logging
import time
from typing import Any
from weakref import WeakKeyDictionary

from nameko.extensions import DependencyProvider

from shippy_common.logs import REQUEST_ID_CONTEXT_KEY, current_request_id, sane_request_id

log = logging.getLogger("shippy.calls")


class CallLog(DependencyProvider):
    """Logs ``<service>.<method> <ok|ErrorType> in <ms> ms`` as each call ends."""

    def setup(self) -> None:
        self.started: WeakKeyDictionary[Any, float] = WeakKeyDictionary()

    def worker_setup(self, worker_ctx: Any) -> None:
        # Runs in the worker's own greenthread, as does everything the worker logs.
        current_request_id.set(sane_request_id(worker_ctx.data.get(REQUEST_ID_CONTEXT_KEY)))
        self.started[worker_ctx] = time.monotonic()

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        began = self.started.pop(worker_ctx, None)
        elapsed = "" if began is None else f" in {(time.monotonic() - began) * 1000:.1f} ms"
        outcome = "ok" if exc_info is None else type(exc_info[1]).__name__
        log.info("%s.%s %s%s", self.container.service_name, worker_ctx.entrypoint.method_name, outcome, elapsed)

    def worker_teardown(self, worker_ctx: Any) -> None:
        current_request_id.set(None)
