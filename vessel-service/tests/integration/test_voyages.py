"""Voyages over real nameko RPC, RabbitMQ, user_service and the MongoDB-wire
server: departures racing bookings and releases across two instances, the
fleet listing as admins and customers see it, and the outbox of vessel events
down to the relay publishing them to JetStream."""

import sys
from pathlib import Path

import pytest

from shippy_common.errors import Forbidden, InvalidTransition, NoVesselAvailable, Unauthorized, ValidationError
from shippy_common.testing.waits import eventually
from vessel_service.outbox import VesselOutbox

VESSEL_OUTBOX_RELAY = str(Path(sys.executable).with_name("vessel-outbox-relay"))
ENVELOPE_KEYS = {"id", "type", "version", "occurred_at", "aggregate_id", "data"}


def newest(mongo_database, vessel_id):
    return mongo_database.vessel_ledger.find_one({"vessel_id": vessel_id}, sort=[("seq", -1)])


def outcomes(replies):
    """Each reply's (vessel id, voyage), or ``None`` for NoVesselAvailable."""
    placed = []
    for reply in replies:
        try:
            answer = reply.result()
        except NoVesselAvailable:
            placed.append(None)
        else:
            placed.append((answer["id"], answer["voyage"]))
    return placed


def test_bookings_racing_a_departure_either_sail_on_it_or_go_elsewhere(empty_fleet, mongo_database):
    empty_fleet.create({"id": "racer", "name": "Racer", "capacity": 30, "max_weight": 10**6})
    empty_fleet.create({"id": "spare", "name": "Spare", "capacity": 100, "max_weight": 10**6})
    booking = {"containers": 1, "weight": 10}
    replies = [empty_fleet.book.call_async({"booking_id": f"b{i}", **booking}) for i in range(15)]
    departure_reply = empty_fleet.depart.call_async({"vessel_id": "racer", "by": "admin-1"})
    replies += [empty_fleet.book.call_async({"booking_id": f"b{i}", **booking}) for i in range(15, 40)]
    departure = departure_reply.result()
    placed = dict(zip((f"b{i}" for i in range(40)), outcomes(replies), strict=True))

    sailed = {booking_id for booking_id, where in placed.items() if where == ("racer", 1)}
    assert set(departure["booking_ids"]) == sailed
    assert len(departure["booking_ids"]) == len(sailed)
    assert {where for where in placed.values()} <= {("racer", 1), ("spare", 1)}
    on_spare = sum(1 for where in placed.values() if where == ("spare", 1))
    assert len(sailed) + on_spare == 40

    racer, spare = newest(mongo_database, "racer"), newest(mongo_database, "spare")
    assert (racer["kind"], racer["status"], racer["voyage"]) == ("departure", "at_sea", 1)
    assert racer["containers_left"] == 30 - len(sailed)
    assert spare["containers_left"] == 100 - on_spare
    assert empty_fleet.depart({"vessel_id": "racer", "by": "someone-else"}) == departure


def test_releases_racing_a_departure_are_refused_exactly_for_the_bookings_that_sailed(empty_fleet, mongo_database):
    empty_fleet.create({"id": "ship", "name": "Ship", "capacity": 20, "max_weight": 10**6})
    for i in range(20):
        empty_fleet.book({"booking_id": f"b{i}", "containers": 1, "weight": 10})
    replies = [empty_fleet.release.call_async({"booking_id": f"b{i}"}) for i in range(0, 20, 2)]
    departure = empty_fleet.depart({"vessel_id": "ship", "by": "admin-1"})
    released, refused = set(), set()
    for i, reply in zip(range(0, 20, 2), replies, strict=True):
        try:
            assert reply.result()["released"] is True
            released.add(f"b{i}")
        except InvalidTransition as error:
            assert "sailed" in str(error)
            refused.add(f"b{i}")
    sailed = set(departure["booking_ids"])
    assert sailed == {f"b{i}" for i in range(1, 20, 2)} | refused
    assert not sailed & released
    assert newest(mongo_database, "ship")["containers_left"] == 20 - len(sailed)
    with pytest.raises(InvalidTransition):
        empty_fleet.release({"booking_id": "b1"})


