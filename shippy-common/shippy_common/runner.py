"""Launches one nameko service as a console script.

Compared with a bare ``nameko run`` it waits, with backoff and a log line per
attempt, until the broker and stores the service needs answer, so the start
order of a platform never matters; and it turns a bad configuration into one
line on stderr instead of a traceback.

A service may run some of its calls in companion processes (``companions``):
started beside it, stopped with it (SIGTERM is passed on), and gone with it
even when it is killed (the kernel signals them). When a companion exits on its
own, the service stops too, exit status 1, so that whatever restarts it (the
container's restart policy, ``infra/respawn``) starts the whole again.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger("shippy.runner")

#: Set for a companion process: the pid of the service that started it, and the
#: pipe on which it says it is ready (the service is ready only after its companions)
#: and which it holds open for as long as it lives: the service learns that it
#: exited, however, from the pipe's end, without polling for it.
PARENT_PID_ENV = "SHIPPY_PARENT_PID"
READY_FD_ENV = "SHIPPY_READY_FD"
#: Seconds a companion has, after SIGTERM, to finish its calls before it is killed.
COMPANION_STOP_SECONDS = 8


def _import(path: str) -> type:
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def run_service(
    service_path: str,
    config_file: Path,
    waits_for: Sequence[str],
    companions: Sequence[Sequence[str]] = (),
    niceness: int = 0,
) -> None:
    """Run ``module:Class`` with ``config_file`` until SIGTERM or Ctrl-C. Its
    ``settings_type`` is built once, here, and carries ``log_level`` (``LOG_LEVEL``).
    ``companions``: commands of processes to run beside it (see the module's docstring);
    ``niceness``: added to the process's nice value first (a lower CPU priority)."""
    ready_fd = _die_with_parent()
    if niceness:
        os.nice(niceness)
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
        companion_exited = _run_until_stopped(service_cls, config, companions, ready_fd)
    except KeyboardInterrupt:
        companion_exited = False
    log.info("%s stopped", service_cls.name)
    if companion_exited:
        sys.exit(1)


def _die_with_parent() -> int | None:
    """In a companion: have the kernel send SIGTERM when the service that started it
    dies (even by SIGKILL), and stop now if that happened already. The pipe to say
    it is ready on, in a companion."""
    parent = os.environ.pop(PARENT_PID_ENV, None)
    ready_fd = os.environ.pop(READY_FD_ENV, None)
    if parent is None:
        return None
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if str(os.getppid()) != parent:
        sys.exit(0)
    return int(ready_fd) if ready_fd else None


def _run_until_stopped(
    service_cls: type, config: dict, companions: Sequence[Sequence[str]] = (), ready_fd: int | None = None
) -> bool:
    """nameko's own run loop (``nameko.cli.run.run``), plus a log line once
    the service's queues are consumed, i.e. once it is ready for calls, and the
    companions' lives. Whether it stopped because a companion exited."""
    import errno
    import signal

    import eventlet
    from eventlet.green import os as green_os
    from eventlet.green import subprocess
    from nameko.runners import ServiceRunner

    runner = ServiceRunner(config)
    runner.add_service(service_cls)
    children: list[subprocess.Popen] = []
    stopping: list[str] = []  # why, once stopping

    def stop(why: str) -> None:
        if stopping:
            return
        stopping.append(why)
        for child in children:
            if child.poll() is None:
                child.terminate()
        runner.stop()

    def watch(child: subprocess.Popen, command: Sequence[str], life_fd: int) -> None:
        # Not child.wait(): eventlet's polls every 10 ms, 100 wake-ups a second
        # of the process that answers token checks.
        while green_os.read(life_fd, 64):
            pass
        os.close(life_fd)
        status = child.wait()
        if not stopping:
            log.error(
                "%s exited (status %s); stopping %s to be started again whole", command[-1], status, service_cls.name
            )
            stop("companion")

    # Signal handlers run outside the hub and cannot use eventlet primitives.
    signal.signal(signal.SIGTERM, lambda signum, frame: eventlet.spawn_n(stop, "SIGTERM"))
    log.info("starting %s", service_cls.name)
    for command in companions:
        read_end, write_end = os.pipe()
        env = {**os.environ, PARENT_PID_ENV: str(os.getpid()), READY_FD_ENV: str(write_end)}
        child = subprocess.Popen(list(command), env=env, pass_fds=(write_end,))
        os.close(write_end)
        children.append(child)
        if not green_os.read(read_end, 1):  # closed unwritten: the companion exited
            os.close(read_end)
            child.wait()
            raise SystemExit(f"{service_cls.name}: {command[-1]} exited before it was ready")
        eventlet.spawn_n(watch, child, command, read_end)
    runner.start()
    if ready_fd is not None:
        os.write(ready_fd, b"1")  # and held open until this process exits (READY_FD_ENV)
        # Not "<name> is ready": that line says the whole service is, and its own process says it last.
        log.info("%s companion is ready", service_cls.name)
    else:
        log.info("%s is ready", service_cls.name)
    waiter = eventlet.spawn(runner.wait)
    while True:
        try:
            waiter.wait()
            break
        except OSError as exc:
            if exc.errno != errno.EINTR:
                raise
        except KeyboardInterrupt:
            stop("interrupted")
    for child in children:
        try:
            child.wait(timeout=COMPANION_STOP_SECONDS)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    return stopping == ["companion"]
