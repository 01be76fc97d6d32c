"""A booking's whole life over HTTP (README: "A voyage, step by step"): book,
cancel, depart, arrive, deliver, track; the fleet as operators and customers see it."""

from consignment_service.testing import CLASSIC_CONSIGNMENT
from gateway_service.testing import assert_problem


def small(description, containers=1):
    return {
        "description": description,
        "weight": 1000 * containers,
        "containers": [{"customer_id": f"cust{i}", "origin": "Leith"} for i in range(containers)],
    }


def vessel_row(gateway, headers, vessel_id):
    (row,) = [v for v in gateway.client.get("/v1/vessels", headers=headers).json()["items"] if v["id"] == vessel_id]
    return row


def test_a_voyage_book_two_cancel_one_depart_arrive_deliver(gateway, http_user, set_role):
    ana, _, as_ana = http_user()
    admin, _, as_admin = http_user()
    set_role(admin["id"], "admin")
    created = gateway.client.post(
        "/v1/vessels", json={"id": "tern", "name": "Tern", "capacity": 3, "max_weight": 10_000}, headers=as_admin
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "open"
    # Bigger than any seeded vessel's room? No: the default fleet is there too. Fill Tern by its size.
    first = gateway.client.post("/v1/consignments", json=small("first", 3), headers=as_ana).json()
    assert first["vessel_id"] == "tern" and first["status"] == "booked" and first["reference"]
    assert vessel_row(gateway, as_admin, "tern")["containers_used"] == 3

    cancelled = gateway.client.post(f"/v1/consignments/{first['id']}/cancellation", headers=as_ana)
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled"
    assert [step["status"] for step in cancelled.json()["timeline"]] == ["booked", "cancelled"]
    assert vessel_row(gateway, as_admin, "tern")["containers_used"] == 0
    again = gateway.client.post(f"/v1/consignments/{first['id']}/cancellation", headers=as_ana)
    assert again.status_code == 200 and again.json()["timeline"] == cancelled.json()["timeline"]
    assert vessel_row(gateway, as_admin, "tern")["containers_used"] == 0

    second = gateway.client.post("/v1/consignments", json=small("second", 3), headers=as_ana).json()
    assert second["vessel_id"] == "tern"
    assert_problem(gateway.client.post("/v1/vessels/tern/departure", headers=as_ana), 403, "forbidden")
    departed = gateway.client.post("/v1/vessels/tern/departure", headers=as_admin)
    assert departed.status_code == 200, departed.text
    assert departed.json()["status"] == "departed" and departed.json()["consignments"] == 1
    assert gateway.client.post("/v1/vessels/tern/departure", headers=as_admin).json() == departed.json()
    assert gateway.client.get(f"/v1/consignments/{second['id']}", headers=as_ana).json()["status"] == "in_transit"
    refused = gateway.client.post(f"/v1/consignments/{second['id']}/cancellation", headers=as_ana)
    assert "in_transit" in assert_problem(refused, 409, "invalid-transition")["detail"]
    assert vessel_row(gateway, as_admin, "tern")["status"] == "at_sea"
    assert_problem(gateway.client.post("/v1/vessels/tern/retirement", headers=as_admin), 409, "invalid-transition")

    arrived = gateway.client.post("/v1/vessels/tern/arrival", headers=as_admin)
    assert arrived.status_code == 200, arrived.text
    assert arrived.json()["status"] == "arrived" and arrived.json()["voyage"] == departed.json()["voyage"]
    tern = vessel_row(gateway, as_admin, "tern")
    assert (tern["status"], tern["voyage"], tern["containers_free"]) == ("open", departed.json()["voyage"] + 1, 3)

    assert_problem(gateway.client.post(f"/v1/consignments/{second['id']}/delivery", headers=as_ana), 403)
    delivered = gateway.client.post(f"/v1/consignments/{second['id']}/delivery", headers=as_admin)
    assert delivered.status_code == 200, delivered.text
    tracked = gateway.client.get(f"/v1/tracking/{second['reference']}", headers=as_ana).json()
    assert [step["status"] for step in tracked["timeline"]] == ["booked", "in_transit", "arrived", "delivered"]
    assert [step["by"] for step in tracked["timeline"]] == [ana["id"], admin["id"], admin["id"], admin["id"]]

    listed = gateway.client.get("/v1/consignments", params={"status": "cancelled"}, headers=as_ana).json()
    assert [item["id"] for item in listed["items"]] == [first["id"]]
    assert_problem(gateway.client.get("/v1/consignments", params={"status": "lost"}, headers=as_ana), 422)

    retired = gateway.client.post("/v1/vessels/tern/retirement", headers=as_admin)
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    heavy = gateway.client.post("/v1/consignments", json=small("third", 3), headers=as_ana).json()
    assert heavy["vessel_id"] != "tern"


def test_nobody_but_the_owner_sees_a_consignment_or_its_tracking(gateway, http_user):
    _, _, as_ana = http_user()
    _, _, as_ben = http_user()
    booked = gateway.client.post("/v1/consignments", json=CLASSIC_CONSIGNMENT, headers=as_ana).json()
    assert gateway.client.get(f"/v1/tracking/{booked['reference']}", headers=as_ana).json()["id"] == booked["id"]
    assert_problem(gateway.client.get(f"/v1/tracking/{booked['reference']}", headers=as_ben), 404, "not-found")
    assert_problem(gateway.client.get("/v1/tracking/AAAA-AAAA-AAAA", headers=as_ana), 404, "not-found")
    assert_problem(gateway.client.post(f"/v1/consignments/{booked['id']}/cancellation", headers=as_ben), 404)
    assert gateway.client.get(f"/v1/consignments/{booked['id']}", headers=as_ana).json()["status"] == "booked"


def test_customers_see_vessels_with_room_and_no_cargo(gateway, http_user, set_role):
    _, _, as_ana = http_user()
    gateway.client.post("/v1/consignments", json=CLASSIC_CONSIGNMENT, headers=as_ana)
    _, _, as_ben = http_user()
    vessels = gateway.client.get("/v1/vessels", headers=as_ben).json()["items"]
    assert vessels and all(v["status"] == "open" and v["containers_free"] > 0 for v in vessels)
    assert all(v.get("containers_used") is None and v.get("capacity") is None for v in vessels)
    refused = gateway.client.post("/v1/vessels", json={"name": "Mine", "capacity": 1, "max_weight": 1}, headers=as_ben)
    assert_problem(refused, 403, "forbidden")
