"""The docker-compose stack driven from the host, as a user and an operator would.

These tests run only against a stack `make test-compose` (infra/compose.sh test)
started: it sets SHIPPY_COMPOSE_PROJECT, SHIPPY_COMPOSE_ENV_FILE and SHIPPY_COMPOSE.
In a plain `pytest` run there is no stack, and this folder is not collected."""

import json
import os
import secrets
import shlex
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT = os.environ.get("SHIPPY_COMPOSE_PROJECT")
if not PROJECT:
    collect_ignore_glob = ["test_*.py"]

# Ephemeral host ports for the test project: no clash with `make infra` or a stack of your own.
PORT_ENV = {"RABBITMQ_UI_PORT": "0", "MAILPIT_UI_PORT": "0"}


def wait_for(condition: Callable[[], Any], timeout: float, what: str, interval: float = 1) -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = condition()
        except Exception as exc:  # a failing probe is "not yet"
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout}s (last: {last!r})")


def env_value(name: str) -> str:
    for line in Path(os.environ["SHIPPY_COMPOSE_ENV_FILE"]).read_text().splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1]
    return ""


class Stack:
    wait_for = staticmethod(wait_for)

    def __init__(self) -> None:
        self.command = [
            *shlex.split(os.environ.get("SHIPPY_COMPOSE", "docker-compose")),
            "--project-directory",
            str(ROOT),
            "-f",
            str(ROOT / "docker-compose.yaml"),
            "--env-file",
            os.environ["SHIPPY_COMPOSE_ENV_FILE"],
            "-p",
            PROJECT,
        ]

    def compose(self, *args: str, timeout: float = 240, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [*self.command, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **PORT_ENV},
            stdin=subprocess.DEVNULL,
        )
        if check:
            assert result.returncode == 0, f"{args}: {result.stderr}"
        return result

    def cli(self, name: str, *args: str) -> subprocess.CompletedProcess:
        return self.compose("--profile", "cli", "run", "--rm", "-T", name, *args, check=False, timeout=120)

    def containers(self, service: str) -> list[str]:
        return self.compose("ps", "-q", service).stdout.split()

    def inspect(self, container: str) -> dict[str, Any]:
        out = subprocess.run(["docker", "inspect", container], capture_output=True, text=True, check=True).stdout
        return json.loads(out)[0]

    def ip(self, service: str) -> str:
        (container,) = self.containers(service)
        networks = self.inspect(container)["NetworkSettings"]["Networks"]
        return next(iter(networks.values()))["IPAddress"]

    def amqp_uri(self) -> str:
        password = env_value("RABBITMQ_PASSWORD") or "shippy"
        return f"pyamqp://shippy:{password}@{self.ip('rabbitmq')}:5672/"

    def mailpit(self, path: str) -> Any:
        address = self.compose("port", "mailpit", "8025").stdout.strip()
        with urllib.request.urlopen(f"http://{address}{path}", timeout=5) as response:
            body = response.read()
        return json.loads(body) if path.startswith("/api/v1/messages") else body.decode()

    def unhealthy(self) -> list[str]:
        ids = subprocess.run(
            ["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        bad = []
        for container in ids:
            info = self.inspect(container)
            labels = info["Config"]["Labels"]
            if labels.get("com.docker.compose.oneoff") == "True":
                continue
            health = info["State"].get("Health", {}).get("Status", "none")
            if not info["State"]["Running"] or health not in ("healthy", "none"):
                bad.append(f"{labels['com.docker.compose.service']}: {info['State']['Status']}/{health}")
        return bad

    def make_user(self) -> "User":
        return _make_user(self)

    @staticmethod
    def error_lines(result: subprocess.CompletedProcess) -> list[str]:
        """The CLI's own error lines (docker-compose adds lines of its own to stderr)."""
        return [line for line in result.stderr.splitlines() if line.startswith("error:")]

    def wait_healthy(self, timeout: float = 240) -> float:
        started = time.monotonic()
        wait_for(lambda: not self.unhealthy(), timeout, "every container healthy", interval=2)
        return time.monotonic() - started


@dataclass
class User:
    email: str
    password: str
    token: str


@pytest.fixture(scope="session")
def stack() -> Stack:
    return Stack()


def _make_user(stack: Stack) -> User:
    email = f"compose-{secrets.token_hex(4)}@example.com"
    password = secrets.token_urlsafe(12)
    created = stack.cli(
        "user-cli",
        "create",
        "--name",
        "Compose Tester",
        "--email",
        email,
        "--company",
        "Shippy",
        "--password",
        password,
    )
    assert created.returncode == 0, created.stderr
    auth = stack.cli("user-cli", "auth", "--email", email, "--password", password)
    assert auth.returncode == 0, auth.stderr
    return User(email, password, auth.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def user(stack: Stack) -> User:
    return _make_user(stack)
