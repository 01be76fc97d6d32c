"""Every query of a booking, a retry, a release and reconciliation's window is answered from an index,
among thousands of other vessels and ledger entries
(``shippy_common.testing.queries``). Runs on the host only: the compose file's
stand-in for MongoDB runs FerretDB on SQLite, which uses no index at all."""

from datetime import UTC, datetime, timedelta

import pymongo

from shippy_common.testing.queries import QueryRecorder
from vessel_service import services
from vessel_service.domain import Load, Vessel
from vessel_service.repository import VesselRepository, booking_minute

OTHERS = 3000


def now():
    return datetime.now(UTC)


def test_the_booking_paths_read_only_through_indexes(mongo_uri, mongo_database):
    recorder = QueryRecorder()
    client = pymongo.MongoClient(mongo_uri, event_listeners=[recorder], tz_aware=True)
    here, there = VesselRepository(client[mongo_database.name]), VesselRepository(client[mongo_database.name])
    here.ensure_indexes()
    mongo_database.vessels.insert_many(
        [
            {"_id": f"retired-{n}", "name": "Old", "capacity": 10, "max_weight": 10, "available": False}
            for n in range(OTHERS)
        ]
    )
    mongo_database.vessel_ledger.insert_many(
        [
            {"_id": f"other:{n:012d}", "key": f"booking/1/other-{n}", "kind": "booking", "vessel_id": "other"}
            | {"seq": n, "booking_id": f"other-{n}", "containers_left": 1, "weight_left": 1}
            for n in range(OTHERS)
        ]
    )
    here.add(Vessel(id="ship", name="Ship", capacity=100, max_weight=10_000, available=True))
    recorder.finds.clear()

    def book(repository, booking_id):
        return services.book(repository, repository.ledger, booking_id, Load(1, 10), now)

    for number in range(5):
        assert book(here, f"b{number}").vessel.id == "ship"
    assert book(there, "b5").vessel.id == "ship"  # another process: finds the newest entry afresh
    assert book(here, "b6").vessel.id == "ship"  # what here remembered is stale: it reads again
    assert book(here, "b0").vessel.id == "ship"  # a retry
    assert services.release(here, here.ledger, "b1", now) is True
    assert here.ledger.newest(here.get("ship")).containers_left == 100 - 7 + 1  # seven booked, one released
    client.close()

    assert len(recorder.finds) >= 10
    assert recorder.unindexed(mongo_database) == []


def test_reconciliation_reads_a_window_of_bookings_through_the_index(mongo_uri, mongo_database):
    recorder = QueryRecorder()
    client = pymongo.MongoClient(mongo_uri, event_listeners=[recorder], tz_aware=True)
    repository = VesselRepository(client[mongo_database.name])
    start = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    mongo_database.vessel_ledger.insert_many(
        [
            {"_id": f"other:{n:012d}", "key": f"booking/1/other-{n}", "kind": "booking", "vessel_id": "other"}
            | {"seq": n, "booking_id": f"other-{n}", "generation": 1, "containers_left": 1, "weight_left": 1}
            | {"at": start + timedelta(seconds=n), "minute": booking_minute(start + timedelta(seconds=n))}
            for n in range(OTHERS)
        ]
    )
    repository.ensure_indexes()  # after the bookings: a ledger from before, not a new one
    recorder.finds.clear()

    window = repository.ledger.bookings_between(start + timedelta(seconds=90), start + timedelta(seconds=200), limit=50)
    client.close()

    assert [entry.booking_id for entry in window] == [f"other-{n}" for n in range(90, 140)]
    assert recorder.unindexed(mongo_database) == []
    assert len(recorder.finds) >= 2  # the window's first two minutes
    # FerretDB has PostgreSQL select by a query's equalities only and applies
    # the rest (the range of ``at``) to every document they select: a minute's.
    for find in recorder.finds:
        equalities = {field: value for field, value in find["filter"].items() if not isinstance(value, dict)}
        assert mongo_database.vessel_ledger.count_documents(equalities) <= 60, find


def booking_document(booking_id, at):
    return {"_id": f"old:{booking_id}", "key": f"booking/1/{booking_id}", "kind": "booking", "vessel_id": "old"} | {
        "seq": 0,
        "booking_id": booking_id,
        "generation": 1,
        "containers_left": 1,
        "weight_left": 1,
        "at": at,
        "minute": booking_minute(at),
    }


def test_a_new_ledgers_window_of_a_day_reads_only_the_minutes_since_it_was_made(mongo_uri, mongo_database):
    """The first reconciliation of a new store asks for a day: 1,440 queries, one a minute, before."""
    recorder = QueryRecorder()
    client = pymongo.MongoClient(mongo_uri, event_listeners=[recorder], tz_aware=True)
    repository = VesselRepository(client[mongo_database.name])
    repository.ensure_indexes()
    repository.add(Vessel(id="ship", name="Ship", capacity=100, max_weight=10_000, available=True))
    services.book(repository, repository.ledger, "b1", Load(1, 10), now)
    restarted = VesselRepository(client[mongo_database.name])
    restarted.ensure_indexes()  # another start keeps what the first recorded
    recorder.finds.clear()

    window = restarted.ledger.bookings_between(now() - timedelta(days=1), now() + timedelta(minutes=1), limit=50)
    client.close()

    assert [entry.booking_id for entry in window] == ["b1"]
    assert len(recorder.finds) <= 10, "the store's few minutes, with a margin of five, not the day's 1,440"


def test_a_ledger_that_had_bookings_before_is_read_over_the_whole_window(mongo_uri, mongo_database):
    mongo_database.vessel_ledger.insert_one(booking_document("yesterday", now() - timedelta(hours=20)))
    repository = VesselRepository(mongo_database)
    repository.ensure_indexes()

    window = repository.ledger.bookings_between(now() - timedelta(days=1), now(), limit=50)

    assert [entry.booking_id for entry in window] == ["yesterday"]
