"""The checks the guarded ``rpc`` entrypoint makes before nameko sees a message."""

import uuid
from types import SimpleNamespace
from unittest.mock import Mock

import pytest
from amqp.exceptions import MessageNacked, PreconditionFailed
from kombu.exceptions import OperationalError

from shippy_common.auth import RpcCurrentUser
from shippy_common.rpc import (
    DEADLINE_CONTEXT_KEY,
    MAX_PROPERTY_LENGTH,
    BrokerTolerantQueueConsumer,
    GuardedQueueConsumer,
    GuardedReplyListener,
    GuardedRpc,
    TimedRpcProxy,
    malformed_body_reason,
    past_deadline,
    unanswerable_reason,
)

#: A nameko client's reply key (the gateway's are 32 hex digits).
REPLY_TO = str(uuid.uuid4())


def message(**changes):
    fields = {
        "properties": {"reply_to": REPLY_TO, "correlation_id": "c1"},
        "content_type": "application/json",
        "headers": {},
        **changes,
    }
    return SimpleNamespace(**fields)


def test_a_well_formed_call_can_be_answered():
    assert unanswerable_reason(message()) is None
    assert unanswerable_reason(message(properties={"reply_to": uuid.uuid4().hex, "correlation_id": "c"})) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"properties": {"correlation_id": "c1"}}, "no usable reply_to"),
        ({"properties": {"reply_to": REPLY_TO}}, "no usable correlation_id"),
        # Its answer would be refused by RabbitMQ (topic permissions), stopping the service.
        ({"properties": {"reply_to": "user_service.auth", "correlation_id": "c"}}, "reply_to is not a reply key"),
        ({"properties": {"reply_to": "#", "correlation_id": "c"}}, "reply_to is not a reply key"),
        ({"properties": {"reply_to": 7, "correlation_id": "c1"}}, "no usable reply_to"),
        ({"properties": {"reply_to": "r" * (MAX_PROPERTY_LENGTH + 1), "correlation_id": "c"}}, "no usable reply_to"),
        ({"properties": None}, "no usable reply_to"),
        ({"content_type": "application/x-python-serialize"}, "is not application/json"),
        ({"content_type": None}, "is not application/json"),
        ({"headers": ["a"]}, "headers are not a table"),
    ],
)
def test_a_call_that_cannot_be_answered_says_why(changes, reason):
    assert reason in unanswerable_reason(message(**changes))


@pytest.mark.parametrize(
    "body",
    [[], "x", {"args": []}, {"args": {}, "kwargs": {}}, {"args": [], "kwargs": []}, {"args": [], "kwargs": {}, "x": 1}],
)
def test_a_body_that_is_not_args_and_kwargs_is_malformed(body):
    assert malformed_body_reason(body) is not None


def test_args_and_kwargs_are_a_call():
    assert malformed_body_reason({"args": [1], "kwargs": {"a": 2}}) is None


@pytest.mark.parametrize(
    ("deadline", "late"), [(99.0, True), (101, False), (None, False), ("99", False), (True, False)]
)
def test_only_a_numeric_deadline_in_the_past_is_late(deadline, late):
    assert past_deadline({DEADLINE_CONTEXT_KEY: deadline}, now=lambda: 100.0) is late


#: The worker of a call to ``vessel_service.book`` whose answer is being sent.
BOOK_WORKER = SimpleNamespace(entrypoint=SimpleNamespace(method_name="book"), call_id="vessel_service.book.1")


def answering(handle_result, queue_consumer):
    """The ``rpc`` entrypoint of a service, answering through ``handle_result``
    (nameko's publish of the answer, then its acknowledgement of the call)."""
    entrypoint = GuardedRpc()
    entrypoint.container = SimpleNamespace(config={})
    entrypoint.rpc_consumer = SimpleNamespace(handle_result=handle_result, queue_consumer=queue_consumer)
    return entrypoint


def test_an_answer_the_broker_cannot_take_leaves_the_call_to_the_broker_and_the_service_running(caplog):
    """A RabbitMQ restart mid-call: the reply's publish fails after kombu's retries. The
    worker ends normally (nameko would stop the service), and the call, unacknowledged on
    its lost channel, is RabbitMQ's to deliver again."""
    entrypoint = answering(Mock(side_effect=OperationalError("[Errno 111] ECONNREFUSED")), GuardedQueueConsumer())
    lost_channel = SimpleNamespace(connection=None)
    call = SimpleNamespace(channel=lost_channel, ack=Mock(), properties={"correlation_id": "c1"})

    assert entrypoint.handle_result(call, BOOK_WORKER, {"id": "b1"}, None) == ({"id": "b1"}, None)
    call.ack.assert_not_called()
    assert "the answer to book vessel_service.book.1 was not sent, RabbitMQ is away" in caplog.text


