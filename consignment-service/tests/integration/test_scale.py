"""Scaled out: three consignment-service processes on one queue, as with
`docker-compose up --scale consignment-service=3`."""

import sys
import time
from pathlib import Path

from shippy_common.testing.net import free_port

CONSIGNMENT_SERVICE = str(Path(sys.executable).with_name("consignment-service"))
ONE_CONTAINER = {
    "description": "scale-out test",
    "weight": 10,
    "containers": [{"customer_id": "cust001", "origin": "Derby, United Kingdom"}],
}
SERVED = "consignment_service.create_consignment ok"


def test_three_instances_share_the_calls_and_losing_one_mid_stream_loses_none(
    user_container, vessel_container, start_process, rabbit_config, mongo_uri, mongo_database, sign_up
):
    env = {
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "MONGO_URI": mongo_uri,
        "CONSIGNMENT_MONGO_DATABASE": mongo_database.name,
        "CONSIGNMENT_RPC_TIMEOUT_SECONDS": "10",
    }
    instances = [
        start_process([CONSIGNMENT_SERVICE], env={**env, "CONSIGNMENT_HTTP_ADDRESS": f"127.0.0.1:{free_port()}"})
        for _ in range(3)
    ]
    for instance in instances:
        instance.wait_for_output("consignment_service is ready")
    _, _, consignments = sign_up()

    first_wave = [consignments.create_consignment.call_async({**ONE_CONTAINER, "id": f"a{n}"}) for n in range(30)]
    assert all(reply.result()["id"] == f"a{n}" for n, reply in enumerate(first_wave))
    assert all(instance.output.count(SERVED) > 0 for instance in instances), [i.output.count(SERVED) for i in instances]

    served_before = instances[0].output.count(SERVED)
    second_wave = [consignments.create_consignment.call_async({**ONE_CONTAINER, "id": f"b{n}"}) for n in range(60)]
    deadline = time.monotonic() + 30
    while instances[0].output.count(SERVED) == served_before:  # it has begun on the second wave
        assert time.monotonic() < deadline
        time.sleep(0.01)
    instances[0].process.kill()
    answered = [reply.result()["id"] for reply in second_wave]
    assert answered == [f"b{n}" for n in range(60)]

    assert mongo_database.consignments.count_documents({}) == 90
    assert mongo_database.vessel_ledger.count_documents({"seq": {"$gt": 0}}) == 90
