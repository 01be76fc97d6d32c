"""Console script ``notification-service`` (plain asyncio; no eventlet here)."""

from __future__ import annotations

import sys
from pathlib import Path

CONFIG_FILE = Path(__file__).with_name("config.yml")


def main() -> None:
    from notification_service.consumer import Notifier
    from notification_service.settings import NotificationSettings
    from shippy_common.aio import run_until_signalled
    from shippy_common.config import ConfigError, load_config
    from shippy_common.logs import setup_logging

    setup_logging()
    try:
        settings = NotificationSettings.from_config(load_config(CONFIG_FILE))
    except ConfigError as exc:
        print(f"notification-service: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    setup_logging(settings.log_level)
    run_until_signalled(Notifier(settings).run)
