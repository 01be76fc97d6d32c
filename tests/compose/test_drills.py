"""Failure drills against the running stack: a replica killed mid-load, the broker
and the databases restarted, a crash, SIGTERM during calls, down and up again.
Run in this order (pytest keeps file order); each leaves the stack healthy."""

import json
import os
import signal
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from shippy_common.auth import TOKEN_CONTEXT_KEY
from shippy_common.testing.waits import eventually

# One light container a booking: vessels fill up (capacity and weight are booked
# cumulatively), and the drills book a few hundred.
CLASSIC = json.loads((Path(__file__).resolve().parents[2] / "consignment-cli" / "consignment.json").read_text())
CONSIGNMENT = {**CLASSIC, "weight": 1, "containers": CLASSIC["containers"][:1]}
RECOVERY_BOUND = 120  # seconds for services to serve again after a server restart
QUEUE = "rpc-consignment_service"
#: consignment-service's access log (``shippy.calls``) line of a booking, written just after answering it.
BOOKED = "consignment_service.create_consignment ok"


@contextmanager
def rpc(stack, token, timeout=60):
    """The public RPCs as an operator's ``nameko shell`` calls them: the ``operator`` account
    (the broker has no shared one), for the user of ``token``."""
    with ClusterRpcProxy(
        {"AMQP_URI": stack.amqp_uri("OPERATOR")}, context_data={TOKEN_CONTEXT_KEY: token}, timeout=timeout
    ) as proxy:
        yield proxy


def book_many(stack, token, count, during=None):
    """`count` bookings in flight at once; `during()` runs once every one is sent
    (``call_async`` returns when RabbitMQ has the call), before any answer is read."""
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


def answered(stack, container):
    """Bookings ``container`` has answered so far (its access log, restarts included)."""
    return stack.logs(container).count(BOOKED)


def answering(stack, container, before):
    """Once ``container`` has answered a booking more than ``before``: it is taking the
    calls just sent, and holds the next ones it took (up to its max_workers at once)."""
    eventually(
        lambda: answered(stack, container) > before,
        timeout=60,
        interval=0.1,
        what=f"{container[:12]} answering one of the calls in flight",
    )


def service_starts(stack, services=("vessel-service", "user-service", "consignment-service", "gateway")):
    return {c: stack.inspect(c)["State"]["StartedAt"] for s in services for c in stack.containers(s)}


def restarted_since(stack, before):
    """Each service container restarted (or gone) since ``before`` (of :func:`service_starts`),
    with what its run before logged last: empty when every one still runs as it did."""
    now = service_starts(stack)
    changed = {c: last_words(stack, c, now[c]) for c in now if now[c] != before.get(c)}
    return changed | {c: "(gone)" for c in before if c not in now}


def last_words(stack, container, started):
    """What ``container``'s run before the one started at ``started`` logged last."""
    return f"started again at {started}; before that it logged: {stack.logs(container, until=started)[-3000:]}"


def assert_none_restarted(stack, before):
    restarted = restarted_since(stack, before)
    assert not restarted, f"no service container was restarted; restarted, with their last words: {restarted}"


def serving_again(stack, token):
    started = time.monotonic()
    seen = []

    def a_booking():
        try:
            return book_many(stack, token, 1)[1]
        except Exception as exc:  # the broker or a database still away: not yet
            seen[:] = [exc]
            return None

    booked = eventually(
        a_booking, timeout=RECOVERY_BOUND, interval=2, what=lambda: f"a booking after the restart (last: {seen!r})"
    )
    return booked, time.monotonic() - started


def gateway_ready(stack):
    """The gateway's ``GET /ready``: RabbitMQ and the services it calls answer it."""
    seen = []

    def ready():
        with stack.api() as api:
            response = api.get("/ready")  # 503, naming what does not answer, until ready
        seen[:] = [response.text]
        return response.status_code == 200

    eventually(ready, timeout=RECOVERY_BOUND, interval=2, what=lambda: f"the gateway ready again (last: {seen!r})")