def test_a_voyage_from_departure_to_arrival_and_the_next_one(empty_fleet):
    empty_fleet.create({"id": "ship", "name": "Ship", "capacity": 2, "max_weight": 100})
    assert empty_fleet.book({"booking_id": "b1", "containers": 2, "weight": 10})["voyage"] == 1
    with pytest.raises(InvalidTransition, match="has not departed"):
        empty_fleet.arrive({"vessel_id": "ship", "by": "admin-1"})
    departure = empty_fleet.depart({"vessel_id": "ship", "by": "admin-1"})
    assert (departure["status"], departure["voyage"], departure["booking_ids"]) == ("departed", 1, ["b1"])
    assert empty_fleet.voyage({"vessel_id": "ship", "voyage": 1})["departed"] == {
        "at": departure["at"],
        "by": "admin-1",
    }
    arrival = empty_fleet.arrive({"vessel_id": "ship", "by": "admin-2"})
    assert (arrival["status"], arrival["voyage"], arrival["booking_ids"], arrival["by"]) == (
        "arrived",
        1,
        ["b1"],
        "admin-2",
    )
    assert empty_fleet.arrive({"vessel_id": "ship", "by": "admin-3"}) == arrival
    assert empty_fleet.voyage({"vessel_id": "ship", "voyage": 1})["status"] == "arrived"
    assert empty_fleet.voyage({"vessel_id": "ship", "voyage": 2}) == {
        "vessel_id": "ship",
        "voyage": 2,
        "status": "open",
        "departed": None,
        "arrived": None,
    }
    assert empty_fleet.book({"booking_id": "b2", "containers": 2, "weight": 10})["voyage"] == 2


def test_retirement(empty_fleet, sign_up):
    empty_fleet.create({"id": "old", "name": "Old", "capacity": 5, "max_weight": 100})
    empty_fleet.book({"booking_id": "b1", "containers": 1, "weight": 1})
    with pytest.raises(InvalidTransition, match="1 bookings on its open voyage"):
        empty_fleet.retire({"vessel_id": "old"})
    empty_fleet.release({"booking_id": "b1"})
    with pytest.raises(Forbidden):
        sign_up().rpc.vessel_service.retire({"vessel_id": "old"})
    retired = empty_fleet.retire({"vessel_id": "old"})
    assert (retired["status"], retired["containers_free"]) == ("retired", 5)
    assert empty_fleet.retire({"vessel_id": "old"}) == retired
    with pytest.raises(NoVesselAvailable):
        empty_fleet.book({"booking_id": "b2", "containers": 1, "weight": 1})


def all_pages(service, **query):
    pages, cursor = [], None
    while True:
        page = service.list_vessels({**query, **({"cursor": cursor} if cursor else {})})
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages


def test_the_fleet_listing_pages_and_shows_each_caller_its_view(empty_fleet, sign_up, rpc_client):
    for i in range(5):
        empty_fleet.create({"id": f"v{i}", "name": f"Vessel {i}", "capacity": 2, "max_weight": 100})
    empty_fleet.book({"booking_id": "fills-v0", "containers": 2, "weight": 10})  # the best fit: v0
    empty_fleet.book({"booking_id": "half-v1", "containers": 1, "weight": 30})
    empty_fleet.depart({"vessel_id": "v2", "by": "admin-1"})
    empty_fleet.retire({"vessel_id": "v3"})

    pages = all_pages(empty_fleet, limit=2)
    assert [[item["id"] for item in page] for page in pages] == [["v0", "v1"], ["v2", "v3"], ["v4"]]
    v1 = pages[0][1]
    assert v1 == {
        "id": "v1",
        "name": "Vessel 1",
        "capacity": 2,
        "max_weight": 100,
        "status": "open",
        "voyage": 1,
        "containers_used": 1,
        "containers_free": 1,
        "weight_used": 30,
        "weight_free": 70,
    }
    assert [item["id"] for item in empty_fleet.list_vessels({"status": "at_sea"})["items"]] == ["v2"]
    assert [item["id"] for item in empty_fleet.list_vessels({"status": "retired"})["items"]] == ["v3"]

    customer = sign_up().rpc.vessel_service
    seen = all_pages(customer, limit=1)
    assert [[item["id"] for item in page] for page in seen] == [["v1"], ["v4"]]
    assert seen[0][0] == {
        "id": "v1",
        "name": "Vessel 1",
        "status": "open",
        "voyage": 1,
        "containers_free": 1,
        "weight_free": 70,
    }
    assert customer.list_vessels({"status": "at_sea"}) == {"items": [], "next_cursor": None}
    with pytest.raises(Forbidden):
        customer.create({"id": "mine", "name": "Mine", "capacity": 1, "max_weight": 1})
    with pytest.raises(Unauthorized):
        rpc_client().vessel_service.list_vessels({})


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"status": "sunk"}, "status"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "x" * 201}, "cursor"),
        ({"owner": "me"}, "owner"),
    ],
)
def test_bad_listings_are_validation_errors(empty_fleet, query, field):
    with pytest.raises(ValidationError) as error:
        empty_fleet.list_vessels(query)
    assert error.value.field == field


