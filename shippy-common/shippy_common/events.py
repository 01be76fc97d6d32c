"""Shippy's events: the envelope, the JetStream stream, and the outbox relay.

A service never publishes to NATS while handling a call. It records each event
in an outbox in the same write as the change the event reports (see each
service's ``outbox`` module), and a relay process moves pending events to
JetStream. The relay publishes with ``Nats-Msg-Id`` = event id, so JetStream
drops a second copy (a relay that died after publishing but before marking the
event sent), and marks an event sent only after JetStream's ack: an event is
never lost, and subscribers dedupe by ``id`` whatever reaches them twice.

nats-py is asyncio while the services run on eventlet; the relay is therefore
a separate plain-asyncio process, and so is every subscriber.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from shippy_common.heartbeat import beat

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
USER_CREATED = "user.created"
CONSIGNMENT_CREATED = "consignment.created"
EVENT_TYPES = (USER_CREATED, CONSIGNMENT_CREATED)


def new_event(event_type: str, aggregate_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """An event envelope (README: "Events")."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "version": SCHEMA_VERSION,
        "occurred_at": datetime.now(UTC).isoformat(),
        "aggregate_id": aggregate_id,
        "data": data,
    }


@dataclass(frozen=True)
class StreamSettings:
    """Where events go: stream ``name`` holds subjects ``<prefix><event type>``."""

    nats_url: str
    name: str = "SHIPPY"
    subject_prefix: str = ""

    def subject(self, event_type: str) -> str:
        return f"{self.subject_prefix}{event_type}"

    @property
    def subjects(self) -> list[str]:
        return [self.subject(event_type) for event_type in EVENT_TYPES]


async def ensure_stream(js: Any, settings: StreamSettings) -> None:
    """Create the stream (file storage) unless it exists."""
    from nats.js.api import StorageType, StreamConfig
    from nats.js.errors import NotFoundError

    try:
        await js.stream_info(settings.name)
    except NotFoundError:
        await js.add_stream(StreamConfig(name=settings.name, subjects=settings.subjects, storage=StorageType.FILE))


async def connect(nats_url: str, name: str) -> Any:
    """One attempt at a NATS connection that does not reconnect by itself:
    callers own the retry loop, so an outage is logged once per attempt in
    their words rather than as nats-py tracebacks."""
    import nats

    async def quiet(exc: Exception) -> None:
        log.debug("NATS at %s: %s", nats_url, exc)

    return await nats.connect(
        nats_url,
        name=name,
        connect_timeout=2,
        allow_reconnect=False,
        max_reconnect_attempts=1,  # 0 would mean "for ever" to nats-py
        reconnect_time_wait=0.5,
        error_cb=quiet,
    )


class Outbox(Protocol):
    """A store's events that are recorded but not yet published."""

    def pending(self, limit: int) -> Sequence[dict[str, Any]]:
        """Up to ``limit`` unpublished events, oldest first (so in order per aggregate)."""

    def mark_sent(self, event: dict[str, Any]) -> None: ...


class OutboxRelay:
    def __init__(self, outbox: Outbox, settings: StreamSettings, poll_interval: float = 0.05) -> None:
        self.outbox = outbox
        self.settings = settings
        self.poll_interval = poll_interval

    async def publish(self, js: Any, event: dict[str, Any]) -> None:
        payload = json.dumps(event, separators=(",", ":")).encode()
        await js.publish(self.settings.subject(event["type"]), payload, headers={"Nats-Msg-Id": event["id"]})

    async def relay_pending(self, js: Any, limit: int = 100) -> int:
        """Publish what is pending, in order; stop at the first failure so that
        no event overtakes an earlier one of its aggregate."""
        events = await asyncio.to_thread(self.outbox.pending, limit)
        for event in events:
            await self.publish(js, event)
            await asyncio.to_thread(self.outbox.mark_sent, event)
        return len(events)

    async def run(self, stop: asyncio.Event) -> None:
        from shippy_common.servers import describe_failure

        delay = 0.5
        connection = None
        while not stop.is_set():
            try:
                if connection is None:
                    connection = await connect(self.settings.nats_url, "shippy-outbox-relay")
                    js = connection.jetstream(timeout=5)
                    await ensure_stream(js, self.settings)
                    log.info("relaying events to stream %s at %s", self.settings.name, self.settings.nats_url)
                sent = await self.relay_pending(js)
                beat()
                delay = 0.5
                if sent == 0:
                    await wait_unless_stopped(stop, self.poll_interval)
            except Exception as exc:
                log.warning("cannot relay events yet (%s); retrying in %.1fs", describe_failure(exc), delay)
                if connection is not None and not connection.is_connected:
                    await close_quietly(connection)
                    connection = None
                await wait_unless_stopped(stop, delay)
                delay = min(delay * 2, 10.0)
        if connection is not None:
            await close_quietly(connection)


async def wait_unless_stopped(stop: asyncio.Event, seconds: float) -> None:
    """Sleep ``seconds``, or less if ``stop`` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def close_quietly(connection: Any) -> None:
    try:
        await connection.close()
    except Exception as exc:  # a connection that never came back; nothing to save
        log.debug("closing NATS connection failed: %s", exc)


def stream_settings(config: dict[str, Any]) -> StreamSettings:
    from shippy_common.config import ConfigError

    url = config.get("NATS_URL")
    if not isinstance(url, str) or not url.startswith(("nats://", "tls://")):
        raise ConfigError(f"NATS_URL must be a URL starting with nats:// or tls://, got {url!r}")
    name = config.get("EVENT_STREAM")
    if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
        raise ConfigError(f"EVENT_STREAM must be a name of letters, digits, - and _, got {name!r}")
    prefix = config.get("EVENT_SUBJECT_PREFIX") or ""
    if not isinstance(prefix, str) or (prefix and not prefix.endswith(".")):
        raise ConfigError("EVENT_SUBJECT_PREFIX must be empty or end with a dot")
    return StreamSettings(nats_url=url, name=name, subject_prefix=prefix)


def run_relay(config_file: Any, open_outbox: Any, waits_for: Sequence[str]) -> None:
    """Console-script body of an outbox relay: ``open_outbox(config)`` gives the
    service's :class:`Outbox`; runs until SIGTERM or Ctrl-C."""
    import sys

    from shippy_common.config import ConfigError, load_config
    from shippy_common.logs import setup_logging
    from shippy_common.servers import servers_from_config, wait_for

    setup_logging()
    try:
        config = load_config(config_file)
        settings = stream_settings(config)
        servers = servers_from_config(config, waits_for)
    except ConfigError as exc:
        print(f"outbox relay: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    for server in servers:
        wait_for(server)
    run_until_signalled(OutboxRelay(open_outbox(config), settings).run)
    log.info("outbox relay stopped")


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
