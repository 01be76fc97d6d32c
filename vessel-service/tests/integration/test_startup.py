"""vessel-service as an operator runs it: a console script in its own process."""

import sys
from pathlib import Path

import pytest

from shippy_common.testing.net import free_port, get_json

VESSEL_SERVICE = str(Path(sys.executable).with_name("vessel-service"))


def test_started_before_its_broker_and_database_it_waits_then_serves(
    tcp_gate, start_process, rabbit_config, mongo_database, mongo_uri, rpc_client
):
    amqp_gate = tcp_gate("rabbitmq")
    mongo_gate = tcp_gate("mongodb")
    http_address = f"127.0.0.1:{free_port()}"
    service = start_process(
        [VESSEL_SERVICE],
        env={
            "AMQP_URI": amqp_gate.reroute(rabbit_config["AMQP_URI"]),
            "MONGO_URI": mongo_gate.reroute(mongo_uri),
            "VESSEL_MONGO_DATABASE": mongo_database.name,
            "VESSEL_HTTP_ADDRESS": http_address,
        },
    )
    service.wait_for_output("waiting for RabbitMQ")
    amqp_gate.open()
    service.wait_for_output("waiting for MongoDB")
    mongo_gate.open()
    service.wait_for_output("vessel_service is ready")

    vessel = rpc_client(timeout=30).vessel_service.find_available({"capacity": 3, "max_weight": 55000})
    assert vessel["id"] == "vessel001"
    assert get_json(f"http://{http_address}/health")[0] == 200
    assert service.stop() == 0
    assert "Traceback" not in service.output


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"AMQP_URI": ""}, "AMQP_URI is not set (no default: each service has its own RabbitMQ account"),
        ({"AMQP_URI": "localhost"}, "AMQP_URI must be a URL starting with amqp://"),
        ({"MONGO_URI": "http://user:s3cret@db/"}, "MONGO_URI must be a URL starting with mongodb://"),
        ({"VESSEL_MAX_WORKERS": "lots"}, "max_workers must be a whole number"),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(start_process, env, message):
    # A refused setting stops the service before it connects anywhere.
    service = start_process([VESSEL_SERVICE], env={"AMQP_URI": "pyamqp://vessel-service:x@127.0.0.1:1/", **env})
    assert service.process.wait(timeout=30) == 2
    assert message in service.output
    assert "Traceback" not in service.output
    assert "s3cret" not in service.output
