"""The outbox relay: recorded events to JetStream, each aggregate's in order, never lost.

A service never publishes to NATS while handling a call. It records each event
in an outbox in the same write as the change the event reports (see each
service's ``outbox`` module), and a relay process moves pending events to
JetStream. The relay publishes with ``Nats-Msg-Id`` = event id, so JetStream
drops a second copy (a relay that died after publishing but before marking the
event sent), and marks an event sent only after JetStream's ack: an event is
never lost, and subscribers dedupe by ``id`` whatever reaches them twice.

An event that fails through its own fault (too big for NATS, refused by
JetStream, not encodable) would fail the same way for ever and hold up every
later event: after ``max_attempts`` such failures it is parked in its outbox
for an operator and the relay goes on. Failures of NATS or of the connection
are retried, in order, until NATS is back.

nats-py is asyncio while the services run on eventlet; the relay is therefore
a separate plain-asyncio process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Self, TypeVar

from shippy_common.aio import close_quietly, run_until_signalled, wait_unless_stopped
from shippy_common.config import require_int, require_log_level
from shippy_common.envelope import encode_event
from shippy_common.heartbeat import beat, heartbeat_file
from shippy_common.servers import describe_failure
from shippy_common.stream import StreamSettings, connect, ensure_stream, stream_settings

log = logging.getLogger(__name__)

#: Failures through an event's own fault before the relay parks it.
RELAY_MAX_ATTEMPTS = 3

StoreSettings = TypeVar("StoreSettings")


@dataclass(frozen=True)
class RelaySettings:
    """An outbox relay's settings, checked once at start from its service's
    ``config.yml`` (the store's own settings are the service's)."""

    stream: StreamSettings
    #: ``RELAY_MAX_ATTEMPTS``: failures through an event's own fault before it is parked.
    max_attempts: int = RELAY_MAX_ATTEMPTS
    #: ``HEARTBEAT_FILE``: touched each round while connected; ``None``: no heartbeat.
    heartbeat_file: Path | None = None
    log_level: str = "INFO"

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Self:
        return cls(
            stream=stream_settings(config),
            max_attempts=require_int(config, "RELAY_MAX_ATTEMPTS", minimum=1),
            heartbeat_file=heartbeat_file(config),
            log_level=require_log_level(config),
        )


class Wakeups(Protocol):
    """A store's signal that an event may have been recorded (PostgreSQL's
    ``LISTEN``/``NOTIFY``): ``fileno`` turns readable, and the relay looks again."""

    def fileno(self) -> int: ...

    def drain(self) -> None:
        """Take the signals that arrived; raises if the store's connection is lost."""

    def close(self) -> None: ...


class Outbox(Protocol):
    """A store's events that are recorded but not yet published."""

    def listen(self) -> Wakeups | None:
        """Start listening for newly recorded events, or ``None`` if the store
        cannot tell (the relay then looks every ``poll_interval``)."""

    def pending(self, limit: int) -> Sequence[dict[str, Any]]:
        """Up to ``limit`` events neither published nor parked, oldest first
        (so in order per aggregate)."""

    def mark_sent(self, events: Sequence[dict[str, Any]]) -> None:
        """Take ``events``, all published, out of ``pending``: in one round trip to
        the store (a relay marks what it sent of a batch once, not event by event)."""

    def park(self, event: dict[str, Any], reason: str) -> None:
        """Keep ``event`` for an operator, with ``reason``, out of ``pending``."""


class UnpublishableEvent(Exception):
    """The event cannot even be made into a message (its payload, subject or id)."""


class EventNotPublished(Exception):
    """An event failed through its own fault and will be tried again."""


def is_event_fault(exc: BaseException) -> bool:
    """Whether a publish failed because of the event itself, so that trying
    again cannot help; not so for NATS down, a lost connection or a timeout."""
    from nats.errors import MaxPayloadError
    from nats.js.errors import APIError, ServerError, ServiceUnavailableError

    if isinstance(exc, UnpublishableEvent | MaxPayloadError):
        return True
    # JetStream answered, and refused this message (a 4xx); 5xx is its own trouble.
    return isinstance(exc, APIError) and not isinstance(exc, ServiceUnavailableError | ServerError)


