"""The broker is closed (issue 14, point 7): the services, the gateway and an
operator each run under their own RabbitMQ account (``shippy_common.broker``),
applied here on this test's vhost, and each can do what it does and no more.

RabbitMQ users are broker-wide: this test's accounts have names of their own
(``test-<tag>-gateway-service``, ...) and are deleted after it, so the local
broker's real accounts (make infra, make run) are never touched."""

import contextlib
import json
import logging
import secrets
import uuid
from urllib.parse import urlsplit

import pytest

from consignment_service.testing import CLASSIC_CONSIGNMENT
from shippy_common import broker


class Accounts:
    """This test's accounts on its vhost: their URIs, and raw AMQP connections as them."""

    def __init__(self, api, vhost, address, prefix):
        self.api = api
        self.vhost = vhost
        self.address = address
        self.prefix = prefix
        self.passwords = {account.key: secrets.token_urlsafe(24) for account in broker.ACCOUNTS}
        self.connections = []

    def user(self, key):
        return self.prefix + broker.ACCOUNTS_BY_KEY[key].user

    def uri(self, key):
        return broker.amqp_uri(self.user(key), self.passwords[key], self.address, self.vhost)

    def connect(self, key=None, *, user=None, password=None):
        """A py-amqp connection (publisher confirms on: a refused publish raises)."""
        import amqp

        connection = amqp.Connection(
            host=self.address,
            userid=user or self.user(key),
            password=password or self.passwords[key],
            virtual_host=self.vhost,
            confirm_publish=True,
            connect_timeout=10,
        )
        self.connections.append(connection)
        connection.connect()
        return connection

    def close(self):
        for connection in self.connections:
            with contextlib.suppress(Exception):  # a connection the broker closed already
                connection.close()


@pytest.fixture
def accounts(request, rabbit_config):
    api = broker.ManagementApi.from_uri(request.config.getoption("RABBIT_API_URI"))
    address = urlsplit(rabbit_config["AMQP_URI"]).netloc.rsplit("@", 1)[-1]
    made = Accounts(api, rabbit_config["vhost"], address, f"test-{uuid.uuid4().hex[:10]}-")
    broker.apply(api, made.vhost, made.passwords, user_prefix=made.prefix)
    yield made
    made.close()
    broker.delete_users(api, made.prefix)


@pytest.fixture
def closed_platform(accounts, container_factory, vessel_config, user_config, consignment_config):
    """user_service, vessel_service and consignment_service, each under its own account."""
    from consignment_service.service import ConsignmentService
    from user_service.service import UserService
    from vessel_service.service import VesselService

    containers = {}
    for key, service, config in (
        ("VESSEL", VesselService, vessel_config),
        ("USER", UserService, user_config),
        ("CONSIGNMENT", ConsignmentService, consignment_config),
    ):
        containers[key] = container_factory(service, {**config, "AMQP_URI": accounts.uri(key)})
        containers[key].start()
    return containers


def operator_rpc(accounts, **options):
    from nameko.standalone.rpc import ClusterRpcProxy

    return ClusterRpcProxy({"AMQP_URI": accounts.uri("OPERATOR")}, timeout=30, **options)


def refused(action, *args, **kwargs):
    """What RabbitMQ said refusing ``action(*args, **kwargs)``: ACCESS_REFUSED, which closes the channel."""
    import amqp

    with pytest.raises(amqp.exceptions.AccessRefused) as caught:
        action(*args, **kwargs)
    return str(caught.value)


def call(channel, routing_key, *args, reply_to=None):
    """Publish a well-formed call as a nameko client would (confirmed by RabbitMQ, or refused)."""
    import amqp

    message = amqp.Message(
        json.dumps({"args": list(args), "kwargs": {}}),
        content_type="application/json",
        reply_to=reply_to or str(uuid.uuid4()),
        correlation_id=uuid.uuid4().hex,
    )
    channel.basic_publish(message, exchange="nameko-rpc", routing_key=routing_key)


def test_the_platform_works_under_its_own_accounts(accounts, closed_platform, start_gateway, new_user, set_role):
    gateway = start_gateway(AMQP_URI=accounts.uri("GATEWAY"))
    payload = new_user()
    assert gateway.client.post("/v1/users", json=payload).status_code == 201
    issued = gateway.client.post("/v1/tokens", json={"email": payload["email"], "password": payload["password"]})
    assert issued.status_code == 200, issued.text
    headers = {"Authorization": f"Bearer {issued.json()['token']}"}
    assert gateway.client.get("/v1/users/me", headers=headers).json()["email"] == payload["email"]
    # gateway -> consignment_service -> user_service.validate_token and vessel_service.book
    booked = gateway.client.post("/v1/consignments", json=CLASSIC_CONSIGNMENT, headers=headers)
    assert booked.status_code == 201, booked.text
    assert booked.json()["vessel_id"] == "vessel001"
    listed = gateway.client.get("/v1/consignments", headers=headers).json()["items"]
    assert [item["id"] for item in listed] == [booked.json()["id"]]
    ready = gateway.client.get("/ready")
    assert ready.status_code == 200, ready.text
    # An operator's nameko shell, with an admin's token: the fleet and the public calls.
    from shippy_common.auth import TOKEN_CONTEXT_KEY

    set_role(gateway.client.get("/v1/users/me", headers=headers).json()["id"], "admin")
    with operator_rpc(accounts, context_data={TOKEN_CONTEXT_KEY: issued.json()["token"]}) as rpc:
        assert rpc.vessel_service.find_available({"capacity": 1, "max_weight": 1})["id"]
        assert rpc.vessel_service.create({"id": "tug01", "name": "Tug", "capacity": 4, "max_weight": 9000})["id"]
        from shippy_common.errors import InvalidToken

        with pytest.raises(InvalidToken):
            rpc.user_service.validate_token("not-a-token")


