"""Logging set-up shared by every Shippy process."""

from __future__ import annotations

import logging
import os
import warnings

FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


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


def setup_logging(level: str | None = None) -> None:
    level = (level or os.environ.get("LOG_LEVEL") or "INFO").upper()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(ExpectedErrorsWithoutTraceback())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Debug output of these libraries can carry call payloads; keep them at INFO at most.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    for noisy in ("kombu", "amqp", "pymongo", "nameko"):
        logging.getLogger(noisy).setLevel(max(logging.INFO, logging.getLevelName(level)))
