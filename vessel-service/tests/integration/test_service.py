"""vessel_service over real nameko RPC, RabbitMQ and the MongoDB-wire server."""

import pytest

from shippy_common.errors import AlreadyExists, NoVesselAvailable, ValidationError
from shippy_common.testing.net import get_json
from vessel_service.service import VesselService
from vessel_service.testing import CONFIG_FILE


def test_the_default_fleet_carries_the_classic_consignment(vessels):
    vessel = vessels.find_available({"capacity": 3, "max_weight": 55000})
    assert vessel["id"] == "vessel001"
    assert vessel["name"] == "Kane's Salty Secret"


def test_kanes_salty_secret_is_seeded_with_its_limits(vessels, mongo_database):
    document = mongo_database.vessels.find_one({"_id": "vessel001"})
    assert (document["capacity"], document["max_weight"], document["available"]) == (500, 200000, True)


def test_seeding_is_idempotent_and_keeps_changes(container_factory, vessel_config, mongo_database, rpc_client):
    first = container_factory(VesselService, vessel_config)
    first.start()
    mongo_database.vessels.update_one({"_id": "vessel001"}, {"$set": {"available": False}})
    first.stop()
    container_factory(VesselService, vessel_config).start()
    assert mongo_database.vessels.count_documents({"_id": "vessel001"}) == 1
    assert mongo_database.vessels.find_one({"_id": "vessel001"})["available"] is False


def test_a_created_vessel_is_found_for_a_load_it_fits_best(vessels, vessel_admin):
    created = vessel_admin.create({"id": "tug01", "name": "Tug", "capacity": 4, "max_weight": 9000, "owner_id": "u1"})
    assert created == {
        "id": "tug01",
        "name": "Tug",
        "capacity": 4,
        "max_weight": 9000,
        "status": "open",
        "voyage": 1,
        "containers_used": 0,
        "containers_free": 4,
        "weight_used": 0,
        "weight_free": 9000,
    }
    assert vessels.find_available({"capacity": 4, "max_weight": 9000})["id"] == "tug01"
    assert vessels.find_available({"capacity": 5, "max_weight": 9000})["id"] != "tug01"


def test_an_unavailable_vessel_is_not_offered(vessels, vessel_admin):
    vessel_admin.create({"id": "laidup", "name": "Laid up", "capacity": 1, "max_weight": 1, "available": False})
    assert vessels.find_available({"capacity": 1, "max_weight": 1})["id"] != "laidup"


def test_a_duplicate_id_is_already_exists(vessel_admin):
    vessel_admin.create({"id": "dup", "name": "One", "capacity": 1, "max_weight": 1})
    with pytest.raises(AlreadyExists, match="dup"):
        vessel_admin.create({"id": "dup", "name": "Two", "capacity": 2, "max_weight": 2})


def test_no_vessel_big_enough_is_caught_by_class(vessels):
    with pytest.raises(NoVesselAvailable):
        vessels.find_available({"capacity": 99_999, "max_weight": 1})


HOSTILE_SPECIFICATIONS = [
    (None, "specification"),
    ("DROP", "specification"),
    ({}, "capacity"),
    ({"capacity": "3", "max_weight": 1}, "capacity"),
    ({"capacity": -1, "max_weight": 1}, "capacity"),
    ({"capacity": 0, "max_weight": 1}, "capacity"),
    ({"capacity": {"$gt": 0}, "max_weight": {"$gt": 0}}, "capacity"),
    ({"capacity": 1, "max_weight": 1, "available": False}, "available"),
    ({"capacity": 1, "max_weight": 1, "x" * 2_000_000: 1}, "x" * 97 + "..."),
]


