"""Every query of a booking, a cancel, a look-up, a customer's first page and reconciliation is
answered from an index, among thousands of other consignments
(``shippy_common.testing.queries``). Runs on the host only: the compose file's
stand-in for MongoDB runs FerretDB on SQLite, which uses no index at all."""

from datetime import UTC, datetime

import pymongo

from consignment_service import services
from consignment_service.domain import BookedVessel, BookingRequest, Container
from consignment_service.repository import ConsignmentRepository
from shippy_common.auth import Caller
from shippy_common.testing.queries import QueryRecorder

ANA = Caller(id="ana", name="Ana", company="A", email="ana@example.com")
OTHERS = 3000


class OneVessel:
    def book(self, booking_id, containers, weight, again=True):
        return BookedVessel("v1", "Vessel One", 1)

    def release(self, booking_id, generation=None):
        return True


def now():
    return datetime.now(UTC)


def test_a_customers_hot_paths_read_only_through_indexes(mongo_uri, mongo_database):
    recorder = QueryRecorder()
    client = pymongo.MongoClient(mongo_uri, event_listeners=[recorder], tz_aware=True)
    store = ConsignmentRepository(client[mongo_database.name])
    store.ensure_indexes()
    others = [
        {
            "_id": f"other-{n}",
            "owner_id": f"owner-{n % 100}",
            "reference": f"REF-{n}",
            "created_ns": n,
            "status": "booked",
        }
        for n in range(OTHERS)
    ]
    mongo_database.consignments.insert_many(others)
    mongo_database.consignment_transitions.insert_many(
        [
            {"_id": f"other-{n}:000001", "consignment_id": f"other-{n}", "seq": 1, "event_id": f"e{n}"}
            for n in range(OTHERS)
        ]
    )
    mongo_database.consignment_voyages.insert_many(
        [{"_id": f"other-{n}/1/departed", "vessel_id": f"other-{n}"} for n in range(OTHERS)]
    )
    recorder.finds.clear()

    def book(consignment_id):
        request = BookingRequest(consignment_id, "parts", 10, (Container("c1", "Derby"),))
        return services.create_consignment(store, store.transitions, store.voyages, OneVessel(), ANA, request, now)

    first = book("mine-1")
    book("mine-2")
    book("mine-1")  # a retry
    services.cancel_consignment(store, store.transitions, OneVessel(), ANA, "mine-2", now)
    services.track(store, store.transitions, ANA, first.reference)
    page = services.list_consignments(store, store.transitions, ANA, status=None, after=None, limit=50)
    client.close()

    assert [consignment.id for consignment in page.items] == ["mine-2", "mine-1"]
    assert len(recorder.finds) >= 8
    assert recorder.unindexed(mongo_database) == []


def test_reconciliation_looks_consignments_up_through_the_index(mongo_uri, mongo_database):
    recorder = QueryRecorder()
    client = pymongo.MongoClient(mongo_uri, event_listeners=[recorder], tz_aware=True)
    store = ConsignmentRepository(client[mongo_database.name])
    store.ensure_indexes()
    mongo_database.consignments.insert_many(
        [{"_id": f"other-{n}", "owner_id": f"owner-{n % 100}", "reference": f"REF-{n}"} for n in range(OTHERS)]
    )
    recorder.finds.clear()

    stored = store.existing_ids(["other-7", "never-stored", "other-2999"])
    client.close()

    assert stored == {"other-7", "other-2999"}
    assert recorder.finds
    assert recorder.unindexed(mongo_database) == []
