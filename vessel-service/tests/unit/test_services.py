"""vessel_service's use cases on in-memory fakes of the fleet and the ledger."""

from datetime import UTC, datetime, timedelta

import pytest

from shippy_common.auth import ADMIN, Caller
from shippy_common.errors import AlreadyExists, BookingReleased, Forbidden, NoVesselAvailable
from vessel_service import services
from vessel_service.domain import Allocation, EntryKind, Load, Vessel

from .fakes import InMemoryFleet, InMemoryLedger

SMALL = Vessel(id="small", name="Small", capacity=3, max_weight=300)
LARGE = Vessel(id="large", name="Large", capacity=100, max_weight=10_000)
DOCKED = Vessel(id="docked", name="Docked", capacity=10, max_weight=10, available=False)
T0 = datetime(2026, 11, 25, tzinfo=UTC)


def now():
    return T0


def book(fleet, ledger, booking_id, load):
    """The vessel the booking went onto."""
    return services.book(fleet, ledger, booking_id, load, now=now, pause=lambda _: None).vessel


def release(fleet, ledger, booking_id, generation=None):
    return services.release(fleet, ledger, booking_id, now=now, generation=generation, pause=lambda _: None)


def test_a_booking_takes_the_best_fitting_vessel_and_uses_up_its_room():
    fleet, ledger = InMemoryFleet(SMALL, LARGE), InMemoryLedger()
    assert book(fleet, ledger, "b1", Load(2, 200)) == SMALL
    assert ledger.newest(SMALL).containers_left == 1
    assert book(fleet, ledger, "b2", Load(2, 50)) == LARGE
    assert book(fleet, ledger, "b3", Load(1, 100)) == SMALL
    assert ledger.newest(SMALL) == Allocation("small", 2, 0, 0)


def test_the_same_booking_id_books_once():
    fleet, ledger = InMemoryFleet(SMALL), InMemoryLedger()
    assert book(fleet, ledger, "b1", Load(2, 10)) == SMALL
    assert book(fleet, ledger, "b1", Load(2, 10)) == SMALL
    assert ledger.newest(SMALL).containers_left == 1


def test_a_retry_with_a_different_load_is_already_exists_and_reserves_nothing_more():
    fleet, ledger = InMemoryFleet(LARGE), InMemoryLedger()
    book(fleet, ledger, "b1", Load(1, 1))
    with pytest.raises(AlreadyExists, match="different load"):
        book(fleet, ledger, "b1", Load(50, 1))
    assert ledger.newest(LARGE).containers_left == 99


@pytest.mark.parametrize("booking_id", ["opening:small", "opening/small", "small", "small:000000000000"])
def test_no_client_booking_id_can_pass_for_a_ledger_entry_of_its_own(booking_id):
    fleet, ledger = InMemoryFleet(SMALL), InMemoryLedger()
    ledger.newest(SMALL)  # the opening entry exists
    with pytest.raises(NoVesselAvailable):
        book(fleet, ledger, booking_id, Load(500, 1))
    assert book(fleet, ledger, booking_id, Load(3, 300)) == SMALL
    assert ledger.newest(SMALL).containers_left == 0


def test_losing_a_race_rereads_and_books_on_what_is_left():
    fleet, ledger = InMemoryFleet(SMALL), InMemoryLedger()
    ledger.lose_next_race = True
    assert book(fleet, ledger, "b1", Load(1, 10)) == SMALL
    assert ledger.newest(SMALL).seq == 2


def test_a_full_fleet_is_no_vessel_available_and_reserves_nothing():
    fleet, ledger = InMemoryFleet(SMALL), InMemoryLedger()
    book(fleet, ledger, "b1", Load(3, 10))
    with pytest.raises(NoVesselAvailable):
        book(fleet, ledger, "b2", Load(1, 10))
    assert ledger.latest_for("b2") is None


def test_an_unavailable_vessel_is_never_booked():
    with pytest.raises(NoVesselAvailable):
        book(InMemoryFleet(DOCKED), InMemoryLedger(), "b1", Load(1, 1))


def test_a_release_gives_the_room_back_exactly_once():
    fleet, ledger = InMemoryFleet(SMALL), InMemoryLedger()
    book(fleet, ledger, "b1", Load(2, 100))
    assert release(fleet, ledger, "b1") is True
    assert release(fleet, ledger, "b1") is False
    assert ledger.newest(SMALL).containers_left == 3
    assert ledger.newest(SMALL).weight_left == 300


def test_releasing_what_was_never_booked_changes_nothing():
    fleet, ledger = InMemoryFleet(SMALL), InMemoryLedger()
    assert release(fleet, ledger, "never") is False
    assert ledger.newest(SMALL).containers_left == 3


def test_a_released_booking_id_booked_again_is_a_new_generation():
    fleet, ledger = InMemoryFleet(SMALL), InMemoryLedger()
    book(fleet, ledger, "b1", Load(3, 10))
    release(fleet, ledger, "b1")
    assert book(fleet, ledger, "b1", Load(3, 10)) == SMALL
    assert ledger.latest_for("b1").generation == 2
    assert release(fleet, ledger, "b1", generation=1) is False
    assert ledger.newest(SMALL).containers_left == 0
    assert release(fleet, ledger, "b1", generation=2) is True


