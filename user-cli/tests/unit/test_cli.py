"""user-cli without a server: its requests and output against a stub API
(``httpx.MockTransport``), and as a process where no server is needed."""

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from shippy_common.client import ApiClient
from shippy_common.testing.net import free_port
from user_cli import main

USER_CLI = str(Path(sys.executable).with_name("user-cli"))
DEAD_BROKER = "pyamqp://nobody:x@127.0.0.1:1/"
ANA = {"id": "u-1", "name": "Ana Lopes", "email": "ana@example.com", "company": "Shippy Ltd", "role": "customer"}


class StubApi:
    """The requests user-cli sends, and an answer for each ``(method, path)``."""

    def __init__(self, answers):
        self.answers = answers
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        path = request.url.raw_path.decode().split("?")[0]
        status, body = self.answers[(request.method, path)]
        if callable(body):
            body = body(request)
        return httpx.Response(status, json=body)

    def connect(self, token=None):
        return ApiClient("http://api.test", 5, token, transport=httpx.MockTransport(self))


@pytest.fixture
def stub(monkeypatch):
    def install(answers):
        api = StubApi(answers)
        monkeypatch.setattr(main, "connect", api.connect)
        return api

    return install


def invoke(*args):
    return CliRunner().invoke(main.cli, list(args), env={"SHIPPY_TOKEN": ""})


def test_create_posts_the_account_and_prints_it(stub):
    api = stub({("POST", "/v1/users"): (201, ANA)})
    args = ["--name", "Ana Lopes", "--email", "ana@example.com", "--company", "Shippy Ltd"]
    result = invoke("create", *args, "--password", "correct horse battery")
    assert result.exit_code == 0, result.output
    assert result.stdout == "created u-1  Ana Lopes <ana@example.com>, Shippy Ltd\n"
    (request,) = api.requests
    assert json.loads(request.content) == {
        "name": "Ana Lopes",
        "email": "ana@example.com",
        "company": "Shippy Ltd",
        "password": "correct horse battery",
    }
    assert "Authorization" not in request.headers


def test_auth_prints_the_token_alone_or_the_whole_answer(stub):
    api = stub({("POST", "/v1/tokens"): (200, {"token": "h.p.s", "expires_at": 1})})
    assert invoke("auth", "--email", "a@b.io", "--password", "correct horse").stdout == "h.p.s\n"
    answer = json.loads(invoke("auth", "--email", "a@b.io", "--password", "correct horse", "--json").stdout)
    assert answer == {"token": "h.p.s", "expires_at": 1}
    assert json.loads(api.requests[0].content) == {"email": "a@b.io", "password": "correct horse"}


def test_get_asks_for_the_id_with_the_token(stub):
    api = stub({("GET", "/v1/users/u%201%2F2"): (200, ANA)})
    result = invoke("get", "u 1/2", "--token", "h.p.s")
    assert result.exit_code == 0, result.output
    assert result.stdout == "u-1  Ana Lopes <ana@example.com>, Shippy Ltd\n"
    assert api.requests[0].headers["Authorization"] == "Bearer h.p.s"


def test_list_follows_every_page(stub):
    def page(request):
        if "cursor" not in request.url.params:
            return {"items": [ANA], "next_cursor": "next"}
        return {"items": [{**ANA, "id": "u-2", "email": "bo@example.com"}], "next_cursor": None}

    api = stub({("GET", "/v1/users"): (200, page)})
    result = invoke("list", "--token", "h.p.s")
    assert result.stdout.splitlines() == [
        "u-1  Ana Lopes <ana@example.com>, Shippy Ltd",
        "u-2  Ana Lopes <bo@example.com>, Shippy Ltd",
    ]
    assert [dict(request.url.params) for request in api.requests] == [
        {"limit": str(main.PAGE_SIZE)},
        {"limit": str(main.PAGE_SIZE), "cursor": "next"},
    ]
    assert [user["id"] for user in json.loads(invoke("list", "--token", "h.p.s", "--json").stdout)] == ["u-1", "u-2"]


@pytest.mark.parametrize(
    ("args", "answer", "code", "line"),
    [
        (["list", "--token", "a.b.c"], (401, {"detail": "token is malformed"}), 1, "error: token is malformed\n"),
        (["list", "--token", "t.t.t"], (403, {"detail": "only an admin may list users"}), 1, None),
        (["get", "x", "--token", "t.t.t"], (422, {"detail": "id: must be a user id (a UUID)"}), 2, None),
        (["auth", "--email", "a@b.io", "--password", "p" * 8], (503, {"detail": "busy, retry"}), 1, None),
        (["auth", "--email", "a@b.io", "--password", "p" * 8], (200, {"no": "token"}), 1, None),
    ],
)
def test_refusals_are_one_line_with_their_exit_code(stub, args, answer, code, line):
    routes = {("GET", "/v1/users"), ("GET", "/v1/users/x"), ("POST", "/v1/tokens")}
    stub(dict.fromkeys(routes, answer))
    result = invoke(*args)
    assert result.exit_code == code
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    if line:
        assert result.stderr == line
    else:
        assert answer[1].get("detail", "unexpected answer") in result.stderr


def test_an_empty_id_is_bad_usage(stub):
    stub({})
    result = invoke("get", " ", "--token", "t.t.t")
    assert (result.exit_code, result.stderr) == (2, "error: ID must not be empty\n")


def run(*args, **env):
    return subprocess.run(
        [USER_CLI, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "AMQP_URI": DEAD_BROKER, "SHIPPY_TOKEN": "", **env},
    )


def assert_one_line_error(result, code, text):
    assert result.returncode == code, result
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("error: ")
    assert text in result.stderr
    assert "Traceback" not in result.stderr


def test_an_api_that_is_down_is_one_line_naming_it():
    url = f"http://127.0.0.1:{free_port()}"
    result = run("auth", "--email", "a@b.io", "--password", "correct horse", SHIPPY_API_URL=url)
    assert_one_line_error(result, 1, f"cannot reach the Shippy API at {url} (")


@pytest.mark.parametrize(
    ("variable", "value", "text"),
    [
        ("SHIPPY_API_TIMEOUT", "0", "SHIPPY_API_TIMEOUT must be a number of seconds"),
        ("SHIPPY_API_TIMEOUT", "601", "SHIPPY_API_TIMEOUT must be a number of seconds"),
        ("SHIPPY_API_URL", "127.0.0.1:8080", "SHIPPY_API_URL must be an http:// or https:// URL"),
    ],
)
def test_a_bad_setting_is_exit_2_in_one_line(variable, value, text):
    assert_one_line_error(run("list", "--token", "a.b.c", **{variable: value}), 2, text)


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (["create", "--name", "Ana"], "Missing option"),
        (["frobnicate"], "No such command"),
        (["get"], "Missing argument"),
        (["list"], "no token: pass --token or set SHIPPY_TOKEN"),
    ],
)
def test_bad_usage_is_exit_2(args, text):
    result = run(*args, SHIPPY_API_URL=f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 2, result
    assert text in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("args", [[], ["create"], ["auth"], ["get"], ["list"]])
def test_help_everywhere(args):
    result = subprocess.run([USER_CLI, *args, "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: user-cli")