@pytest.fixture(scope="module")
def drill_user(stack):
    return stack.make_user()


def test_three_replicas_one_killed_mid_load_every_call_answered_once(stack, drill_user):
    stack.compose("up", "-d", "--no-recreate", "--scale", "consignment-service=3", "consignment-service")
    stack.wait_healthy()
    replicas = stack.containers("consignment-service")
    assert len(replicas) == 3
    doomed = replicas[0]
    count = 60
    answered_before = answered(stack, doomed)
    redelivered_before = stack.redelivered(QUEUE)

    def kill_one_while_it_holds_calls():
        # 60 calls, three replicas taking 10 at a time each: once the doomed one has
        # answered one, the queue still has calls for it and it holds the next it took.
        answering(stack, doomed, answered_before)
        os.kill(stack.inspect(doomed)["State"]["Pid"], signal.SIGKILL)

    try:
        tag, booked = book_many(stack, drill_user.token, count, during=kill_one_while_it_holds_calls)
        assert_booked_once(stack, drill_user.token, tag, booked, count)
        # The killed replica held calls it never acknowledged: RabbitMQ gave them to another
        # (a call is acknowledged only once answered; nothing else here redelivers).
        eventually(
            lambda: stack.redelivered(QUEUE) > redelivered_before,
            timeout=30,
            interval=1,
            what=f"calls on {QUEUE} redelivered after the kill (RabbitMQ's statistics)",
        )
    finally:
        stack.compose("up", "-d", "--no-recreate", "--scale", "consignment-service=1", "consignment-service")
        stack.wait_healthy()


class BookingLoad:
    """``callers`` threads booking through the gateway as clients do, until stopped: each
    booking under its own ``Idempotency-Key``, sent again (same key) after any refusal or
    lost answer until it is answered with its consignment, within ``RECOVERY_BOUND``."""

    def __init__(self, stack, token, callers=4):
        self.tag = uuid.uuid4().hex[:8]
        self.token = token
        self.stack = stack
        self.keys = []  # of every booking begun
        self.booked = {}  # key -> consignment id
        self.answered_at = []  # monotonic time of each booking answered
        self.failures = []  # (monotonic time, what) of each attempt that was not
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._caller, daemon=True) for _ in range(callers)]

    def start(self):
        for thread in self._threads:
            thread.start()

    def answered_since(self, moment):
        with self._lock:
            return sum(at > moment for at in self.answered_at)

    def stop(self):
        """Begin no booking more; wait for those begun to be answered (or given up)."""
        self._stopped.set()
        for thread in self._threads:
            thread.join(timeout=RECOVERY_BOUND + 60)
        assert not any(thread.is_alive() for thread in self._threads), "every caller finished"

    def _caller(self):
        with self.stack.api() as api:
            api.headers["Authorization"] = f"Bearer {self.token}"
            while not self._stopped.is_set():
                with self._lock:
                    key = f"{self.tag}-{len(self.keys)}"
                    self.keys.append(key)
                self._book(api, key)

    def _book(self, api, key):
        given_up = time.monotonic() + RECOVERY_BOUND
        while time.monotonic() < given_up:
            try:
                response = api.post(
                    "/v1/consignments",
                    json={**CONSIGNMENT, "description": key},
                    headers={"Idempotency-Key": key},
                )
                what = f"{response.status_code} {response.text[:200]}"
            except httpx.HTTPError as exc:
                response, what = None, repr(exc)
            with self._lock:
                if response is not None and response.status_code in (200, 201):
                    self.booked[key] = response.json()["id"]
                    self.answered_at.append(time.monotonic())
                    return
                self.failures.append((time.monotonic(), what))
            time.sleep(0.5)