@pytest.mark.parametrize(("payload", "field"), HOSTILE_SPECIFICATIONS)
def test_hostile_specifications_are_refused_and_the_service_keeps_serving(vessels, payload, field):
    with pytest.raises(ValidationError) as error:
        vessels.find_available(payload)
    assert error.value.field == field
    assert vessels.find_available({"capacity": 1, "max_weight": 1})["available"] is True


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "No limits"}, "capacity"),
        ({"id": {"$gt": ""}, "name": "n", "capacity": 1, "max_weight": 1}, "id"),
        ({"name": {"$regex": ".*"}, "capacity": 1, "max_weight": 1}, "name"),
        ({"name": "n" * 5_000_000, "capacity": 1, "max_weight": 1}, "name"),
        ({"name": "n", "capacity": 1, "max_weight": 1, "admin": True}, "admin"),
    ],
)
def test_hostile_vessels_never_reach_the_database(vessel_admin, mongo_database, payload, field):
    before = mongo_database.vessels.count_documents({})
    with pytest.raises(ValidationError) as error:
        vessel_admin.create(payload)
    assert error.value.field == field
    assert mongo_database.vessels.count_documents({}) == before


def test_health_is_ok_while_rabbitmq_and_mongodb_answer(vessel_container, vessel_config):
    status, body = get_json(f"http://{vessel_config['WEB_SERVER_ADDRESS']}/health")
    assert status == 200
    assert body == {"service": "vessel_service", "status": "ok", "checks": {"RabbitMQ": "ok", "MongoDB": "ok"}}


def test_health_is_503_with_the_reason_while_a_server_is_down(
    container_factory, service_config, mongo_database, mongo_uri, tcp_gate, rabbit_config, rpc_client
):
    amqp_gate = tcp_gate("rabbitmq")
    mongo_gate = tcp_gate("mongodb")
    amqp_gate.open()
    mongo_gate.open()
    config = service_config(
        CONFIG_FILE,
        AMQP_URI=amqp_gate.reroute(rabbit_config["AMQP_URI"]),
        MONGO_URI=mongo_gate.reroute(mongo_uri),
        MONGO_DATABASE=mongo_database.name,
    )
    container_factory(VesselService, config).start()
    health_url = f"http://{config['WEB_SERVER_ADDRESS']}/health"
    assert get_json(health_url)[0] == 200

    mongo_gate.close()
    status, body = get_json(health_url)
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["RabbitMQ"] == "ok"
    assert body["checks"]["MongoDB"] != "ok"

    mongo_gate.open()
    amqp_gate.close()
    status, body = get_json(health_url)
    assert status == 503
    assert body["checks"]["RabbitMQ"] != "ok"
    assert body["checks"]["MongoDB"] == "ok"

    amqp_gate.open()
    assert get_json(health_url)[0] == 200
    vessel = rpc_client(timeout=30).vessel_service.find_available({"capacity": 1, "max_weight": 1})
    assert vessel["available"] is True


def test_fifty_concurrent_bookings_fill_a_ten_container_vessel_exactly(empty_fleet, mongo_database):
    empty_fleet.create({"id": "ten", "name": "Ten slots", "capacity": 10, "max_weight": 1_000_000})
    replies = [empty_fleet.book.call_async({"booking_id": f"b{i}", "containers": 1, "weight": 10}) for i in range(50)]
    booked, refused = 0, 0
    for reply in replies:
        try:
            assert reply.result()["id"] == "ten"
            booked += 1
        except NoVesselAvailable:
            refused += 1
    assert (booked, refused) == (10, 40)
    entries = list(mongo_database.vessel_ledger.find({"vessel_id": "ten"}).sort("seq", -1))
    assert entries[0]["containers_left"] == 0
    assert len(entries) == 11  # the opening entry and ten bookings


def test_weight_runs_out_before_slots_do(empty_fleet):
    empty_fleet.create({"id": "light", "name": "Light", "capacity": 100, "max_weight": 1000})
    assert empty_fleet.book({"booking_id": "heavy1", "containers": 1, "weight": 600})["id"] == "light"
    with pytest.raises(NoVesselAvailable):
        empty_fleet.book({"booking_id": "heavy2", "containers": 1, "weight": 600})
    assert empty_fleet.book({"booking_id": "heavy3", "containers": 1, "weight": 400})["id"] == "light"


