"""A nameko RPC client for asyncio (aio-pika), as nameko 2.14 speaks it.

A call is a message on the topic exchange ``nameko-rpc`` with routing key
``<service>.<method>``, body ``{"args": [...], "kwargs": {...}}`` (JSON),
``reply_to`` the routing key of this client's own exclusive reply queue,
a fresh ``correlation_id``, and context data as ``nameko.<key>`` headers. The
reply, on the reply queue, is ``{"result": ..., "error": null | {"exc_type",
"exc_path", "exc_args", "value"}}``; errors of ``shippy_common.errors`` are
rebuilt by name, as nameko does for a registered class.

Each call has a deadline: the reply is awaited ``timeout`` seconds, the request
expires in RabbitMQ after as long, and the deadline (Unix seconds, rounded up:
RabbitMQ's client encodes floats in headers as 32-bit) travels as context data
``deadline``, so a service drops a call nobody waits for. The exchange is
declared passively: the gateway's RabbitMQ account may only publish the public
calls and read its own replies (``shippy_common.broker``). Calls are published
mandatory with publisher confirms: a method no running or declared service
answers is refused by RabbitMQ at once (``ServiceUnavailable``), not waited for.

Nothing here imports nameko's eventlet machinery: ``shippy_common.errors``
loads only ``nameko.exceptions``, which is plain Python.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
import uuid
from collections.abc import Mapping
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from aio_pika.exceptions import CONNECTION_EXCEPTIONS, DeliveryError, PublishError
from aiormq.exceptions import (
    AuthenticationError,
    ChannelAccessRefused,
    ChannelNotFoundEntity,
    ConnectionNotAllowed,
    ProbableAuthenticationError,
)

from shippy_common.config import redact_url
from shippy_common.errors import SHIPPY_ERRORS, InternalError, ServiceUnavailable, ShippyError
from shippy_common.rpc import DEADLINE_CONTEXT_KEY

log = logging.getLogger("gateway_service.rpc")

EXCHANGE = "nameko-rpc"
CONTENT_TYPE = "application/json"
HEADER_PREFIX = "nameko."
_ERRORS: dict[str, type[ShippyError]] = {cls.__name__: cls for cls in SHIPPY_ERRORS}
RECONNECT_DELAYS = (0.5, 1, 2, 4, 8)


class NoAnswer(ServiceUnavailable):
    """A service did not answer within the call's deadline (the gateway's 504)."""


class Unreachable(ServiceUnavailable):
    """RabbitMQ, or the service, cannot be reached at all (the gateway's 503)."""


def error_from_reply(error: Any, service: str, method: str) -> ShippyError:
    """The typed error a reply's ``error`` stands for; an unknown one is an ``InternalError``."""
    exc_type = error.get("exc_type") if isinstance(error, dict) else None
    args = error.get("exc_args") if isinstance(error, dict) else None
    cls = _ERRORS.get(exc_type) if isinstance(exc_type, str) else None
    if cls is not None and isinstance(args, list) and all(isinstance(arg, str) for arg in args):
        try:
            return cls(*args)
        except TypeError:
            pass
    correlation_id = uuid.uuid4().hex
    log.error(
        "internal error %s: %s.%s answered an error the gateway does not know: %.200r",
        correlation_id,
        service,
        method,
        exc_type,
    )
    return InternalError(f"internal error; quote {correlation_id} to an operator")


def deadline_after(timeout: float, now: float | None = None) -> int:
    return math.ceil((time.time() if now is None else now) + timeout)


class RpcClient:
    """One connection, one confirm-mode channel and one reply queue for the process;
    calls from any number of concurrent requests are told apart by correlation id."""

    def __init__(self, amqp_uri: str, *, timeout: float, name: str = "gateway") -> None:
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self.name = name
        self._connection: AbstractRobustConnection | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._reply_to = uuid.uuid4().hex
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._ready = asyncio.Event()
        self._connector: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._ready.is_set() and self._connection is not None and not self._connection.is_closed

    async def start(self) -> None:
        """Connect in the background, retrying with backoff: HTTP is served meanwhile (``/ready`` says 503)."""
        self._connector = asyncio.create_task(self._connect_until_done())

    async def _connect_until_done(self) -> None:
        attempt = 0
        while True:
            try:
                await self._connect()
                log.info("connected to RabbitMQ at %s", redact_url(self.amqp_uri))
                return
            except CONNECTION_EXCEPTIONS as exc:
                delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
                attempt += 1
                log.warning("%s; retrying in %gs", self._why_not_connected(exc), delay)
                await asyncio.sleep(delay)

    def _why_not_connected(self, exc: BaseException) -> str:
        where = f"RabbitMQ at {redact_url(self.amqp_uri)}"
        if isinstance(exc, ChannelNotFoundEntity):
            return f"{where}: the exchange {EXCHANGE} does not exist yet (no service has declared it)"
        if isinstance(exc, AuthenticationError | ProbableAuthenticationError):
            return f"{where} refused the gateway's login (the user or password of AMQP_URI)"
        if isinstance(exc, ConnectionNotAllowed):
            return f"{where} refused the gateway's account the vhost of AMQP_URI"
        if isinstance(exc, ChannelAccessRefused):
            return f"{where} refused the gateway's account a right it needs ({' '.join(str(exc).split())[:200]})"
        return f"{where} does not answer ({type(exc).__name__})"

    async def _connect(self) -> None:
        connection = await aio_pika.connect_robust(self.amqp_uri, client_properties={"connection_name": self.name})
        try:
            channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
            # Passively: the gateway's account may neither declare nor delete the exchange
            # (shippy_common.broker). The services declare it, and so does the accounts'
            # set-up; until it exists this fails (NOT_FOUND) and the connection is retried.
            exchange = await channel.declare_exchange(EXCHANGE, aio_pika.ExchangeType.TOPIC, durable=True, passive=True)
            queue = await channel.declare_queue(
                f"rpc.reply-{self.name}-{self._reply_to}", exclusive=True, auto_delete=True
            )
            await queue.bind(exchange, routing_key=self._reply_to)
            await queue.consume(self._on_reply, no_ack=True)
        except BaseException:
            await connection.close()
            raise
        self._connection, self._exchange = connection, exchange
        self._ready.set()

    async def close(self) -> None:
        if self._connector is not None:
            self._connector.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connector
        for future in self._pending.values():
            if not future.done():
                future.set_exception(Unreachable("the gateway is stopping"))
        if self._connection is not None:
            await self._connection.close()

    async def _on_reply(self, message: AbstractIncomingMessage) -> None:
        future = self._pending.pop(message.correlation_id or "", None)
        if future is None or future.done():
            return  # the caller gave up on it already
        try:
            future.set_result(json.loads(message.body))
        except ValueError:
            future.set_exception(InternalError("internal error; a reply could not be decoded"))

    async def call(
        self,
        service: str,
        method: str,
        *args: Any,
        context: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """``service.method(*args, **kwargs)``; its result, or the typed error it raised."""
        timeout = self.timeout if timeout is None else timeout
        if not self.connected or self._exchange is None:
            raise Unreachable("RabbitMQ is not reachable")
        deadline = deadline_after(timeout)
        headers: dict[str, Any] = {
            f"{HEADER_PREFIX}{key}": value for key, value in (context or {}).items() if value is not None
        }
        headers[f"{HEADER_PREFIX}{DEADLINE_CONTEXT_KEY}"] = deadline
        correlation_id = uuid.uuid4().hex
        message = aio_pika.Message(
            json.dumps({"args": list(args), "kwargs": kwargs}).encode(),
            content_type=CONTENT_TYPE,
            reply_to=self._reply_to,
            correlation_id=correlation_id,
            headers=headers,
            expiration=timeout,
            delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT,
        )
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[correlation_id] = future
        started = time.monotonic()
        try:
            try:
                await asyncio.wait_for(self._exchange.publish(message, f"{service}.{method}", mandatory=True), timeout)
            except PublishError:
                raise Unreachable(f"{service} is not running") from None
            except DeliveryError:
                raise Unreachable(f"RabbitMQ refused the call to {service}") from None
            except TimeoutError:
                raise NoAnswer(f"RabbitMQ did not take the call to {service} within {timeout:g}s") from None
            except CONNECTION_EXCEPTIONS as exc:
                raise Unreachable(f"RabbitMQ is not reachable ({type(exc).__name__})") from None
            remaining = max(timeout - (time.monotonic() - started), 0.001)
            try:
                reply = await asyncio.wait_for(future, remaining)
            except TimeoutError:
                raise NoAnswer(f"{service} did not answer within {timeout:g}s") from None
        finally:
            self._pending.pop(correlation_id, None)
        if not isinstance(reply, dict):
            raise error_from_reply(None, service, method)
        if reply.get("error") is not None:
            raise error_from_reply(reply["error"], service, method)
        return reply.get("result")
