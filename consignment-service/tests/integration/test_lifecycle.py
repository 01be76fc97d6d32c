"""A booking's whole life against the real servers and the real vessel_service:
tracking, listing, cancel (also concurrent), departure, arrival, delivery; and
the stores' unique keys and outbox on the MongoDB-wire server."""

import re
import time
import uuid
from datetime import UTC, datetime

import pytest

from consignment_service.domain import BOOKED, CANCELLED, IN_TRANSIT, Transition, transition_event_id
from consignment_service.outbox import outbox_of
from consignment_service.repository import ConsignmentRepository
from consignment_service.testing import CLASSIC_CONSIGNMENT
from shippy_common.envelope import new_event
from shippy_common.errors import Forbidden, InvalidTransition, NotFound, ValidationError

ONE = {**CLASSIC_CONSIGNMENT, "weight": 100, "containers": CLASSIC_CONSIGNMENT["containers"][:1]}
REFERENCE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


@pytest.fixture
def small_fleet(user_container, container_factory, vessel_config, consignment_container, admin_rpc):
    """The platform on one vessel, ``ten`` (room for ten containers); answers an admin's proxy."""
    from vessel_service.service import VesselService

    container_factory(VesselService, {**vessel_config, "SEED_DEFAULT_FLEET": False}).start()
    admin_rpc.vessel_service.create({"id": "ten", "name": "Ten slots", "capacity": 10, "max_weight": 10**6})
    return admin_rpc


def newest_entry(mongo_database):
    return mongo_database.vessel_ledger.find_one({"vessel_id": "ten"}, sort=[("seq", -1)])


def test_a_booking_is_tracked_by_its_reference_by_its_owner_and_admins_only(small_fleet, sign_up):
    owner, _, rpc = sign_up()
    mine = rpc.consignment_service
    created = mine.create_consignment(ONE)
    assert REFERENCE.fullmatch(created["reference"])
    assert (created["status"], created["voyage"]) == ("booked", 1)
    assert created["timeline"] == [{"status": "booked", "at": created["created_at"], "by": owner["id"]}]
    assert mine.track(created["reference"].lower().replace("-", " ")) == created
    assert small_fleet.consignment_service.track(created["reference"]) == created
    assert small_fleet.consignment_service.get_consignment(created["id"]) == created
    other = sign_up().rpc.consignment_service
    for call in (lambda: other.track(created["reference"]), lambda: other.get_consignment(created["id"])):
        with pytest.raises(NotFound):
            call()
    for bad in ("0000-0000-0000", "x" * 5000, {"$ne": None}, None):
        with pytest.raises(NotFound):
            mine.track(bad)


def test_the_owner_cancels_and_the_room_goes_back_once(small_fleet, sign_up, mongo_database):
    owner, _, rpc = sign_up()
    consignments = rpc.consignment_service
    created = consignments.create_consignment({**CLASSIC_CONSIGNMENT, "weight": 100})
    assert newest_entry(mongo_database)["containers_left"] == 7
    cancelled = consignments.cancel_consignment(created["id"])
    assert cancelled["status"] == "cancelled"
    assert [entry["status"] for entry in cancelled["timeline"]] == ["booked", "cancelled"]
    assert cancelled["timeline"][1]["by"] == owner["id"]
    assert newest_entry(mongo_database)["containers_left"] == 10
    assert consignments.cancel_consignment(created["id"]) == cancelled
    assert consignments.get_consignment(created["id"]) == cancelled
    assert newest_entry(mongo_database)["containers_left"] == 10
    (entry,) = mongo_database.consignment_transitions.find({"consignment_id": created["id"]})
    assert entry["_id"] == f"{created['id']}:000001"
    assert entry["event"]["type"] == "consignment.cancelled"
    assert entry["event"]["data"]["owner"] == {"id": owner["id"], "name": owner["name"], "email": owner["email"]}
    assert entry["outbox_pending"] is True
    with pytest.raises(NotFound):
        sign_up().rpc.consignment_service.cancel_consignment(created["id"])


