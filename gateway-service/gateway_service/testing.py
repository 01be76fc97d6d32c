"""pytest fixtures for tests that talk to the gateway over HTTP (registered as
the ``shippy_gateway_service`` pytest plugin, so other packages' tests use them too).

The gateway is asyncio and the test process runs eventlet (the ``shippy``
plugin patches it whole): it always runs as a process of its own, the way an
operator runs it, pointed at the test's RabbitMQ vhost. Imported before
eventlet's monkey patch: only the standard library at module level.
"""

import sys
from pathlib import Path

import pytest

GATEWAY_SCRIPT = str(Path(sys.executable).with_name("gateway-service"))
PROBLEM = "application/problem+json"


def assert_problem(response, status, slug=None):
    """``response`` is an RFC 9457 problem document of ``status`` (and type ``slug``); the document."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    document = response.json()
    assert document["status"] == status
    assert {"type", "title", "detail"} <= set(document)
    if slug:
        assert document["type"].endswith(":" + slug), document
    return document


class Gateway:
    """A running gateway-service: its ``url``, an HTTP ``client`` for it, and its ``process``."""

    def __init__(self, url, process):
        import httpx

        self.url = url
        self.process = process
        self.client = httpx.Client(base_url=url, timeout=60)

    def is_up(self):
        import httpx

        try:
            return self.client.get("/health").status_code == 200
        except httpx.TransportError:
            return False

    def close(self):
        self.client.close()


def declare_rpc_exchange(amqp_uri):
    """Declare ``nameko-rpc`` on ``amqp_uri``'s vhost, as ``shippy-broker-accounts apply`` does."""
    import kombu

    with kombu.Connection(amqp_uri) as connection:
        kombu.Exchange("nameko-rpc", type="topic", durable=True)(connection.default_channel).declare()


@pytest.fixture
def start_gateway(rabbit_config, start_process):
    """``start_gateway(**env)``: a gateway-service process on this test's vhost, up
    (``GET /health``) before it is returned; ``env`` overrides its settings."""
    from shippy_common.testing.net import free_port
    from shippy_common.testing.waits import eventually

    gateways = []
    # The gateway only ever declares it passively: on a broker, the accounts'
    # set-up (or any service) has declared it before.
    declare_rpc_exchange(rabbit_config["AMQP_URI"])

    def start(**env):
        port = free_port()
        settings = {
            "AMQP_URI": rabbit_config["AMQP_URI"],
            "GATEWAY_HTTP_ADDRESS": f"127.0.0.1:{port}",
            "GATEWAY_RPC_TIMEOUT_SECONDS": "20",
            "GATEWAY_RATE_LIMIT_SIGN_UP": "1000/minute",
            "GATEWAY_RATE_LIMIT_LOG_IN": "1000/minute",
            **{key: str(value) for key, value in env.items()},
        }
        gateway = Gateway(f"http://127.0.0.1:{port}", start_process([GATEWAY_SCRIPT], settings))
        gateways.append(gateway)
        eventually(gateway.is_up, timeout=30, interval=0.1, what=f"gateway-service up:\n{gateway.process.output}")
        eventually(lambda: "connected to RabbitMQ" in gateway.process.output, timeout=30, what="gateway on RabbitMQ")
        return gateway

    yield start
    for gateway in gateways:
        gateway.close()


@pytest.fixture
def gateway(platform, start_gateway):
    """A gateway in front of user_service, vessel_service and consignment_service (``platform``)."""
    return start_gateway()


@pytest.fixture
def http_user(gateway, new_user):
    """``http_user()``: a user registered and logged in over HTTP: ``(profile, token, headers)``."""

    def make(**changes):
        payload = new_user(**changes)
        created = gateway.client.post("/v1/users", json=payload)
        assert created.status_code == 201, created.text
        issued = gateway.client.post("/v1/tokens", json={"email": payload["email"], "password": payload["password"]})
        assert issued.status_code == 200, issued.text
        token = issued.json()["token"]
        return created.json(), token, {"Authorization": f"Bearer {token}"}

    return make
