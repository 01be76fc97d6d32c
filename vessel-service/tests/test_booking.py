"""The booking rules with an in-memory ledger that behaves like the store:
an append fails when its sequence number or booking id is already taken."""

import pytest

from shippy_common.errors import NoVesselAvailable
from vessel_service.booking import book
from vessel_service.domain import Allocation, Load, Vessel

SMALL = Vessel(id="small", name="Small", capacity=3, max_weight=300)
LARGE = Vessel(id="large", name="Large", capacity=100, max_weight=10_000)


class InMemoryFleet:
    def __init__(self, *vessels):
        self.vessels = {v.id: v for v in vessels}

    def candidates(self, load):
        return list(self.vessels.values())

    def get(self, vessel_id):
        return self.vessels.get(vessel_id)


class InMemoryLedger:
    def __init__(self):
        self.entries = {}  # (vessel_id, seq) -> (allocation, booking_id)
        self.lose_next_race = False

    def vessel_booked_for(self, booking_id):
        return next((a.vessel_id for a, b in self.entries.values() if b == booking_id), None)

    def newest(self, vessel):
        mine = [a for (vid, _), (a, _) in self.entries.items() if vid == vessel.id]
        return max(mine, key=lambda a: a.seq) if mine else Allocation.opening(vessel)

    def append(self, allocation, booking_id):
        if self.lose_next_race:  # another booking took this sequence number first
            self.lose_next_race = False
            rival = Allocation(allocation.vessel_id, allocation.seq, allocation.containers_left, allocation.weight_left)
            self.entries[(allocation.vessel_id, allocation.seq)] = (rival, "rival")
            return False
        key = (allocation.vessel_id, allocation.seq)
        if key in self.entries or self.vessel_booked_for(booking_id):
            return False
        self.entries[key] = (allocation, booking_id)
        return True


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
    assert ledger.vessel_booked_for("b2") is None


def test_an_unavailable_vessel_is_never_booked():
    docked = Vessel(id="docked", name="Docked", capacity=10, max_weight=10, available=False)
    with pytest.raises(NoVesselAvailable):
        book(InMemoryFleet(docked), InMemoryLedger(), "b1", Load(1, 1))