class OutboxRelay:
    """Moves an outbox's events to JetStream. An idle relay looks for new events
    every ``poll_interval``, and every ``quiet_poll_interval`` once it has found
    none for ``quiet_after`` seconds; or, if its outbox can signal them
    (``listen``), when signalled and every ``signalled_poll_interval`` besides
    (a writer that does not signal). An idle platform's user relay took 4.7 %
    of a core polling PostgreSQL 20 times a second, and the consignment relay
    with FerretDB 5 % (README, Performance, changes 13 and 22), on the cores the
    bookings and logins use."""

    def __init__(
        self,
        outbox: Outbox,
        settings: RelaySettings,
        poll_interval: float = 0.05,
        signalled_poll_interval: float = 5.0,
        quiet_poll_interval: float = 0.15,
        quiet_after: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.outbox = outbox
        self.settings = settings
        self.stream = settings.stream
        self.poll_interval = poll_interval
        self.signalled_poll_interval = signalled_poll_interval
        self.quiet_poll_interval = max(poll_interval, quiet_poll_interval)
        self.quiet_after = quiet_after
        self.clock = clock
        self.last_found = clock()
        self.failures: dict[str, int] = {}  # event id -> failures through its own fault

    def next_look_in(self, found: int) -> float:
        """How long to wait before looking again after a look that found
        ``found`` events (an unsignalled outbox): at once after events,
        ``poll_interval`` while events came within ``quiet_after``, then
        ``quiet_poll_interval``."""
        now = self.clock()
        if found:
            self.last_found = now
            return 0.0
        return self.poll_interval if now - self.last_found < self.quiet_after else self.quiet_poll_interval

    async def publish(self, js: Any, event: dict[str, Any]) -> None:
        try:
            payload = encode_event(event)
            subject = self.stream.subject(event["type"])
            headers = {"Nats-Msg-Id": str(event["id"])}
        except (TypeError, ValueError, KeyError) as exc:
            raise UnpublishableEvent(describe_failure(exc)) from exc
        await js.publish(subject, payload, headers=headers)

    async def relay_pending(self, js: Any, limit: int = 100) -> int:
        """Publish what is pending; no event overtakes an earlier one of its
        aggregate, unless that event is parked for good.

        The events of different aggregates go out together (:func:`waves`):
        each publish waits for JetStream's ack, and one after the other a
        backlog of events waited once per event, on cores shared with the
        bookings making them. A wave stops before an event whose aggregate
        already has one in it, so a failed event has no later event of its
        aggregate in flight: that one goes in a later wave, or a later round."""
        events = await asyncio.to_thread(self.outbox.pending, limit)
        published: list[dict[str, Any]] = []
        try:
            for wave in waves(events):
                outcomes = await asyncio.gather(*(self.publish(js, event) for event in wave), return_exceptions=True)
                failure: BaseException | None = None
                for event, outcome in zip(wave, outcomes, strict=True):
                    if outcome is None:
                        published.append(event)
                        self.failures.pop(str(event.get("id")), None)
                    elif failure is None:
                        failure = await self._failure(event, outcome)
                if failure is not None:
                    raise failure
        finally:
            # Marked even when a later one failed; unmarked (the relay died), JetStream drops the copy.
            if published:
                await asyncio.to_thread(self.outbox.mark_sent, published)
        return len(events)

    async def _failure(self, event: dict[str, Any], exc: BaseException) -> BaseException | None:
        """What a round stops on once ``event`` failed with ``exc``: a failure
        of NATS or of the connection as it is (retried until NATS is back); one
        through the event's own fault as ``EventNotPublished`` (tried again
        later) until ``max_attempts``, then nothing: the event is parked."""
        if not isinstance(exc, Exception) or not is_event_fault(exc):
            return exc
        event_id, event_type = str(event.get("id")), str(event.get("type"))
        reason = describe_failure(exc)
        attempts = self.failures.get(event_id, 0) + 1
        if attempts < self.settings.max_attempts:
            self.failures[event_id] = attempts
            not_published = EventNotPublished(
                f"event {event_id} ({event_type}) failed, attempt {attempts} of {self.settings.max_attempts}: {reason}"
            )
            not_published.__cause__ = exc
            return not_published
        await asyncio.to_thread(self.outbox.park, event, reason)
        self.failures.pop(event_id, None)
        log.error(
            "parked event %s (%s) after %d failed attempts, it stays in the outbox for an operator: %s",
            event_id,
            event_type,
            attempts,
            reason,
        )
        return None

    async def run(self, stop: asyncio.Event) -> None:
        delay = 0.5
        connection = None
        wakeups: Wakeups | None = None
        can_listen = True  # until the outbox answers that it cannot signal
        while not stop.is_set():
            try:
                if connection is None:
                    connection = await connect(self.stream.nats_url, "shippy-outbox-relay")
                    js = connection.jetstream(timeout=5)
                    await ensure_stream(js, self.stream)
                    log.info("relaying events to stream %s at %s", self.stream.name, self.stream.nats_url)
                if wakeups is None and can_listen:
                    # Listening before looking: an event recorded after the look is signalled.
                    wakeups = await asyncio.to_thread(self.outbox.listen)
                    can_listen = wakeups is not None
                sent = await self.relay_pending(js)
                beat(self.settings.heartbeat_file)
                delay = 0.5
                if wakeups is None:
                    pause = self.next_look_in(sent)
                    if pause:
                        await wait_unless_stopped(stop, pause)
                elif sent == 0:
                    await wait_for_signal(wakeups, stop, self.signalled_poll_interval)
            except Exception as exc:
                log.warning("cannot relay events yet (%s); retrying in %.1fs", describe_failure(exc), delay)
                if connection is not None and not connection.is_connected:
                    await close_quietly(connection)
                    connection = None
                if wakeups is not None:  # listened again on the next round, before looking
                    close_wakeups(wakeups)
                    wakeups = None
                await wait_unless_stopped(stop, delay)
                delay = min(delay * 2, 10.0)
        if connection is not None:
            await close_quietly(connection)
        if wakeups is not None:
            close_wakeups(wakeups)


def waves(events: Sequence[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """``events`` cut, in order, into runs with at most one event per aggregate."""
    found: list[list[dict[str, Any]]] = []
    aggregates: set[object] = set()
    for event in events:
        aggregate = event.get("aggregate_id")
        if not found or aggregate in aggregates or aggregate is None:
            found.append([])
            aggregates = set()
        found[-1].append(event)
        aggregates.add(aggregate)
    return found


async def wait_for_signal(wakeups: Wakeups, stop: asyncio.Event, timeout: float) -> None:
    """Until ``wakeups`` signals, ``stop`` is set or ``timeout`` passes; then take the signals."""
    loop = asyncio.get_running_loop()
    signalled = asyncio.Event()
    fd = wakeups.fileno()
    loop.add_reader(fd, signalled.set)
    waits = [asyncio.ensure_future(signalled.wait()), asyncio.ensure_future(stop.wait())]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        loop.remove_reader(fd)
        for wait in waits:
            wait.cancel()
    wakeups.drain()


def close_wakeups(wakeups: Wakeups) -> None:
    try:
        wakeups.close()
    except Exception as exc:  # a connection already lost; nothing to save
        log.debug("closing the outbox's listener failed: %s", exc)


def run_relay(
    config_file: Any,
    store_settings: Callable[[dict[str, Any]], StoreSettings],
    open_outbox: Callable[[StoreSettings], Outbox],
    waits_for: Sequence[str],
    poll_interval: float = 0.05,
) -> None:
    """Console-script body of an outbox relay: checks its :class:`RelaySettings`
    and ``store_settings(config)`` (the service's own settings of its store) at
    start, then ``open_outbox(store)`` gives the service's :class:`Outbox`
    (looked at every ``poll_interval`` while idle, unless it signals); runs
    until SIGTERM or Ctrl-C."""
    import sys

    from shippy_common.config import ConfigError, load_config
    from shippy_common.logs import setup_logging
    from shippy_common.servers import servers_from_config, wait_for

    setup_logging()
    try:
        config = load_config(config_file)
        settings = RelaySettings.from_config(config)
        store = store_settings(config)
        servers = servers_from_config(config, waits_for)
    except ConfigError as exc:
        print(f"outbox relay: configuration error: {exc}", file=sys.stderr)
        sys.exit(2)
    setup_logging(settings.log_level)
    for server in servers:
        wait_for(server)
    run_until_signalled(OutboxRelay(open_outbox(store), settings, poll_interval).run)
    log.info("outbox relay stopped")
