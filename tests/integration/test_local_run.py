"""`make run` as a user runs it: every process of the Procfile comes back by
itself after it dies, and the local servers keep their secrets to themselves."""

import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from shippy_common.testing.net import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


#: The Procfile processes that talk to RabbitMQ, and the account each signs in with.
BROKER_ACCOUNTS = {"vessel": "vessel", "user": "user", "consignment": "consignment", "gateway": "gateway"}


def procfile():
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        yield name, command.split()


def test_every_procfile_process_runs_under_respawn():
    for name, command in procfile():
        if command[1] == "infra/with-broker-account":
            command = [command[0], *command[3:]]
        assert command[:2] == ["exec", "infra/respawn"], name


def test_each_procfile_process_on_the_broker_has_its_own_account_and_the_others_none():
    accounts = {name: command[2] for name, command in procfile() if command[1] == "infra/with-broker-account"}
    assert accounts == BROKER_ACCOUNTS


def test_with_broker_account_gives_the_process_its_own_uri_only(tmp_path):
    (tmp_path / "rabbitmq").mkdir()
    (tmp_path / "rabbitmq" / "accounts.env").write_text(
        "AMQP_URI_VESSEL=pyamqp://vessel-service:v@127.0.0.1:5672/\nAMQP_URI_GATEWAY=pyamqp://gateway-service:g@h:1/\n"
    )
    env = {"PATH": os.environ["PATH"], "SHIPPY_INFRA_DIR": str(tmp_path)}
    script = str(ROOT / "infra" / "with-broker-account")
    shown = subprocess.run([script, "gateway", "env"], env=env, capture_output=True, text=True, timeout=10)
    assert shown.returncode == 0, shown.stderr
    assert "AMQP_URI=pyamqp://gateway-service:g@h:1/" in shown.stdout.splitlines()
    assert "vessel-service" not in shown.stdout
    missing = subprocess.run([script, "user", "true"], env=env, capture_output=True, text=True, timeout=10)
    assert missing.returncode == 2 and "run make infra" in missing.stderr


def child_of(pid):
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    assert len(children) == 1, children
    return int(children[0])


def test_a_killed_service_comes_back_by_itself_and_answers_again(
    start_process, rabbit_config, mongo_uri, mongo_database, rpc_client
):
    env = {
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "MONGO_URI": mongo_uri,
        "VESSEL_MONGO_DATABASE": mongo_database.name,
        "VESSEL_HTTP_ADDRESS": f"127.0.0.1:{free_port()}",
    }
    supervised = start_process([str(ROOT / "infra" / "respawn"), str(BIN / "vessel-service")], env=env)
    supervised.wait_for_output("vessel_service is ready")
    first = child_of(supervised.process.pid)
    os.kill(first, signal.SIGKILL)
    supervised.wait_for_output("exited with status")
    supervised.wait_for_output("vessel_service is ready", times=2)
    assert child_of(supervised.process.pid) != first
    assert rpc_client(timeout=30).vessel_service.find_available({"capacity": 1, "max_weight": 1})["available"]
    assert supervised.stop() == 0
    assert subprocess.run(["pgrep", "-P", str(supervised.process.pid)], capture_output=True).returncode == 1


def command_lines():
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                yield (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue


def test_no_local_server_has_a_password_on_its_command_line():
    leaks = [line for line in command_lines() if "ferretdb" in line and ":shippy@" in line]
    assert leaks == []
    # Nor any process one of the RabbitMQ accounts' passwords (make infra, make run).
    from shippy_common.broker import accounts_file, read_env_file

    passwords = [value for key, value in read_env_file(accounts_file(ROOT)).items() if key.endswith("_PASSWORD")]
    assert [line for line in command_lines() if any(password in line for password in passwords)] == []


def local_broker():
    from shippy_common.broker import accounts_file, read_env_file

    values = read_env_file(accounts_file(ROOT))
    if not values or "guest@" in values.get("AMQP_URI_ADMIN", "") or os.environ.get("SHIPPY_TEST_RABBITMQ"):
        pytest.skip("the local RabbitMQ was not set up by make infra")
    return values


def test_make_infra_closed_the_local_broker():
    """guest is gone, and every account of the accounts file signs in (with only its rights:
    tests/integration/test_broker_access.py)."""
    import amqp

    from shippy_common.broker import ACCOUNTS, BrokerSetupError, ManagementApi, accounts_file

    values = local_broker()
    with pytest.raises(amqp.exceptions.AccessRefused):
        amqp.Connection("127.0.0.1:5672", userid="guest", password="guest", connect_timeout=10).connect()
    for account in ACCOUNTS:
        connection = amqp.Connection(
            "127.0.0.1:5672", userid=account.user, password=values[account.password_variable], connect_timeout=10
        )
        connection.connect()
        connection.close()
    admin = values["SHIPPY_RABBITMQ_ADMIN_USER"]
    api = ManagementApi("http://127.0.0.1:15672", admin, values["SHIPPY_RABBITMQ_ADMIN_PASSWORD"])
    assert api.is_administrator()
    assert not ManagementApi("http://127.0.0.1:15672", "guest", "guest").is_administrator()
    for account in ACCOUNTS:  # nor may any other account use the management API
        with pytest.raises(BrokerSetupError, match="401"):
            ManagementApi("http://127.0.0.1:15672", account.user, values[account.password_variable]).request(
                "GET", "overview"
            )
    assert stat.S_IMODE(os.stat(accounts_file(ROOT)).st_mode) == 0o600


def test_the_postgresql_superuser_cannot_sign_in_over_tcp():
    import psycopg2

    for password in ("postgres", "", "shippy"):
        with pytest.raises(psycopg2.OperationalError):
            psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", password=password, dbname="postgres")


def test_a_clone_in_a_private_folder_keeps_its_cluster_where_postgres_can_reach_it(tmp_path):
    """As root, PostgreSQL runs as the postgres user, who cannot enter a 0700
    home folder; the cluster must then live somewhere that user can write."""
    private = tmp_path / "home"
    private.mkdir(mode=0o700)
    state = private / "clone" / ".infra"
    result = subprocess.run(
        ["bash", str(ROOT / "infra" / "infra.sh"), "postgres-dir"],
        env={**os.environ, "SHIPPY_INFRA_DIR": str(state)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    cluster = Path(result.stdout.strip())
    if os.geteuid() == 0:
        assert not cluster.is_relative_to(private)
        assert subprocess.run(["runuser", "-u", "postgres", "--", "test", "-w", str(cluster)]).returncode == 0
        assert (state / "postgres-cluster").resolve() == cluster.resolve()
        shutil.rmtree(cluster.parent)
    else:  # PostgreSQL runs as this user, who owns the clone
        assert os.access(cluster.parent, os.W_OK)
