"""The asyncio side of Shippy: the outbox relays and notification-service are
plain asyncio processes (nats-py is asyncio; the services run on eventlet)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)


def run_until_signalled(work: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run ``work(stop)`` in a fresh event loop; SIGTERM or Ctrl-C sets ``stop``."""
    import signal

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await work(stop)

    asyncio.run(main())


async def wait_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def close_quietly(connection: Any) -> None:
    try:
        await connection.close()
    except Exception as exc:  # a connection that never came back; nothing to save
        log.debug("closing NATS connection failed: %s", exc)
