"""The previous release's ledger documents, read as this release's entries."""

from datetime import UTC, datetime

import pytest

from vessel_service.domain import EntryKind, LedgerEntry, Load, Vessel
from vessel_service.repository import _entry_from_document, _entry_to_document, legacy_entry, legacy_upgrade

AT = datetime(2026, 12, 3, tzinfo=UTC)
SHIP = Vessel(id="ship", name="Ship", capacity=10, max_weight=1000)


def legacy(seq, containers_left, weight_left, booking_id):
    return {
        "_id": f"ship:{seq:012d}",
        "vessel_id": "ship",
        "seq": seq,
        "containers_left": containers_left,
        "weight_left": weight_left,
        "booking_id": booking_id,
    }


OPENING = legacy(0, 10, 1000, "opening:ship")
FIRST = legacy(1, 8, 800, "order-1")


def upgraded(document, previous):
    """``document`` once the migration's update is applied to it."""
    update = legacy_upgrade(legacy_entry(document, previous, AT))
    result = {**document, **update["$set"]}
    for field in update.get("$unset", {}):
        result.pop(field)
    return result


def test_the_opening_entry_is_the_one_this_release_writes():
    entry = legacy_entry(OPENING, None, AT)
    assert entry == LedgerEntry.opening(SHIP)
    assert upgraded(OPENING, None) == _entry_to_document(LedgerEntry.opening(SHIP))


def test_a_booking_holds_the_room_it_took_as_a_first_generation_booking():
    entry = legacy_entry(FIRST, OPENING, AT)
    assert (entry.kind, entry.booking_id, entry.generation, entry.at) == (EntryKind.BOOKING, "order-1", 1, AT)
    assert entry.load == Load(containers=2, weight=200)
    assert (entry.allocation.seq, entry.allocation.containers_left, entry.allocation.weight_left) == (1, 8, 800)
    assert entry.key == LedgerEntry(entry.allocation, EntryKind.BOOKING, "order-1", 1).key


def test_the_load_is_measured_from_the_entry_before_upgraded_or_not():
    second = legacy(2, 5, 500, "order-2")
    assert legacy_entry(second, FIRST, AT).load == Load(3, 300)
    assert legacy_entry(second, upgraded(FIRST, OPENING), AT).load == Load(3, 300)


def test_a_client_booking_id_shaped_like_an_opening_is_a_booking():
    entry = legacy_entry(legacy(1, 9, 990, "opening:ship"), OPENING, AT)
    assert entry.kind is EntryKind.BOOKING
    assert entry.booking_id == "opening:ship"


def test_a_booking_needs_the_entry_before_it():
    with pytest.raises(ValueError, match="ship:000000000001"):
        legacy_entry(FIRST, None, AT)


@pytest.mark.parametrize(("document", "previous"), [(OPENING, None), (FIRST, OPENING)])
def test_an_upgraded_document_is_what_this_release_writes_and_reads(document, previous):
    entry = legacy_entry(document, previous, AT)
    assert upgraded(document, previous) == _entry_to_document(entry)
    assert _entry_from_document(upgraded(document, previous)) == entry
