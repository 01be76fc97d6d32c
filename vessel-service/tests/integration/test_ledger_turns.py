"""The ledger against the real store: what it relies on the store for, the
writers of one process taking turns (``repository.LedgerTurns``), and the
fleet as a process last read it (``repository.KnownFleet``)."""

from datetime import UTC, datetime

import eventlet
import pymongo
import pytest
from pymongo.errors import BulkWriteError, DuplicateKeyError

from shippy_common.auth import ADMIN, Caller
from shippy_common.errors import NoVesselAvailable
from shippy_common.testing.queries import InsertRecorder, QueryRecorder
from vessel_service import services
from vessel_service.domain import Load, Vessel
from vessel_service.repository import KnownFleet, VesselRepository

ADMIN_CALLER = Caller(id="admin-1", name="Ada", company="Shippy", email="ada@example.com", role=ADMIN)


def now():
    return datetime.now(UTC)


def test_the_store_lets_exactly_one_of_racing_inserts_of_one_key_win(mongo_database):
    """The one guarantee the ledger takes from the store (FerretDB or MongoDB):
    of inserts racing under one unique key, exactly one succeeds. Updates are
    not relied on: FerretDB on PostgreSQL lost 1,972 of 2,400 racing ``$inc``."""
    entries = mongo_database["race"]
    entries.create_index("key", unique=True)

    def insert(round_number, writer):
        try:
            entries.insert_one({"_id": f"{round_number}:{writer}", "key": round_number})
        except DuplicateKeyError:
            return 0
        return 1

    pool = eventlet.GreenPool(16)
    for round_number in range(20):
        winners = sum(pool.imap(lambda writer, n=round_number: insert(n, writer), range(16)))
        assert winners == 1, f"round {round_number}: {winners} racing inserts of one key succeeded"
    assert entries.count_documents({}) == 20


def test_the_store_writes_an_ordered_insert_up_to_the_first_refused_document_and_names_it(mongo_database):
    """What a vessel's bookings written in one insert rely on (``VesselLedger.append_all``):
    the documents before a taken key are written, the error gives the refused
    one's index, and none after it is written."""
    entries = mongo_database["ordered"]
    entries.create_index("key", unique=True)
    entries.insert_one({"_id": "taken", "key": "c"})
    documents = [{"_id": name, "key": name} for name in ("a", "b", "c", "d", "e")]
    with pytest.raises(BulkWriteError) as refused:
        entries.insert_many(documents, ordered=True)
    first_error = refused.value.details["writeErrors"][0]
    assert (first_error["index"], first_error["code"]) == (2, 11000)
    assert sorted(document["_id"] for document in entries.find()) == ["a", "b", "taken"]


def test_bookings_made_at_once_for_one_vessel_are_written_in_a_few_inserts_each_as_its_own_entry(
    mongo_uri, mongo_database
):
    recorder = InsertRecorder()
    client = pymongo.MongoClient(mongo_uri, event_listeners=[recorder], tz_aware=True)
    repository = VesselRepository(client[mongo_database.name])
    repository.ensure_indexes()
    repository.add(Vessel(id="hot", name="Hot", capacity=16, max_weight=10_000, available=True))
    book = booker(repository)
    book("first")
    recorder.inserts.clear()

    pool = eventlet.GreenPool(16)
    placed = list(pool.imap(book, [f"b{number}" for number in range(15)]))

    assert placed == ["hot"] * 15
    ledger_inserts = recorder.into("vessel_ledger")
    assert sum(ledger_inserts) == 15
    assert len(ledger_inserts) <= 5, f"15 bookings written in {len(ledger_inserts)} inserts"
    entries = list(mongo_database.vessel_ledger.find({"vessel_id": "hot"}).sort("seq", pymongo.ASCENDING))
    assert [entry["seq"] for entry in entries] == list(range(17))
    assert [entry["containers_left"] for entry in entries] == list(range(16, -1, -1))
    assert sorted(entry.get("booking_id") for entry in entries[2:]) == sorted(f"b{number}" for number in range(15))
    client.close()


