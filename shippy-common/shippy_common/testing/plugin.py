"""pytest plugin every Shippy package's tests share (registered as ``shippy``).

It applies eventlet's monkey patch before any test module is imported, as
nameko 2.14's own plugin no longer does, and provides fixtures for the real
local servers ``make infra`` starts: a throwaway MongoDB database per test, a
nameko config built from a service's own ``config.yml``, RPC clients, and a
TCP gate to start a service before the server it needs is reachable.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

#: Modules that bind blocking ``sleep`` or sockets at import: loaded before the
#: monkey patch, they stall the eventlet hub in ways tests notice only as hangs.
MUST_LOAD_AFTER_PATCH = ("kombu", "amqp", "pymongo", "psycopg2", "nameko.rpc")


def pytest_load_initial_conftests(early_config: Any, parser: Any, args: list[str]) -> None:
    import sys

    early = [name for name in MUST_LOAD_AFTER_PATCH if name in sys.modules]
    if early:
        raise pytest.UsageError(
            f"{', '.join(early)} imported before eventlet's monkey patch: a pytest plugin module "
            "imports them at module level; move those imports into its fixtures"
        )
    from shippy_common.logs import quiet_dependency_warnings

    # Again, not only at package import: pytest records warnings around this
    # hook with filters of its own, and eventlet warns when it is imported.
    quiet_dependency_warnings()
    import eventlet

    eventlet.monkey_patch()
    # nameko's rabbit_config makes a vhost per test as this administrator; put first,
    # these yield to --amqp-uri/--rabbit-api-uri given in addopts or on the command line.
    amqp_uri, api_uri = rabbitmq_admin_uris(early_config.rootpath)
    args[:0] = [f"--amqp-uri={amqp_uri}", f"--rabbit-api-uri={api_uri}"]


#: Where the tests find each server: ``SHIPPY_TEST_<KIND>=host:port`` overrides
#: the local default (docker-compose's test runner points them at its services).
DEFAULT_PORTS = {"rabbitmq": 5672, "mongodb": 27017, "postgres": 5432, "nats": 4222}


def server_address(kind: str) -> tuple[str, int]:
    host, _, port = os.environ.get(f"SHIPPY_TEST_{kind.upper()}", f"127.0.0.1:{DEFAULT_PORTS[kind]}").rpartition(":")
    return host, int(port)


def rabbitmq_admin_uris(root: Path) -> tuple[str, str]:
    """The RabbitMQ administrator the tests make their vhosts with, as nameko's
    ``--amqp-uri`` and ``--rabbit-api-uri``: ``SHIPPY_TEST_AMQP_URI`` and
    ``SHIPPY_TEST_RABBIT_API_URI``, else the administrator of the accounts file
    ``make infra`` writes (unless ``SHIPPY_TEST_RABBITMQ`` points at another
    broker), else guest."""
    from shippy_common.broker import accounts_file, read_env_file

    local = {} if os.environ.get("SHIPPY_TEST_RABBITMQ") else read_env_file(accounts_file(root))
    host, port = server_address("rabbitmq")
    amqp_uri = (
        os.environ.get("SHIPPY_TEST_AMQP_URI") or local.get("AMQP_URI_ADMIN") or f"pyamqp://guest:guest@{host}:{port}/"
    )
    api_uri = (
        os.environ.get("SHIPPY_TEST_RABBIT_API_URI")
        or local.get("RABBITMQ_API_URI_ADMIN")
        or f"http://guest:guest@{host}:15672"
    )
    return amqp_uri, api_uri


@pytest.fixture(scope="session")
def mongo_uri() -> str:
    host, port = server_address("mongodb")
    return f"mongodb://{host}:{port}/"


@pytest.fixture
def mongo_database(mongo_uri: str) -> Iterator[Any]:
    """A fresh, uniquely named MongoDB database, dropped after the test."""
    import pymongo

    client: pymongo.MongoClient = pymongo.MongoClient(mongo_uri, serverSelectionTimeoutMS=5000)
    database = client[f"test_{uuid.uuid4().hex[:12]}"]
    yield database
    client.drop_database(database.name)
    client.close()


@pytest.fixture
def service_config(rabbit_config: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """Build a service's config from its ``config.yml`` for this test's vhost."""
    from shippy_common.config import load_config
    from shippy_common.testing.net import free_port

    def build(config_file: Path, **overrides: Any) -> dict[str, Any]:
        config = load_config(config_file)
        config["AMQP_URI"] = rabbit_config["AMQP_URI"]
        config["WEB_SERVER_ADDRESS"] = f"127.0.0.1:{free_port()}"
        config.update(overrides)
        return config

    return build


@pytest.fixture
def rpc_client(rabbit_config: dict[str, Any]) -> Iterator[Callable[..., Any]]:
    """``rpc_client(context_data=None, timeout=10)``: a started ClusterRpcProxy."""
    from nameko.standalone.rpc import ClusterRpcProxy

    proxies: list[ClusterRpcProxy] = []

    def connect(context_data: dict[str, Any] | None = None, timeout: float = 10) -> Any:
        proxy = ClusterRpcProxy(rabbit_config, context_data=context_data, timeout=timeout)
        proxies.append(proxy)
        return proxy.start()

    yield connect
    for proxy in proxies:
        proxy.stop()


@pytest.fixture
def raw_rpc(rabbit_config: dict[str, Any]) -> Iterator[Any]:
    """A :class:`shippy_common.testing.amqp.RawRpc` on this test's vhost."""
    from shippy_common.testing.amqp import RawRpc

    raw = RawRpc(rabbit_config["AMQP_URI"])
    yield raw
    raw.close()


