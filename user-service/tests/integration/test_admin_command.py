"""user-service-admin as an operator runs it: a real process on the service's database."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shippy_common.errors import Forbidden
from shippy_common.testing.net import free_port

USER_SERVICE_ADMIN = str(Path(sys.executable).with_name("user-service-admin"))


def admin_command(*args, database_url):
    return subprocess.run(
        [USER_SERVICE_ADMIN, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DATABASE_URL": database_url},
    )


def assert_one_line_error(result, code, text):
    assert result.returncode == code, result
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ")
    assert text in result.stderr


def test_promote_makes_an_admin_at_once_and_demote_undoes_it(signed_in, users, database_url):
    user, token, as_user = signed_in
    with pytest.raises(Forbidden):
        as_user.get_all()

    promoted = admin_command("promote", "--email", user["email"].upper(), database_url=database_url)
    assert promoted.returncode == 0, promoted.stderr
    assert promoted.stdout == f"{user['email']} ({user['id']}) is now an admin\n"
    # The same token, issued while a customer: the role is read at each call.
    assert users.validate_token(token)["user"]["role"] == "admin"
    assert [u["id"] for u in as_user.get_all()["items"]] == [user["id"]]

    demoted = admin_command("demote", "--email", user["email"], database_url=database_url)
    assert demoted.returncode == 0, demoted.stderr
    assert demoted.stdout == f"{user['email']} ({user['id']}) is now a customer\n"
    with pytest.raises(Forbidden):
        as_user.get_all()


def test_an_unknown_address_is_exit_1(user_container, database_url):
    assert_one_line_error(
        admin_command("promote", "--email", "nobody@example.com", database_url=database_url),
        1,
        "no account for nobody@example.com",
    )


def test_an_unreachable_database_is_exit_1():
    result = admin_command(
        "promote", "--email", "a@b.io", database_url=f"postgresql://shippy:pw@127.0.0.1:{free_port()}/shippy"
    )
    assert_one_line_error(result, 1, "cannot reach PostgreSQL at postgresql://shippy:***@127.0.0.1")
    assert ":pw@" not in result.stderr


@pytest.mark.parametrize(
    ("args", "text"),
    [
        ([], "required: {promote,demote}"),
        (["promote"], "required: --email"),
        (["crown", "--email", "a@b.io"], "invalid choice: 'crown'"),
        (["demote", "--email", "a@b.io", "--force"], "unrecognized arguments: --force"),
    ],
)
def test_bad_usage_is_exit_2_in_one_line(args, text):
    assert_one_line_error(admin_command(*args, database_url="postgresql://unused"), 2, text)


def test_a_bad_database_url_is_exit_2_in_one_line():
    result = admin_command("promote", "--email", "a@b.io", database_url="mysql://root:pw@db/x")
    assert_one_line_error(result, 2, "DATABASE_URL must be a URL starting with postgresql://")
