"""The docker-compose stack driven from the host, as a user and an operator would.

These tests run only against a stack `make test-compose` (infra/compose.sh test)
started: it sets SHIPPY_COMPOSE_PROJECT, SHIPPY_COMPOSE_ENV_FILE and SHIPPY_COMPOSE.
In a plain `pytest` run there is no stack, and this folder is not collected."""

import base64
import json
import os
import secrets
import shlex
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from shippy_common import broker
from shippy_common.testing.waits import eventually

ROOT = Path(__file__).resolve().parents[2]
PROJECT = os.environ.get("SHIPPY_COMPOSE_PROJECT")
if not PROJECT:
    collect_ignore_glob = ["test_*.py"]

# Ephemeral host ports for the test project (as infra/compose.sh sets them): no clash with
# `make infra`, `make run` or a stack of your own. `Stack.address` finds where they went.
PORT_ENV = {"RABBITMQ_UI_PORT": "0", "MAILPIT_UI_PORT": "0", "GATEWAY_PORT": "0"}


def env_value(name: str) -> str:
    for line in Path(os.environ["SHIPPY_COMPOSE_ENV_FILE"]).read_text().splitlines():
        if line.startswith(f"{name}="):
            return line.split("=", 1)[1]
    return ""


class Stack:
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

    def amqp_address(self) -> str:
        """RabbitMQ's AMQP port, which the stack does not publish: the container's address on
        its network, which the host (the engine's) reaches."""
        return f"{self.ip('rabbitmq')}:5672"

    @staticmethod
    def account(key: str) -> tuple[str, str]:
        """The user and password of a RabbitMQ account of the stack: ``ADMIN`` or a key of
        ``shippy_common.broker.ACCOUNTS_BY_KEY``; the password from the env file."""
        user = broker.ADMIN_USER if key == "ADMIN" else broker.ACCOUNTS_BY_KEY[key].user
        return user, env_value(f"RABBITMQ_{key}_PASSWORD")

    def amqp_uri(self, account: str = "OPERATOR") -> str:
        """An account's AMQP URI: by default the operators', as ``nameko shell`` signs in."""
        return broker.amqp_uri(*self.account(account), self.amqp_address())

    def address(self, service: str, port: int) -> str:
        """host:port where the test project published ``service``'s ``port`` (an ephemeral one)."""
        address = self.compose("port", service, str(port)).stdout.strip()
        assert address and not address.endswith(":0"), f"{service}:{port} is not published ({address!r})"
        return address

    def api(self) -> httpx.Client:
        """An HTTP client of the API (the gateway), from the host, as curl would be."""
        # Loopback: never through a proxy the environment may name.
        return httpx.Client(base_url=f"http://{self.address('gateway', 8080)}", timeout=30, trust_env=False)

    def mailpit(self, path: str) -> Any:
        with urllib.request.urlopen(f"http://{self.address('mailpit', 8025)}{path}", timeout=5) as response:
            body = response.read()
        return json.loads(body) if path.startswith("/api/v1/messages") else body.decode()

    def mails_to(self, email: str) -> list[dict[str, Any]]:
        """Mailpit's summaries of the mails sent to ``email`` alone."""
        messages = self.mailpit("/api/v1/messages?limit=200")["messages"]
        return [m for m in messages if [t["Address"] for t in m["To"]] == [email]]

    def booking_confirmation(self, booking: str, email: str) -> str:
        """The raw booking confirmation of ``booking`` mailed to ``email``, once it arrives."""
        (message,) = eventually(
            lambda: [m for m in self.mails_to(email) if booking in m["Subject"]],
            timeout=60,
            interval=1,
            what=f"the confirmation of {booking} to {email} at the mail server",
        )
        return self.mailpit(f"/api/v1/message/{message['ID']}/raw")

    def rabbitmq(self, path: str) -> Any:
        """RabbitMQ's management API (``/api/...``), as its administrator (``shippy-admin``)."""
        request = urllib.request.Request(f"http://{self.address('rabbitmq', 15672)}{path}")
        credentials = base64.b64encode(":".join(self.account("ADMIN")).encode()).decode()
        request.add_header("Authorization", f"Basic {credentials}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def redelivered(self, queue: str) -> int:
        """Messages of ``queue`` RabbitMQ has delivered again, ever (its statistics lag by up to 5 s)."""
        stats = self.rabbitmq(f"/api/queues/%2F/{urllib.parse.quote(queue, safe='')}")
        return int(stats.get("message_stats", {}).get("redeliver", 0))

    def logs(self, container: str, until: str | None = None) -> str:
        """Everything ``container`` wrote (Shippy processes log to stderr), restarts included;
        with ``until`` (a timestamp), what it wrote before then."""
        command = ["docker", "logs", *(["--until", until] if until else []), container]
        result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=True)
        return result.stdout + result.stderr

    def unhealthy(self) -> list[str]:
        ids = subprocess.run(
            ["docker", "ps", "-aq", "--filter", f"label=com.docker.compose.project={PROJECT}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        bad = []
        for container in ids:
            try:
                info = self.inspect(container)
            except subprocess.CalledProcessError:  # removed since `docker ps` (a one-off container)
                continue
            labels = info["Config"]["Labels"]
            if labels.get("com.docker.compose.oneoff") == "True":
                continue
            if info["HostConfig"]["RestartPolicy"]["Name"] in ("", "no"):  # a one-shot: broker-accounts
                if info["State"]["Status"] != "exited" or info["State"]["ExitCode"] != 0:
                    bad.append(f"{labels['com.docker.compose.service']}: {info['State']['Status']}, not exited 0")
                continue
            health = (info["State"].get("Health") or {}).get("Status", "none")
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
        seen: list[str] = []

        def all_healthy() -> bool:
            seen[:] = self.unhealthy()
            return not seen

        eventually(all_healthy, timeout=timeout, interval=2, what=lambda: f"every container healthy, not {seen}")
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
