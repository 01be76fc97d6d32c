"""The CLIs' HTTP client: settings, answers, and every failure as one line and an exit code."""

import json

import httpx
import pytest

from shippy_common.client import (
    DEFAULT_API_URL,
    EXIT_REFUSED,
    EXIT_USAGE,
    ApiClient,
    ClientError,
    api_timeout,
    api_url,
    reports_errors,
)

URL = "http://api.test"


def client(handler, token=None, url=URL, timeout=5):
    return ApiClient(url, timeout, token, transport=httpx.MockTransport(handler))


def answering(status, body=None, content_type="application/problem+json", text=None):
    def handler(request):
        if text is not None:
            return httpx.Response(status, text=text, headers={"Content-Type": content_type})
        return httpx.Response(status, json=body, headers={"Content-Type": content_type})

    return handler


def problem(status, detail, **extra):
    return {"type": "tag:shippy.example,2026:problem:x", "title": "T", "status": status, "detail": detail, **extra}


def refused(handler, **kwargs):
    with pytest.raises(ClientError) as caught:
        client(handler, **kwargs).call("GET", "/v1/users")
    return caught.value


def test_the_api_url_defaults_to_the_local_gateway(monkeypatch):
    monkeypatch.delenv("SHIPPY_API_URL", raising=False)
    assert api_url() == DEFAULT_API_URL == "http://127.0.0.1:8080"
    monkeypatch.setenv("SHIPPY_API_URL", "https://api.example.com/shippy/")
    assert api_url() == "https://api.example.com/shippy"


@pytest.mark.parametrize("bad", ["ftp://x", "127.0.0.1:8080", "http://", "http://x:99999", "http://x/?a=1", "nonsense"])
def test_a_bad_api_url_is_bad_usage(monkeypatch, bad):
    monkeypatch.setenv("SHIPPY_API_URL", bad)
    with pytest.raises(ClientError) as caught:
        api_url()
    assert caught.value.exit_code == EXIT_USAGE
    assert "SHIPPY_API_URL must be an http:// or https:// URL" in caught.value.message


def test_the_timeout_defaults_to_30_seconds_and_takes_up_to_600(monkeypatch):
    monkeypatch.delenv("SHIPPY_API_TIMEOUT", raising=False)
    assert api_timeout() == 30
    monkeypatch.setenv("SHIPPY_API_TIMEOUT", "600")
    assert api_timeout() == 600
    monkeypatch.setenv("SHIPPY_API_TIMEOUT", "0.5")
    assert api_timeout() == 0.5


@pytest.mark.parametrize("bad", ["0", "-1", "600.5", "soon", "nan", "inf", ""])
def test_a_bad_timeout_is_bad_usage(monkeypatch, bad):
    monkeypatch.setenv("SHIPPY_API_TIMEOUT", bad)
    with pytest.raises(ClientError) as caught:
        api_timeout()
    assert caught.value.exit_code == EXIT_USAGE
    assert caught.value.message.startswith("SHIPPY_API_TIMEOUT must be a number of seconds")


def test_a_call_sends_the_token_and_the_json_body_and_answers_the_object():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(201, json={"id": "u1", "name": "Ana"})

    answer = client(handler, token="a.b.c").call("POST", "/v1/users", body={"name": "Ana"}, expect=("id",))
    assert answer == {"id": "u1", "name": "Ana"}
    (request,) = seen
    assert request.url == "http://api.test/v1/users"
    assert request.headers["Authorization"] == "Bearer a.b.c"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {"name": "Ana"}


def test_a_lone_surrogate_in_a_body_is_sent_escaped_not_a_crash():
    seen = []

    def handler(request):
        seen.append(request.content)
        return httpx.Response(201, json={})

    client(handler).call("POST", "/v1/consignments", body={"description": "\ud800"})
    assert seen == [b'{"description": "\\ud800"}']


@pytest.mark.parametrize("token", ["has space", "new\nline", "é", "\x00"])
def test_a_token_that_cannot_be_a_header_is_refused_as_the_api_would(token):
    with pytest.raises(ClientError) as caught:
        client(answering(200, {}), token=token)
    assert (caught.value.message, caught.value.exit_code) == ("token is malformed", EXIT_REFUSED)


