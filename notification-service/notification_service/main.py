"""Console script ``notification-service`` (plain asyncio; no eventlet here)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

CONFIG_FILE = Path(__file__).with_name("config.yml")


def main() -> None:
    from notification_service.consumer import Notifier, settings_from
    from shippy_common.config import ConfigError, load_config
    from shippy_common.logs import setup_logging

    setup_logging()
    try:
        settings = settings_from(load_config(CONFIG_FILE))
    except ConfigError as exc:
        print(f"notification-service: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    notifier = Notifier(settings)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await notifier.run(stop)

    asyncio.run(run())
