"""Voyages on in-memory fakes: departures, arrivals, retirement, the fleet
listing, and how they race bookings and releases in the ledger."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shippy_common.auth import ADMIN, Caller
from shippy_common.envelope import VESSEL_ARRIVED, VESSEL_DEPARTED, encode_event, read_event
from shippy_common.errors import Forbidden, InvalidTransition, NotFound, NoVesselAvailable
from vessel_service import services
from vessel_service.domain import EntryKind, LedgerEntry, Load, Vessel, VesselStatus
from vessel_service.repository import _entry_from_document, _entry_to_document

from .fakes import InMemoryFleet, InMemoryLedger

SHIP = Vessel(id="ship", name="Ship", capacity=10, max_weight=1000)
SPARE = Vessel(id="spare", name="Spare", capacity=50, max_weight=5000)
T0 = datetime(2026, 11, 25, tzinfo=UTC)
ADMIN_CALLER = Caller(id="admin-1", name="Ada", company="Shippy", email="ada@example.com", role=ADMIN)
CUSTOMER = Caller(id="user-1", name="Cy", company="Cargo Ltd", email="cy@example.com")
NO_PAUSE = {"pause": lambda _: None}
ONE = Load(1, 10)


def now():
    return T0


def book(fleet, ledger, booking_id, load=ONE):
    return services.book(fleet, ledger, booking_id, load, now=now, **NO_PAUSE)


def release(fleet, ledger, booking_id, generation=None):
    return services.release(fleet, ledger, booking_id, now=now, generation=generation, **NO_PAUSE)


def depart(fleet, ledger, vessel_id="ship", at=T0):
    return services.depart(fleet, ledger, vessel_id, "admin-1", now=lambda: at, **NO_PAUSE)


def arrive(fleet, ledger, vessel_id="ship", at=T0 + timedelta(days=3)):
    return services.arrive(fleet, ledger, vessel_id, "admin-1", now=lambda: at, **NO_PAUSE)


def retire(fleet, ledger, vessel_id="ship", caller=ADMIN_CALLER):
    return services.retire(fleet, ledger, caller, vessel_id, now=now, **NO_PAUSE)


@pytest.fixture
def ship():
    return InMemoryFleet(SHIP), InMemoryLedger()


def test_a_booking_goes_onto_the_open_voyage(ship):
    placement = book(*ship, "b1")
    assert (placement.vessel, placement.voyage) == (SHIP, 1)
    assert placement.to_dict()["voyage"] == 1


def test_a_departure_closes_the_voyage_with_its_live_bookings(ship):
    for booking_id in ("b1", "b2", "b3"):
        book(*ship, booking_id)
    release(*ship, "b2")
    departure = depart(*ship)
    assert departure.to_dict() == {
        "vessel_id": "ship",
        "vessel_name": "Ship",
        "voyage": 1,
        "status": "departed",
        "at": T0.isoformat(),
        "by": "admin-1",
        "booking_ids": ["b1", "b3"],
    }
    newest = ship[1].newest(SHIP)
    assert (newest.status, newest.voyage, newest.containers_left) == (VesselStatus.AT_SEA, 1, 8)


def test_a_vessel_at_sea_takes_no_booking(ship):
    depart(*ship)
    with pytest.raises(NoVesselAvailable):
        book(*ship, "late")
    with pytest.raises(NoVesselAvailable):
        services.find_available(*ship, Load(1, 1))


def test_a_booking_after_a_departure_goes_to_another_vessel():
    fleet, ledger = InMemoryFleet(SHIP, SPARE), InMemoryLedger()
    assert book(fleet, ledger, "early").vessel == SHIP
    depart(fleet, ledger)
    assert book(fleet, ledger, "late").vessel == SPARE


def test_a_retried_booking_answers_its_voyage_even_after_the_departure(ship):
    book(*ship, "b1")
    depart(*ship)
    placement = book(*ship, "b1")
    assert (placement.vessel.id, placement.voyage) == ("ship", 1)


def test_a_booking_racing_a_departure_either_sails_or_goes_elsewhere():
    fleet, ledger = InMemoryFleet(SHIP, SPARE), InMemoryLedger()
    book(fleet, ledger, "first")
    ledger.before_next_append = lambda: depart(fleet, ledger)  # departs between the booking's read and its write
    placement = book(fleet, ledger, "racer")
    assert placement.vessel == SPARE
    assert depart(fleet, ledger).booking_ids == ("first",)


def test_a_departure_racing_a_booking_reads_again_and_takes_it_along(ship):
    fleet, ledger = ship
    ledger.before_next_append = lambda: book(fleet, ledger, "racer")
    departure = depart(fleet, ledger)
    assert departure.booking_ids == ("racer",)
    assert ledger.newest(SHIP).containers_left == 9


def test_a_release_after_the_departure_is_refused_and_keeps_the_room(ship):
    book(*ship, "b1", Load(2, 20))
    depart(*ship)
    with pytest.raises(InvalidTransition, match="b1 sailed with vessel ship on voyage 1"):
        release(*ship, "b1")
    assert ship[1].newest(SHIP).containers_left == 8
    assert release(*ship, "never-booked") is False


def test_a_release_racing_a_departure_is_refused_if_the_departure_wins(ship):
    fleet, ledger = ship
    book(fleet, ledger, "b1")
    ledger.before_next_append = lambda: depart(fleet, ledger)
    with pytest.raises(InvalidTransition):
        release(fleet, ledger, "b1")
    assert depart(fleet, ledger).booking_ids == ("b1",)


def test_a_departure_racing_a_release_leaves_the_released_booking_ashore(ship):
    fleet, ledger = ship
    book(fleet, ledger, "b1")
    book(fleet, ledger, "b2")
    ledger.before_next_append = lambda: release(fleet, ledger, "b1")
    assert depart(fleet, ledger).booking_ids == ("b2",)


def test_a_release_after_the_arrival_is_refused(ship):
    book(*ship, "b1")
    depart(*ship)
    arrive(*ship)
    with pytest.raises(InvalidTransition, match="voyage 1"):
        release(*ship, "b1")


def test_departing_again_answers_the_same_departure(ship):
    book(*ship, "b1")
    first = depart(*ship)
    assert depart(*ship, at=T0 + timedelta(hours=1)) == first
    assert len([e for e in ship[1].entries.values() if e.kind is EntryKind.DEPARTURE]) == 1


def test_an_arrival_opens_the_next_voyage_with_full_room(ship):
    book(*ship, "b1", Load(4, 400))
    depart(*ship)
    arrival = arrive(*ship)
    assert arrival.to_dict() == {
        "vessel_id": "ship",
        "vessel_name": "Ship",
        "voyage": 1,
        "status": "arrived",
        "at": (T0 + timedelta(days=3)).isoformat(),
        "by": "admin-1",
        "booking_ids": ["b1"],
    }
    newest = ship[1].newest(SHIP)
    assert (newest.status, newest.voyage, newest.containers_left, newest.weight_left) == ("open", 2, 10, 1000)
    assert book(*ship, "b2").voyage == 2


def test_arriving_again_answers_the_same_arrival_even_with_new_bookings(ship):
    book(*ship, "b1")
    depart(*ship)
    first = arrive(*ship)
    book(*ship, "b2")
    assert arrive(*ship, at=T0 + timedelta(days=9)) == first


def test_the_second_voyage_departs_with_only_its_own_bookings(ship):
    book(*ship, "b1")
    depart(*ship)
    arrive(*ship)
    book(*ship, "b2")
    departure = depart(*ship, at=T0 + timedelta(days=5))
    assert (departure.voyage, departure.booking_ids) == (2, ("b2",))
    assert services.voyage(*ship, "ship", 1).status == "arrived"


def test_a_vessel_that_never_departed_cannot_arrive(ship):
    with pytest.raises(InvalidTransition, match="has not departed"):
        arrive(*ship)


def test_an_unknown_vessel_is_not_found(ship):
    for change in (depart, arrive):
        with pytest.raises(NotFound, match="no vessel ghost"):
            change(*ship, vessel_id="ghost")
    with pytest.raises(NotFound):
        retire(*ship, vessel_id="ghost")


def test_the_voyage_reports_its_status_and_stamps(ship):
    assert services.voyage(*ship, "ship", 1).to_dict() == {
        "vessel_id": "ship",
        "voyage": 1,
        "status": "open",
        "departed": None,
        "arrived": None,
    }
    depart(*ship)
    assert services.voyage(*ship, "ship", 1).to_dict()["departed"] == {"at": T0.isoformat(), "by": "admin-1"}
    arrive(*ship)
    voyage = services.voyage(*ship, "ship", 1)
    assert voyage.status == "arrived"
    assert voyage.arrived.at == T0 + timedelta(days=3)
    assert services.voyage(*ship, "ship", 2).status == "open"
    with pytest.raises(NotFound, match="no voyage 3"):
        services.voyage(*ship, "ship", 3)


def test_the_departure_and_arrival_entries_carry_their_events(ship):
    book(*ship, "b1")
    book(*ship, "b2")
    depart(*ship)
    arrive(*ship)
    entries = {e.kind: e for e in ship[1].entries.values()}
    departed, arrived = entries[EntryKind.DEPARTURE].event, entries[EntryKind.ARRIVAL].event
    assert read_event(encode_event(departed)) == departed
    assert (departed["type"], arrived["type"]) == (VESSEL_DEPARTED, VESSEL_ARRIVED)
    assert departed["aggregate_id"] == "ship"
    assert departed["data"] == {
        "vessel_id": "ship",
        "vessel_name": "Ship",
        "voyage": 1,
        "at": T0.isoformat(),
        "by": "admin-1",
        "consignments": 2,
    }
    assert departed["occurred_at"] == T0.isoformat()
    assert arrived["data"]["voyage"] == 1
    assert departed["id"] != arrived["id"]


def test_the_event_id_is_the_same_for_every_writer_of_the_same_departure():
    events = []
    for _ in range(2):
        fleet, ledger = InMemoryFleet(SHIP), InMemoryLedger()
        depart(fleet, ledger)
        events.append(next(e.event for e in ledger.entries.values() if e.kind is EntryKind.DEPARTURE))
    assert events[0]["id"] == events[1]["id"]
    assert uuid.UUID(events[0]["id"]).version == 5


def test_an_empty_vessel_in_port_retires_once_and_takes_no_more_bookings(ship):
    state = retire(*ship)
    assert state.admin_view()["status"] == "retired"
    assert retire(*ship).admin_view() == state.admin_view()
    fleet, _ = ship
    assert fleet.get("ship").available is False  # left out of the candidates a booking reads
    with pytest.raises(NoVesselAvailable):
        book(*ship, "b1")
    for change in (depart, arrive):
        with pytest.raises(InvalidTransition, match="retired"):
            change(*ship)


def test_a_vessel_with_bookings_on_its_open_voyage_does_not_retire(ship):
    book(*ship, "b1")
    book(*ship, "b2")
    with pytest.raises(InvalidTransition, match="has 2 bookings on its open voyage: cancel them or let it sail"):
        retire(*ship)
    release(*ship, "b1")
    release(*ship, "b2")
    assert retire(*ship).status is VesselStatus.RETIRED


def test_a_vessel_at_sea_does_not_retire_but_may_after_its_arrival(ship):
    book(*ship, "b1")
    depart(*ship)
    with pytest.raises(InvalidTransition, match="at sea"):
        retire(*ship)
    arrive(*ship)
    assert retire(*ship).status is VesselStatus.RETIRED


def test_a_retirement_racing_a_booking_is_refused_once_the_booking_wins(ship):
    fleet, ledger = ship
    ledger.before_next_append = lambda: book(fleet, ledger, "racer")
    with pytest.raises(InvalidTransition, match="1 bookings"):
        retire(fleet, ledger)


def test_only_an_admin_retires(ship):
    with pytest.raises(Forbidden):
        retire(*ship, caller=CUSTOMER)
    assert ship[1].newest(SHIP).status is VesselStatus.OPEN


def test_entries_of_the_previous_release_read_as_voyage_one_open():
    document = {
        "_id": "ship:000000000001",
        "key": "booking/1/b1",
        "kind": "booking",
        "vessel_id": "ship",
        "seq": 1,
        "containers_left": 9,
        "weight_left": 990,
        "booking_id": "b1",
        "generation": 1,
        "at": T0,
        "containers": 1,
        "weight": 10,
    }
    entry = _entry_from_document(document)
    assert (entry.allocation.voyage, entry.allocation.status) == (1, VesselStatus.OPEN)
    assert entry.allocation.can_take(Load(9, 990))
    assert _entry_to_document(entry) == {**document, "voyage": 1, "status": "open", "minute": "2026-11-25T00:00"}


def test_a_departure_is_stored_with_its_pending_event_and_read_back(ship):
    depart(*ship)
    entry = next(e for e in ship[1].entries.values() if e.kind is EntryKind.DEPARTURE)
    document = _entry_to_document(entry)
    assert document["key"] == "departure/ship/1"
    assert (document["outbox_pending"], document["by"], document["status"]) == (True, "admin-1", "at_sea")
    assert "booking_id" not in document
    assert _entry_from_document(document) == entry


FLEET = [Vessel(id=f"v{i:02d}", name=f"Vessel {i}", capacity=2, max_weight=100) for i in range(7)]


def listing(fleet, ledger, caller, status=None, limit=3):
    """Every page in turn: the ids on each."""
    pages, after = [], None
    while True:
        page = services.list_vessels(fleet, ledger, caller, status, limit, after)
        pages.append([state.vessel.id for state in page.states])
        if page.next_after is None:
            return pages
        after = page.next_after


def test_the_fleet_listing_pages_by_id_and_filters_by_status():
    """v01 full, v02 at sea, v03 retired, the others open with room."""
    fleet, ledger = InMemoryFleet(*FLEET), InMemoryLedger()
    ledger.append(full_booking(ledger, FLEET[1]))
    depart(fleet, ledger, "v02")
    retire(fleet, ledger, "v03")
    assert listing(fleet, ledger, ADMIN_CALLER) == [["v00", "v01", "v02"], ["v03", "v04", "v05"], ["v06"]]
    assert listing(fleet, ledger, ADMIN_CALLER, VesselStatus.AT_SEA) == [["v02"]]
    assert listing(fleet, ledger, ADMIN_CALLER, VesselStatus.OPEN) == [["v00", "v01", "v04"], ["v05", "v06"]]
    assert listing(fleet, ledger, CUSTOMER) == [["v00", "v04", "v05"], ["v06"]]
    assert listing(fleet, ledger, CUSTOMER, VesselStatus.RETIRED) == [[]]
    assert listing(fleet, ledger, ADMIN_CALLER, limit=7) == [[v.id for v in FLEET]]


def test_the_customer_view_shows_only_free_room():
    fleet, ledger = InMemoryFleet(FLEET[0]), InMemoryLedger()
    book(fleet, ledger, "other-customers", Load(1, 30))
    (state,) = services.list_vessels(fleet, ledger, CUSTOMER, None, 50, None).states
    assert state.customer_view() == {
        "id": "v00",
        "name": "Vessel 0",
        "status": "open",
        "voyage": 1,
        "containers_free": 1,
        "weight_free": 70,
    }
    assert state.admin_view()["containers_used"] == 1
    assert state.admin_view()["weight_used"] == 30


def full_booking(ledger, vessel):
    newest = ledger.newest(vessel)
    load = Load(vessel.capacity, vessel.max_weight)
    return LedgerEntry(newest.after(load), EntryKind.BOOKING, f"fill-{vessel.id}", 1, load, T0)
