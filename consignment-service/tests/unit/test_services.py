"""consignment_service's use cases on in-memory fakes of its ports."""

from datetime import timedelta

import pytest

from consignment_service import services
from consignment_service.domain import BookingRequest, Container
from shippy_common.auth import Caller
from shippy_common.errors import AlreadyExists, NotFound, NoVesselAvailable

from .fakes import T0, InMemoryCheckpoint, InMemoryConsignments

ANA = Caller(id="u-ana", name="Ana", company="Shippy", email="ana@example.com")
BEN = Caller(id="u-ben", name="Ben", company="Shippy", email="ben@example.com")
GRACE = timedelta(minutes=5)


def request(id="c1", containers=2, weight=100, description="parts"):
    boxes = tuple(Container(customer_id=f"cust{i}", origin="Derby") for i in range(containers))
    return BookingRequest(id=id, description=description, weight=weight, containers=boxes)


def create(store, vessels, clock, owner=ANA, **changes):
    return services.create_consignment(
        store, store.transitions, store.voyages, vessels, owner, request(**changes), now=clock
    )


def test_a_booking_is_stored_with_its_vessel_owner_and_event(store, vessels, clock):
    created = create(store, vessels, clock)
    assert (created.id, created.vessel_id, created.owner_id, created.created_at) == ("c1", "v1", "u-ana", T0)
    event = store.stored["c1"][1]
    assert event["type"] == "consignment.created"
    assert event["data"]["owner"] == {"id": "u-ana", "name": "Ana", "email": "ana@example.com"}
    assert vessels.room == 8


def test_a_retry_answers_the_first_booking_and_books_nothing_more(store, vessels, clock):
    first = create(store, vessels, clock)
    clock.now += timedelta(seconds=5)
    assert create(store, vessels, clock) == first
    assert vessels.room == 8


def test_the_same_id_for_another_load_or_owner_is_already_exists(store, vessels, clock):
    create(store, vessels, clock)
    with pytest.raises(AlreadyExists):
        create(store, vessels, clock, weight=1)
    with pytest.raises(AlreadyExists):
        create(store, vessels, clock, owner=BEN)
    assert vessels.room == 8


def test_a_retry_after_the_store_failed_reuses_the_reservation(store, vessels, clock):
    store.fail_next_add = True
    with pytest.raises(ConnectionError):
        create(store, vessels, clock)
    assert vessels.room == 8  # reserved, nothing stored
    assert create(store, vessels, clock).vessel_id == "v1"
    assert vessels.room == 8


def test_no_room_stores_nothing(store, vessels, clock):
    with pytest.raises(NoVesselAvailable):
        create(store, vessels, clock, containers=11)
    assert store.stored == {}


def test_a_lost_race_between_two_identical_creates_answers_the_winner(store, vessels, clock):
    """Another create of the same id stored its consignment between this
    create's booking (the same room, its id's) and its own write."""
    winner = create(store, vessels, clock)
    raced = InMemoryConsignments()
    raced.stored, raced.statuses = dict(store.stored), dict(store.statuses)
    answered = services.create_consignment(raced, raced.transitions, raced.voyages, vessels, ANA, request(), now=clock)
    assert answered == winner
    assert vessels.room == 8


def test_each_owner_lists_only_their_own_newest_first(store, vessels, clock):
    first = create(store, vessels, clock, id="a1")
    create(store, vessels, clock, owner=BEN, id="b1")
    clock.now += timedelta(seconds=1)
    second = create(store, vessels, clock, id="a2")
    assert services.consignments_of(store, store.transitions, ANA) == [second, first]


def test_reconcile_releases_only_old_reservations_with_no_consignment(store, vessels, clock):
    create(store, vessels, clock, id="stored")
    vessels.book("orphan", 3, 10)
    clock.now += timedelta(minutes=1)
    vessels.book("young-orphan", 1, 10)
    checkpoint = InMemoryCheckpoint()

    clock.now = T0 + GRACE + timedelta(seconds=30)
    report = services.reconcile(store, vessels, checkpoint, now=clock, grace=GRACE)
    assert (report.checked, report.released) == (2, 1)
    assert vessels.bookings["orphan"][4] is True
    assert vessels.bookings["young-orphan"][4] is False
    assert vessels.room == 10 - 2 - 1

    clock.now = T0 + GRACE + timedelta(minutes=2)
    report = services.reconcile(store, vessels, checkpoint, now=clock, grace=GRACE)
    assert (report.checked, report.released) == (1, 1)
    assert vessels.room == 10 - 2