def test_an_acknowledgement_whose_socket_was_reset_leaves_the_call_to_the_broker_and_the_service_running(caplog):
    """The broker restarted while a call was answered: the channel still looks open, but
    writing the acknowledgement resets (a plain ``OSError``, which nameko does not catch).
    The worker ends normally; RabbitMQ delivers the unacknowledged call again."""
    queue_consumer = GuardedQueueConsumer()

    def answer_then_acknowledge(message, result, exc_info):
        queue_consumer.ack_message(message)
        return result, exc_info

    entrypoint = answering(answer_then_acknowledge, queue_consumer)
    open_looking_channel = SimpleNamespace(connection=object())
    call = SimpleNamespace(
        channel=open_looking_channel,
        ack=Mock(side_effect=ConnectionResetError(104, "Connection reset by peer")),
        properties={"correlation_id": "c1"},
        delivery_info={"routing_key": "vessel_service.book"},
    )

    assert entrypoint.handle_result(call, BOOK_WORKER, {"id": "b1"}, None) == ({"id": "b1"}, None)
    call.ack.assert_called_once()
    left = (
        "a message on vessel_service.book is left to RabbitMQ, its channel or connection is lost (ConnectionResetError)"
    )
    assert left in caplog.text


def test_an_answer_the_stopping_broker_refuses_is_given_up_and_the_service_keeps_running(caplog):
    """RabbitMQ stopping under a confirmed publish nacks it (the reply queue's process
    stopped): ``MessageNacked``, which nameko lets out of the worker and so stops the
    service. The answer is given up and the call acknowledged on its live channel; the
    caller, unanswered, times out and asks again."""
    entrypoint = answering(Mock(side_effect=MessageNacked()), GuardedQueueConsumer())
    call = SimpleNamespace(
        channel=SimpleNamespace(connection=object()), ack=Mock(), properties={"correlation_id": "c1"}
    )

    assert entrypoint.handle_result(call, BOOK_WORKER, {"id": "b1"}, None) == ({"id": "b1"}, None)
    call.ack.assert_called_once()
    refused = "the answer to book vessel_service.book.1 was not sent, RabbitMQ is away or refused it (MessageNacked)"
    assert refused in caplog.text


def test_an_acknowledgement_on_a_channel_the_broker_closed_is_left_to_the_broker(caplog):
    call = SimpleNamespace(
        channel=SimpleNamespace(connection=object()),
        ack=Mock(side_effect=PreconditionFailed("PRECONDITION_FAILED - unknown delivery tag 7")),
        delivery_info={"routing_key": "vessel_service.book"},
    )
    GuardedQueueConsumer().ack_message(call)
    call.ack.assert_called_once()
    left = (
        "a message on vessel_service.book is left to RabbitMQ, its channel or connection is lost (PreconditionFailed)"
    )
    assert left in caplog.text


def test_an_answer_to_the_services_own_call_whose_acknowledgement_was_reset_is_left_to_the_broker(caplog):
    """What stopped consignment-service in CI's broker drill: nameko's reply listener
    acknowledges each answer to the service's own calls (to vessel_service, user_service)
    in a thread of the service, and the reset socket's ``OSError`` stopped the service.
    The proxies of every service (``TimedRpcProxy``, ``RpcCurrentUser``) listen through
    one that leaves the answer to RabbitMQ and keeps running."""
    assert isinstance(TimedRpcProxy.rpc_reply_listener, GuardedReplyListener)
    assert isinstance(RpcCurrentUser.reply_listener, GuardedReplyListener)
    listener = GuardedReplyListener()
    assert isinstance(listener.queue_consumer, BrokerTolerantQueueConsumer)
    answer = SimpleNamespace(
        channel=SimpleNamespace(connection=object()),
        ack=Mock(side_effect=ConnectionResetError(104, "Connection reset by peer")),
        properties={"correlation_id": "c1"},
        delivery_info={"routing_key": "rpc.reply-consignment_service-1"},
    )
    listener.queue_consumer.ack_message(answer)
    answer.ack.assert_called_once()
    left = "a message on rpc.reply-consignment_service-1 is left to RabbitMQ"
    assert left in caplog.text


def test_a_requeue_whose_socket_was_reset_is_left_to_the_broker():
    call = SimpleNamespace(
        channel=SimpleNamespace(connection=object()),
        requeue=Mock(side_effect=BrokenPipeError(32, "Broken pipe")),
        delivery_info={"routing_key": "vessel_service.book"},
    )
    GuardedQueueConsumer().requeue_message(call)
    call.requeue.assert_called_once()
