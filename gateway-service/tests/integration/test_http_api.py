"""Every /v1 route over real HTTP: the gateway process in front of the real services."""

import copy
import uuid

from consignment_service.testing import CLASSIC_CONSIGNMENT
from gateway_service.testing import assert_problem


def test_register_answers_the_public_profile_and_refuses_an_existing_email(gateway, new_user):
    payload = new_user()
    created = gateway.client.post("/v1/users", json=payload)
    assert created.status_code == 201
    profile = created.json()
    assert set(profile) == {"id", "name", "company", "email", "role"}
    assert profile["role"] == "customer"
    assert created.headers["location"] == f"/v1/users/{profile['id']}"
    assert payload["password"] not in created.text and "hash" not in created.text
    again = gateway.client.post("/v1/users", json={**payload, "email": payload["email"].upper()})
    assert_problem(again, 409, "already-exists")


def test_log_in_answers_a_token_and_one_refusal_for_a_wrong_password_or_unknown_email(gateway, new_user):
    payload = new_user()
    gateway.client.post("/v1/users", json=payload)
    issued = gateway.client.post("/v1/tokens", json={"email": payload["email"], "password": payload["password"]})
    assert issued.status_code == 200
    assert set(issued.json()) == {"token", "expires_at"}
    wrong = gateway.client.post("/v1/tokens", json={"email": payload["email"], "password": "not the password"})
    unknown = gateway.client.post("/v1/tokens", json={"email": "nobody@example.com", "password": "not the password"})
    for refused in (wrong, unknown):
        assert_problem(refused, 401, "unauthenticated")
        assert refused.headers["www-authenticate"].startswith("Bearer")
    strip = lambda document: {k: v for k, v in document.items() if k != "request_id"}  # noqa: E731
    assert strip(wrong.json()) == strip(unknown.json())


def test_me_is_the_callers_profile(gateway, http_user):
    profile, _, headers = http_user()
    me = gateway.client.get("/v1/users/me", headers=headers)
    assert me.status_code == 200
    assert me.json() == profile


def test_a_customer_sees_only_themself_and_may_not_list(gateway, http_user):
    ana, _, as_ana = http_user()
    ben, _, _ = http_user()
    assert gateway.client.get(f"/v1/users/{ana['id']}", headers=as_ana).json() == ana
    assert_problem(gateway.client.get(f"/v1/users/{ben['id']}", headers=as_ana), 404, "not-found")
    assert_problem(gateway.client.get(f"/v1/users/{uuid.uuid4()}", headers=as_ana), 404, "not-found")
    assert_problem(gateway.client.get("/v1/users", headers=as_ana), 403, "forbidden")


