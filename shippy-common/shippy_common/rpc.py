"""RPC between services, hardened at both ends.

``rpc`` replaces nameko's entrypoint of the same name in every service:

- A message on a service's queue that is not a well-formed call (no
  ``reply_to`` or ``correlation_id``, a ``reply_to`` that is not a reply queue's
  key, a content type other than JSON, a body
  that does not decode or is not ``{"args": [...], "kwargs": {...}}``, a huge
  body) is logged and dropped. nameko 2.14 reads those properties unchecked
  (upstream issue #753): such a message kills the service process, RabbitMQ
  redelivers it, and it kills the next instance too.
- A call whose caller's deadline (context data :data:`DEADLINE_CONTEXT_KEY`,
  Unix seconds) has passed is dropped unrun: the caller gave up on it, so any
  work it did would belong to nobody.
- An answer or acknowledgement RabbitMQ cannot take because the broker went
  away (restarted, unreachable past nameko's publish retries, the socket
  reset under the write, a channel it closed, an answer it refused while
  stopping) is logged and given up, and the call is left
  unacknowledged: the broker gives it again once the service has reconnected,
  and the caller's retry or the redelivery is answered then (bookings are
  idempotent by id). An answer refused on a channel still open is lost like
  one lost on the way: the call is acknowledged, and its caller, unanswered,
  asks again. nameko 2.14 lets those errors out of the worker, which
  stops the whole service.
- An unexpected exception reaches the caller as :class:`InternalError` with a
  correlation id that finds it in the service's log; nothing from a driver
  (SQL, parameters, document contents) crosses to a client.
- A service's queue is bound to the routing key of each of its methods, not to
  ``<service>.*``, so that ``slow_rpc`` methods (those that hold a worker for
  long, like a bcrypt check) can have a queue of their own with a small
  prefetch: a flood of them waits in RabbitMQ, never in front of fast calls.
- The answers to a service's own calls come in through the consumer of its
  calls, so their queue exists before the first call is taken: a call waiting
  when the service starts gets the answers it asks for.

``TimedRpcProxy`` gives every call to another service a deadline (the
service's ``rpc_timeout_seconds`` setting): the reply is awaited that long, the request message
expires in RabbitMQ after that long, and the deadline travels with the call.

Calls and answers are transient messages (:data:`RPC_DELIVERY_MODE`), as the
gateway's are: nameko's default, persistent, made RabbitMQ write each to disk,
and a call kept across a broker restart is one its caller stopped waiting for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import eventlet
from amqp.exceptions import AMQPError, MessageNacked
from kombu import Queue, binding
from kombu.exceptions import OperationalError
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.exceptions import IncorrectSignature, MalformedRequest, MethodNotFound, UnknownService
from nameko.extensions import DependencyProvider
from nameko.messaging import QueueConsumer
from nameko.rpc import (
    RPC_QUEUE_TEMPLATE,
    ReplyListener,
    Responder,
    Rpc,
    RpcConsumer,
    RpcProxy,
    ServiceProxy,
    get_rpc_exchange,
)
from nameko.standalone.rpc import ClusterProxy, ClusterRpcProxy

from shippy_common.broker import REPLY_KEY
from shippy_common.errors import InternalError, ServiceUnavailable, ShippyError
from shippy_common.settings import settings_of

log = logging.getLogger("shippy.rpc")

#: Context data key of the Unix time after which the caller no longer waits.
DEADLINE_CONTEXT_KEY = "deadline"
#: Context data key of the request message's correlation id: the same for a
#: redelivered copy of a call, so a service can derive idempotency keys from it.
MESSAGE_ID_CONTEXT_KEY = "message_id"
#: A call's encoded body may not be larger than this (schemas bound each field
#: far lower; this bounds what is decoded at all).
MAX_CALL_BYTES = 8 * 1024 * 1024
ACCEPTED_CONTENT_TYPE = "application/json"
MAX_PROPERTY_LENGTH = 255

#: What an answer's publish or a call's acknowledgement raises when RabbitMQ is not
#: there (after kombu's retries) or does not take it while it stops: a lost connection
#: or socket, a channel it closed (any AMQP error), a publish it refused (``MessageNacked``,
#: which it sends when the reply queue's process stops under a confirmed publish).
BROKER_AWAY = (OperationalError, AMQPError, MessageNacked, OSError)

#: How calls and answers are published: transient (AMQP delivery mode 1). A
#: persistent message, nameko's default, is written to disk by RabbitMQ (echo at
#: 16: 479 calls/s persistent, 570-578 transient; RabbitMQ's CPU under a login
#: flood 2.9-3.5 CPU-s in 5 s, against 2.1-2.2) to survive a broker restart,
#: after which its caller has stopped waiting for it and a call past its deadline
#: is dropped unrun anyway: callers retry (bookings under their id) instead.
RPC_DELIVERY_MODE = 1

#: Errors raised on purpose (ours, and nameko's refusals of a well-formed call): no internals in them.
_PASSED_THROUGH = (ShippyError, MalformedRequest, IncorrectSignature, MethodNotFound)


def unanswerable_reason(message: Any) -> str | None:
    """Why no reply can be sent to ``message`` (a raw kombu message), or ``None``."""
    properties = message.properties or {}
    for name in ("reply_to", "correlation_id"):
        value = properties.get(name)
        if not isinstance(value, str) or not value or len(value) > MAX_PROPERTY_LENGTH:
            return f"no usable {name} property"
    # Any other key, RabbitMQ would refuse the answer (the accounts' topic
    # permissions, shippy_common.broker), and nameko stops a service whose reply fails.
    if not REPLY_KEY.fullmatch(properties["reply_to"]):
        return "reply_to is not a reply key"
    if message.content_type != ACCEPTED_CONTENT_TYPE:
        return f"content type {str(message.content_type)[:50]!r} is not {ACCEPTED_CONTENT_TYPE}"
    if not isinstance(message.headers or {}, dict):
        return "headers are not a table"
    return None


def malformed_body_reason(body: Any) -> str | None:
    if not isinstance(body, dict) or set(body) != {"args", "kwargs"}:
        return "body is not an object of args and kwargs"
    if not isinstance(body["args"], list) or not isinstance(body["kwargs"], dict):
        return "args is not a list or kwargs not an object"
    return None


def past_deadline(context_data: dict[str, Any], now: Callable[[], float] = time.time) -> bool:
    deadline = context_data.get(DEADLINE_CONTEXT_KEY)
    return isinstance(deadline, int | float) and not isinstance(deadline, bool) and now() > deadline


class BrokerTolerantQueueConsumer(QueueConsumer):
    """nameko's consumer of a service's queues, whose acknowledgements and requeues
    leave a message to RabbitMQ when the connection just died (see :meth:`ack_message`)."""

    def ack_message(self, message: Any) -> None:
        """Acknowledge ``message``, or leave it to RabbitMQ when its connection just died.

        nameko skips a channel already closed, but the socket can die first (the broker
        restarted): the write then raises a plain ``OSError`` that nameko lets out of the
        worker (or the thread handling an answer), and such an error stops the whole
        service. RabbitMQ takes back every unacknowledged message of a lost connection
        and delivers it again."""
        try:
            super().ack_message(message)
        except BROKER_AWAY as exc:
            _left_to_broker(message, exc)

    def requeue_message(self, message: Any) -> None:
        try:
            super().requeue_message(message)
        except BROKER_AWAY as exc:
            _left_to_broker(message, exc)


class GuardedQueueConsumer(BrokerTolerantQueueConsumer):
    """Checks each raw call before nameko touches it (see module docstring).

    A service's calls and the answers to its own calls share this one consumer
    (:class:`GuardedReplyListener`), as they share nameko's: on every
    (re)connection all its queues are declared before the first message is
    taken. With a consumer each, calls waiting when the service started could
    be taken before the answers' queue existed, and those answers were lost."""

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = self._on_decode_error
            if isinstance(provider, ReplyListener):
                continue  # answers: nameko drops one whose correlation id it does not know
            consumer.on_message = partial(self._on_raw_message, provider)
            if getattr(provider, "prefetch_count", None):
                consumer.qos(prefetch_count=provider.prefetch_count)
            # Queues declared before per-method bindings were bound to "<service>.*";
            # left in place, that binding would deliver slow-lane calls twice.
            exchange = get_rpc_exchange(self.container.config)
            channel.queue_unbind(
                queue=provider.queue.name, exchange=exchange.name, routing_key=f"{self.container.service_name}.*"
            )
        return consumers

    def _drop(self, message: Any, reason: str) -> None:
        log.warning("dropped a message on %s: %s", _routing_key(message), reason)
        self.ack_message(message)

    def _refuse(self, provider: Any, message: Any, reason: str) -> None:
        """Answer a call that can be answered but not run, and drop it."""
        log.warning("refused a message on %s: %s", _routing_key(message), reason)
        try:
            raise MalformedRequest(reason)
        except MalformedRequest as exc:
            provider.handle_result(message, None, (type(exc), exc, exc.__traceback__))

    def _on_decode_error(self, message: Any, exc: Exception) -> None:
        self._drop(message, f"undecodable ({type(exc).__name__})")

    def _on_raw_message(self, provider: Any, message: Any) -> None:
        try:
            reason = unanswerable_reason(message)
            if reason is not None:
                self._drop(message, reason)
                return
            if len(message.body or b"") > MAX_CALL_BYTES:
                self._refuse(provider, message, f"a call of {len(message.body)} bytes is over {MAX_CALL_BYTES}")
                return
            try:
                body = message.decode()
            except Exception as exc:
                self._refuse(provider, message, f"the body does not decode ({type(exc).__name__})")
                return
            reason = malformed_body_reason(body)
            if reason is not None:
                self._refuse(provider, message, reason)
                return
        except Exception:  # whatever it is, it must not take the consumer down
            log.exception("dropped a message on %s that could not be checked", _routing_key(message))
            self.ack_message(message)
            return
        self.handle_message(provider, body, message)


