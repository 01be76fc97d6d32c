"""user-cli as a user runs it: a real process against the real gateway in
front of a real user_service, with no broker it could reach itself."""

import json
import os
import pty
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest

from shippy_common.testing.waits import eventually
from user_service.service import UserService

USER_CLI = str(Path(sys.executable).with_name("user-cli"))
PASSWORD = "correct horse battery"
#: Where the CLI would find a broker if it looked for one: nowhere.
DEAD_BROKER = "pyamqp://nobody:x@127.0.0.1:1/"


def cli_env(api_url, **env):
    """The environment of a user-cli run: the API at ``api_url``, no usable broker."""
    return {**os.environ, "SHIPPY_API_URL": api_url, "AMQP_URI": DEAD_BROKER, "SHIPPY_TOKEN": "", **env}


@pytest.fixture
def api(user_container, start_gateway):
    """The gateway in front of this test's user_service: all user-cli talks to."""
    return start_gateway()


@pytest.fixture
def run_cli(api):
    """Run user-cli against this test's gateway; returns the CompletedProcess."""

    def run(*args, env=None, stdin=None):
        return subprocess.run(
            [USER_CLI, *args],
            capture_output=True,
            text=True,
            input=stdin,
            timeout=60,
            env=cli_env(api.url, **(env or {})),
        )

    return run


def create_args(email, password=PASSWORD):
    return ["create", "--name", "Ana Lopes", "--email", email, "--company", "Shippy Ltd", "--password", password]


def assert_one_line_error(result, code, text):
    assert result.returncode == code, result
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ") or result.stderr.startswith("Error: ") or "Usage" in result.stderr
    assert text in result.stderr
    assert "Traceback" not in result.stderr


def test_create_then_auth_prints_the_token_alone(run_cli, set_role):
    created = run_cli(*create_args("ana@example.com"))
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("created ")
    assert "ana@example.com" in created.stdout

    signed_in = run_cli("auth", "--email", "ana@example.com", "--password", PASSWORD)
    assert signed_in.returncode == 0, signed_in.stderr
    token = signed_in.stdout.strip()
    assert signed_in.stdout == token + "\n"
    assert token.count(".") == 2

    set_role(created.stdout.split()[1], "admin")
    listed = run_cli("list", env={"SHIPPY_TOKEN": token})
    assert listed.returncode == 0, listed.stderr
    assert "Ana Lopes <ana@example.com>, Shippy Ltd" in listed.stdout


