"""The durable JetStream consumer: each event id is mailed once.

An event is acknowledged only after its mail is written (or sent) and its id
recorded; a failure is retried after ``RETRY_SECONDS`` times the attempt
number, and after ``MAX_DELIVERIES`` attempts the event is parked as a JSON
file in ``STATE_DIR/parked`` (and logged as an error), never dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from notification_service.mails import FileMailer, Mailer, SmtpMailer, UnknownEvent, compose
from shippy_common.config import ConfigError, require_int, require_number
from shippy_common.events import (
    StreamSettings,
    close_quietly,
    connect,
    ensure_stream,
    stream_settings,
    wait_unless_stopped,
)
from shippy_common.heartbeat import beat
from shippy_common.servers import describe_failure

log = logging.getLogger("notification_service")


class HandledEvents:
    """The ids of events already mailed, kept across restarts (SQLite)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("create table if not exists handled (event_id text primary key, handled_at text not null)")

    def seen(self, event_id: str) -> bool:
        return self.db.execute("select 1 from handled where event_id = ?", (event_id,)).fetchone() is not None

    def record(self, event_id: str) -> None:
        self.db.execute("insert or ignore into handled values (?, ?)", (event_id, datetime.now(UTC).isoformat()))


@dataclass(frozen=True)
class Settings:
    stream: StreamSettings
    consumer_name: str
    mailer: Mailer
    state_dir: Path
    sender: str
    max_deliveries: int
    retry_seconds: float


def settings_from(config: dict[str, Any]) -> Settings:
    smtp_url = config.get("SMTP_URL") or ""
    if smtp_url and not smtp_url.startswith("smtp://"):
        raise ConfigError("SMTP_URL must be empty or a URL starting with smtp://")
    for key in ("CONSUMER_NAME", "MAIL_DIR", "STATE_DIR", "MAIL_FROM"):
        if not isinstance(config.get(key), str) or not config[key]:
            raise ConfigError(f"{key} must be a non-empty string")
    return Settings(
        stream=stream_settings(config),
        consumer_name=config["CONSUMER_NAME"],
        mailer=SmtpMailer(smtp_url) if smtp_url else FileMailer(Path(config["MAIL_DIR"])),
        state_dir=Path(config["STATE_DIR"]),
        sender=config["MAIL_FROM"],
        max_deliveries=require_int(config, "MAX_DELIVERIES", minimum=1),
        retry_seconds=require_number(config, "RETRY_SECONDS", minimum=0),
    )


class Notifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.handled = HandledEvents(settings.state_dir / "handled.sqlite3")
        self.parked = settings.state_dir / "parked"

    async def handle(self, msg: Any) -> None:
        attempt = msg.metadata.num_delivered
        try:
            event = json.loads(msg.data)
            event_id = event["id"]
        except (ValueError, TypeError, KeyError) as exc:
            self._park({"raw": msg.data.decode(errors="replace")}, f"not an event: {exc}", attempt)
            await msg.ack()
            return
        if self.handled.seen(event_id):
            log.info("event %s was handled before; acknowledging it again", event_id)
            await msg.ack()
            return
        try:
            mail = compose(event, self.settings.sender)
            await asyncio.to_thread(self.settings.mailer.send, mail)
        except Exception as exc:
            reason = describe_failure(exc)
            if isinstance(exc, UnknownEvent) or attempt >= self.settings.max_deliveries:
                self._park(event, reason, attempt)
                await msg.ack()
            else:
                delay = self.settings.retry_seconds * attempt
                log.warning(
                    "mail for event %s failed (attempt %d: %s); retrying in %.0fs", event_id, attempt, reason, delay
                )
                await msg.nak(delay=delay)
            return
        self.handled.record(event_id)
        await msg.ack()
        log.info("mailed %s for event %s to %s", event["type"], event_id, mail["To"])

    def _park(self, event: dict[str, Any], reason: str, attempt: int) -> None:
        self.parked.mkdir(parents=True, exist_ok=True)
        name = event.get("id") or f"unreadable-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}"
        record = {"event": event, "reason": reason, "attempts": attempt, "parked_at": datetime.now(UTC).isoformat()}
        (self.parked / f"{name}.json").write_text(json.dumps(record, indent=2))
        log.error("parked event %s after %d attempt(s): %s (see %s)", name, attempt, reason, self.parked)

    async def run(self, stop: asyncio.Event) -> None:
        from nats.js.api import AckPolicy, ConsumerConfig

        stream = self.settings.stream
        delay = 0.5
        while not stop.is_set():
            connection = None
            try:
                connection = await connect(stream.nats_url, "shippy-notification-service")
                js = connection.jetstream(timeout=5)
                await ensure_stream(js, stream)
                subscription = await js.pull_subscribe(
                    stream.subject("*.created"),
                    durable=self.settings.consumer_name,
                    stream=stream.name,
                    config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=30, max_deliver=-1),
                )
                log.info("consuming %s from stream %s", stream.subject("*.created"), stream.name)
                delay = 0.5
                while not stop.is_set():
                    beat()
                    try:
                        messages = await subscription.fetch(batch=10, timeout=1)
                    except TimeoutError:
                        continue
                    for msg in messages:
                        await self.handle(msg)
            except Exception as exc:
                log.warning("cannot consume events yet (%s); retrying in %.1fs", describe_failure(exc), delay)
                await wait_unless_stopped(stop, delay)
                delay = min(delay * 2, 10.0)
            finally:
                if connection is not None:
                    await close_quietly(connection)