def _left_to_broker(message: Any, exc: BaseException) -> None:
    why = type(exc).__name__
    log.warning(
        "a message on %s is left to RabbitMQ, its channel or connection is lost (%s)", _routing_key(message), why
    )


def _routing_key(message: Any) -> str:
    return str((message.delivery_info or {}).get("routing_key", "?"))[:100]


class TransientPublisher(Publisher):
    delivery_mode = RPC_DELIVERY_MODE


class TransientResponder(Responder):
    """nameko's answer, published transient (:data:`RPC_DELIVERY_MODE`)."""

    publisher_cls = TransientPublisher


class GuardedRpcConsumer(RpcConsumer):
    """The service's queue, bound to each of its methods' routing keys; answers are transient."""

    queue_consumer = GuardedQueueConsumer()
    #: Appended to the queue name; ``None`` for the service's main queue.
    lane: str | None = None
    #: Messages taken from this queue at a time; ``None``: nameko's (``max_workers``).
    prefetch_count: int | None = None

    def setup(self) -> None:
        if self.queue is not None:
            return
        service = self.container.service_name
        exchange = get_rpc_exchange(self.container.config)
        methods = sorted(
            {ep.method_name for ep in self.container.entrypoints if getattr(ep, "rpc_consumer", None) is self}
        )
        name = RPC_QUEUE_TEMPLATE.format(service) + (f"-{self.lane}" if self.lane else "")
        keys = [f"{service}.{method}" for method in methods]
        self.queue = Queue(name, bindings=[binding(exchange, routing_key=key) for key in keys], durable=True)
        self.queue_consumer.register_provider(self)
        self._registered = True

    def handle_result(self, message: Any, result: Any, exc_info: Any) -> Any:
        """nameko's, with :class:`TransientResponder` for its ``Responder``."""
        config = self.container.config
        responder = TransientResponder(
            config[AMQP_URI_CONFIG_KEY],
            get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class GuardedRpc(Rpc):
    rpc_consumer = GuardedRpcConsumer()

    def unpack_message_headers(self, message: Any) -> dict[str, Any]:
        context_data = super().unpack_message_headers(message)
        context_data[MESSAGE_ID_CONTEXT_KEY] = message.properties["correlation_id"]
        return context_data

    def handle_message(self, body: Any, message: Any) -> None:
        if past_deadline(self.unpack_message_headers(message)):
            log.info("dropped a call to %s: its caller's deadline has passed", self.method_name)
            self.rpc_consumer.queue_consumer.ack_message(message)
            return
        super().handle_message(body, message)

    def handle_result(self, message: Any, worker_ctx: Any, result: Any, exc_info: Any) -> Any:
        if exc_info is not None and not isinstance(exc_info[1], _PASSED_THROUGH):
            correlation_id = worker_ctx.call_id
            log.error(
                "internal error %s in %s: %s",
                correlation_id,
                worker_ctx.entrypoint.method_name,
                type(exc_info[1]).__name__,
            )
            try:
                raise InternalError(f"internal error; quote {correlation_id} to an operator") from None
            except InternalError as exc:
                exc_info = (type(exc), exc, exc.__traceback__)
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except BROKER_AWAY as exc:
            log.warning(
                "the answer to %s %s was not sent, RabbitMQ is away or refused it (%s); "
                "the call is delivered again, or its caller asks again",
                worker_ctx.entrypoint.method_name,
                worker_ctx.call_id,
                type(exc).__name__,
            )
            # Acknowledges only on a live channel: on the lost one, RabbitMQ already took the call back.
            # An answer refused on a live one is lost, as one lost on the way: its caller times out.
            self.rpc_consumer.queue_consumer.ack_message(message)
            return result, exc_info


rpc = GuardedRpc.decorator

#: Calls of the slow lane taken at a time: more than a bcrypt backlog holds (9
#: a CPU by default, ``user_service.passwords``: up to 14 CPUs), so that a flood
#: beyond it is refused at once rather than left waiting.
SLOW_LANE_PREFETCH = 128


class SlowLaneRpcConsumer(GuardedRpcConsumer):
    lane = "slow"
    prefetch_count = SLOW_LANE_PREFETCH


class SlowLaneRpc(GuardedRpc):
    rpc_consumer = SlowLaneRpcConsumer()


slow_rpc = SlowLaneRpc.decorator


class MessageId(DependencyProvider):
    """Injects the correlation id of the message that made this call (``None``
    outside RPC): a redelivered copy of the call has the same one."""

    def get_dependency(self, worker_ctx: Any) -> str | None:
        message_id = worker_ctx.data.get(MESSAGE_ID_CONTEXT_KEY)
        return message_id if isinstance(message_id, str) else None


class TimedServiceProxy:
    def __init__(self, proxy: Any, worker_ctx: Any, service_name: str, timeout: float) -> None:
        self._proxy = proxy
        self._worker_ctx = worker_ctx
        self._service_name = service_name
        self._timeout = timeout

    def __getattr__(self, method_name: str) -> Callable[..., Any]:
        method = getattr(self._proxy, method_name)

        def call(*args: Any, **kwargs: Any) -> Any:
            deadline = time.time() + self._timeout
            inherited = self._worker_ctx.data.get(DEADLINE_CONTEXT_KEY)
            if isinstance(inherited, int | float) and not isinstance(inherited, bool):
                deadline = min(deadline, inherited)
            self._worker_ctx.data[DEADLINE_CONTEXT_KEY] = deadline
            late = ServiceUnavailable(f"{self._service_name} did not answer within {self._timeout:g}s")
            try:
                with eventlet.Timeout(max(deadline - time.time(), 0.001), late):
                    return method(*args, **kwargs)
            except UnknownService:
                raise ServiceUnavailable(f"{self._service_name} is not running") from None
            finally:
                if inherited is None:
                    self._worker_ctx.data.pop(DEADLINE_CONTEXT_KEY, None)
                else:
                    self._worker_ctx.data[DEADLINE_CONTEXT_KEY] = inherited

        return call


class GuardedReplyListener(ReplyListener):
    """nameko's listener for the answers to a service's own calls, on the consumer of
    the service's calls (:class:`GuardedQueueConsumer`). nameko acknowledges each
    answer in a thread of the service, so an acknowledgement whose socket the broker
    reset stopped the service: here it is left to RabbitMQ
    (:class:`BrokerTolerantQueueConsumer`); the caller's deadline covers the lost answer."""

    queue_consumer = GuardedQueueConsumer()


def timed_service_proxy(worker_ctx: Any, reply_listener: Any, service_name: str, timeout: float) -> TimedServiceProxy:
    """Calls to ``service_name`` with a deadline of ``timeout`` seconds."""
    proxy = ServiceProxy(worker_ctx, service_name, reply_listener, expiration=timeout, delivery_mode=RPC_DELIVERY_MODE)
    return TimedServiceProxy(proxy, worker_ctx, service_name, timeout)


class TimedRpcProxy(RpcProxy):
    """An ``RpcProxy`` whose calls have the deadline ``rpc_timeout_seconds`` of the service's settings."""

    rpc_reply_listener = GuardedReplyListener()

    def setup(self) -> None:
        super().setup()
        self.timeout = settings_of(self.container).rpc_timeout_seconds

    def get_dependency(self, worker_ctx: Any) -> TimedServiceProxy:
        return timed_service_proxy(worker_ctx, self.rpc_reply_listener, self.target_service, self.timeout)


class TransientClusterRpcProxy(ClusterRpcProxy):
    """nameko's standalone client, its calls transient (:data:`RPC_DELIVERY_MODE`) as
    the gateway's are: what the bench calls the platform with, as its clients would."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._proxy = _TransientClusterProxy(self._worker_ctx, self._reply_listener)


class _TransientClusterProxy(ClusterProxy):
    def __getattr__(self, name: str) -> Any:
        if name not in self._proxies:
            self._proxies[name] = ServiceProxy(
                self._worker_ctx, name, self._reply_listener, delivery_mode=RPC_DELIVERY_MODE
            )
        return self._proxies[name]