def test_rabbitmq_restarted_mid_load_services_reconnect_by_themselves(stack, drill_user):
    before = service_starts(stack)
    load = BookingLoad(stack, drill_user.token)
    load.start()
    try:
        eventually(lambda: load.answered_since(0) >= 20, timeout=60, interval=0.1, what="the load under way")
        broker_restarted = time.monotonic()
        stack.compose("restart", "rabbitmq")
        back = time.monotonic()
        eventually(
            lambda: load.answered_since(back) >= 20,
            timeout=RECOVERY_BOUND,
            interval=0.2,
            what=lambda: f"bookings answered again after the restart (last refusals: {load.failures[-3:]})",
        )
    finally:
        load.stop()

    assert sorted(load.booked) == sorted(load.keys), f"every booking answered, last refusals: {load.failures[-3:]}"
    assert len(set(load.booked.values())) == len(load.keys), "each with its own consignment"
    stored = [c["description"] for c in mine(stack, drill_user.token) if c["description"].startswith(f"{load.tag}-")]
    assert sorted(stored) == sorted(load.keys), "each booked exactly once"
    assert any(broker_restarted <= at for at, _ in load.failures), "calls were in flight while the broker was away"
    gateway_ready(stack)
    stack.wait_healthy()
    assert_none_restarted(stack, before)


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
    assert_none_restarted(stack, before)


def test_a_service_killed_with_sigkill_comes_back_by_its_restart_policy(stack):
    (container,) = stack.containers("vessel-service")
    state = stack.inspect(container)["State"]
    restarts = stack.inspect(container)["RestartCount"]
    os.kill(state["Pid"], signal.SIGKILL)
    eventually(lambda: stack.inspect(container)["RestartCount"] > restarts, timeout=60, interval=1, what="the restart")
    stack.wait_healthy()


def test_sigterm_during_calls_stops_cleanly_without_losing_one(stack, drill_user):
    (container,) = stack.containers("consignment-service")
    count = 20
    timings = {}
    answered_before = answered(stack, container)

    def stop():
        answering(stack, container, answered_before)  # the rest of the 20 are in its hands or queued
        started = time.monotonic()
        stack.compose("stop", "consignment-service")  # SIGTERM, then SIGKILL after the stop timeout (10 s)
        timings["stop"] = time.monotonic() - started
        timings["exit"] = stack.inspect(container)["State"]["ExitCode"]
        stack.compose("start", "consignment-service")

    try:
        tag, booked = book_many(stack, drill_user.token, count, during=stop)
        assert timings["exit"] == 0, "a clean exit on SIGTERM, not 137 (killed)"
        assert timings["stop"] < 10, "stopped within the stop timeout, not killed at its end"
        assert_booked_once(stack, drill_user.token, tag, booked, count)
    except Exception as failure:
        # What the services were doing, with their calls' durations. It showed the causes of this drill's
        # CI failures: answers lost while the service started with calls waiting (test_rpc_start.py), and
        # a stop waiting for a first reconciliation (test_a_stop_during_the_first_reconciliation...).
        failure.add_note(last_log_lines(stack, "consignment-service", "user-service", "vessel-service"))
        raise
    stack.wait_healthy()


def last_log_lines(stack, *services, count=40):
    return "\n".join(
        f"--- the last {count} log lines of {service} ---\n" + "\n".join(stack.logs(container).splitlines()[-count:])
        for service in services
        for container in stack.containers(service)
    )


def test_down_then_up_keeps_every_user_and_booking(stack, drill_user):
    known = {c["id"] for c in mine(stack, drill_user.token)}
    stack.compose("down", "--timeout", "20")
    stack.compose("up", "-d")
    stack.wait_healthy()
    auth = stack.cli("user-cli", "auth", "--email", drill_user.email, "--password", drill_user.password)
    assert auth.returncode == 0, auth.stderr
    assert known <= {c["id"] for c in mine(stack, auth.stdout.strip().splitlines()[-1])}