def test_many_concurrent_cancels_give_the_room_back_once_and_record_one_cancel(small_fleet, sign_up, mongo_database):
    consignments = sign_up().rpc.consignment_service
    created = consignments.create_consignment({**CLASSIC_CONSIGNMENT, "weight": 100})
    replies = [consignments.cancel_consignment.call_async(created["id"]) for _ in range(20)]
    answers = [reply.result() for reply in replies]
    assert all(answer["status"] == "cancelled" for answer in answers)
    assert len({str(answer["timeline"]) for answer in answers}) == 1, "every caller answered the one cancel"
    assert mongo_database.vessel_ledger.count_documents({"booking_id": created["id"], "kind": "release"}) == 1
    assert newest_entry(mongo_database)["containers_left"] == 10
    entries = list(mongo_database.consignment_transitions.find({"consignment_id": created["id"]}))
    assert [(e["new_status"], e["event"]["type"]) for e in entries] == [("cancelled", "consignment.cancelled")]


def test_a_voyage_moves_its_consignments_and_an_admin_delivers_them(small_fleet, sign_up, mongo_database):
    admin = small_fleet.consignment_service
    ana, ben = sign_up().rpc.consignment_service, sign_up().rpc.consignment_service
    sailing = ana.create_consignment(ONE)
    staying = ana.create_consignment(ONE)
    ana.cancel_consignment(staying["id"])
    bens = ben.create_consignment(ONE)

    for call in (ana.depart_vessel, ana.arrive_vessel):
        with pytest.raises(Forbidden):
            call("ten")
    with pytest.raises(Forbidden):
        ana.mark_delivered(sailing["id"])
    with pytest.raises(InvalidTransition):
        admin.arrive_vessel("ten")
    with pytest.raises(NotFound):
        admin.depart_vessel("nope")
    with pytest.raises(ValidationError):
        admin.depart_vessel({"$gt": ""})

    departed = admin.depart_vessel("ten")
    assert {k: departed[k] for k in ("vessel_id", "vessel_name", "voyage", "status", "consignments")} == {
        "vessel_id": "ten",
        "vessel_name": "Ten slots",
        "voyage": 1,
        "status": "departed",
        "consignments": 2,
    }
    assert admin.depart_vessel("ten") == departed  # a retry
    moved = ana.get_consignment(sailing["id"])
    assert moved["status"] == "in_transit"
    assert moved["timeline"][-1] == {"status": "in_transit", "at": departed["at"], "by": moved["timeline"][-1]["by"]}
    assert ben.get_consignment(bens["id"])["status"] == "in_transit"
    with pytest.raises(InvalidTransition, match="is in_transit"):
        ana.cancel_consignment(sailing["id"])
    with pytest.raises(InvalidTransition, match="is in_transit: only an arrived consignment"):
        admin.mark_delivered(sailing["id"])

    arrived = admin.arrive_vessel("ten")
    assert (arrived["status"], arrived["voyage"], arrived["consignments"]) == ("arrived", 1, 2)
    delivered = admin.mark_delivered(sailing["id"])
    assert [entry["status"] for entry in delivered["timeline"]] == ["booked", "in_transit", "arrived", "delivered"]
    assert admin.mark_delivered(sailing["id"]) == delivered
    assert ana.get_consignment(staying["id"])["status"] == "cancelled"
    assert ana.create_consignment(ONE)["voyage"] == 2

    events = [e["event"] for e in mongo_database.consignment_transitions.find({"consignment_id": sailing["id"]})]
    assert sorted((e["type"], e["data"]["new_status"]) for e in events) == [
        ("consignment.status_changed", "arrived"),
        ("consignment.status_changed", "delivered"),
        ("consignment.status_changed", "in_transit"),
    ]
    statuses = ("in_transit", "arrived", "delivered")
    assert {e["id"] for e in events} == {transition_event_id(sailing["id"], s) for s in statuses}