@pytest.fixture(scope="session")
def _all_tcp_gates() -> Iterator[list[Any]]:
    gates: list[Any] = []
    yield gates
    for gate in gates:
        gate.close()


@pytest.fixture
def tcp_gate(_all_tcp_gates: list[Any]) -> Iterator[Callable[[str], Any]]:
    """``tcp_gate(kind)``: a closed local port that forwards to the test server
    of that kind (``"rabbitmq"``, ...) once opened; see
    :class:`shippy_common.testing.net.TcpGate`.

    When the test ends, its gates are opened again and closed only at the end
    of the session: a container or process the test started may still talk
    through them while it is torn down (kombu retries a dead broker for ever).
    """
    from shippy_common.testing.net import TcpGate

    gates: list[TcpGate] = []

    def make(kind: str) -> TcpGate:
        gate = TcpGate(server_address(kind))
        gates.append(gate)
        _all_tcp_gates.append(gate)
        return gate

    yield make
    for gate in gates:
        if not gate.is_open:
            gate.open()


@pytest.fixture
def start_process() -> Iterator[Callable[..., Any]]:
    """``start_process(command, env)``: a RunningProcess stopped after the test."""
    from shippy_common.testing.processes import RunningProcess

    processes: list[RunningProcess] = []

    def start(command: list[str], env: dict[str, str] | None = None) -> RunningProcess:
        process = RunningProcess(command, env)
        processes.append(process)
        return process

    yield start
    for process in processes:
        process.stop()
        process.remove_log()


class EventStream:
    """A JetStream stream and subject prefix of one test's own."""

    def __init__(self, nats_url: str) -> None:
        tag = uuid.uuid4().hex[:10]
        self.nats_url = nats_url
        self.name = f"TEST_{tag}"
        self.prefix = f"test{tag}."

    @property
    def env(self) -> dict[str, str]:
        return {"NATS_URL": self.nats_url, "EVENT_STREAM": self.name, "EVENT_SUBJECT_PREFIX": self.prefix}

    def _tool(self, *args: str, stdin: bytes | None = None) -> str:
        import subprocess
        import sys

        command = [sys.executable, "-m", "shippy_common.testing.jetstream", *args]
        result = subprocess.run(command, input=stdin, capture_output=True, timeout=30)
        assert result.returncode == 0, f"jetstream {args[0]} failed: {result.stderr.decode()[-2000:]}"
        return result.stdout.decode()

    def messages(self) -> list[dict[str, Any]]:
        """Every message in the stream: ``{"subject", "msg_id", "event"}``."""
        import json

        return [json.loads(line) for line in self._tool("dump", self.nats_url, self.name).splitlines()]

    def wait_for_messages(self, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        """Every message in the stream, once it holds at least ``count``."""
        from shippy_common.testing.waits import eventually

        seen: list[dict[str, Any]] = []

        def enough() -> bool:
            seen[:] = self.messages()
            return len(seen) >= count

        eventually(
            enough,
            timeout=timeout,
            interval=0.2,
            what=lambda: f"{count} events in {self.name}, not {len(seen)}: {seen}",
        )
        return seen

    def publish(self, event_type: str, payload: bytes, msg_id: str | None = None) -> None:
        extra = [msg_id] if msg_id else []
        self._tool("publish", self.nats_url, self.name, self.prefix, event_type, *extra, stdin=payload)

    def delete(self) -> None:
        self._tool("delete", self.nats_url, self.name)


@pytest.fixture
def event_stream() -> Iterator[EventStream]:
    host, port = server_address("nats")
    stream = EventStream(f"nats://{host}:{port}")
    yield stream
    stream.delete()