def test_an_admin_lists_everyone_page_by_page(gateway, http_user, set_role):
    admin, _, as_admin = http_user()
    set_role(admin["id"], "admin")
    others = [http_user()[0] for _ in range(2)]
    seen, cursor = [], None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = gateway.client.get("/v1/users", params=params, headers=as_admin)
        assert page.status_code == 200, page.text
        assert len(page.json()["items"]) <= 1
        seen += [user["id"] for user in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
    assert {admin["id"], *(user["id"] for user in others)} <= set(seen)
    assert gateway.client.get(f"/v1/users/{others[0]['id']}", headers=as_admin).json() == others[0]
    bad = gateway.client.get("/v1/users", params={"cursor": "nonsense"}, headers=as_admin)
    assert assert_problem(bad, 422, "validation-error")["field"] == "cursor"


def test_booking_answers_the_booking_and_a_retry_books_nothing_twice(gateway, http_user):
    _, _, headers = http_user()
    body = {**CLASSIC_CONSIGNMENT, "id": f"order-{uuid.uuid4().hex[:8]}"}
    first = gateway.client.post("/v1/consignments", json=body, headers=headers)
    assert first.status_code == 201, first.text
    booking = first.json()
    assert booking["id"] == body["id"] and booking["vessel_id"]
    assert first.headers["location"] == f"/v1/consignments/{body['id']}"
    again = gateway.client.post("/v1/consignments", json=body, headers=headers)
    assert (again.status_code, again.json()) == (201, booking)
    other = gateway.client.post("/v1/consignments", json={**body, "weight": 1}, headers=headers)
    assert_problem(other, 409, "already-exists")
    listed = gateway.client.get("/v1/consignments", headers=headers).json()["items"]
    assert [item["id"] for item in listed] == [body["id"]]


def test_an_idempotency_key_makes_a_retry_the_same_booking(gateway, http_user):
    _, _, headers = http_user()
    keyed = {**headers, "Idempotency-Key": f"key-{uuid.uuid4()}"}
    first = gateway.client.post("/v1/consignments", json=CLASSIC_CONSIGNMENT, headers=keyed)
    again = gateway.client.post("/v1/consignments", json=CLASSIC_CONSIGNMENT, headers=keyed)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    unkeyed = gateway.client.post("/v1/consignments", json=CLASSIC_CONSIGNMENT, headers=headers)
    assert unkeyed.json()["id"] != first.json()["id"]
    other_body = {**CLASSIC_CONSIGNMENT, "description": "something else"}
    assert_problem(gateway.client.post("/v1/consignments", json=other_body, headers=keyed), 409, "already-exists")
    assert len(gateway.client.get("/v1/consignments", headers=headers).json()["items"]) == 2


def test_the_same_key_from_another_user_is_another_booking(gateway, http_user):
    key = f"key-{uuid.uuid4()}"
    ids = set()
    for _ in range(2):
        _, _, headers = http_user()
        booked = gateway.client.post(
            "/v1/consignments", json=CLASSIC_CONSIGNMENT, headers={**headers, "Idempotency-Key": key}
        )
        assert booked.status_code == 201, booked.text
        ids.add(booked.json()["id"])
    assert len(ids) == 2


def test_no_vessel_with_room_is_a_conflict_naming_why(gateway, http_user):
    _, _, headers = http_user()
    heavy = {**CLASSIC_CONSIGNMENT, "weight": 10**9}
    document = assert_problem(gateway.client.post("/v1/consignments", json=heavy, headers=headers), 409)
    assert document["type"].endswith(":no-vessel-available")
    assert "vessel" in document["detail"]


def test_a_schema_violation_names_the_field(gateway, http_user):
    _, _, headers = http_user()
    broken = copy.deepcopy(CLASSIC_CONSIGNMENT)
    broken["containers"][1]["origin"] = ""
    document = assert_problem(gateway.client.post("/v1/consignments", json=broken, headers=headers), 422)
    assert document["field"] == "containers.1.origin"
    extra = assert_problem(
        gateway.client.post("/v1/consignments", json={**CLASSIC_CONSIGNMENT, "owner": "x"}, headers=headers), 422
    )
    assert extra["field"] == "owner"


def test_the_callers_consignments_newest_first_page_by_page_and_one_by_id(gateway, http_user):
    _, _, as_ana = http_user()
    _, _, as_ben = http_user()
    booked = [
        gateway.client.post("/v1/consignments", json=CLASSIC_CONSIGNMENT, headers=as_ana).json()["id"] for _ in range(3)
    ]
    gateway.client.post("/v1/consignments", json=CLASSIC_CONSIGNMENT, headers=as_ben)
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = gateway.client.get("/v1/consignments", params=params, headers=as_ana).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == booked[::-1]
    one = gateway.client.get(f"/v1/consignments/{booked[0]}", headers=as_ana)
    assert one.status_code == 200 and one.json()["id"] == booked[0]
    assert_problem(gateway.client.get(f"/v1/consignments/{booked[0]}", headers=as_ben), 404, "not-found")
    assert_problem(gateway.client.get("/v1/consignments/no-such-thing", headers=as_ana), 404, "not-found")
    too_many = gateway.client.get("/v1/consignments", params={"limit": 201}, headers=as_ana)
    assert assert_problem(too_many, 422)["field"] == "limit"


def test_every_route_but_sign_up_and_log_in_wants_a_token(gateway):
    for method, path in [
        ("GET", "/v1/users/me"),
        ("GET", f"/v1/users/{uuid.uuid4()}"),
        ("GET", "/v1/users"),
        ("GET", "/v1/consignments"),
        ("GET", "/v1/consignments/c1"),
        ("POST", "/v1/consignments"),
        ("GET", "/v1/tracking/ABCD-EFGH-JKMN"),
        ("POST", "/v1/consignments/c1/cancellation"),
        ("POST", "/v1/consignments/c1/delivery"),
        ("GET", "/v1/vessels"),
        ("POST", "/v1/vessels/vessel001/departure"),
        ("POST", "/v1/vessels/vessel001/arrival"),
        ("POST", "/v1/vessels/vessel001/retirement"),
    ]:
        body = CLASSIC_CONSIGNMENT if method == "POST" else None
        response = gateway.client.request(method, path, json=body)
        assert_problem(response, 401, "unauthenticated")
        assert response.headers["www-authenticate"].startswith("Bearer")
        basic = gateway.client.request(method, path, json=body, headers={"Authorization": "Basic YTpi"})
        assert_problem(basic, 401)
