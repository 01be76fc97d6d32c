"""Nothing a client sends makes the gateway answer 5xx or a stack trace."""

import contextlib
import socket
import uuid

import pytest

from consignment_service.testing import CLASSIC_CONSIGNMENT
from shippy_common.testing.tokens import bad_tokens
from user_service.testing import AUDIENCE, ISSUER, JWT_SECRET

PROBLEM = "application/problem+json"
MAX_BODY = 4096


@pytest.fixture
def small_gateway(platform, start_gateway):
    return start_gateway(GATEWAY_MAX_BODY_BYTES=MAX_BODY, GATEWAY_MAX_HEADER_BYTES=8192)


@pytest.fixture
def headers(small_gateway, new_user):
    payload = new_user()
    small_gateway.client.post("/v1/users", json=payload)
    token = small_gateway.client.post("/v1/tokens", json={"email": payload["email"], "password": payload["password"]})
    return {"Authorization": f"Bearer {token.json()['token']}"}


def raw(gateway, request: bytes) -> tuple[int, bytes]:
    """Send ``request`` as it is; the status and the whole answer."""
    host, port = gateway.url.removeprefix("http://").rsplit(":", 1)
    if request.endswith(b"\r\n\r\n") and b"Host: x\r\n" in request:
        request = request.replace(b"Host: x\r\n", b"Host: x\r\nConnection: close\r\n", 1)
    answer = b""
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(request)  # not half-closed: that reads as a client gone away
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := connection.recv(65536):
                answer += chunk
    # A request line too broken to answer may just be closed on (status 0).
    return (int(answer.split(b" ", 2)[1]) if answer else 0), answer


def problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert "Traceback" not in response.text
    return response.json()


JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"", 422),
        (b"[]", 422),
        (b'"a string"', 422),
        (b"null", 422),
        (b"12", 422),
        (b'{"description": "\xff\xfe"}', 400),
        (b"\xff\xfe\xfd", 400),
        (b'{"weight": 1e999}', 422),
        (b"[" * 2000 + b"]" * 2000, 400),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(small_gateway, headers, body, status):
    document = problem(small_gateway.client.post("/v1/consignments", content=body, headers={**headers, **JSON}), status)
    if status == 422:
        assert document["field"]


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/jsonx"],
)
def test_a_body_that_is_not_sent_as_json_is_415(small_gateway, headers, content_type):
    sent = {**headers, **({"Content-Type": content_type} if content_type else {})}
    response = small_gateway.client.post("/v1/consignments", content=b'{"a": 1}', headers=sent)
    problem(response, 415)


def test_json_with_a_charset_is_json(small_gateway, headers):
    sent = {**headers, "Content-Type": "application/json; charset=utf-8"}
    response = small_gateway.client.post("/v1/users", content=b"{}", headers=sent)
    assert problem(response, 422)["field"]


def test_a_body_over_the_limit_is_413_from_its_content_length(small_gateway, headers):
    response = small_gateway.client.post("/v1/consignments", content=b" " * (MAX_BODY + 1), headers={**headers, **JSON})
    problem(response, 413)


def test_a_body_over_the_limit_is_413_while_it_streams(small_gateway, headers):
    def chunks():
        for _ in range(10_000):  # far more than the limit; the gateway stops reading early
            yield b" " * 1024

    response = small_gateway.client.post("/v1/consignments", content=chunks(), headers={**headers, **JSON})
    problem(response, 413)


def test_a_body_with_a_claimed_huge_length_is_refused_unread(small_gateway):
    status, answer = raw(
        small_gateway,
        b"POST /v1/users HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 99999999999\r\n\r\n{}",
    )
    assert status == 413, answer


def test_unknown_routes_and_wrong_methods(small_gateway, headers):
    problem(small_gateway.client.get("/v1/nothing-here"), 404)
    problem(small_gateway.client.get("/index.html"), 404)
    problem(small_gateway.client.get("/web/nothing-here.js"), 404)
    problem(small_gateway.client.get("/v2/users"), 404)
    wrong = problem(small_gateway.client.delete("/v1/consignments", headers=headers), 405)
    assert wrong["status"] == 405
    assert small_gateway.client.put("/v1/consignments").headers["allow"]
    problem(small_gateway.client.get("/v1/tokens"), 405)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/consignments?limit=abc", "limit"),
        ("/v1/consignments?limit=0", "limit"),
        ("/v1/consignments?limit=-1", "limit"),
        ("/v1/consignments?limit=99999999999999999999999", "limit"),
        ("/v1/consignments?cursor=" + "x" * 300, "cursor"),
        ("/v1/consignments?cursor=%FF%FE", "cursor"),
        ("/v1/users/not-a-uuid", "id"),
        ("/v1/users/" + "x" * 101, "user_id"),
    ],
)
def test_wrong_path_and_query_types_name_the_parameter(small_gateway, headers, path, field):
    document = problem(small_gateway.client.get(path, headers=headers), 422 if field != "cursor-404" else 404)
    assert document["field"] == field


