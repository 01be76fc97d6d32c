"""The status machine, references and timelines, in plain Python."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from consignment_service.domain import (
    ARRIVED,
    BOOKED,
    CANCELLED,
    DELIVERED,
    IN_TRANSIT,
    STATUSES,
    Consignment,
    Container,
    Transition,
    check_transition,
    is_at_or_past,
    new_reference,
    normalize_reference,
    transition_event_id,
)
from shippy_common.errors import InvalidTransition

ALLOWED = {(BOOKED, IN_TRANSIT), (IN_TRANSIT, ARRIVED), (ARRIVED, DELIVERED), (BOOKED, CANCELLED)}
T0 = datetime(2026, 11, 25, 12, tzinfo=UTC)


@pytest.mark.parametrize("old", STATUSES)
@pytest.mark.parametrize("new", STATUSES)
def test_only_the_four_transitions_are_allowed(old, new):
    if (old, new) in ALLOWED:
        check_transition("c1", old, new)
    else:
        with pytest.raises(InvalidTransition) as error:
            check_transition("c1", old, new)
        assert str(error.value).startswith(f"consignment c1 is {old}: ")


def test_a_refusal_says_what_the_transition_needs():
    expected = "consignment c1 is in_transit: only a booked consignment can be cancelled"
    with pytest.raises(InvalidTransition, match=expected):
        check_transition("c1", IN_TRANSIT, CANCELLED)
    with pytest.raises(InvalidTransition, match="is booked: only an arrived consignment can be delivered"):
        check_transition("c1", BOOKED, DELIVERED)


def test_at_or_past_follows_the_journey_and_cancelled_is_off_it():
    assert is_at_or_past(DELIVERED, IN_TRANSIT) and is_at_or_past(IN_TRANSIT, IN_TRANSIT)
    assert not is_at_or_past(BOOKED, IN_TRANSIT)
    assert not is_at_or_past(CANCELLED, IN_TRANSIT)


def test_references_are_random_crockford_base32_in_three_groups():
    references = {new_reference() for _ in range(1000)}
    assert len(references) == 1000
    for reference in references:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", reference)


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("ABCD-EFGH-JKMN", "ABCD-EFGH-JKMN"),
        ("abcd efgh jkmn", "ABCD-EFGH-JKMN"),
        ("abcdefghjkmn", "ABCD-EFGH-JKMN"),
        ("O0IL-1111-2222", "0011-1111-2222"),
        ("ABCD-EFGH-JKM", None),
        ("ABCD-EFGH-JKMNP", None),
        ("ABCD-EFGH-JKMU", None),
        ("ABCD/EFGH/JKMN", None),
        ("", None),
    ],
)
def test_a_reference_reads_as_crockford_does(text, normalized):
    assert normalize_reference(text) == normalized


def consignment(**changes):
    return Consignment(
        id="c1",
        owner_id="u1",
        description="Tea",
        weight=10,
        containers=(Container("cust1", "Derby"),),
        vessel_id="v1",
        created_at=T0,
        **changes,
    )


def test_a_consignment_without_a_log_is_booked_at_its_creation_by_its_owner():
    legacy = consignment()
    assert legacy.status == BOOKED
    assert legacy.to_dict()["timeline"] == [{"status": "booked", "at": T0.isoformat(), "by": "u1"}]
    assert (legacy.to_dict()["reference"], legacy.to_dict()["voyage"]) == (None, None)


def test_the_log_tells_the_status_and_the_timeline_in_seq_order():
    later = T0 + timedelta(days=1)
    log = [
        Transition("c1", "u1", 2, IN_TRANSIT, ARRIVED, later + timedelta(days=1), "admin"),
        Transition("c1", "u1", 1, BOOKED, IN_TRANSIT, later, "admin"),
    ]
    read = consignment(reference="ABCD-EFGH-JKMN", voyage=3).with_log(log)
    assert read.status == ARRIVED
    data = read.to_dict()
    assert [entry["status"] for entry in data["timeline"]] == ["booked", "in_transit", "arrived"]
    assert data["timeline"][1] == {"status": "in_transit", "at": later.isoformat(), "by": "admin"}
    assert set(data) == {
        "id",
        "owner_id",
        "description",
        "weight",
        "containers",
        "vessel_id",
        "created_at",
        "status",
        "reference",
        "voyage",
        "timeline",
    }
    assert "owner_email" not in data and "email" not in str(data)


def test_a_transition_event_id_is_the_same_whoever_computes_it():
    assert transition_event_id("c1", IN_TRANSIT) == transition_event_id("c1", IN_TRANSIT)
    assert transition_event_id("c1", IN_TRANSIT) != transition_event_id("c1", ARRIVED)
    assert transition_event_id("c1", IN_TRANSIT) != transition_event_id("c2", IN_TRANSIT)
