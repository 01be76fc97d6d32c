"""Bookings that wait for a vessel's turn are written together by the next
writer (``services.Turn``): each still gets its own entry, in order, and a
refusal or a failure of the store reaches only the bookings it concerns."""

from datetime import UTC, datetime

import eventlet
import pytest

from vessel_service import services
from vessel_service.domain import EntryKind, Load, Vessel

from .fakes import InMemoryFleet, InMemoryLedger

FOUR = Vessel(id="four", name="Four slots", capacity=4, max_weight=1000)
ONE = Load(1, 10)


class StoreDown(Exception):
    pass


def now():
    return datetime(2026, 12, 4, tzinfo=UTC)


def book(fleet, ledger, booking_id):
    return services.book(fleet, ledger, booking_id, ONE, now=now, pause=lambda _: None).vessel.id


def while_the_first_writes(fleet, ledger, *booking_ids, then=None):
    """A hook for the first booking's append: bookings of the same process
    made meanwhile, which queue for the vessel's turn; their green threads."""
    started = []

    def hook():
        started.extend(eventlet.spawn(book, fleet, ledger, booking_id) for booking_id in booking_ids)
        while len(ledger.writing(FOUR.id).waiting) < len(booking_ids):
            eventlet.sleep(0)
        ledger.while_next_append = then

    ledger.while_next_append = hook
    return started


def booked(ledger):
    entries = sorted(ledger.entries.values(), key=lambda entry: entry.allocation.seq)
    return [entry.booking_id for entry in entries if entry.kind is EntryKind.BOOKING]


def test_bookings_that_waited_for_a_vessels_turn_are_written_in_one_append_each_as_its_own_entry():
    fleet, ledger = InMemoryFleet(FOUR), InMemoryLedger()
    ledger.newest(FOUR)
    others = while_the_first_writes(fleet, ledger, "b2", "b3", "b4")
    assert book(fleet, ledger, "b1") == "four"
    assert [other.wait() for other in others] == ["four"] * 3
    assert ledger.appends == [1, 1, 3]  # the opening, the first booking, the three that waited
    assert booked(ledger) == ["b1", "b2", "b3", "b4"]
    assert ledger.newest(FOUR).containers_left == 0


def test_a_waiting_booking_that_does_not_fit_is_refused_alone():
    fleet, ledger = InMemoryFleet(FOUR), InMemoryLedger()
    ledger.newest(FOUR)
    started = []

    def hook():
        started.append(eventlet.spawn(services.book, fleet, ledger, "big", Load(4, 10), now, lambda _: None))
        started.append(eventlet.spawn(book, fleet, ledger, "small"))
        while len(ledger.writing(FOUR.id).waiting) < 2:
            eventlet.sleep(0)

    ledger.while_next_append = hook
    book(fleet, ledger, "b1")
    big, small = started
    with pytest.raises(services.NoVesselAvailable):
        big.wait()
    assert small.wait() == "four"
    assert booked(ledger) == ["b1", "small"]


def test_when_the_first_waiting_booking_loses_a_race_every_one_after_it_books_again_on_what_is_left():
    """Their entries were counted on the room the refused one left: none of them may be written."""
    fleet, ledger = InMemoryFleet(FOUR), InMemoryLedger()
    ledger.newest(FOUR)

    def rival_books_first():
        ledger.lose_next_race = True  # another process takes the next sequence number

    others = while_the_first_writes(fleet, ledger, "b2", "b3", then=rival_books_first)
    book(fleet, ledger, "b1")
    assert sorted(other.wait() for other in others) == ["four", "four"]
    assert sorted(booked(ledger)) == ["b1", "b2", "b3", "rival"]
    assert ledger.newest(FOUR).containers_left == 0
    assert [entry.allocation.seq for entry in ledger.entries.values()] == [0, 1, 2, 3, 4]


def test_a_booking_that_waited_behind_a_writer_the_store_failed_is_written_by_itself():
    fleet, ledger = InMemoryFleet(FOUR), InMemoryLedger()
    ledger.newest(FOUR)

    def store_fails():
        raise StoreDown

    others = while_the_first_writes(fleet, ledger, "b2", "b3", then=store_fails)
    book(fleet, ledger, "b1")
    outcomes = []
    for other in others:
        try:
            outcomes.append(other.wait())
        except StoreDown:
            outcomes.append("failed")
    assert sorted(outcomes) == ["failed", "four"]
    assert len(booked(ledger)) == 2
    assert ledger.newest(FOUR).containers_left == 2
