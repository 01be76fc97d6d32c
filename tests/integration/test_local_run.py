"""`make run` as a user runs it: every process of the Procfile comes back by
itself after it dies, and the local servers keep their secrets to themselves."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from shippy_common.testing.net import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def test_every_procfile_process_runs_under_respawn():
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        assert command.split()[:2] == ["exec", "infra/respawn"], name


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
