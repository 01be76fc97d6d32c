"""Console script ``vessel-service``. Imports nothing heavy before the runner
has applied eventlet's monkey patch."""

from pathlib import Path


def main() -> None:
    from shippy_common.runner import run_service

    run_service(
        "vessel_service.service:VesselService",
        Path(__file__).with_name("config.yml"),
        waits_for=("rabbitmq", "mongodb"),
    )
