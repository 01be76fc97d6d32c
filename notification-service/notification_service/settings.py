"""notification-service's settings, checked once at start."""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from pathlib import Path
from typing import Any, Self

from notification_service.mailers import FileMailer, SmtpMailer
from notification_service.mails import parse_sender
from notification_service.services import Mailer
from shippy_common.config import ConfigError, require_int, require_log_level, require_number
from shippy_common.heartbeat import heartbeat_file
from shippy_common.stream import StreamSettings, stream_settings


@dataclass(frozen=True)
class NotificationSettings:
    stream: StreamSettings
    consumer_name: str
    mailer: Mailer
    state_dir: Path
    sender: Address
    max_deliveries: int
    retry_seconds: float
    #: Touched while consuming (``HEARTBEAT_FILE``); ``None``: no heartbeat.
    heartbeat_file: Path | None
    log_level: str

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Self:
        smtp_url = config.get("SMTP_URL") or ""
        if smtp_url and not smtp_url.startswith("smtp://"):
            raise ConfigError("SMTP_URL must be empty or a URL starting with smtp://")
        for key in ("CONSUMER_NAME", "MAIL_DIR", "STATE_DIR", "MAIL_FROM"):
            if not isinstance(config.get(key), str) or not config[key]:
                raise ConfigError(f"{key} must be a non-empty string")
        try:
            sender = parse_sender(config["MAIL_FROM"])
        except ValueError as exc:
            raise ConfigError(f"MAIL_FROM must be one address, as Name <address>: {exc}") from None
        return cls(
            stream=stream_settings(config),
            consumer_name=config["CONSUMER_NAME"],
            mailer=SmtpMailer(smtp_url) if smtp_url else FileMailer(Path(config["MAIL_DIR"])),
            state_dir=Path(config["STATE_DIR"]),
            sender=sender,
            max_deliveries=require_int(config, "MAX_DELIVERIES", minimum=1),
            retry_seconds=require_number(config, "RETRY_SECONDS", minimum=0),
            heartbeat_file=heartbeat_file(config),
            log_level=require_log_level(config),
        )
