"""A consignment's life after booking, on in-memory fakes: cancel, departure,
arrival, delivery, tracking, listing, and every refusal."""

import logging
from dataclasses import replace
from datetime import timedelta

import pytest

from consignment_service import services
from consignment_service.domain import (
    ARRIVED,
    BOOKED,
    CANCELLED,
    DELIVERED,
    IN_TRANSIT,
    BookingRequest,
    Consignment,
    Container,
    Transition,
    transition_event_id,
)
from consignment_service.events import transition_event
from shippy_common.auth import ADMIN, Caller
from shippy_common.errors import AlreadyExists, Forbidden, InvalidTransition, NotFound

from .fakes import T0, InMemoryCheckpoint

ANA = Caller(id="u-ana", name="Ana", company="Shippy", email="ana@example.com")
BEN = Caller(id="u-ben", name="Ben", company="Shippy", email="ben@example.com")
ADA = Caller(id="u-ada", name="Ada", company="Shippy", email="ada@example.com", role=ADMIN)


class World:
    """The use cases over one set of fakes."""

    def __init__(self, store, vessels, clock):
        self.store, self.log, self.voyages = store, store.transitions, store.voyages
        self.vessels, self.clock = vessels, clock

    def create(self, id="c1", owner=ANA, containers=1, reference=None):
        boxes = tuple(Container(customer_id=f"cust{i}", origin="Derby") for i in range(containers))
        request = BookingRequest(id=id, description="parts", weight=100, containers=boxes)
        extra = {} if reference is None else {"reference": reference}
        return services.create_consignment(
            self.store, self.log, self.voyages, self.vessels, owner, request, now=self.clock, **extra
        )

    def get(self, id, caller=ANA):
        return services.consignment_of(self.store, self.log, caller, id)

    def cancel(self, id, caller=ANA):
        return services.cancel_consignment(self.store, self.log, self.vessels, caller, id, now=self.clock)

    def deliver(self, id, caller=ADA):
        return services.mark_delivered(self.store, self.log, caller, id, now=self.clock)

    def depart(self, caller=ADA, vessel_id="v1"):
        return services.depart_vessel(self.store, self.log, self.voyages, self.vessels, caller, vessel_id)

    def arrive(self, caller=ADA, vessel_id="v1"):
        return services.arrive_vessel(self.store, self.log, self.voyages, self.vessels, caller, vessel_id)

    def list(self, caller=ANA, status=None, after=None, limit=50):
        return services.list_consignments(self.store, self.log, caller, status=status, after=after, limit=limit)

    def events(self, id=None):
        return self.log.events(id)


@pytest.fixture
def world(store, vessels, clock):
    return World(store, vessels, clock)


def test_a_new_consignment_is_booked_with_a_reference_its_voyage_and_its_owners_contact(world, store):
    created = world.create()
    assert created.status == BOOKED
    assert created.reference is not None and len(created.reference) == 14
    assert (created.voyage, created.vessel_name) == (1, "Vessel One")
    assert (created.owner_name, created.owner_email) == ("Ana", "ana@example.com")
    data = created.to_dict()
    assert data["timeline"] == [{"status": "booked", "at": T0.isoformat(), "by": "u-ana"}]
    assert store.stored["c1"][1]["data"]["reference"] == created.reference
    assert world.get("c1") == created


def test_a_reference_taken_already_is_drawn_again(world, store, caplog):
    first = world.create("c1", reference=lambda: "AAAA-AAAA-AAAA")
    draws = iter(["AAAA-AAAA-AAAA", "BBBB-BBBB-BBBB"])
    second = world.create("c2", reference=lambda: next(draws))
    assert (first.reference, second.reference) == ("AAAA-AAAA-AAAA", "BBBB-BBBB-BBBB")
    assert "reference AAAA-AAAA-AAAA of consignment c2 was taken" in caplog.text
    assert world.vessels.room == 8


# -- cancel ---------------------------------------------------------------------------------------


def test_the_owner_cancels_a_booked_consignment_its_room_goes_back_and_the_owner_is_told(world, clock):
    world.create(containers=3)
    clock.tick(hours=1)
    cancelled = world.cancel("c1")
    assert cancelled.status == CANCELLED
    assert world.vessels.room == 10
    assert [e.to_dict() for e in cancelled.timeline][1] == {
        "status": "cancelled",
        "at": clock.now.isoformat(),
        "by": "u-ana",
    }
    (event,) = world.events("c1")
    assert event["type"] == "consignment.cancelled"
    assert event["id"] == transition_event_id("c1", CANCELLED)
    assert event["aggregate_id"] == "c1"
    data = event["data"]
    assert data["owner"] == {"id": "u-ana", "name": "Ana", "email": "ana@example.com"}
    assert data["vessel"] == {"id": "v1", "name": "Vessel One"}
    assert (data["old_status"], data["new_status"], data["reference"]) == (BOOKED, CANCELLED, cancelled.reference)
    assert world.get("c1") == cancelled