@pytest.mark.parametrize(
    ("status", "exit_code"),
    [
        (400, EXIT_USAGE),
        (413, EXIT_USAGE),
        (415, EXIT_USAGE),
        (422, EXIT_USAGE),
        (401, EXIT_REFUSED),
        (403, EXIT_REFUSED),
        (404, EXIT_REFUSED),
        (409, EXIT_REFUSED),
        (429, EXIT_REFUSED),
        (431, EXIT_REFUSED),  # only the token can make the headers too large: a refused token
        (500, EXIT_REFUSED),
        (503, EXIT_REFUSED),
        (504, EXIT_REFUSED),
    ],
)
def test_a_problem_is_its_detail_and_its_exit_code(status, exit_code):
    error = refused(answering(status, problem(status, "the reason")))
    assert (error.message, error.exit_code) == ("the reason", exit_code)


def test_a_validation_problem_names_the_field():
    error = refused(answering(422, problem(422, "containers.0.origin: Field required", field="containers.0.origin")))
    assert (error.message, error.exit_code) == ("containers.0.origin: Field required", EXIT_USAGE)


def test_a_detail_over_several_lines_is_one_line():
    error = refused(answering(409, problem(409, "first\nsecond\r\nthird\x1b[31m")))
    assert error.message == "first second third [31m"


@pytest.mark.parametrize(
    ("status", "handler"),
    [
        (502, answering(502, text="<html>bad gateway</html>", content_type="text/html")),
        (503, answering(503, {"no": "detail"})),
        (500, answering(500, text="", content_type="text/plain")),
        (404, answering(404, ["not", "an", "object"])),
    ],
)
def test_an_error_without_a_problem_detail_says_the_status(status, handler):
    error = refused(handler)
    assert error.exit_code == EXIT_REFUSED
    assert error.message.startswith(f"the Shippy API at {URL} answered {status}")


@pytest.mark.parametrize(
    "handler",
    [
        answering(200, text="<html>hello</html>", content_type="text/html"),
        answering(200, [1, 2], content_type="application/json"),
        answering(200, {"id": "x"}, content_type="application/json"),
        answering(302, text="", content_type="text/plain"),
    ],
)
def test_an_answer_that_is_not_the_apis_is_one_line_exit_1(handler):
    with pytest.raises(ClientError) as caught:
        client(handler).call("GET", "/v1/users/me", expect=("id", "name"))
    assert caught.value.exit_code == EXIT_REFUSED
    assert caught.value.message.startswith(("unexpected answer to GET /v1/users/me from", "the Shippy API at"))


def test_a_refused_connection_names_the_url():
    def handler(request):
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    error = refused(handler, url="http://user:secret@127.0.0.1:1")
    assert error.exit_code == EXIT_REFUSED
    assert error.message.startswith("cannot reach the Shippy API at http://user:***@127.0.0.1:1 (")
    assert "secret" not in error.message


def test_a_timeout_names_the_url_and_the_wait():
    def handler(request):
        raise httpx.ReadTimeout("timed out", request=request)

    error = refused(handler, timeout=2.5)
    assert (error.message, error.exit_code) == (f"no answer from the Shippy API at {URL} within 2.5s", EXIT_REFUSED)


def test_pages_follow_next_cursor_to_the_end():
    pages = {None: ([{"id": "1"}, {"id": "2"}], "c2"), "c2": ([{"id": "3"}], None)}
    seen = []

    def handler(request):
        cursor = request.url.params.get("cursor")
        seen.append((request.url.params["limit"], cursor))
        items, next_cursor = pages[cursor]
        return httpx.Response(200, json={"items": items, "next_cursor": next_cursor})

    assert [item["id"] for item in client(handler).pages("/v1/users", 2, expect=("id",))] == ["1", "2", "3"]
    assert seen == [("2", None), ("2", "c2")]


@pytest.mark.parametrize(
    "page",
    [
        {"items": [{"id": "1"}], "next_cursor": "same"},  # the same cursor for ever: not followed for ever
        {"items": "not a list", "next_cursor": None},
        {"items": [{"no": "id"}], "next_cursor": None},
        {"items": [], "next_cursor": 7},
        {"items": []},
    ],
)
def test_a_page_that_is_not_one_is_one_line_exit_1(page):
    handler = answering(200, page, content_type="application/json")
    with pytest.raises(ClientError) as caught:
        list(client(handler).pages("/v1/users", 2, expect=("id",)))
    assert caught.value.message.startswith("unexpected answer to GET /v1/users from http://api.test")


def test_reports_errors_prints_one_line_and_exits_with_the_code(capsys):
    @reports_errors
    def command():
        raise ClientError("no vessel has room", EXIT_REFUSED)

    with pytest.raises(SystemExit) as exited:
        command()
    assert exited.value.code == EXIT_REFUSED
    assert capsys.readouterr().err == "error: no vessel has room\n"
