"""The docker-compose deployment, checked without a Docker engine: the compose
file as docker-compose reads it, the Dockerfiles as hadolint reads them, and
the rules every Shippy container follows."""

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yaml"
DOCKERFILES = [*sorted(ROOT.glob("*/Dockerfile")), ROOT / "Dockerfile.tests"]
HADOLINT = Path(sys.executable).with_name("hadolint")
DEPLOYABLES = [
    "vessel-service",
    "user-service",
    "consignment-service",
    "notification-service",
    "user-cli",
    "consignment-cli",
]
STORES = {"mongo": "/data/db", "postgres": "/var/lib/postgresql/data", "rabbitmq": "/var/lib/rabbitmq", "nats": "/data"}


def compose(*args, env_file=".env.example", env=None):
    binary = shutil.which("docker-compose")
    assert binary, "docker-compose is missing: `make infra` installs it (Debian package docker-compose)"
    return subprocess.run(
        [binary, "--project-directory", str(ROOT), "-f", str(COMPOSE_FILE), "--env-file", env_file, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env or {k: v for k, v in os.environ.items() if k != "JWT_SECRET"},
    )


@pytest.fixture(scope="module")
def services():
    return yaml.safe_load(COMPOSE_FILE.read_text())["services"]


def test_docker_compose_accepts_the_file_with_the_example_env_and_a_secret():
    env = {**os.environ, "JWT_SECRET": secrets.token_urlsafe(48)}
    result = compose("--profile", "cli", "--profile", "test", "config", "-q", env=env)
    assert result.returncode == 0, result.stderr


def test_every_long_running_container_comes_back_by_itself(services):
    for name, service in services.items():
        if "profiles" not in service:
            assert service.get("restart") == "unless-stopped", name


def test_without_jwt_secret_compose_stops_with_a_clear_message(tmp_path):
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = compose("config", "-q", env_file=str(empty))
    assert result.returncode != 0
    assert "JWT_SECRET is required - copy .env.example to .env and set it" in result.stderr


def test_the_file_has_no_version_key():
    assert "version" not in yaml.safe_load(COMPOSE_FILE.read_text())


def test_every_server_and_service_has_a_healthcheck(services):
    always_on = {name: s for name, s in services.items() if "profiles" not in s}
    assert {"mongo", "postgres", "rabbitmq", "nats", "mailpit", "consignment-service", "notification-service"} <= set(
        always_on
    )
    for name, service in always_on.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert not service["healthcheck"].get("disable"), name


def test_every_dependency_waits_until_healthy(services):
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on must name conditions"
        for dependency, rule in depends_on.items():
            assert rule == {"condition": "service_healthy"}, f"{name} -> {dependency}"


def test_no_port_is_published_beyond_loopback_and_services_can_scale(services):
    for name, service in services.items():
        assert "container_name" not in service, name
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port}"
        if name.endswith("-service"):
            assert "ports" not in service, f"{name} would not scale with a fixed host port"


def test_every_store_keeps_its_data_on_a_named_volume(services):
    volumes = yaml.safe_load(COMPOSE_FILE.read_text())["volumes"]
    for store, path in STORES.items():
        (mount,) = [m for m in services[store]["volumes"] if m.endswith(f":{path}")]
        assert mount.split(":")[0] in volumes, store


def test_every_shippy_image_is_built_from_a_dockerfile_here(services):
    for name, service in services.items():
        if service.get("image", "").startswith("shippy/") and "build" in service:
            assert (ROOT / service["build"]["dockerfile"]).exists(), name
    for deployable in DEPLOYABLES:
        assert (ROOT / deployable / "Dockerfile").exists(), deployable


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_dockerfiles_run_as_non_root_install_through_constraints_and_bake_in_no_secret(dockerfile):
    text = dockerfile.read_text()
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0"), "the image must end as a non-root user"
    for install in re.findall(r"pip (?:install|wheel)[^\n]*(?:\\\n[^\n]*)*", text):
        assert "--constraint" in install and "constraints.txt" in install, install
    assert not re.search(r"^(ENV|ARG)\s+\S*(SECRET|PASSWORD)", text, re.MULTILINE)
    assert text.startswith("#") or "FROM python:3.11-slim" in text


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_hadolint_passes_and_every_ignored_rule_is_explained(dockerfile):
    result = subprocess.run([str(HADOLINT), str(dockerfile)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = dockerfile.read_text().splitlines()
    for number, line in enumerate(lines):
        if line.startswith("# hadolint ignore="):
            reason = lines[number - 1]
            assert reason.startswith("# ") and "hadolint" not in reason, (
                f"line {number + 1} ignores a rule without a why"
            )


def test_the_build_context_leaves_local_state_out():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".infra", ".venv", ".git", ".env"):
        assert path in ignored
