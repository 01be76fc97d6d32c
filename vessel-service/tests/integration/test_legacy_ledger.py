"""A ledger the previous release wrote, upgraded in place when vessel_service starts."""

from datetime import UTC, datetime, timedelta

import pytest

from shippy_common.errors import AlreadyExists, InvalidTransition, NoVesselAvailable
from vessel_service.service import VesselService


def legacy_entry(seq, containers_left, weight_left, booking_id):
    """An entry as the previous release stored it: no kind, key, load nor time."""
    return {
        "_id": f"old:{seq:012d}",
        "vessel_id": "old",
        "seq": seq,
        "containers_left": containers_left,
        "weight_left": weight_left,
        "booking_id": booking_id,
    }


@pytest.fixture
def legacy_ledger(mongo_database):
    """Vessel ``old`` (10 containers, 1000 weight): ``old-a`` holds 2/200, ``old-b`` 3/300."""
    mongo_database.vessels.insert_one(
        {"_id": "old", "name": "Old", "capacity": 10, "max_weight": 1000, "available": True, "owner_id": None}
    )
    ledger = mongo_database.vessel_ledger
    ledger.create_index([("booking_id", 1)], unique=True)
    ledger.create_index([("vessel_id", 1), ("seq", -1)])
    ledger.insert_many(
        [
            legacy_entry(0, 10, 1000, "opening:old"),
            legacy_entry(1, 8, 800, "old-a"),
            legacy_entry(2, 5, 500, "old-b"),
        ]
    )
    return ledger


@pytest.fixture
def upgraded(legacy_ledger, container_factory, vessel_config, rpc_client):
    """vessel_service started twice on the legacy ledger: the second start finds nothing left to do."""
    config = {**vessel_config, "SEED_DEFAULT_FLEET": False}
    for _ in range(2):
        container_factory(VesselService, config).start()
    return rpc_client(timeout=30).vessel_service


def test_the_ledger_is_upgraded_in_place(upgraded, legacy_ledger):
    assert "booking_id_1" not in legacy_ledger.index_information()
    entries = list(legacy_ledger.find().sort("seq", 1))
    assert [entry["kind"] for entry in entries] == ["opening", "booking", "booking"]
    assert "booking_id" not in entries[0]
    assert [(e["containers"], e["weight"], e["generation"]) for e in entries[1:]] == [(2, 200, 1), (3, 300, 1)]
    assert len({entry["key"] for entry in entries}) == 3


def test_a_new_booking_gets_exactly_the_room_left(upgraded):
    assert upgraded.book({"booking_id": "new", "containers": 5, "weight": 500})["id"] == "old"
    with pytest.raises(NoVesselAvailable):
        upgraded.book({"booking_id": "one-more", "containers": 1, "weight": 1})


def test_a_legacy_booking_booked_again_answers_the_same_vessel(upgraded, legacy_ledger):
    assert upgraded.book({"booking_id": "old-a", "containers": 2, "weight": 200})["id"] == "old"
    with pytest.raises(AlreadyExists):
        upgraded.book({"booking_id": "old-a", "containers": 3, "weight": 200})
    assert legacy_ledger.count_documents({}) == 3


def test_releasing_a_legacy_booking_gives_its_room_back_once(upgraded):
    # As reconciliation asks: with the generation bookings_between reported.
    replies = [upgraded.release.call_async({"booking_id": "old-b", "generation": 1}) for _ in range(5)]
    assert sorted(reply.result()["released"] for reply in replies) == [False] * 4 + [True]
    assert upgraded.book({"booking_id": "after", "containers": 8, "weight": 800})["id"] == "old"
    with pytest.raises(NoVesselAvailable):
        upgraded.book({"booking_id": "one-more", "containers": 1, "weight": 1})


def test_legacy_bookings_count_as_made_at_the_upgrade(upgraded):
    now = datetime.now(UTC)
    window = {"since": (now - timedelta(minutes=1)).isoformat(), "until": (now + timedelta(minutes=1)).isoformat()}
    bookings = [(b["booking_id"], b["generation"], b["vessel_id"]) for b in upgraded.bookings_between(window)]
    assert bookings == [("old-a", 1, "old"), ("old-b", 1, "old")]


def previous_release_entry(seq, kind, containers_left, booking_id=None, load=0):
    """An entry as the release before voyages stored it: no ``voyage`` nor ``status``."""
    document = {
        "_id": f"prev:{seq:012d}",
        "key": f"{kind}/prev" if kind == "opening" else f"{kind}/1/{booking_id}",
        "kind": kind,
        "vessel_id": "prev",
        "seq": seq,
        "containers_left": containers_left,
        "weight_left": containers_left * 10,
    }
    if kind != "opening":
        document.update(booking_id=booking_id, generation=1, at=datetime.now(UTC), containers=load, weight=load * 10)
    return document


def test_entries_written_before_voyages_sail_on_voyage_one(
    container_factory, vessel_config, mongo_database, rpc_client
):
    mongo_database.vessels.insert_one(
        {"_id": "prev", "name": "Prev", "capacity": 10, "max_weight": 100, "available": True, "owner_id": None}
    )
    mongo_database.vessel_ledger.insert_many(
        [
            previous_release_entry(0, "opening", 10),
            previous_release_entry(1, "booking", 8, "kept", 2),
            previous_release_entry(2, "booking", 5, "dropped", 3),
            previous_release_entry(3, "release", 8, "dropped", 3),
        ]
    )
    container_factory(VesselService, {**vessel_config, "SEED_DEFAULT_FLEET": False}).start()
    vessels = rpc_client(timeout=30).vessel_service
    assert vessels.book({"booking_id": "kept", "containers": 2, "weight": 20}) == {
        "id": "prev",
        "name": "Prev",
        "capacity": 10,
        "max_weight": 100,
        "available": True,
        "owner_id": None,
        "voyage": 1,
    }
    assert vessels.book({"booking_id": "new", "containers": 1, "weight": 10})["voyage"] == 1
    departure = vessels.depart({"vessel_id": "prev", "by": "admin-1"})
    assert (departure["voyage"], departure["booking_ids"]) == (1, ["kept", "new"])
    with pytest.raises(InvalidTransition):
        vessels.release({"booking_id": "kept"})


def test_bookings_the_previous_release_made_are_in_reconciliations_window(
    container_factory, vessel_config, mongo_database, rpc_client
):
    mongo_database.vessel_ledger.insert_many(
        [
            previous_release_entry(0, "opening", 10),
            previous_release_entry(1, "booking", 8, "first", 2),
            previous_release_entry(2, "booking", 5, "second", 3),
        ]
    )
    for _ in range(2):
        container_factory(VesselService, {**vessel_config, "SEED_DEFAULT_FLEET": False}).start()
    now = datetime.now(UTC)
    window = {"since": (now - timedelta(minutes=2)).isoformat(), "until": (now + timedelta(minutes=1)).isoformat()}
    bookings = rpc_client(timeout=30).vessel_service.bookings_between(window)
    assert [booking["booking_id"] for booking in bookings] == ["first", "second"]
    assert "kind_1_at_1" not in mongo_database.vessel_ledger.index_information()
