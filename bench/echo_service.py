"""A no-op nameko service: the bound for RPC round trips on this broker."""

from pathlib import Path

from shippy_common.rpc import rpc
from shippy_common.settings import NoSettings


class EchoService:
    name = "echo_service"
    settings_type = NoSettings

    @rpc
    def echo(self, value: object) -> object:
        return value


if __name__ == "__main__":
    from shippy_common.runner import run_service

    run_service("echo_service:EchoService", Path(__file__).with_name("echo.yml"), waits_for=("rabbitmq",))
