"""Console scripts ``vessel-service`` and ``vessel-outbox-relay``. Import
nothing heavy before the runner has applied eventlet's monkey patch."""

from pathlib import Path


def main() -> None:
    from shippy_common.runner import run_service

    run_service(
        "vessel_service.service:VesselService",
        Path(__file__).with_name("config.yml"),
        waits_for=("rabbitmq", "mongodb"),
    )


def relay() -> None:
    """Console script ``vessel-outbox-relay``: vessel events from MongoDB to NATS."""
    from shippy_common.mongo import MongoSettings
    from shippy_common.relay import run_relay
    from vessel_service.outbox import open_outbox

    # A vessel's events are its departures and arrivals, hours apart: a look a
    # second is soon enough, where 20 a second cost an idle platform 2 % of its CPU.
    config_file = Path(__file__).with_name("config.yml")
    run_relay(config_file, MongoSettings.from_config, open_outbox, waits_for=("mongodb",), poll_interval=1.0)