def test_the_listing_pages_and_filters_by_status(small_fleet, sign_up):
    consignments = sign_up().rpc.consignment_service
    ids = [consignments.create_consignment({**ONE, "id": f"p{i}"})["id"] for i in range(5)]
    consignments.cancel_consignment("p1")
    consignments.cancel_consignment("p3")
    first = consignments.list_consignments({"limit": 2})
    assert [c["id"] for c in first["items"]] == ["p4", "p3"]
    rest = consignments.list_consignments({"limit": 2, "cursor": first["next_cursor"]})
    last = consignments.list_consignments({"limit": 2, "cursor": rest["next_cursor"]})
    assert [c["id"] for c in rest["items"] + last["items"]] == ["p2", "p1", "p0"]
    assert last["next_cursor"] is None
    assert [c["id"] for c in consignments.list_consignments({"status": "cancelled"})["items"]] == ["p3", "p1"]
    assert [c["id"] for c in consignments.list_consignments({"status": "booked"})["items"]] == ["p4", "p2", "p0"]
    assert consignments.list_consignments()["items"] == consignments.get_consignments()
    assert {c["id"] for c in consignments.list_consignments({})["items"]} == set(ids)
    for query, field in (({"limit": 201}, "limit"), ({"status": "lost"}, "status"), ({"cursor": "nope!"}, "cursor")):
        with pytest.raises(ValidationError) as error:
            consignments.list_consignments(query)
        assert error.value.field == field


def test_a_lost_status_copy_is_repaired_by_the_next_read(small_fleet, sign_up, mongo_database):
    consignments = sign_up().rpc.consignment_service
    created = consignments.create_consignment(ONE)
    consignments.cancel_consignment(created["id"])
    # As if FerretDB had lost the update (or the relay's rewrite had undone it).
    mongo_database.consignments.update_one({"_id": created["id"]}, {"$set": {"status": "booked", "status_seq": 0}})
    assert consignments.list_consignments({"status": "booked"})["items"] == []
    assert [c["id"] for c in consignments.list_consignments({"status": "cancelled"})["items"]] == [created["id"]]
    assert mongo_database.consignments.find_one({"_id": created["id"]})["status"] == "cancelled"


def test_a_legacy_consignment_reads_booked_and_can_be_cancelled(small_fleet, sign_up, mongo_database):
    owner, _, rpc = sign_up()
    consignments = rpc.consignment_service
    small_fleet.vessel_service.list_vessels({})  # the vessel's ledger holds the booking below:
    rpc.vessel_service.book({"booking_id": "legacy-1", "containers": 1, "weight": 10})
    mongo_database.consignments.insert_one(
        {
            "_id": "legacy-1",
            "owner_id": owner["id"],
            "description": "stored by an earlier release",
            "weight": 10,
            "containers": [{"customer_id": "cust001", "origin": "Derby", "id": None}],
            "vessel_id": "ten",
            "created_at": datetime(2026, 1, 1, tzinfo=UTC),
            "created_ns": time.time_ns(),
            "outbox": [],
            "outbox_pending": False,
        }
    )
    legacy = consignments.get_consignment("legacy-1")
    assert (legacy["status"], legacy["reference"], legacy["voyage"]) == ("booked", None, None)
    assert [c["id"] for c in consignments.list_consignments({"status": "booked"})["items"]] == ["legacy-1"]
    assert consignments.cancel_consignment("legacy-1")["status"] == "cancelled"
    (entry,) = mongo_database.consignment_transitions.find({"consignment_id": "legacy-1"})
    assert entry["event"]["data"]["owner"]["email"] == owner["email"]


# -- the stores ----------------------------------------------------------------------------------


def aware(database):
    """``database`` read as the service reads it (timezone-aware datetimes)."""
    from bson.codec_options import CodecOptions

    return database.with_options(codec_options=CodecOptions(tz_aware=True))


def test_a_reference_is_unique_and_documents_without_one_are_fine(mongo_database):
    from consignment_service.domain import Consignment, Container, ReferenceTaken

    repository = ConsignmentRepository(aware(mongo_database))
    repository.ensure_indexes()
    repository.ensure_indexes()  # idempotent, as every start runs it

    def consignment(id, reference):
        return Consignment(id, "u1", "d", 1, (Container("c", "o"),), "ten", datetime.now(UTC), reference=reference)

    assert repository.add(consignment("a", "AAAA-AAAA-AAAA"), new_event("consignment.created", "a", {})) is not None
    with pytest.raises(ReferenceTaken):
        repository.add(consignment("b", "AAAA-AAAA-AAAA"), new_event("consignment.created", "b", {}))
    assert repository.add(consignment("a", "BBBB-BBBB-BBBB"), new_event("consignment.created", "a", {})) is None
    mongo_database.consignments.insert_many([{"_id": "old1", "owner_id": "u1"}, {"_id": "old2", "owner_id": "u1"}])
    assert repository.by_reference("AAAA-AAAA-AAAA").id == "a"