def test_works_with_no_broker_setting_at_all(api):
    env = {key: value for key, value in cli_env(api.url).items() if key != "AMQP_URI"}
    result = subprocess.run(
        [USER_CLI, *create_args("nob@example.com")], capture_output=True, text=True, timeout=60, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("created ")


def test_json_output_for_machines(run_cli, set_role):
    user = json.loads(run_cli(*create_args("ben@example.com"), "--json").stdout)
    assert set(user) == {"id", "name", "company", "email", "role"}
    answer = json.loads(run_cli("auth", "--email", "ben@example.com", "--password", PASSWORD, "--json").stdout)
    assert set(answer) == {"token", "expires_at"}
    shown = json.loads(run_cli("get", user["id"], "--token", answer["token"], "--json").stdout)
    assert shown == user
    set_role(user["id"], "admin")
    everyone = json.loads(run_cli("list", "--json", env={"SHIPPY_TOKEN": answer["token"]}).stdout)
    assert everyone == [{**user, "role": "admin"}]


def test_list_pages_through_every_user(run_cli, set_role, database_url):
    """More users than one page holds: each is printed once, in the same lines as always."""
    admin = json.loads(run_cli(*create_args("admin@example.com"), "--json").stdout)
    set_role(admin["id"], "admin")
    token = run_cli("auth", "--email", "admin@example.com", "--password", PASSWORD).stdout.strip()
    others = [(str(uuid.uuid4()), f"user{n}@example.com") for n in range(450)]
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.executemany(
            "insert into users (id, name, company, email, email_key, password_hash, created_at)"
            " values (%s, 'Someone', 'Co', %s, %s, 'x', '2030-01-01T00:00:00Z')",
            [(user_id, email, email) for user_id, email in others],
        )
    connection.close()

    listed = run_cli("list", "--token", token)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == f"{admin['id']}  Ana Lopes <admin@example.com>, Shippy Ltd"
    assert sorted(lines[1:]) == sorted(f"{user_id}  Someone <{email}>, Co" for user_id, email in others)

    everyone = json.loads(run_cli("list", "--token", token, "--json").stdout)
    assert [user["id"] for user in everyone] == [line.split()[0] for line in lines]


def test_list_as_a_customer_is_exit_1(run_cli):
    run_cli(*create_args("cus@example.com"))
    token = run_cli("auth", "--email", "cus@example.com", "--password", PASSWORD).stdout.strip()
    assert_one_line_error(run_cli("list", "--token", token), 1, "only an admin may list users")


def test_get_of_someone_else_as_a_customer_is_exit_1(run_cli):
    other = json.loads(run_cli(*create_args("other@example.com"), "--json").stdout)
    run_cli(*create_args("me@example.com"))
    token = run_cli("auth", "--email", "me@example.com", "--password", PASSWORD).stdout.strip()
    assert_one_line_error(run_cli("get", other["id"], "--token", token), 1, f"no user {other['id']}")


def test_a_busy_service_is_exit_1_in_one_line(container_factory, user_config, start_gateway, rpc_client, held_bcrypt):
    """Every bcrypt slot taken and no room to wait: the login is refused at once."""
    container_factory(UserService, {**user_config, "BCRYPT_MAX_WAITING": 0}).start()
    gateway = start_gateway()
    users = rpc_client().user_service
    users.create({"name": "Ana", "company": "X", "email": "ana@example.com", "password": PASSWORD})
    held_bcrypt.hold()
    slots = os.cpu_count() or 1
    holding = [rpc_client(timeout=60).user_service.auth.call_async("ana@example.com", PASSWORD) for _ in range(slots)]
    held_bcrypt.wait_until_entered(slots)

    result = subprocess.run(
        [USER_CLI, "auth", "--email", "ana@example.com", "--password", PASSWORD],
        capture_output=True,
        text=True,
        timeout=60,
        env=cli_env(gateway.url),
    )
    assert_one_line_error(result, 1, "busy, retry")
    held_bcrypt.release()
    assert all(login.result()["token"] for login in holding)


def test_an_existing_account_is_refused_with_exit_1(run_cli):
    run_cli(*create_args("dup@example.com"))
    assert_one_line_error(run_cli(*create_args("DUP@example.com")), 1, "already exists")


def test_wrong_password_is_exit_1(run_cli):
    run_cli(*create_args("cat@example.com"))
    assert_one_line_error(
        run_cli("auth", "--email", "cat@example.com", "--password", "wrong password!"), 1, "email or password is wrong"
    )


@pytest.mark.parametrize(
    ("args", "texts"),
    [
        (create_args("not-an-email"), ["email:"]),
        # The field and its rule; the gateway words length limits as pydantic does.
        (create_args("dan@example.com", password="short"), ["password: ", "at least 8 characters"]),
        (create_args("dan@example.com", password="x" * 73), ["password: ", "at most 72"]),
        (create_args("dan@example.com", password="é" * 40), ["password: ", "at most 72 bytes"]),
        (["create", "--name", "Ana"], ["Missing option"]),
        (["frobnicate"], ["No such command"]),
        (["get"], ["Missing argument"]),
        (["list"], ["no token: pass --token or set SHIPPY_TOKEN"]),
    ],
)
def test_bad_usage_or_input_is_exit_2(run_cli, args, texts):
    result = run_cli(*args)
    assert result.returncode == 2, result
    assert all(text in result.stderr for text in texts), result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_bad_token_is_exit_1_with_the_reason(run_cli):
    assert_one_line_error(run_cli("list", "--token", "a.b.c"), 1, "token is malformed")


def test_an_unknown_user_id_is_exit_1(run_cli):
    run_cli(*create_args("eve@example.com"))
    token = run_cli("auth", "--email", "eve@example.com", "--password", PASSWORD).stdout.strip()
    assert_one_line_error(run_cli("get", "00000000-0000-0000-0000-000000000000", "--token", token), 1, "no user")


def test_the_password_is_prompted_for_without_echo(run_cli, api):
    """On a terminal, create asks twice for the password and shows none of it."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [USER_CLI, "create", "--name", "Pat", "--email", "pat@example.com", "--company", "P"],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env=cli_env(api.url),
    )
    os.close(terminal)
    screen = b""

    def read_until(text, timeout=30):
        def shown():
            nonlocal screen
            if text not in screen:
                try:
                    screen += os.read(controller, 1024)
                except OSError:  # the terminal closed: nothing more will come
                    raise AssertionError(f"the terminal closed before showing {text!r}: {screen!r}") from None
            return text in screen

        eventually(shown, timeout=timeout, interval=0, what=lambda: f"{text!r} on the terminal: {screen!r}")

    read_until(b"Password: ")
    os.write(controller, PASSWORD.encode() + b"\n")
    read_until(b"Repeat for confirmation: ")
    os.write(controller, PASSWORD.encode() + b"\n")
    read_until(b"created ")
    assert process.wait(timeout=30) == 0
    os.close(controller)
    assert PASSWORD.encode() not in screen
    assert run_cli("auth", "--email", "pat@example.com", "--password", PASSWORD).returncode == 0