@pytest.mark.parametrize("fleet_room", [5, 0], ids=["room left", "no room left"])
def test_a_booking_asked_not_to_book_again_is_refused_once_its_room_was_given_back(fleet_room):
    fleet, ledger = InMemoryFleet(Vessel(id="ship", name="Ship", capacity=5, max_weight=500)), InMemoryLedger()
    book(fleet, ledger, "b1", Load(1, 1))
    release(fleet, ledger, "b1")
    for number in range(5 - fleet_room):
        book(fleet, ledger, f"other-{number}", Load(1, 1))
    with pytest.raises(BookingReleased, match="b1"):
        services.book(fleet, ledger, "b1", Load(1, 1), now=now, pause=lambda _: None, again=False)
    assert ledger.latest_for("b1").kind is EntryKind.RELEASE
    assert ledger.newest(fleet.get("ship")).containers_left == fleet_room


def test_a_booking_asked_not_to_book_again_still_answers_the_room_its_id_holds():
    fleet, ledger = InMemoryFleet(SMALL), InMemoryLedger()
    book(fleet, ledger, "b1", Load(3, 10))  # the small vessel is full after it
    placement = services.book(fleet, ledger, "b1", Load(3, 10), now=now, pause=lambda _: None, again=False)
    assert placement.vessel == SMALL
    assert ledger.newest(SMALL).containers_left == 0


def test_a_release_that_loses_a_race_retries_on_the_newest_room():
    fleet, ledger = InMemoryFleet(LARGE), InMemoryLedger()
    book(fleet, ledger, "b1", Load(10, 10))
    ledger.lose_next_race = True  # a rival booking of the same size lands first
    assert release(fleet, ledger, "b1") is True
    assert ledger.newest(LARGE).containers_left == 90


def test_find_available_offers_only_a_vessel_with_room_left():
    fleet, ledger = InMemoryFleet(SMALL, LARGE), InMemoryLedger()
    assert services.find_available(fleet, ledger, Load(3, 300)) == SMALL
    book(fleet, ledger, "b1", Load(3, 300))
    assert services.find_available(fleet, ledger, Load(3, 300)) == LARGE


@pytest.mark.parametrize(
    "load",
    [Load(containers=11, weight=1), Load(containers=1, weight=10_001)],
    ids=["too-many-containers", "too-heavy"],
)
def test_a_load_over_either_limit_does_not_fit(load):
    with pytest.raises(NoVesselAvailable):
        services.find_available(InMemoryFleet(Vessel("v", "V", 10, 10_000)), InMemoryLedger(), load)


def test_no_vessels_means_none_available():
    with pytest.raises(NoVesselAvailable, match="3 containers weighing 40"):
        services.find_available(InMemoryFleet(), InMemoryLedger(), Load(containers=3, weight=40))


def test_an_unavailable_vessel_is_never_offered():
    with pytest.raises(NoVesselAvailable):
        services.find_available(InMemoryFleet(DOCKED), InMemoryLedger(), Load(1, 1))


def test_bookings_between_lists_bookings_in_the_window_oldest_first():
    fleet, ledger = InMemoryFleet(LARGE), InMemoryLedger()
    services.book(fleet, ledger, "early", Load(1, 1), now=lambda: T0)
    services.book(fleet, ledger, "late", Load(1, 1), now=lambda: T0 + timedelta(minutes=10))
    found = services.bookings_between(ledger, T0, T0 + timedelta(minutes=5), limit=10)
    assert [entry.booking_id for entry in found] == ["early"]


ADMIN_CALLER = Caller(id="admin-1", name="Ada", company="Shippy", email="ada@example.com", role=ADMIN)
CUSTOMER = Caller(id="user-1", name="Cy", company="Cargo Ltd", email="cy@example.com")


def test_create_vessel_refuses_a_taken_id():
    fleet = InMemoryFleet(SMALL)
    with pytest.raises(AlreadyExists):
        services.create_vessel(fleet, ADMIN_CALLER, Vessel("small", "Other", 1, 1))


def test_a_created_vessel_is_empty_and_open_on_its_first_voyage():
    state = services.create_vessel(InMemoryFleet(), ADMIN_CALLER, SMALL)
    assert state.admin_view() == {
        "id": "small",
        "name": "Small",
        "capacity": 3,
        "max_weight": 300,
        "status": "open",
        "voyage": 1,
        "containers_used": 0,
        "containers_free": 3,
        "weight_used": 0,
        "weight_free": 300,
    }


def test_only_an_admin_creates_a_vessel():
    fleet = InMemoryFleet()
    with pytest.raises(Forbidden):
        services.create_vessel(fleet, CUSTOMER, SMALL)
    assert fleet.vessels == {}


def test_a_retry_answers_the_vessel_it_filled():
    fleet, ledger = InMemoryFleet(SMALL), InMemoryLedger()
    assert book(fleet, ledger, "whole", Load(3, 300)) == SMALL
    assert book(fleet, ledger, "whole", Load(3, 300)) == SMALL
    assert ledger.newest(SMALL).containers_left == 0


def test_a_released_booking_booked_again_takes_its_next_generation():
    fleet, ledger = InMemoryFleet(SMALL), InMemoryLedger()
    book(fleet, ledger, "again", Load(1, 10))
    assert release(fleet, ledger, "again") is True
    assert book(fleet, ledger, "again", Load(1, 10)) == SMALL
    assert ledger.latest_for("again").generation == 2
    assert ledger.newest(SMALL).containers_left == 2
