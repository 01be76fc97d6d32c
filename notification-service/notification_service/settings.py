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
            mailer=mailer(config),
            state_dir=Path(config["STATE_DIR"]),
            sender=sender,
            max_deliveries=require_int(config, "MAX_DELIVERIES", minimum=1),
            retry_seconds=require_number(config, "RETRY_SECONDS", minimum=0),
            heartbeat_file=heartbeat_file(config),
            log_level=require_log_level(config),
        )


def mailer(config: dict[str, Any]) -> Mailer:
    """SMTP when ``SMTP_URL`` is set (``SMTP_CA_FILE``: CAs to trust besides the system's), else .eml files."""
    smtp_url = config.get("SMTP_URL") or ""
    ca_file = config.get("SMTP_CA_FILE") or None
    if not smtp_url:
        if ca_file:
            raise ConfigError("SMTP_CA_FILE is set but SMTP_URL is not")
        return FileMailer(Path(config["MAIL_DIR"]))
    if not smtp_url.startswith(("smtp://", "smtps://")):
        raise ConfigError("SMTP_URL must be empty or a URL starting with smtp:// or smtps://")
    try:
        return SmtpMailer(smtp_url, ca_file=Path(ca_file) if ca_file else None)
    except ValueError:
        # urlsplit's message can quote the URL, password included.
        raise ConfigError("SMTP_URL is not a valid URL (smtp[s]://[user:password@]host[:port])") from None
    except OSError as exc:  # ssl.SSLError included
        raise ConfigError(
            f"SMTP_CA_FILE {ca_file!r} is not a readable PEM file of CA certificates ({type(exc).__name__})"
        ) from None