def test_reconcile_run_twice_over_the_same_window_releases_once(store, vessels, clock):
    vessels.book("orphan", 3, 10)
    clock.now = T0 + GRACE * 2
    first = services.reconcile(store, vessels, InMemoryCheckpoint(), now=clock, grace=GRACE)
    second = services.reconcile(store, vessels, InMemoryCheckpoint(), now=clock, grace=GRACE)
    assert (first.released, second.released) == (1, 0)
    assert vessels.room == 10


def test_a_consignment_booked_again_after_its_reservation_was_released_books_anew(store, vessels, clock):
    vessels.book("c1", 2, 100)  # a first attempt whose store write never happened
    clock.now = T0 + GRACE * 2
    services.reconcile(store, vessels, InMemoryCheckpoint(), now=clock, grace=GRACE)
    assert create(store, vessels, clock).vessel_id == "v1"
    assert vessels.bookings["c1"][0] == 2
    assert vessels.room == 8


def test_reconcile_pages_through_more_bookings_than_one_batch(store, vessels, clock, monkeypatch):
    monkeypatch.setattr(services, "RECONCILE_BATCH", 3)
    vessels.room = 100
    for i in range(7):
        clock.now = T0 + timedelta(seconds=i)
        vessels.book(f"orphan{i}", 1, 1)
    clock.now = T0 + GRACE * 2
    report = services.reconcile(store, vessels, InMemoryCheckpoint(), now=clock, grace=GRACE)
    assert report.released == 7
    assert vessels.room == 100


def test_reconcile_after_days_without_a_run_reads_them_a_window_at_a_time(store, vessels, clock):
    vessels.room = 100
    checkpoint = InMemoryCheckpoint()
    checkpoint.save(T0)
    for hours in (1, 30, 60):
        clock.now = T0 + timedelta(hours=hours)
        vessels.book(f"orphan-{hours}h", 1, 1)
    clock.now = T0 + timedelta(days=4)
    report = services.reconcile(store, vessels, checkpoint, now=clock, grace=GRACE)
    assert (report.checked, report.released) == (3, 3)
    assert vessels.room == 100
    assert checkpoint.load() == clock.now - GRACE


def test_one_consignment_is_found_for_its_owner_only(store, vessels, clock):
    created = create(store, vessels, clock)
    assert services.consignment_of(store, store.transitions, ANA, "c1") == created
    for owner, consignment_id in ((BEN, "c1"), (ANA, "c2"), (ANA, "")):
        with pytest.raises(NotFound):
            services.consignment_of(store, store.transitions, owner, consignment_id)


def test_a_consignment_sent_without_an_id_gets_one_from_its_message_and_owner():
    from consignment_service.domain import default_consignment_id

    assert default_consignment_id("owner-1", "message-1") == default_consignment_id("owner-1", "message-1")
    assert default_consignment_id("owner-1", "message-1") != default_consignment_id("owner-2", "message-1")
    assert default_consignment_id("owner-1", None) != default_consignment_id("owner-1", None)


def test_reconcile_asked_to_stop_returns_after_the_window_it_is_in_and_the_next_run_goes_on(store, vessels, clock):
    """A first reconciliation reads a day, an hour at a time; a service asked
    to stop (SIGTERM) must not wait for all of it (compose kills it after 10 s)."""
    vessels.room = 100
    checkpoint = InMemoryCheckpoint()
    checkpoint.save(T0)
    for hours in (0, 5):
        clock.now = T0 + timedelta(hours=hours)
        vessels.book(f"orphan-{hours}h", 1, 1)
    clock.now = T0 + timedelta(hours=10)
    windows = []
    stopping = lambda: len(windows) >= 1  # noqa: E731
    reads = vessels.bookings_between

    def counted(since, until, limit):
        windows.append(since)
        return reads(since, until, limit)

    vessels.bookings_between = counted
    stopped = services.reconcile(store, vessels, checkpoint, now=clock, grace=GRACE, stopping=stopping)
    assert windows == [T0]
    assert (stopped.checked, stopped.released) == (1, 1)
    assert checkpoint.load() == stopped.checked_until == T0 + services.RECONCILE_WINDOW

    vessels.bookings_between = reads
    rest = services.reconcile(store, vessels, checkpoint, now=clock, grace=GRACE)
    assert (rest.checked, rest.released) == (1, 1)
    assert vessels.room == 100
    assert checkpoint.load() == clock.now - GRACE