def test_one_writer_wins_each_seq_of_a_log(mongo_database):
    repository = ConsignmentRepository(aware(mongo_database))
    repository.ensure_indexes()
    log = repository.transitions
    at = datetime(2026, 1, 1, tzinfo=UTC)
    first = Transition("c1", "u1", 1, BOOKED, CANCELLED, at, "u1")
    rival = Transition("c1", "u1", 1, BOOKED, IN_TRANSIT, at, "admin")
    assert log.append(first, {**new_event("consignment.cancelled", "c1", {}), "id": first.event_id}) is True
    assert log.append(rival, {**new_event("consignment.status_changed", "c1", {}), "id": rival.event_id}) is False
    assert log.of("c1") == [first]
    assert log.of_many(["c1", "c2"]) == {"c1": [first]}


def test_the_outbox_lists_created_events_first_then_transitions_and_marks_each_on_its_document(mongo_database):
    repository = ConsignmentRepository(aware(mongo_database))
    repository.ensure_indexes()
    outbox = outbox_of(mongo_database)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    cancel = Transition("c1", "u1", 1, BOOKED, CANCELLED, at, "u1")
    cancelled = {**new_event("consignment.cancelled", "c1", {}), "id": cancel.event_id}
    repository.transitions.append(cancel, cancelled)
    created = new_event("consignment.created", "c1", {})
    mongo_database.consignments.insert_one(
        {"_id": "c1", "created_ns": time.time_ns(), "outbox": [created], "outbox_pending": True}
    )
    assert [e["id"] for e in outbox.pending(10)] == [created["id"], cancelled["id"]]
    assert [e["id"] for e in outbox.pending(1)] == [created["id"]]
    outbox.mark_sent([created])
    assert [e["id"] for e in outbox.pending(10)] == [cancelled["id"]]
    outbox.park(cancelled, "too big")
    assert outbox.pending(10) == []
    entry = mongo_database.consignment_transitions.find_one({"_id": "c1:000001"})
    assert (entry["outbox_pending"], entry["outbox_parked"]["reason"]) == (False, "too big")
    assert mongo_database.consignments.find_one({"_id": "c1"})["outbox_pending"] is False


def test_a_created_event_is_kept_without_its_data_and_listed_whole_as_the_booking_made_it(mongo_database):
    """The document keeps ``consignment.created`` without the data its own fields make
    again; the outbox lists it as it was made, read with or without time zones."""
    from consignment_service.domain import Consignment, Container
    from consignment_service.events import created_event

    repository = ConsignmentRepository(aware(mongo_database))
    repository.ensure_indexes()
    booked = Consignment(
        id="c1",
        owner_id="u1",
        description="Tea \U0001f6a2",
        weight=100,
        containers=tuple(Container(f"cust{i:03d}", f"Port {i}", f"k{i}") for i in range(25)),
        vessel_id="vessel003",
        created_at=datetime(2026, 1, 1, 12, 30, 15, 250000, tzinfo=UTC),
        reference="AAAA-BBBB-CCCC",
        voyage=3,
        vessel_name="The Black Pearl",
        owner_name="Ana",
        owner_email="ana@x.io",
    )
    event = created_event(booked)
    repository.add(booked, event)
    kept = mongo_database.consignments.find_one({"_id": "c1"})["outbox"]
    assert [sorted(e) for e in kept] == [["aggregate_id", "id", "occurred_at", "type", "version"]]
    assert outbox_of(aware(mongo_database)).pending(10) == [event]
    assert outbox_of(mongo_database).pending(10) == [event]


def test_ids_a_cursor_could_smuggle_are_only_strings(mongo_database):
    repository = ConsignmentRepository(aware(mongo_database))
    from consignment_service.domain import Position

    page = repository.page("u1", None, Position(time.time_ns(), str(uuid.uuid4())), 10)
    assert (page.items, page.next) == ((), None)
