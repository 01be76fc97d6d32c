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

from shippy_common import broker

ROOT = Path(__file__).parents[1]
COMPOSE_FILE = ROOT / "docker-compose.yaml"
DOCKERFILES = [*sorted(ROOT.glob("*/Dockerfile")), ROOT / "Dockerfile.tests"]
HADOLINT = Path(sys.executable).with_name("hadolint")
DEPLOYABLES = [
    "vessel-service",
    "user-service",
    "consignment-service",
    "notification-service",
    "gateway-service",
    "user-cli",
    "consignment-cli",
]
#: What reaches the host, on loopback only: the HTTP API and two operators' web UIs
#: (container port, and the variable that picks the host port).
PUBLISHED = {
    "gateway": ("8080", "GATEWAY_PORT"),
    "rabbitmq": ("15672", "RABBITMQ_UI_PORT"),
    "mailpit": ("8025", "MAILPIT_UI_PORT"),
}
BASE_IMAGE = "python:3.11-slim-bookworm"
STORES = {"mongo": "/data/db", "postgres": "/var/lib/postgresql/data", "rabbitmq": "/var/lib/rabbitmq", "nats": "/data"}
#: Containers that run once and exit (restart "no"): broker-accounts makes the RabbitMQ accounts.
ONE_SHOTS = {"broker-accounts"}
#: The compose services that talk to RabbitMQ, and the account (shippy_common.broker) each signs in with.
AMQP_ACCOUNTS = {
    "vessel-service": "VESSEL",
    "user-service": "USER",
    "consignment-service": "CONSIGNMENT",
    "gateway": "GATEWAY",
}
#: The secrets compose requires (``${NAME:?...}``) and the env file infra/compose.sh generates.
RABBITMQ_PASSWORDS = ["RABBITMQ_ADMIN_PASSWORD", *(f"RABBITMQ_{a.key}_PASSWORD" for a in broker.ACCOUNTS)]
REQUIRED = ["JWT_SECRET", *RABBITMQ_PASSWORDS]


def required(name):
    return f"${{{name}:?{name} is required - copy .env.example to .env and set it}}"


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


def without_secrets():
    return {k: v for k, v in os.environ.items() if k not in REQUIRED}


def test_docker_compose_accepts_the_file_with_the_example_env_and_the_secrets():
    env = {**without_secrets(), **{name: secrets.token_urlsafe(32) for name in REQUIRED}}
    result = compose("--profile", "cli", "--profile", "test", "config", "-q", env=env)
    assert result.returncode == 0, result.stderr


def test_every_long_running_container_comes_back_by_itself(services):
    for name, service in services.items():
        if "profiles" not in service:
            assert service.get("restart") == ("no" if name in ONE_SHOTS else "unless-stopped"), name


@pytest.mark.parametrize("missing", REQUIRED)
def test_without_a_secret_compose_stops_with_a_clear_message(missing):
    # The example env leaves every secret empty: all but one given, compose names that one.
    env = {**without_secrets(), **{name: secrets.token_urlsafe(32) for name in REQUIRED if name != missing}}
    result = compose("--profile", "test", "config", "-q", env=env)
    assert result.returncode != 0
    assert f"{missing} is required - copy .env.example to .env and set it" in result.stderr


def test_the_example_env_leaves_every_secret_empty_and_says_how_to_make_it():
    lines = (ROOT / ".env.example").read_text().splitlines()
    for name in REQUIRED:
        assert f"{name}=" in lines, name
    assert "RABBITMQ_PASSWORD=shippy" not in lines
    assert sum("secrets.token_urlsafe" in line for line in lines) == 2  # JWT_SECRET, the RabbitMQ passwords


def test_the_generated_env_file_has_every_secret_made_once_and_kept(tmp_path):
    """infra/compose.sh's env file when there is no .env (make test-compose, make build)."""
    (tmp_path / "infra").mkdir()
    shutil.copy(ROOT / "infra" / "compose.sh", tmp_path / "infra" / "compose.sh")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env.example")
    env = {**without_secrets(), "SHIPPY_INFRA_DIR": str(tmp_path / "state"), "COMPOSE": "true"}

    def generated():
        run = [str(tmp_path / "infra" / "compose.sh"), "env-file"]
        result = subprocess.run(run, capture_output=True, text=True, timeout=60, env=env, check=True)
        path = Path(result.stdout.strip())
        assert path == tmp_path / "state" / "compose.env"
        assert path.stat().st_mode & 0o777 == 0o600
        return dict(line.split("=", 1) for line in path.read_text().splitlines() if line and line[0] != "#")

    first = generated()
    values = [first[name] for name in REQUIRED]
    assert all(len(value) >= 40 and re.fullmatch(r"[A-Za-z0-9_-]+", value) for value in values), "URL-safe"
    assert len(set(values)) == len(values), "a password of its own for each"
    assert generated() == first, "kept once made"