def test_a_retried_booking_reserves_once_and_answers_the_same(empty_fleet, mongo_database):
    empty_fleet.create({"id": "two", "name": "Two slots", "capacity": 2, "max_weight": 100})
    replies = [empty_fleet.book.call_async({"booking_id": "same", "containers": 1, "weight": 1}) for _ in range(5)]
    assert {reply.result()["id"] for reply in replies} == {"two"}
    assert mongo_database.vessel_ledger.count_documents({"booking_id": "same"}) == 1
    assert empty_fleet.book({"booking_id": "other", "containers": 1, "weight": 1})["id"] == "two"


def test_no_room_anywhere_reserves_nothing(empty_fleet, mongo_database):
    empty_fleet.create({"id": "tiny", "name": "Tiny", "capacity": 1, "max_weight": 1})
    with pytest.raises(NoVesselAvailable):
        empty_fleet.book({"booking_id": "too-big", "containers": 2, "weight": 1})
    assert mongo_database.vessel_ledger.count_documents({"booking_id": "too-big"}) == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"containers": 1, "weight": 1}, "booking_id"),
        ({"booking_id": {"$ne": ""}, "containers": 1, "weight": 1}, "booking_id"),
        ({"booking_id": "b", "containers": 0, "weight": 1}, "containers"),
        ({"booking_id": "b", "containers": 1, "weight": "1"}, "weight"),
    ],
)
def test_bad_bookings_are_validation_errors(vessels, payload, field):
    with pytest.raises(ValidationError) as error:
        vessels.book(payload)
    assert error.value.field == field


def test_a_booking_id_shaped_like_the_opening_entry_cannot_skip_the_reservation(empty_fleet, mongo_database):
    empty_fleet.create({"id": "small", "name": "Small", "capacity": 2, "max_weight": 100})
    empty_fleet.book({"booking_id": "first", "containers": 1, "weight": 1})  # the opening entry exists now
    for booking_id in ("opening:small", "opening.small", "small:000000000000"):
        with pytest.raises(NoVesselAvailable):
            empty_fleet.book({"booking_id": booking_id, "containers": 500, "weight": 1})
    assert mongo_database.vessel_ledger.find_one(sort=[("seq", -1)])["containers_left"] == 1


def test_a_retry_with_a_different_load_is_already_exists(empty_fleet, mongo_database):
    empty_fleet.create({"id": "big", "name": "Big", "capacity": 1000, "max_weight": 10**6})
    empty_fleet.book({"booking_id": "x", "containers": 1, "weight": 1})
    with pytest.raises(AlreadyExists):
        empty_fleet.book({"booking_id": "x", "containers": 500, "weight": 1})
    assert mongo_database.vessel_ledger.find_one(sort=[("seq", -1)])["containers_left"] == 999


def test_concurrent_releases_give_the_room_back_once(empty_fleet, mongo_database):
    empty_fleet.create({"id": "three", "name": "Three", "capacity": 3, "max_weight": 100})
    empty_fleet.book({"booking_id": "keep", "containers": 1, "weight": 10})
    empty_fleet.book({"booking_id": "drop", "containers": 2, "weight": 20})
    replies = [empty_fleet.release.call_async({"booking_id": "drop"}) for _ in range(10)]
    assert sorted(reply.result()["released"] for reply in replies) == [False] * 9 + [True]
    newest = mongo_database.vessel_ledger.find_one({"vessel_id": "three"}, sort=[("seq", -1)])
    assert (newest["containers_left"], newest["weight_left"]) == (2, 90)
    assert empty_fleet.book({"booking_id": "again", "containers": 2, "weight": 90})["id"] == "three"


def test_bookings_between_lists_the_window(empty_fleet):
    from datetime import UTC, datetime, timedelta

    empty_fleet.create({"id": "one", "name": "One", "capacity": 10, "max_weight": 100})
    empty_fleet.book({"booking_id": "b1", "containers": 1, "weight": 1})
    now = datetime.now(UTC)
    window = {"since": (now - timedelta(minutes=1)).isoformat(), "until": (now + timedelta(minutes=1)).isoformat()}
    assert [
        (b["booking_id"], b["generation"], b["vessel_id"], b["voyage"]) for b in empty_fleet.bookings_between(window)
    ] == [("b1", 1, "one", 1)]
    window["since"] = (now + timedelta(seconds=30)).isoformat()
    assert empty_fleet.bookings_between(window) == []
