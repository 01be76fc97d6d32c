"""Launches one nameko service as a console script.

Compared with a bare ``nameko run`` it waits, with backoff and a log line per
attempt, until the broker and stores the service needs answer, so the start
order of a platform never matters; and it turns a bad configuration into one
line on stderr instead of a traceback.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger("shippy.runner")


def _import(path: str) -> type:
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def run_service(service_path: str, config_file: Path, waits_for: Sequence[str]) -> None:
    """Run ``module:Class`` with ``config_file`` until SIGTERM or Ctrl-C. Its
    ``settings_type`` is built once, here, and carries ``log_level`` (``LOG_LEVEL``)."""
    import eventlet

    eventlet.monkey_patch()

    from shippy_common.config import ConfigError, load_config, require_int
    from shippy_common.logs import setup_logging
    from shippy_common.servers import servers_from_config, wait_for
    from shippy_common.settings import SETTINGS_KEY

    setup_logging()
    try:
        config = load_config(config_file)
        service_cls = _import(service_path)
        servers = servers_from_config(config, waits_for)
        require_int(config, "max_workers", minimum=1)
        settings = service_cls.settings_type.from_config(config)
    except ConfigError as exc:
        print(f"{service_path}: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    config[SETTINGS_KEY] = settings
    setup_logging(settings.log_level)
    try:
        for server in servers:
            wait_for(server)
        _run_until_stopped(service_cls, config)
    except KeyboardInterrupt:
        pass
    log.info("%s stopped", service_cls.name)


def _run_until_stopped(service_cls: type, config: dict) -> None:
    """nameko's own run loop (``nameko.cli.run.run``), plus a log line once
    the service's queues are consumed, i.e. once it is ready for calls."""
    import errno
    import signal

    import eventlet
    from nameko.runners import ServiceRunner

    runner = ServiceRunner(config)
    runner.add_service(service_cls)
    # Signal handlers run outside the hub and cannot use eventlet primitives.
    signal.signal(signal.SIGTERM, lambda signum, frame: eventlet.spawn_n(runner.stop))
    log.info("starting %s", service_cls.name)
    runner.start()
    log.info("%s is ready", service_cls.name)
    waiter = eventlet.spawn(runner.wait)
    while True:
        try:
            waiter.wait()
            return
        except OSError as exc:
            if exc.errno != errno.EINTR:
                raise
        except KeyboardInterrupt:
            runner.stop()