def test_the_file_has_no_version_key():
    assert "version" not in yaml.safe_load(COMPOSE_FILE.read_text())


def test_every_server_and_service_has_a_healthcheck(services):
    always_on = {name: s for name, s in services.items() if "profiles" not in s}
    assert {
        "mongo",
        "postgres",
        "rabbitmq",
        "nats",
        "mailpit",
        "consignment-service",
        "notification-service",
        "gateway",
    } <= set(always_on)
    for name, service in always_on.items():
        if name in ONE_SHOTS:
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert not service["healthcheck"].get("disable"), name


def test_every_dependency_waits_until_healthy_or_done(services):
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), f"{name}: depends_on must name conditions"
        for dependency, rule in depends_on.items():
            condition = "service_completed_successfully" if dependency in ONE_SHOTS else "service_healthy"
            assert rule == {"condition": condition}, f"{name} -> {dependency}"


def test_rabbitmq_starts_with_the_administrator_alone_and_broker_accounts_makes_the_rest(services):
    rabbitmq = services["rabbitmq"]["environment"]
    assert rabbitmq == {
        "RABBITMQ_DEFAULT_USER": broker.ADMIN_USER,
        "RABBITMQ_DEFAULT_PASS": required("RABBITMQ_ADMIN_PASSWORD"),
    }
    accounts = services["broker-accounts"]
    assert accounts["image"].startswith("shippy/") and accounts["restart"] == "no"
    assert accounts["depends_on"] == {"rabbitmq": {"condition": "service_healthy"}}
    command = accounts["command"]
    assert command[0] == "shippy-broker-accounts" and "apply" in command, command
    assert "--delete-guest" in command and "--management-url=http://rabbitmq:15672" in command, command
    # Every password from the environment (none from a file, none on the command line).
    assert "--env-file=/dev/null" in command
    expected = {"SHIPPY_RABBITMQ_ADMIN_USER": broker.ADMIN_USER}
    for name in RABBITMQ_PASSWORDS:
        expected[f"SHIPPY_{name}"] = required(name)
    assert accounts["environment"] == expected
    # Every account broker-accounts needs a password for, and the administrator.
    assert {f"SHIPPY_RABBITMQ_{a.key}_PASSWORD" for a in broker.ACCOUNTS} < set(expected)


def test_every_nameko_service_and_the_gateway_start_once_the_accounts_are_made(services):
    for name in AMQP_ACCOUNTS:
        assert services[name]["depends_on"]["broker-accounts"] == {"condition": "service_completed_successfully"}
        assert services[name]["depends_on"]["rabbitmq"] == {"condition": "service_healthy"}, name


def test_each_service_signs_in_to_rabbitmq_with_its_own_account_and_nothing_else_has_one(services):
    users = {}
    for name, service in services.items():
        uri = service.get("environment", {}).get("AMQP_URI")
        if name not in AMQP_ACCOUNTS:
            assert uri is None, f"{name} does not use RabbitMQ: no AMQP_URI"
            continue
        account = broker.ACCOUNTS_BY_KEY[AMQP_ACCOUNTS[name]]
        assert (
            uri
            == f"pyamqp://{account.user}:{required(account.password_variable.removeprefix('SHIPPY_'))}@rabbitmq:5672/"
        )
        users[name] = account.user
    assert len(set(users.values())) == len(users) == len(AMQP_ACCOUNTS), f"no account shared: {users}"
    # The tests container: the administrator, to make a vhost and accounts of its own per test.
    tests = services["tests"]
    assert tests["environment"]["SHIPPY_TEST_AMQP_URI"] == (
        f"pyamqp://{broker.ADMIN_USER}:{required('RABBITMQ_ADMIN_PASSWORD')}@rabbitmq:5672/"
    )
    assert tests["environment"]["SHIPPY_TEST_RABBIT_API_URI"] == (
        f"http://{broker.ADMIN_USER}:{required('RABBITMQ_ADMIN_PASSWORD')}@rabbitmq:15672"
    )
    assert not [arg for arg in tests["command"] if "amqp-uri" in arg or "rabbit-api-uri" in arg]


