"""The README's story by curl: the HTTP API (the gateway container) from the host,
on the loopback port the test stack published it on. Register, log in, book
consignment.json as it is on disk, list; the confirmation arrives at Mailpit."""

import secrets
import uuid
from pathlib import Path

from shippy_common.testing.waits import eventually

CONSIGNMENT_FILE = Path(__file__).resolve().parents[2] / "consignment-cli" / "consignment.json"
PROBLEM = "application/problem+json"


def assert_problem(response, status, slug):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    document = response.json()
    assert document["status"] == status and document["type"].endswith(f":{slug}"), document
    return document


def test_register_log_in_book_and_list_over_http_and_the_confirmation_is_mailed(stack):
    email = f"curl-{secrets.token_hex(4)}@example.com"
    password = secrets.token_urlsafe(12)
    request_id = f"compose-{uuid.uuid4().hex}"
    with stack.api() as api:
        # curl -d '{"name": ...}' -H 'Content-Type: application/json' $API/v1/users
        created = api.post(
            "/v1/users", json={"name": "Curl Tester", "company": "Shippy", "email": email, "password": password}
        )
        assert created.status_code == 201, created.text
        profile = created.json()
        assert profile["email"] == email and password not in created.text

        # curl -d '{"email": ..., "password": ...}' -H 'Content-Type: application/json' $API/v1/tokens
        issued = api.post("/v1/tokens", json={"email": email, "password": password})
        assert issued.status_code == 200, issued.text
        as_user = {"Authorization": f"Bearer {issued.json()['token']}"}

        # curl -d @consignment-cli/consignment.json -H 'Content-Type: application/json' -H "Authorization: ..."
        booked = api.post(
            "/v1/consignments",
            content=CONSIGNMENT_FILE.read_bytes(),
            headers={**as_user, "Content-Type": "application/json", "X-Request-ID": request_id},
        )
        assert booked.status_code == 201, booked.text
        assert booked.headers["x-request-id"] == request_id
        booking = booked.json()
        assert booking["owner_id"] == profile["id"]
        assert booking["weight"] == 55000 and len(booking["containers"]) == 3

        # curl -H "Authorization: ..." $API/v1/consignments
        listed = api.get("/v1/consignments", headers=as_user)
        assert listed.status_code == 200, listed.text
        assert [c["id"] for c in listed.json()["items"]] == [booking["id"]]

    assert booking["id"] in stack.booking_confirmation(booking["id"], email)
    # The request id is in the gateway's access log and went with the call into the
    # service's (each writes its line just after answering).
    (gateway,) = stack.containers("gateway")
    eventually(
        lambda: f"[{request_id}]: POST /v1/consignments 201" in stack.logs(gateway),
        timeout=10,
        interval=0.5,
        what="the gateway's access line of the booking",
    )
    eventually(
        lambda: any(
            f"[{request_id}]: consignment_service.create_consignment ok" in stack.logs(container)
            for container in stack.containers("consignment-service")
        ),
        timeout=10,
        interval=0.5,
        what="consignment-service's access line of the booking, with the request id",
    )


def test_a_bad_token_is_a_401_problem_and_books_nothing(stack):
    with stack.api() as api:
        refused = api.post(
            "/v1/consignments",
            content=CONSIGNMENT_FILE.read_bytes(),
            headers={"Authorization": "Bearer not.a.token", "Content-Type": "application/json"},
        )
        document = assert_problem(refused, 401, "unauthenticated")
        assert document["detail"] == "token is malformed"
        assert refused.headers["www-authenticate"].startswith("Bearer")
        anonymous = api.get("/v1/consignments")
        assert_problem(anonymous, 401, "unauthenticated")
