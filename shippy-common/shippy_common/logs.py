"""Logging set-up shared by every Shippy process."""

from __future__ import annotations

import contextvars
import logging
import re
import warnings

FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s]: %(message)s"

#: Context data key (RPC) of the id of the client request a call works for; the
#: gateway sets it from ``X-Request-ID`` and nameko passes it on to every call made for it.
REQUEST_ID_CONTEXT_KEY = "request_id"
MAX_REQUEST_ID_LENGTH = 64
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
NO_REQUEST_ID = "-"

#: The request id of what this thread, greenthread or asyncio task works on. Each
#: greenlet has contexts of its own, so one nameko worker's id is not another's.
current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


def sane_request_id(value: object) -> str | None:
    """``value`` if it is fit for a log line and a header (bounded, safe characters), else ``None``."""
    if isinstance(value, str) and len(value) <= MAX_REQUEST_ID_LENGTH and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return None


class RequestIdFilter(logging.Filter):
    """Puts :data:`current_request_id` into each record as ``request_id`` (``-`` when there is none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get() or NO_REQUEST_ID
        return True


class ExpectedErrorsWithoutTraceback(logging.Filter):
    """nameko logs a refused call (an ``expected_exceptions`` error) as a
    warning with a full traceback; one line saying what was refused is enough."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "nameko.containers" and record.msg.startswith("(expected)"):
            record.exc_info = None
            record.exc_text = None
        return True


def quiet_dependency_warnings() -> None:
    """eventlet announces its own deprecation on import and nameko's CLI module
    imports pkg_resources; both are known (see DEVELOPERS.md) and not actionable
    by whoever reads a service's log."""
    warnings.filterwarnings("ignore", message="(?s).*Eventlet is deprecated")
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)


def setup_logging(level: str = "INFO") -> None:
    """Send every log record to stderr at ``level`` (a name checked at start with
    :func:`shippy_common.config.require_log_level`, from the process's settings).
    A process calls it once with the default before it reads its configuration, so a
    configuration error is still logged, then again with the configured level."""
    level = level.upper()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(ExpectedErrorsWithoutTraceback())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Debug output of these libraries can carry call payloads; keep them at INFO at most.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    for noisy in ("kombu", "amqp", "pymongo", "nameko"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLevelName(level)))
