"""notification-service's entrypoint: a durable JetStream consumer that hands
each message to ``services.handle_message`` and acknowledges it, or asks for
it again later, as that says."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from notification_service import services
from notification_service.repository import HandledEvents, ParkedEvents
from notification_service.settings import NotificationSettings
from shippy_common.aio import close_quietly, wait_unless_stopped
from shippy_common.heartbeat import beat
from shippy_common.servers import describe_failure
from shippy_common.stream import StreamSettings, connect, ensure_stream

log = logging.getLogger("notification_service")


def every_event(stream: StreamSettings) -> str:
    """The subjects of every event type of the stream (``>``: any tokens after the prefix)."""
    return stream.subject(">")


class Notifier:
    def __init__(self, settings: NotificationSettings) -> None:
        self.settings = settings
        self.handled = HandledEvents(settings.state_dir / "handled.sqlite3")
        self.parked = ParkedEvents(settings.state_dir / "parked")
        self.delivery = services.Delivery(settings.sender, settings.max_deliveries, settings.retry_seconds)

    async def handle(self, messages: list[Any]) -> None:
        """Handle a fetched batch in one worker thread, in order, then answer
        each message. One thread hand-off per message, on cores the rest of the
        platform keeps busy, made mail fall behind bookings at concurrency 16."""
        deliveries = [(msg.data, msg.metadata.num_delivered) for msg in messages]
        outcomes = await asyncio.to_thread(self._handle_all, deliveries)
        for msg, outcome in zip(messages, outcomes, strict=True):
            if outcome.done:
                await msg.ack()
            else:
                await msg.nak(delay=outcome.retry_in)

    def _handle_all(self, deliveries: list[tuple[bytes, int]]) -> list[services.Outcome]:
        return [
            services.handle_message(data, delivered, self.handled, self.parked, self.settings.mailer, self.delivery)
            for data, delivered in deliveries
        ]

    async def subscribe(self, js: Any) -> Any:
        """Pull every event type of the stream (``<prefix>>``) through the
        durable consumer; one an earlier release made for ``*.created`` only
        is moved to every event (JetStream 2.10 edits a consumer's filter)."""
        from nats.js.api import AckPolicy, ConsumerConfig
        from nats.js.errors import NotFoundError

        stream, durable = self.settings.stream, self.settings.consumer_name
        subject = every_event(stream)
        try:
            existing = (await js.consumer_info(stream.name, durable)).config.filter_subject
        except NotFoundError:
            existing = None
        if existing != subject:
            config = ConsumerConfig(
                name=durable,
                durable_name=durable,
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=30,
                max_deliver=-1,
                filter_subject=subject,
            )
            await js.add_consumer(stream.name, config=config)
            if existing is not None:
                log.info("consumer %s: now consuming %s, not %s", durable, subject, existing)
        return await js.pull_subscribe_bind(durable=durable, stream=stream.name)

    async def run(self, stop: asyncio.Event) -> None:
        stream = self.settings.stream
        delay = 0.5
        while not stop.is_set():
            connection = None
            try:
                connection = await connect(stream.nats_url, "shippy-notification-service")
                js = connection.jetstream(timeout=5)
                await ensure_stream(js, stream)
                subscription = await self.subscribe(js)
                log.info("consuming %s from stream %s", every_event(stream), stream.name)
                delay = 0.5
                while not stop.is_set():
                    beat(self.settings.heartbeat_file)
                    try:
                        messages = await subscription.fetch(batch=10, timeout=1)
                    except TimeoutError:
                        continue
                    await self.handle(messages)
            except Exception as exc:
                log.warning("cannot consume events yet (%s); retrying in %.1fs", describe_failure(exc), delay)
                await wait_unless_stopped(stop, delay)
                delay = min(delay * 2, 10.0)
            finally:
                if connection is not None:
                    await close_quietly(connection)
        await asyncio.to_thread(self.settings.mailer.close)
