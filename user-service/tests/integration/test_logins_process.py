"""``user-service`` runs logins in a companion process of its own, at a lower CPU
priority: a flood of logins (bcrypt, or refusals as Busy) then takes CPU from
token checks last. The companion lives and dies with the service."""

import os
import signal
import sys
from pathlib import Path

import pytest

from shippy_common.testing.net import free_port
from shippy_common.testing.processes import children
from shippy_common.testing.waits import eventually
from user_service.main import LOGINS_NICENESS
from user_service.testing import JWT_SECRET

USER_SERVICE = str(Path(sys.executable).with_name("user-service"))
PASSWORD = "a password of the logins test"


def niceness(pid):
    # /proc/<pid>/stat: field 19 is the nice value; the command (field 2) is in parentheses.
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def alive(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def user_service(start_process, rabbit_config, database_url):
    service = start_process(
        [USER_SERVICE],
        env={
            "AMQP_URI": rabbit_config["AMQP_URI"],
            "DATABASE_URL": database_url,
            "JWT_SECRET": JWT_SECRET,
            "BCRYPT_COST": "4",
            "USER_HTTP_ADDRESS": f"127.0.0.1:{free_port()}",
        },
    )
    service.wait_for_output("user_service is ready")  # said once the companion is ready too
    assert "user_service companion is ready" in service.output
    (logins,) = children(service.process.pid)
    return service, logins


def test_logins_run_in_a_companion_at_a_lower_priority_and_token_checks_in_the_service(user_service, rpc_client):
    service, logins = user_service
    assert niceness(service.process.pid) == niceness(os.getpid())
    assert niceness(logins) == min(niceness(os.getpid()) + LOGINS_NICENESS, 19)

    users = rpc_client(timeout=30).user_service
    user = users.create({"name": "Ana", "company": "X", "email": "ana@example.com", "password": PASSWORD})
    token = users.auth("ana@example.com", PASSWORD)["token"]
    assert users.validate_token(token)["user"] == user


def test_sigterm_stops_the_service_and_its_companion_cleanly(user_service):
    service, logins = user_service
    assert service.stop() == 0
    assert not alive(logins)
    assert "Traceback" not in service.output


def test_a_companion_that_exits_stops_the_service_to_be_started_again_whole(user_service):
    service, logins = user_service
    os.kill(logins, signal.SIGKILL)
    assert service.process.wait(timeout=30) == 1
    assert "exited (status -9); stopping user_service to be started again whole" in service.output


def test_a_service_killed_outright_takes_its_companion_with_it(user_service):
    service, logins = user_service
    service.process.kill()
    service.process.wait()
    eventually(lambda: not alive(logins), timeout=15, interval=0.1, what="the companion gone after its service")