def test_cancelling_again_answers_the_cancelled_consignment_and_gives_nothing_back_twice(world, clock):
    world.create(containers=3)
    first = world.cancel("c1")
    clock.tick(minutes=5)
    world.create("c2", containers=2)
    assert world.cancel("c1") == first
    assert world.vessels.room == 8
    assert len(world.events("c1")) == 1


def test_creating_a_cancelled_consignment_again_answers_it_cancelled_and_holds_no_room(world):
    world.create(containers=3)
    cancelled = world.cancel("c1")
    assert world.create(containers=3) == cancelled
    assert world.vessels.room == 10
    with pytest.raises(AlreadyExists):  # someone else's id stays theirs
        world.create(owner=BEN, containers=3)
    assert world.vessels.room == 10


def test_an_admin_cancels_anyones_and_the_owner_is_the_one_mailed(world):
    world.create()
    cancelled = world.cancel("c1", caller=ADA)
    assert cancelled.timeline[-1].by == "u-ada"
    assert world.events("c1")[0]["data"]["owner"]["email"] == "ana@example.com"


def test_nobody_else_can_cancel_or_even_see_it(world):
    world.create()
    for caller, id in ((BEN, "c1"), (ANA, "c2")):
        with pytest.raises(NotFound):
            world.cancel(id, caller=caller)
    assert world.vessels.room == 9
    assert world.events() == []


def test_a_consignment_in_transit_cannot_be_cancelled(world):
    world.create()
    world.depart()
    with pytest.raises(InvalidTransition, match="consignment c1 is in_transit: only a booked consignment can be"):
        world.cancel("c1")
    assert world.vessels.releases == 0


def test_a_booking_whose_vessel_sailed_before_its_consignment_moved_cannot_be_cancelled(world):
    world.create()
    world.vessels.depart("v1", "u-ada")  # vessel_service departed; depart_vessel has not moved c1 yet
    with pytest.raises(InvalidTransition, match="consignment c1 cannot be cancelled: its vessel has sailed"):
        world.cancel("c1")
    assert world.get("c1").status == BOOKED
    assert world.events() == []


def test_an_earlier_attempt_that_gave_the_room_back_and_died_is_finished(world):
    world.create(containers=3)
    assert world.vessels.release("c1") is True  # the attempt's release; its log write never happened
    assert world.cancel("c1").status == CANCELLED
    assert world.vessels.room == 10
    assert len(world.events("c1")) == 1


def test_a_cancel_that_loses_the_log_race_answers_what_the_winner_wrote(world, clock):
    created = world.create()

    def the_other_cancel_writes_first():
        winner = Transition("c1", "u-ana", 1, BOOKED, CANCELLED, T0, "u-ada")
        after = replace(created, status=CANCELLED, transitions=(winner,))
        world.log.entries[("c1", 1)] = (winner, transition_event(after, winner))

    world.log.before_append = the_other_cancel_writes_first
    clock.tick(minutes=1)
    answered = world.cancel("c1")
    assert answered.status == CANCELLED
    assert answered.timeline[-1].by == "u-ada"
    assert len(world.events("c1")) == 1


def legacy(store, id="old", owner_id="u-ana"):
    """A consignment stored before references, voyages, contacts and statuses."""
    consignment = Consignment(
        id=id,
        owner_id=owner_id,
        description="old",
        weight=1,
        containers=(Container("cust1", "Leeds"),),
        vessel_id="v1",
        created_at=T0 - timedelta(days=30),
    )
    store.stored[id] = (consignment, {})
    store.order[id] = 0
    return consignment


def test_a_legacy_consignment_reads_booked_and_its_owners_cancel_mails_the_owner(world, store):
    legacy(store)
    world.vessels.bookings["old"] = [1, 1, 1, T0, False, 1]
    assert world.get("old").status == BOOKED
    assert world.get("old").to_dict()["reference"] is None
    world.cancel("old")
    assert world.events("old")[0]["data"]["owner"] == {"id": "u-ana", "name": "Ana", "email": "ana@example.com"}


def test_a_legacy_consignment_cancelled_by_an_admin_has_no_address_to_mail(world, store):
    legacy(store)
    world.cancel("old", caller=ADA)
    assert world.events("old")[0]["data"]["owner"] == {"id": "u-ana", "name": None, "email": None}


