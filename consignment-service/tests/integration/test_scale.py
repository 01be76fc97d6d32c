"""Scaled out: three consignment-service processes on one queue, as with
`docker-compose up --scale consignment-service=3`."""

import sys
import threading
from pathlib import Path

import pytest

from shippy_common.testing.net import free_port
from shippy_common.testing.waits import eventually

CONSIGNMENT_SERVICE = str(Path(sys.executable).with_name("consignment-service"))
ONE_CONTAINER = {
    "description": "scale-out test",
    "weight": 10,
    "containers": [{"customer_id": "cust001", "origin": "Derby, United Kingdom"}],
}
SERVED = "consignment_service.create_consignment ok"
INSTANCES = 3
#: Calls one instance runs at once (``max_workers``); nameko's prefetch is the same.
WORKERS = 10


class HeldBookings:
    """vessel_service's ``book`` use case that, while closed, holds every call
    until opened: the consignment_service call that made it stays in flight."""

    def __init__(self, book):
        self._book = book
        self._open = threading.Event()  # green: the test process is monkey-patched
        self._open.set()
        self.held = 0

    def __call__(self, *args, **kwargs):
        if not self._open.is_set():
            self.held += 1
            assert self._open.wait(timeout=60), "HeldBookings was never opened"
        return self._book(*args, **kwargs)

    def close(self):
        self.held = 0
        self._open.clear()

    def open(self):
        self._open.set()


@pytest.fixture
def held_bookings(monkeypatch, container_factory, vessel_config):
    """vessel_service (default fleet, a worker for every call three instances
    can make at once) whose bookings are held from ``held_bookings.close()``."""
    from vessel_service import services
    from vessel_service.service import VesselService

    held = HeldBookings(services.book)
    monkeypatch.setattr(services, "book", held)
    container_factory(VesselService, {**vessel_config, "max_workers": 4 * INSTANCES * WORKERS}).start()
    yield held
    held.open()


def test_three_instances_share_the_calls_and_losing_one_mid_stream_loses_none(
    user_container, held_bookings, start_process, rabbit_config, mongo_uri, mongo_database, sign_up
):
    env = {
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "MONGO_URI": mongo_uri,
        "CONSIGNMENT_MONGO_DATABASE": mongo_database.name,
        "CONSIGNMENT_RPC_TIMEOUT_SECONDS": "30",
        "CONSIGNMENT_MAX_WORKERS": str(WORKERS),
    }
    instances = [
        start_process([CONSIGNMENT_SERVICE], env={**env, "CONSIGNMENT_HTTP_ADDRESS": f"127.0.0.1:{free_port()}"})
        for _ in range(INSTANCES)
    ]
    for instance in instances:
        instance.wait_for_output("consignment_service is ready")
    consignments = sign_up().rpc.consignment_service

    first_wave = [consignments.create_consignment.call_async({**ONE_CONTAINER, "id": f"a{n}"}) for n in range(30)]
    assert all(reply.result()["id"] == f"a{n}" for n, reply in enumerate(first_wave))
    # Each instance logs a call just after answering it.
    eventually(lambda: sum(instance.output.count(SERVED) for instance in instances) == 30, what="30 calls logged")
    assert all(instance.output.count(SERVED) > 0 for instance in instances), [i.output.count(SERVED) for i in instances]

    doomed, survivors = instances[0], instances[1:]
    served_before = [instance.output.count(SERVED) for instance in instances]
    held_bookings.close()
    second_wave = [consignments.create_consignment.call_async({**ONE_CONTAINER, "id": f"b{n}"}) for n in range(60)]
    # No instance runs more than WORKERS calls at once: with every worker of all
    # three held inside vessel_service.book, the one about to die holds WORKERS
    # calls it has taken off the queue and not answered.
    eventually(
        lambda: held_bookings.held == INSTANCES * WORKERS,
        what=lambda: f"{INSTANCES * WORKERS} bookings held, not {held_bookings.held}",
    )
    doomed.process.kill()
    doomed.process.wait()
    held_bookings.open()
    answered = [reply.result()["id"] for reply in second_wave]
    assert answered == [f"b{n}" for n in range(60)]

    # The killed instance finished none of the second wave; the others served all
    # of it, the calls it had taken included (RabbitMQ redelivered them).
    def served_by_survivors():
        return sum(instance.output.count(SERVED) for instance in survivors) - sum(served_before[1:])

    eventually(lambda: served_by_survivors() >= 60, what=lambda: f"60 calls logged, not {served_by_survivors()}")
    assert served_by_survivors() == 60, [instance.output.count(SERVED) for instance in instances]
    assert doomed.output.count(SERVED) == served_before[0]
    assert mongo_database.consignments.count_documents({}) == 90
    assert mongo_database.vessel_ledger.count_documents({"seq": {"$gt": 0}}) == 90
