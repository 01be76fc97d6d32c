"""Console script ``consignment-service``. Imports nothing heavy before the
runner has applied eventlet's monkey patch."""

from pathlib import Path


def main() -> None:
    from shippy_common.runner import run_service

    run_service(
        "consignment_service.service:ConsignmentService",
        Path(__file__).with_name("config.yml"),
        waits_for=("rabbitmq", "mongodb"),
    )


def relay() -> None:
    """Console script ``consignment-outbox-relay``: consignment events from MongoDB to NATS."""
    from consignment_service.outbox import open_outbox
    from shippy_common.mongo import MongoSettings
    from shippy_common.relay import run_relay

    run_relay(Path(__file__).with_name("config.yml"), MongoSettings.from_config, open_outbox, waits_for=("mongodb",))
