import pytest

from shippy_common.errors import ValidationError
from shippy_common.schemas import parse
from vessel_service.domain import Load
from vessel_service.schemas import MAX_BOOKINGS_WINDOW, BookingWindow, NewVessel, Specification

GOOD_VESSEL = {"id": "v-1", "name": "Test", "capacity": 10, "max_weight": 100}


def test_a_good_specification_becomes_a_load():
    assert parse(Specification, {"capacity": 3, "max_weight": 55000}, name="specification").to_domain() == Load(
        containers=3, weight=55000
    )


def test_a_vessel_without_id_gets_a_generated_one():
    vessel = parse(NewVessel, {"name": "Test", "capacity": 1, "max_weight": 1}, name="vessel").to_domain()
    assert len(vessel.id) == 36
    assert vessel.available is True


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (None, "specification"),
        ([], "specification"),
        ("capacity=1", "specification"),
        ({"max_weight": 1}, "capacity"),
        ({"capacity": 1}, "max_weight"),
        ({"capacity": "1", "max_weight": 1}, "capacity"),
        ({"capacity": 1.5, "max_weight": 1}, "capacity"),
        ({"capacity": True, "max_weight": 1}, "capacity"),
        ({"capacity": 0, "max_weight": 1}, "capacity"),
        ({"capacity": 1, "max_weight": -5}, "max_weight"),
        ({"capacity": {"$gt": 0}, "max_weight": 1}, "capacity"),
        ({"capacity": 1, "max_weight": {"$ne": None}}, "max_weight"),
        ({"capacity": 10**30, "max_weight": 1}, "capacity"),
        ({"capacity": 1, "max_weight": 1, "$where": "1"}, "$where"),
    ],
)
def test_bad_specifications_name_the_field(payload, field):
    with pytest.raises(ValidationError) as error:
        parse(Specification, payload, name="specification")
    assert error.value.field == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": {"$gt": ""}}, "id"),
        ({"id": "$where"}, "id"),
        ({"id": "a/b"}, "id"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 1_000_000}, "name"),
        ({"owner_id": {"$ne": None}}, "owner_id"),
        ({"available": "yes"}, "available"),
    ],
)
def test_bad_vessels_name_the_field(change, field):
    with pytest.raises(ValidationError) as error:
        parse(NewVessel, {**GOOD_VESSEL, **change}, name="vessel")
    assert error.value.field == field


def test_a_huge_unknown_key_is_named_but_cut_short():
    with pytest.raises(ValidationError) as error:
        parse(Specification, {"capacity": 1, "max_weight": 1, "k" * 1_000_000: 1}, name="specification")
    assert error.value.field.startswith("kkk")
    assert len(error.value.field) <= 100


def test_a_fleet_cursor_gives_back_the_vessel_id_it_was_made_from():
    from vessel_service.schemas import FleetQuery, encode_cursor

    query = parse(FleetQuery, {"cursor": encode_cursor("vessel:007"), "status": "at_sea"}, name="query")
    assert (query.after(), query.vessel_status(), query.limit) == ("vessel:007", "at_sea", 50)
    assert parse(FleetQuery, {}, name="query").after() is None


@pytest.mark.parametrize("cursor", ["vessel001", "djE6", "%%%", "dj"])
def test_a_cursor_this_listing_did_not_make_is_refused(cursor):
    from vessel_service.schemas import FleetQuery

    with pytest.raises(ValidationError) as error:
        parse(FleetQuery, {"cursor": cursor}, name="query").after()
    assert error.value.field == "cursor"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"vessel_id": "v1"}, "by"),
        ({"vessel_id": {"$ne": ""}, "by": "u1"}, "vessel_id"),
        ({"vessel_id": "v1", "by": ""}, "by"),
        ({"vessel_id": "v1", "by": "u" * 201}, "by"),
        ({"vessel_id": "v1", "by": "u1", "voyage": 1}, "voyage"),
    ],
)
def test_bad_voyage_changes_are_refused(payload, field):
    from vessel_service.schemas import VoyageChangeRequest

    with pytest.raises(ValidationError) as error:
        parse(VoyageChangeRequest, payload, name="departure")
    assert error.value.field == field


@pytest.mark.parametrize(
    ("window", "field"),
    [
        ({"since": "0001-01-01T00:00:00+00:00", "until": "2026-12-04T00:00:00+00:00"}, "window"),
        ({"since": "2026-12-02T00:00:00+00:00", "until": "2026-12-03T00:00:01+00:00"}, "window"),
        ({"since": "2026-12-01T23:59:59", "until": "2026-12-03T00:00:00+00:00"}, "window"),
        ({"since": "yesterday", "until": "2026-12-03T00:00:00+00:00"}, "since"),
    ],
)
def test_a_window_longer_than_a_day_or_not_a_window_is_refused(window, field):
    with pytest.raises(ValidationError) as error:
        parse(BookingWindow, window, name="window")
    assert error.value.field == field


def test_a_day_long_window_is_read_an_instant_without_offset_as_utc():
    window = parse(BookingWindow, {"since": "2026-12-02T00:00:00Z", "until": "2026-12-03T00:00:00"}, name="window")
    assert window.until - window.since == MAX_BOOKINGS_WINDOW