def test_a_writer_that_remembers_a_stale_newest_entry_reads_again(mongo_database):
    """Two processes (two repositories, each with its own turns): what one of
    them remembers goes stale when the other books; its next booking must not
    trust it."""
    here, there = VesselRepository(mongo_database), VesselRepository(mongo_database)
    here.ensure_indexes()
    here.add(Vessel(id="three", name="Three slots", capacity=3, max_weight=1000, available=True))

    def book(repository, booking_id):
        return services.book(repository, repository.ledger, booking_id, Load(1, 10), now, pause=lambda _: None)

    assert book(here, "first").vessel.id == "three"  # here remembers one slot taken
    assert book(there, "second").vessel.id == "three"
    assert book(here, "third").vessel.id == "three"  # here remembered 2 left: 1 was
    with pytest.raises(NoVesselAvailable):
        book(there, "fourth")
    with pytest.raises(NoVesselAvailable):
        book(here, "fifth")
    newest = mongo_database.vessel_ledger.find_one({"vessel_id": "three"}, sort=[("seq", -1)])
    assert (newest["seq"], newest["containers_left"]) == (3, 0)


def test_a_full_vessel_remembered_as_full_takes_a_booking_once_room_is_given_back_elsewhere(mongo_database):
    """A refusal is never made on what a process remembers: room another process gave back is used."""
    here, there = VesselRepository(mongo_database), VesselRepository(mongo_database)
    here.ensure_indexes()
    here.add(Vessel(id="one", name="One slot", capacity=1, max_weight=1000, available=True))
    services.book(here, here.ledger, "first", Load(1, 10), now)
    assert services.release(there, there.ledger, "first", now) is True
    assert services.book(here, here.ledger, "second", Load(1, 10), now).vessel.id == "one"


# -- the fleet as last read (repository.KnownFleet) -----------------------------------------------


ONE = Load(1, 10)


def booker(repository):
    def book(booking_id, load=ONE):
        return services.book(repository, repository.ledger, booking_id, load, now, pause=lambda _: None).vessel.id

    return book


def test_bookings_read_the_fleet_once_a_second_not_once_each(mongo_uri, mongo_database):
    clock = [0.0]
    recorder = QueryRecorder()
    client = pymongo.MongoClient(mongo_uri, event_listeners=[recorder], tz_aware=True)
    repository = VesselRepository(client[mongo_database.name], known=KnownFleet(clock=lambda: clock[0]))
    repository.ensure_indexes()
    repository.add(Vessel(id="ship", name="Ship", capacity=100, max_weight=10_000, available=True))
    book = booker(repository)

    def fleet_reads():
        return sum(1 for find in recorder.finds if find["find"] == "vessels")

    for number in range(5):
        assert book(f"b{number}") == "ship"
    assert fleet_reads() == 1
    clock[0] += 0.999
    assert book("b5") == "ship"
    assert fleet_reads() == 1
    clock[0] += 0.001
    assert book("b6") == "ship"
    assert fleet_reads() == 2
    client.close()


def test_a_vessel_another_process_just_added_takes_a_load_only_it_can_carry(mongo_database):
    here, there = VesselRepository(mongo_database), VesselRepository(mongo_database)
    here.ensure_indexes()
    here.add(Vessel(id="small", name="Small", capacity=5, max_weight=1000, available=True))
    assert booker(here)("first") == "small"  # here has read the fleet: the small vessel alone
    there.add(Vessel(id="large", name="Large", capacity=50, max_weight=1000, available=True))
    assert booker(here)("big", Load(20, 10)) == "large"  # not refused on the fleet as here read it


def test_a_vessel_another_process_retired_takes_no_booking_from_one_that_still_lists_it(mongo_database):
    here, there = VesselRepository(mongo_database), VesselRepository(mongo_database)
    here.ensure_indexes()
    here.add(Vessel(id="small", name="Small", capacity=5, max_weight=1000, available=True))
    here.add(Vessel(id="large", name="Large", capacity=50, max_weight=1000, available=True))
    assert booker(here)("first") == "small"
    services.release(here, here.ledger, "first", now)
    services.retire(there, there.ledger, ADMIN_CALLER, "small", now, pause=lambda _: None)
    assert booker(here)("second") == "large"
    assert mongo_database.vessel_ledger.count_documents({"vessel_id": "small", "kind": "booking"}) == 1