def test_a_departure_and_an_arrival_record_their_events_in_the_outbox(empty_fleet, mongo_database):
    empty_fleet.create({"id": "ship", "name": "Ship", "capacity": 5, "max_weight": 100})
    for booking_id in ("b1", "b2"):
        empty_fleet.book({"booking_id": booking_id, "containers": 1, "weight": 1})
    departure = empty_fleet.depart({"vessel_id": "ship", "by": "admin-1"})
    empty_fleet.depart({"vessel_id": "ship", "by": "admin-1"})
    arrival = empty_fleet.arrive({"vessel_id": "ship", "by": "admin-1"})

    outbox = VesselOutbox(mongo_database.vessel_ledger)
    departed, arrived = outbox.pending(10)
    assert set(departed) == ENVELOPE_KEYS
    assert (departed["type"], arrived["type"]) == ("vessel.departed", "vessel.arrived")
    assert departed["aggregate_id"] == "ship"
    assert departed["data"] == {
        "vessel_id": "ship",
        "vessel_name": "Ship",
        "voyage": 1,
        "at": departure["at"],
        "by": "admin-1",
        "consignments": 2,
    }
    assert arrived["data"]["at"] == arrival["at"]
    document = mongo_database.vessel_ledger.find_one({"key": "departure/ship/1"})
    assert (document["outbox_pending"], document["event"]) == (True, departed)

    outbox.mark_sent([departed])
    assert outbox.pending(10) == [arrived]
    outbox.park(arrived, "refused by JetStream")
    assert outbox.pending(10) == []
    parked = mongo_database.vessel_ledger.find_one({"key": "arrival/ship/1"})["outbox_parked"]
    assert parked["reason"] == "refused by JetStream"


def test_the_relay_publishes_a_departure_once(empty_fleet, mongo_database, mongo_uri, start_process, event_stream):
    empty_fleet.create({"id": "ship", "name": "Ship", "capacity": 5, "max_weight": 100})
    empty_fleet.book({"booking_id": "b1", "containers": 1, "weight": 1})
    empty_fleet.depart({"vessel_id": "ship", "by": "admin-1"})
    env = {**event_stream.env, "MONGO_URI": mongo_uri, "VESSEL_MONGO_DATABASE": mongo_database.name}
    relay = start_process([VESSEL_OUTBOX_RELAY], env=env)
    relay.wait_for_output("relaying events")

    (message,) = event_stream.wait_for_messages(1)
    event = message["event"]
    assert message["subject"] == event_stream.prefix + "vessel.departed"
    assert message["msg_id"] == event["id"]
    assert (event["aggregate_id"], event["data"]["voyage"], event["data"]["consignments"]) == ("ship", 1, 1)
    eventually(
        lambda: not mongo_database.vessel_ledger.count_documents({"outbox_pending": True}),
        timeout=10,
        what="the vessel outbox marked sent",
    )
    assert relay.stop() == 0
    assert "Traceback" not in relay.output
