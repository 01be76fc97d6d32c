"""Every query of a booking, a retry and a release is answered from an index,
among thousands of other vessels and ledger entries
(``shippy_common.testing.queries``). Runs on the host only: the compose file's
stand-in for MongoDB runs FerretDB on SQLite, which uses no index at all."""

from datetime import UTC, datetime

import pymongo

from shippy_common.testing.queries import QueryRecorder
from vessel_service import services
from vessel_service.domain import Load, Vessel
from vessel_service.repository import VesselRepository

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