def test_the_gateway_can_call_the_public_rpcs_and_nothing_else(accounts, closed_platform):
    connection = accounts.connect("GATEWAY")
    call(connection.channel(), "user_service.validate_token", "x")  # confirmed: allowed
    call(connection.channel(), "consignment_service.get_consignments")
    for key in ("vessel_service.book", "vessel_service.release", "vessel_service.depart", "user_service.nope"):
        reason = refused(call, connection.channel(), key, {})
        assert "ACCESS_REFUSED" in reason and "nameko-rpc" in reason, reason
    # Nor around the topic exchange: straight onto a service's queue through the default exchange.
    import amqp

    reason = refused(connection.channel().basic_publish, amqp.Message("{}"), "", "rpc-vessel_service")
    assert "amq.default" in reason


def test_the_gateway_cannot_consume_a_services_queue_or_snoop_on_calls(accounts, closed_platform):
    connection = accounts.connect("GATEWAY")
    for queue in ("rpc-user_service", "rpc-user_service-slow", "rpc-vessel_service", "rpc-consignment_service"):
        refused(connection.channel().basic_consume, queue, callback=print)
        refused(connection.channel().queue_purge, queue)
    own = uuid.uuid4().hex
    queue = f"rpc.reply-gateway-{own}"
    channel = connection.channel()
    channel.queue_declare(queue, exclusive=True, auto_delete=True)
    channel.queue_bind(queue, "nameko-rpc", routing_key=own)  # its own replies: allowed
    for key in ("#", "*.*", "user_service.*", "user_service.auth", "user_service.#", str(uuid.uuid4())):
        reason = refused(connection.channel().queue_bind, queue, "nameko-rpc", routing_key=key)
        assert "topic" in reason, reason
    refused(connection.channel().queue_declare, "snoop", exclusive=True)
    refused(connection.channel().queue_bind, queue, "amq.topic", routing_key="#")
    # The exchange: used, never redeclared or deleted.
    connection.channel().exchange_declare("nameko-rpc", "topic", passive=True)
    refused(connection.channel().exchange_declare, "nameko-rpc", "topic", durable=True, auto_delete=False)
    refused(connection.channel().exchange_delete, "nameko-rpc")


def test_only_consignment_service_books_vessels(accounts, closed_platform):
    for key in ("USER", "VESSEL", "OPERATOR", "GATEWAY"):
        connection = accounts.connect(key)
        refused(call, connection.channel(), "vessel_service.book", {})
    call(accounts.connect("CONSIGNMENT").channel(), "vessel_service.bookings_between", {})  # allowed


def test_no_service_reads_another_services_calls(accounts, closed_platform):
    own_queue = {"VESSEL": "rpc-vessel_service", "USER": "rpc-user_service", "CONSIGNMENT": "rpc-consignment_service"}
    for key, queue in own_queue.items():
        connection = accounts.connect(key)
        for other in set(own_queue.values()) - {queue}:
            refused(connection.channel().basic_consume, other, callback=print)
        stranger = "consignment_service.create_consignment" if key != "CONSIGNMENT" else "user_service.auth"
        for binding in ("#", stranger):
            refused(connection.channel().queue_bind, queue, "nameko-rpc", routing_key=binding)
    operator = accounts.connect("OPERATOR")
    reply = f"rpc.reply-standalone_rpc_proxy-{uuid.uuid4()}"
    operator.channel().queue_declare(reply, auto_delete=True)
    for binding in ("#", "user_service.auth", uuid.uuid4().hex):
        refused(operator.channel().queue_bind, reply, "nameko-rpc", routing_key=binding)


def test_a_made_up_user_or_a_wrong_password_cannot_connect(accounts):
    for user, password in (("nobody", "guessed"), (accounts.user("GATEWAY"), "not-its-password"), ("guest", "guest")):
        import amqp

        with pytest.raises((amqp.exceptions.AccessRefused, amqp.exceptions.NotAllowed)):
            accounts.connect(user=user, password=password)


def test_a_call_whose_answer_would_be_refused_is_dropped_and_the_service_lives(accounts, closed_platform, caplog):
    """A reply_to that is not a reply key (here: user_service.auth) would have the
    service's answer refused by RabbitMQ, and nameko would stop the service for it."""
    caplog.set_level(logging.WARNING, logger="shippy.rpc")
    call(accounts.connect("OPERATOR").channel(), "vessel_service.find_available", {}, reply_to="user_service.auth")
    from shippy_common.testing.waits import eventually

    eventually(lambda: "reply_to is not a reply key" in caplog.text, what="the call dropped")
    with operator_rpc(accounts) as rpc:
        assert rpc.vessel_service.find_available({"capacity": 1, "max_weight": 1})["available"] is True
