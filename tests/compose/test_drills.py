"""Failure drills against the running stack: a replica killed mid-load, the broker
and the databases restarted, a crash, SIGTERM during calls, down and up again.
Run in this order (pytest keeps file order); each leaves the stack healthy."""

import json
import os
import signal
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shippy_common.auth import TOKEN_CONTEXT_KEY

# One light container a booking: vessels fill up (capacity and weight are booked
# cumulatively), and the drills book a few hundred.
CLASSIC = json.loads((Path(__file__).resolve().parents[2] / "consignment-cli" / "consignment.json").read_text())
CONSIGNMENT = {**CLASSIC, "weight": 1, "containers": CLASSIC["containers"][:1]}
RECOVERY_BOUND = 120  # seconds for services to serve again after a server restart


@contextmanager
def rpc(stack, token, timeout=60):
    with ClusterRpcProxy(
        {"AMQP_URI": stack.amqp_uri()}, context_data={TOKEN_CONTEXT_KEY: token}, timeout=timeout
    ) as proxy:
        yield proxy


def book_many(stack, token, count, during=None):
    """`count` bookings in flight at once; `during()` runs while they are."""
    tag = uuid.uuid4().hex[:8]
    with rpc(stack, token) as proxy:
        pending = [
            proxy.consignment_service.create_consignment.call_async({**CONSIGNMENT, "description": f"{tag} {i}"})
            for i in range(count)
        ]
        if during:
            during()
        booked = [reply.result() for reply in pending]
    return tag, booked


def mine(stack, token):
    with rpc(stack, token) as proxy:
        return proxy.consignment_service.get_consignments()


def assert_booked_once(stack, token, tag, booked, count):
    assert len({b["id"] for b in booked}) == count, "every call answered with its own booking"
    stored = [c["description"] for c in mine(stack, token) if c["description"].startswith(f"{tag} ")]
    assert sorted(stored) == sorted(f"{tag} {i}" for i in range(count)), "each booked exactly once"


def service_starts(stack, services=("vessel-service", "user-service", "consignment-service")):
    return {c: stack.inspect(c)["State"]["StartedAt"] for s in services for c in stack.containers(s)}


def serving_again(stack, token):
    started = time.monotonic()
    booked = stack.wait_for(
        lambda: book_many(stack, token, 1)[1], RECOVERY_BOUND, "a booking after the restart", interval=2
    )
    return booked, time.monotonic() - started


@pytest.fixture(scope="module")
def drill_user(stack):
    return stack.make_user()


def test_three_replicas_one_killed_mid_load_every_call_answered_once(stack, drill_user):
    stack.compose("up", "-d", "--no-recreate", "--scale", "consignment-service=3", "consignment-service")
    stack.wait_healthy()
    replicas = stack.containers("consignment-service")
    assert len(replicas) == 3
    count = 60

    def kill_one():
        time.sleep(0.2)
        os.kill(stack.inspect(replicas[0])["State"]["Pid"], signal.SIGKILL)

    try:
        tag, booked = book_many(stack, drill_user.token, count, during=kill_one)
        assert_booked_once(stack, drill_user.token, tag, booked, count)
    finally:
        stack.compose("up", "-d", "--no-recreate", "--scale", "consignment-service=1", "consignment-service")
        stack.wait_healthy()


def test_rabbitmq_restarted_mid_load_services_reconnect_by_themselves(stack, drill_user):
    before = service_starts(stack)
    stack.compose("restart", "rabbitmq")
    _, took = serving_again(stack, drill_user.token)
    assert took < RECOVERY_BOUND
    stack.wait_healthy()
    assert service_starts(stack) == before, "no service container was restarted"


def test_mongodb_and_postgresql_restarted_nothing_lost_services_recover(stack, drill_user):
    known = {c["id"] for c in mine(stack, drill_user.token)}
    assert known
    before = service_starts(stack)
    stack.compose("restart", "mongo", "postgres")
    serving_again(stack, drill_user.token)
    assert known <= {c["id"] for c in mine(stack, drill_user.token)}
    auth = stack.cli("user-cli", "auth", "--email", drill_user.email, "--password", drill_user.password)
    assert auth.returncode == 0, auth.stderr
    stack.wait_healthy()
    assert service_starts(stack) == before, "no service container was restarted"


def test_a_service_killed_with_sigkill_comes_back_by_its_restart_policy(stack):
    (container,) = stack.containers("vessel-service")
    state = stack.inspect(container)["State"]
    restarts = stack.inspect(container)["RestartCount"]
    os.kill(state["Pid"], signal.SIGKILL)
    stack.wait_for(lambda: stack.inspect(container)["RestartCount"] > restarts, 60, "the restart")
    stack.wait_healthy()


@pytest.mark.xfail(
    reason="known defect, reported: a create_consignment in flight when consignment-service gets SIGTERM can "
    "answer ServiceUnavailable ('user_service did not answer within 5s'): its nested call's reply consumer "
    "stops before the worker ends. The service code must drain nested calls first; then drop this mark.",
    strict=False,
)
def test_sigterm_during_calls_stops_cleanly_without_losing_one(stack, drill_user):
    (container,) = stack.containers("consignment-service")
    count = 20
    timings = {}

    def stop():
        time.sleep(0.1)
        started = time.monotonic()
        stack.compose("stop", "consignment-service")  # SIGTERM, then SIGKILL after the stop timeout (10 s)
        timings["stop"] = time.monotonic() - started
        timings["exit"] = stack.inspect(container)["State"]["ExitCode"]
        stack.compose("start", "consignment-service")

    tag, booked = book_many(stack, drill_user.token, count, during=stop)
    assert timings["exit"] == 0, "a clean exit on SIGTERM, not 137 (killed)"
    assert timings["stop"] < 10, "stopped within the stop timeout, not killed at its end"
    assert_booked_once(stack, drill_user.token, tag, booked, count)
    stack.wait_healthy()


def test_down_then_up_keeps_every_user_and_booking(stack, drill_user):
    known = {c["id"] for c in mine(stack, drill_user.token)}
    stack.compose("down", "--timeout", "20")
    stack.compose("up", "-d")
    stack.wait_healthy()
    auth = stack.cli("user-cli", "auth", "--email", drill_user.email, "--password", drill_user.password)
    assert auth.returncode == 0, auth.stderr
    assert known <= {c["id"] for c in mine(stack, auth.stdout.strip().splitlines()[-1])}