# -- departure, arrival, delivery -------------------------------------------------------------------


def test_only_an_admin_moves_a_vessel_or_delivers(world):
    world.create()
    for call in (lambda: world.depart(caller=ANA), lambda: world.arrive(caller=ANA)):
        with pytest.raises(Forbidden):
            call()
    with pytest.raises(Forbidden):
        world.deliver("c1", caller=ANA)
    assert not world.vessels.at_sea
    assert world.events() == []


def test_a_departure_puts_its_voyages_consignments_in_transit_at_its_time_by_its_operator(world, clock):
    world.create("c1")
    world.create("c2", owner=BEN)
    world.create("gone")
    world.cancel("gone")
    clock.tick(hours=2)
    report = world.depart()
    assert report.to_dict() == {
        "vessel_id": "v1",
        "vessel_name": "Vessel One",
        "voyage": 1,
        "status": "departed",
        "at": clock.now.isoformat(),
        "consignments": 2,
    }
    for id in ("c1", "c2"):
        moved = world.get(id, caller=ADA)
        assert moved.status == IN_TRANSIT
        assert moved.timeline[-1].to_dict() == {"status": "in_transit", "at": clock.now.isoformat(), "by": "u-ada"}
        (event,) = world.events(id)
        assert event["type"] == "consignment.status_changed"
        assert event["id"] == transition_event_id(id, IN_TRANSIT)
        assert event["occurred_at"] == clock.now.isoformat()
        assert (event["data"]["old_status"], event["data"]["new_status"]) == (BOOKED, IN_TRANSIT)
    assert world.get("c2", caller=BEN).status == IN_TRANSIT
    assert world.get("gone").status == CANCELLED


def test_a_retried_departure_answers_the_same_and_writes_nothing_more(world, clock):
    world.create("c1")
    first = world.depart()
    clock.tick(minutes=3)
    assert world.depart() == first
    assert len(world.events("c1")) == 1


def test_an_arrival_moves_its_voyages_consignments_and_the_next_voyage_books_anew(world, clock):
    world.create("c1")
    world.depart()
    clock.tick(days=3)
    report = world.arrive()
    assert (report.change.status, report.change.voyage, report.consignments) == ("arrived", 1, 1)
    arrived = world.get("c1")
    assert [e.status for e in arrived.timeline] == [BOOKED, IN_TRANSIT, ARRIVED]
    assert arrived.timeline[-1].at == clock.now
    assert [e["data"]["new_status"] for e in world.events("c1")] == [IN_TRANSIT, ARRIVED]
    assert world.arrive() == report  # a retry
    next_voyage = world.create("c2")
    assert (next_voyage.voyage, next_voyage.status) == (2, BOOKED)
    assert len(world.events()) == 2


def test_a_vessel_that_never_departed_cannot_arrive_and_an_unknown_one_is_not_found(world):
    with pytest.raises(InvalidTransition, match="never departed"):
        world.arrive()
    with pytest.raises(NotFound):
        world.depart(vessel_id="nope")


def test_an_arrival_also_moves_a_consignment_whose_departure_was_never_applied(world, clock):
    world.create("c1")
    departure = world.vessels.depart("v1", "u-ada")  # depart_vessel died after recording, before moving c1
    world.voyages.record(departure)
    clock.tick(days=1)
    assert world.arrive().consignments == 1
    timeline = world.get("c1").timeline
    assert [(e.status, e.at) for e in timeline] == [(BOOKED, T0), (IN_TRANSIT, T0), (ARRIVED, clock.now)]


def test_an_arrived_consignment_is_delivered_once(world, clock):
    world.create("c1")
    world.depart()
    world.arrive()
    clock.tick(hours=5)
    delivered = world.deliver("c1")
    assert delivered.status == DELIVERED
    assert delivered.timeline[-1].to_dict() == {"status": "delivered", "at": clock.now.isoformat(), "by": "u-ada"}
    assert world.deliver("c1") == delivered
    assert [e["data"]["new_status"] for e in world.events("c1")] == [IN_TRANSIT, ARRIVED, DELIVERED]
    assert world.get("c1") == delivered


@pytest.mark.parametrize(("steps", "status"), [(0, "booked"), (1, "in_transit")])
def test_only_an_arrived_consignment_can_be_delivered(world, steps, status):
    world.create("c1")
    if steps:
        world.depart()
    with pytest.raises(InvalidTransition, match=f"consignment c1 is {status}: only an arrived consignment"):
        world.deliver("c1")


def test_delivering_a_cancelled_or_unknown_consignment_is_refused(world):
    world.create("c1")
    world.cancel("c1")
    with pytest.raises(InvalidTransition, match="is cancelled"):
        world.deliver("c1")
    with pytest.raises(NotFound):
        world.deliver("nope")