def test_odd_paths_are_not_found(small_gateway, headers):
    for path in (
        "/v1/consignments/%FF%FE",
        "/v1/consignments/..%2F..%2Fetc",
        "/v1/consignments/%00",
        "/v1/users/%FF/x",
    ):
        response = small_gateway.client.get(path, headers=headers)
        assert response.status_code in (404, 422), (path, response.text)
        assert response.headers["content-type"] == PROBLEM


def test_oversized_headers_are_refused(small_gateway):
    response = small_gateway.client.get("/health", headers={"X-Big": "a" * 9000})
    assert response.status_code == 431
    status, _ = raw(small_gateway, b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"a" * 200_000 + b"\r\n\r\n")
    assert 400 <= status < 500


def test_a_header_without_end_is_refused_long_before_it_has_all_been_read(small_gateway):
    """The gateway parses requests with h11, which bounds a request's head as it
    arrives; a parser that keeps a header until its end (httptools does) would
    hold all of it in memory, as long as a client cares to send."""
    host, port = small_gateway.url.removeprefix("http://").rsplit(":", 1)
    sent, chunk, most = 0, b"a" * 65536, 64 * 1024 * 1024
    with socket.create_connection((host, int(port)), timeout=5) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Endless: ")
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            while sent < most:
                connection.sendall(chunk)
                sent += len(chunk)
    assert sent < most // 4, f"the gateway read {sent:,} bytes of one header"


def test_non_utf8_and_control_bytes_in_the_request_line_and_headers(small_gateway):
    for request in (
        b"GET /v1/users/\xff\xfe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\n\r\n",
        b"GET /health?\xff=\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /v1/users/me HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\xfd\r\n\r\n",
        b"GET /health HTTP/1.1\r\nHost: x\r\nX-Request-ID: \xff\x01\r\n\r\n",
        b"GARBAGE\r\n\r\n",
        b"GET /health HTTP/9.9\r\n\r\n",
    ):
        status, answer = raw(small_gateway, request)
        assert status < 500, (request, answer)
        assert b"Traceback" not in answer


def test_bad_tokens_are_401(small_gateway, headers):
    me = small_gateway.client.get("/v1/users/me", headers=headers).json()
    corpus = bad_tokens(secret=JWT_SECRET, issuer=ISSUER, audience=AUDIENCE, user_id=me["id"])
    for name, token in corpus.items():
        text = token if isinstance(token, str) else repr(token)
        try:
            header = f"Bearer {text}".encode("latin-1")
        except UnicodeEncodeError:
            header = f"Bearer {text}".encode("utf-8", "surrogatepass")
        if b"\x00" in header or len(header) > 8000 or header != header.strip():
            status, answer = raw(
                small_gateway, b"GET /v1/consignments HTTP/1.1\r\nHost: x\r\nAuthorization: " + header + b"\r\n\r\n"
            )
            assert status in (400, 401, 431), (name, answer[:300])
            continue
        for path in ("/v1/users/me", "/v1/consignments", f"/v1/users/{me['id']}"):
            response = small_gateway.client.get(path, headers={"Authorization": header})
            assert response.status_code == 401, (name, path, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert problem(response, 401)["detail"]
        booked = small_gateway.client.post(
            "/v1/consignments", json=CLASSIC_CONSIGNMENT, headers={"Authorization": header}
        )
        assert booked.status_code == 401, (name, booked.text)
    assert small_gateway.client.get("/v1/consignments", headers=headers).json()["items"] == []


def test_an_idempotency_key_that_is_not_one_is_422(small_gateway, headers):
    for key in ("", "has space", "x" * 201):
        response = small_gateway.client.post(
            "/v1/consignments", json=CLASSIC_CONSIGNMENT, headers={**headers, "Idempotency-Key": key}
        )
        assert problem(response, 422)["field"] == "Idempotency-Key", key


def test_operator_smuggling_is_a_validation_error(small_gateway, headers):
    for body in (
        {**CLASSIC_CONSIGNMENT, "id": {"$gt": ""}},
        {**CLASSIC_CONSIGNMENT, "weight": {"$gt": 0}},
        {**CLASSIC_CONSIGNMENT, "weight": "55000"},
        {**CLASSIC_CONSIGNMENT, "weight": True},
        {**CLASSIC_CONSIGNMENT, "containers": []},
        {**CLASSIC_CONSIGNMENT, "id": f"../{uuid.uuid4()}"},
    ):
        problem(small_gateway.client.post("/v1/consignments", json=body, headers=headers), 422)
