"""The broker of the compose stack is closed (issue 14, point 7), as ``make infra``
closes a local one: RabbitMQ's accounts are exactly Shippy's (shippy_common.broker,
made by the one-shot broker-accounts), each service signs in with its own, and an
account may do only what it does.

RabbitMQ's AMQP port is not published: the tests reach it at the container's address
on the stack's network (``Stack.amqp_address``), as the drills' RPC calls do. The
denials are those of tests/integration/test_broker_access.py, on the real stack."""

import contextlib
import json
import uuid

import pytest

from shippy_common import broker
from shippy_common.testing.waits import eventually

#: The compose services that talk to RabbitMQ, and the account each signs in with.
SERVICE_ACCOUNTS = {
    "vessel-service": "VESSEL",
    "user-service": "USER",
    "consignment-service": "CONSIGNMENT",
    "gateway": "GATEWAY",
}
#: Long-running containers that do not use RabbitMQ at all.
NO_AMQP = ("user-relay", "consignment-relay", "vessel-relay", "notification-service")


@pytest.fixture
def connect(stack):
    """``connect(user, password)``: a py-amqp connection to the stack's RabbitMQ, with
    publisher confirms (a refused publish raises); closed after the test."""
    import amqp

    connections = []

    def open_as(user, password):
        connection = amqp.Connection(
            host=stack.amqp_address(), userid=user, password=password, confirm_publish=True, connect_timeout=10
        )
        connections.append(connection)
        connection.connect()
        return connection

    yield open_as
    for connection in connections:
        with contextlib.suppress(Exception):  # one the broker closed already
            connection.close()


def refused(action, *args, **kwargs):
    """What RabbitMQ said refusing ``action(*args, **kwargs)``: ACCESS_REFUSED, which closes the channel."""
    import amqp

    with pytest.raises(amqp.exceptions.AccessRefused) as caught:
        action(*args, **kwargs)
    return str(caught.value)


def call(channel, routing_key, *args):
    """Publish a well-formed call as a nameko client would (confirmed by RabbitMQ, or refused)."""
    import amqp

    message = amqp.Message(
        json.dumps({"args": list(args), "kwargs": {}}),
        content_type="application/json",
        reply_to=uuid.uuid4().hex,
        correlation_id=uuid.uuid4().hex,
    )
    channel.basic_publish(message, exchange="nameko-rpc", routing_key=routing_key)


def test_rabbitmq_has_shippys_accounts_and_no_other(stack):
    users = {user["name"]: user for user in stack.rabbitmq("/api/users")}
    assert set(users) == {broker.ADMIN_USER, *(a.user for a in broker.ACCOUNTS)}, "no guest, no shared account"
    assert "administrator" in str(users[broker.ADMIN_USER]["tags"])
    for a in broker.ACCOUNTS:
        assert not users[a.user]["tags"], f"{a.user} has no management tag"
        (topic,) = stack.rabbitmq(f"/api/users/{a.user}/topic-permissions")
        assert (topic["exchange"], topic["write"], topic["read"]) == (broker.EXCHANGE, a.topic_write, a.topic_read)


def test_each_service_signs_in_with_its_own_account_and_the_others_not_at_all(stack):
    def users_by_service():
        connections = stack.rabbitmq("/api/connections")
        seen = {}
        for service in (*SERVICE_ACCOUNTS, *NO_AMQP):
            ip = stack.ip(service)
            seen[service] = {c["user"] for c in connections if c.get("peer_host", "").removeprefix("::ffff:") == ip}
        return seen

    expected = {service: {broker.ACCOUNTS_BY_KEY[key].user} for service, key in SERVICE_ACCOUNTS.items()}
    expected.update({service: set() for service in NO_AMQP})
    seen = {}

    def as_expected():
        seen.update(users_by_service())  # RabbitMQ's connection list lags a little behind
        return seen == expected

    eventually(as_expected, timeout=30, interval=1, what=lambda: f"each service under its own account, not {seen}")
    for service in NO_AMQP:
        (container,) = stack.containers(service)
        env = [line.split("=", 1)[0] for line in stack.inspect(container)["Config"]["Env"]]
        assert "AMQP_URI" not in env, service


def test_the_gateways_account_cannot_book_a_vessel_or_consume_a_services_queue(stack, connect):
    gateway = connect(*stack.account("GATEWAY"))
    call(gateway.channel(), "user_service.validate_token", "not-a-token")  # a public call: confirmed
    for key in ("vessel_service.book", "vessel_service.depart", "user_service.nope"):
        reason = refused(call, gateway.channel(), key, {})
        assert "ACCESS_REFUSED" in reason and "nameko-rpc" in reason, reason
    for queue in ("rpc-user_service", "rpc-vessel_service", "rpc-consignment_service"):
        refused(gateway.channel().basic_consume, queue, callback=print)


def test_only_consignment_service_may_book_a_vessel(stack, connect):
    for key in ("USER", "VESSEL", "OPERATOR", "GATEWAY"):
        refused(call, connect(*stack.account(key)).channel(), "vessel_service.book", {})
    # Its own right: bookings_between reads the ledger and changes nothing.
    call(connect(*stack.account("CONSIGNMENT")).channel(), "vessel_service.bookings_between", {})


def test_a_made_up_user_guest_or_a_wrong_password_cannot_connect(stack, connect):
    import amqp

    for user, password in (
        ("nobody", "guessed"),
        ("guest", "guest"),
        ("shippy", "shippy"),  # the shared account of earlier stacks
        (stack.account("GATEWAY")[0], "not-its-password"),
        (broker.ADMIN_USER, "not-its-password"),
    ):
        with pytest.raises((amqp.exceptions.AccessRefused, amqp.exceptions.NotAllowed)):
            connect(user, password)
