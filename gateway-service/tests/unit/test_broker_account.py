"""The gateway's RabbitMQ account (shippy_common.broker) lets it make every call
its routes and GET /ready make, and its reply queue is the one its account may use."""

import ast
import re
import uuid
from pathlib import Path

import gateway_service
from gateway_service.app import READINESS_PROBES
from gateway_service.rpc import RpcClient
from shippy_common.broker import ACCOUNTS_BY_KEY

GATEWAY = ACCOUNTS_BY_KEY["GATEWAY"]


def calls_in_the_routes():
    """Every ``rpc("<service>", "<method>", ...)`` in app.py and dependencies.py."""
    found = set()
    for module in ("app.py", "dependencies.py"):
        tree = ast.parse((Path(gateway_service.__file__).parent / module).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and len(node.args) >= 2:
                service, method = node.args[:2]
                literal = all(isinstance(arg, ast.Constant) and isinstance(arg.value, str) for arg in (service, method))
                if literal and service.value.endswith("_service"):
                    found.add(f"{service.value}.{method.value}")
    return found


def test_every_call_the_gateway_makes_is_one_its_account_may_publish():
    calls = calls_in_the_routes() | {f"{service}.{method}" for service, (method, _) in READINESS_PROBES.items()}
    assert len(calls) >= 8, calls
    for key in calls:
        assert re.search(GATEWAY.topic_write, key), key


def test_its_reply_queue_and_key_are_what_its_account_may_declare_and_bind():
    client = RpcClient("amqp://x@127.0.0.1:1/", timeout=1)
    assert re.search(GATEWAY.topic_read, client._reply_to)
    assert re.search(GATEWAY.configure, f"rpc.reply-{client.name}-{client._reply_to}")
    assert not re.search(GATEWAY.topic_read, str(uuid.uuid4()))