def test_a_consignment_stored_after_its_departure_was_scanned_follows_the_voyage_itself(world, store, clock):
    store.fail_next_add = True
    with pytest.raises(ConnectionError):
        world.create("late")  # booked on voyage 1, not stored
    clock.tick(hours=1)
    departed_at = clock.now
    assert world.depart().consignments == 0
    clock.tick(minutes=1)
    late = world.create("late")  # the client's retry
    assert late.status == IN_TRANSIT
    assert late.timeline[-1].to_dict() == {"status": "in_transit", "at": departed_at.isoformat(), "by": "u-ada"}
    (event,) = world.events("late")
    assert event["id"] == transition_event_id("late", IN_TRANSIT)
    # The departure's retry finds it moved already: counted, nothing written twice.
    assert world.depart().consignments == 1
    assert len(world.events("late")) == 1
    assert world.create("late") == late


def test_two_writers_of_one_voyage_transition_write_the_same_entry(world, store, clock):
    world.create("c1")
    departure = world.vessels.depart("v1", "u-ada")
    world.voyages.record(departure)
    clock.tick(minutes=7)
    # A create's own follow-up and the departure's scan, each on its own read.
    first = services._follow(store, world.log, world.get("c1"), world.voyages.of("v1", 1))
    (entry, event) = world.log.entries.pop(("c1", 1))
    second = services._follow(store, world.log, world.get("c1"), world.voyages.of("v1", 1))
    assert first == second
    assert world.log.entries[("c1", 1)] == (entry, event)


# -- tracking and listing ---------------------------------------------------------------------------


def test_tracking_finds_a_reference_for_its_owner_and_admins_only(world):
    created = world.create()
    assert services.track(world.store, world.log, ANA, created.reference) == created
    assert services.track(world.store, world.log, ADA, created.reference) == created
    with pytest.raises(NotFound):
        services.track(world.store, world.log, BEN, created.reference)
    with pytest.raises(NotFound):
        services.track(world.store, world.log, ANA, "0000-0000-0000")


def test_a_listing_pages_newest_first_with_stable_cursors(world):
    for i in range(5):
        world.create(f"c{i}")
    world.create("b1", owner=BEN)
    first = world.list(limit=2)
    assert [c.id for c in first.items] == ["c4", "c3"]
    world.create("c5")  # a newer one does not shift the pages after
    second = world.list(after=first.next, limit=2)
    assert [c.id for c in second.items] == ["c2", "c1"]
    last = world.list(after=second.next, limit=2)
    assert ([c.id for c in last.items], last.next) == (["c0"], None)
    assert [c.id for c in world.list(caller=ADA).items] == []  # an admin's own listing


def test_a_listing_by_status_checks_the_log_and_repairs_a_lagging_stored_status(world, store):
    for i in range(3):
        world.create(f"c{i}")
    store.lose_status_updates = True
    world.cancel("c1")
    store.lose_status_updates = False
    booked = world.list(status=BOOKED)
    assert [c.id for c in booked.items] == ["c2", "c0"]  # c1's stored status still said booked
    assert [c.id for c in world.list(status=CANCELLED).items] == ["c1"]  # repaired by the read above
    assert [(c.id, c.status) for c in world.list().items] == [("c2", BOOKED), ("c1", CANCELLED), ("c0", BOOKED)]


def test_get_consignments_lists_everything_as_the_logs_tell(world):
    world.create("c1")
    world.create("c2")
    world.cancel("c1")
    listed = services.consignments_of(world.store, world.log, ANA)
    assert [(c.id, c.status) for c in listed] == [("c2", BOOKED), ("c1", CANCELLED)]


# -- reconcile ------------------------------------------------------------------------------------


def test_reconcile_skips_an_orphan_whose_voyage_departed_and_goes_on(world, vessels, clock, caplog):
    vessels.book("sailed-orphan", 2, 10)
    vessels.depart("v1", "u-ada")
    vessels.arrive("v1", "u-ada")
    clock.tick(seconds=1)
    vessels.book("orphan", 3, 10)
    clock.tick(minutes=10)
    with caplog.at_level(logging.WARNING):
        report = services.reconcile(world.store, vessels, InMemoryCheckpoint(), now=clock, grace=timedelta(minutes=5))
    assert (report.checked, report.released) == (2, 1)
    assert vessels.bookings["orphan"][4] and not vessels.bookings["sailed-orphan"][4]
    assert "booking sailed-orphan on v1 has no consignment, and its room cannot go back" in caplog.text
