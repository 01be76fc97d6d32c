"""Raw AMQP messages onto a service's RPC queue, bypassing nameko's client:
for tests of what a service does with a message no nameko client would send."""

from __future__ import annotations

import json
import uuid
from typing import Any


class RawRpc:
    """Publishes to the ``nameko-rpc`` exchange of one vhost and collects the
    replies sent to a reply queue of its own."""

    def __init__(self, amqp_uri: str) -> None:
        import kombu

        self.connection = kombu.Connection(amqp_uri)
        self.channel = self.connection.channel()
        self.exchange = kombu.Exchange("nameko-rpc", type="topic", durable=True, channel=self.channel)
        self.exchange.declare()
        # A reply key as nameko's clients make them: services answer no other (shippy_common.rpc).
        self.reply_to = str(uuid.uuid4())
        self.reply_queue = kombu.Queue(
            f"raw-replies-{self.reply_to}",
            exchange=self.exchange,
            routing_key=self.reply_to,
            auto_delete=True,
            channel=self.channel,
        )
        self.reply_queue.declare()

    def publish(
        self,
        routing_key: str,
        body: bytes,
        *,
        content_type: str | None = "application/json",
        reply_to: str | None = "",
        correlation_id: str | None = "",
        headers: dict[str, Any] | None = None,
    ) -> str | None:
        """Publish ``body`` as is; ``""`` for reply_to/correlation_id means a
        usable one (returned), ``None`` leaves the property out."""
        import kombu

        properties: dict[str, Any] = {}
        if reply_to is not None:
            properties["reply_to"] = reply_to or self.reply_to
        if correlation_id is not None:
            correlation_id = correlation_id or uuid.uuid4().hex
            properties["correlation_id"] = correlation_id
        message = self.channel.prepare_message(
            body, content_type=content_type, content_encoding="utf-8", headers=headers or {}, properties=properties
        )
        kombu.Producer(self.channel).channel.basic_publish(message, exchange="nameko-rpc", routing_key=routing_key)
        return correlation_id

    def call(self, routing_key: str, *args: Any, headers: dict[str, Any] | None = None, **kwargs: Any) -> str | None:
        """A well-formed call, published without waiting for its reply."""
        body = json.dumps({"args": list(args), "kwargs": kwargs}).encode()
        return self.publish(routing_key, body, headers=headers)

    def replies(self, count: int, timeout: float = 30) -> dict[str, dict[str, Any]]:
        """The next ``count`` replies, by correlation id."""
        from shippy_common.testing.waits import eventually

        found: dict[str, dict[str, Any]] = {}

        def all_arrived() -> bool:
            message = self.reply_queue.get(no_ack=True)
            if message is not None:
                found[message.properties["correlation_id"]] = json.loads(message.body)
            return len(found) >= count

        eventually(all_arrived, timeout=timeout, what=f"{count} replies")
        return found

    def close(self) -> None:
        self.connection.release()
