"""An access log for RPCs: one INFO line per call, never its arguments."""

from __future__ import annotations

import logging
import time
from typing import Any
from weakref import WeakKeyDictionary

from nameko.extensions import DependencyProvider

log = logging.getLogger("shippy.calls")


class CallLog(DependencyProvider):
    """Logs ``<service>.<method> <ok|ErrorType> in <ms> ms`` as each call ends."""

    def setup(self) -> None:
        self.started: WeakKeyDictionary[Any, float] = WeakKeyDictionary()

    def worker_setup(self, worker_ctx: Any) -> None:
        self.started[worker_ctx] = time.monotonic()

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        began = self.started.pop(worker_ctx, None)
        elapsed = "" if began is None else f" in {(time.monotonic() - began) * 1000:.1f} ms"
        outcome = "ok" if exc_info is None else type(exc_info[1]).__name__
        log.info("%s.%s %s%s", self.container.service_name, worker_ctx.entrypoint.method_name, outcome, elapsed)