def test_no_rabbitmq_password_has_a_default_and_no_uri_carries_a_literal_one():
    text = COMPOSE_FILE.read_text()
    references = re.findall(r"\$\{(RABBITMQ_[A-Z_]*PASSWORD)([^}]*)\}", text)
    assert {name for name, _ in references} == set(RABBITMQ_PASSWORDS)
    for name, rest in references:
        assert rest == f":?{name} is required - copy .env.example to .env and set it", f"{name}{rest}"
    for uri in re.findall(r"(?:amqps?|pyamqp|http)://[^\s\"']*@rabbitmq[^\s\"']*", text):
        assert re.fullmatch(r"\w+://[\w-]+:\$\{RABBITMQ_\w+_PASSWORD:\?[^}]*\}@rabbitmq:\d+/?", uri), uri


def test_no_port_is_published_beyond_loopback_and_services_can_scale(services):
    for name, service in services.items():
        assert "container_name" not in service, name
        for port in service.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port}"
        if name.endswith("-service"):
            assert "ports" not in service, f"{name} would not scale with a fixed host port"


def test_only_the_gateway_and_the_operators_uis_reach_the_host_each_on_a_port_the_test_stack_moves(services):
    published = {name: service["ports"] for name, service in services.items() if service.get("ports")}
    assert set(published) == set(PUBLISHED)
    for name, (container_port, variable) in PUBLISHED.items():
        (port,) = published[name]
        assert re.fullmatch(rf"127\.0\.0\.1:\$\{{{variable}:-\d+\}}:{container_port}", str(port)), f"{name}: {port}"
    # The test project (shippy-test) asks for an ephemeral host port for each: in
    # infra/compose.sh (up, down) and in tests/compose (compose commands from the tests).
    compose_sh = (ROOT / "infra" / "compose.sh").read_text()
    conftest = (ROOT / "tests" / "compose" / "conftest.py").read_text()
    for _, variable in PUBLISHED.values():
        assert f"{variable}=0" in compose_sh, variable
        assert f'"{variable}": "0"' in conftest, variable


def test_the_clis_reach_the_api_by_service_name_once_it_is_healthy(services):
    for cli in ("user-cli", "consignment-cli", "vessel-cli"):
        assert services[cli]["environment"]["SHIPPY_API_URL"] == "http://gateway:8080", cli
        assert services[cli]["depends_on"]["gateway"] == {"condition": "service_healthy"}, cli
    assert services["gateway"]["environment"]["GATEWAY_HTTP_ADDRESS"] == "0.0.0.0:8080"


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
    # Multi-stage, both stages on the Python base (its stand-in exists): the wheels are
    # built in a discarded stage, and the image is the base plus what it installs.
    stages = re.findall(r"^FROM\s+(.+?)\s*$", text, re.MULTILINE)
    assert stages[0] == f"{BASE_IMAGE} AS build", stages
    assert stages[-1] == BASE_IMAGE, stages
    assert len(stages) == 2 and "COPY --from=build " in text, stages


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


def test_every_test_runs_once_in_make_test_on_the_host_or_in_the_tests_container(services):
    """``make test`` runs the unit tests and ``HOST_TESTS`` on the host and the
    rest in the tests container: every integration suite, leaving out exactly
    ``HOST_TESTS`` (and ``tests/compose``, run from the host against the stack)."""
    suites = {argument for argument in services["tests"]["command"] if not argument.startswith("-")}
    integration = {str(path.relative_to(ROOT)) for path in ROOT.glob("*/tests/integration")} | {"tests/integration"}
    assert suites == integration, "the tests container runs every integration suite, and no unit tests"
    left_out = {
        argument.removeprefix("--ignore=")
        for argument in services["tests"]["command"]
        if argument.startswith("--ignore=")
    } - {"tests/compose"}
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    host = set(next(line for line in makefile.splitlines() if line.startswith("HOST_TESTS :=")).split(":=")[1].split())
    assert left_out == host
    assert all((ROOT / path).is_file() for path in host)
