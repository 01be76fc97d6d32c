"""What list_consignments, track and the voyage calls accept."""

import base64
import json
import re
import typing

import pytest

from consignment_service.domain import STATUSES, Position
from consignment_service.schemas import ListRequest, ReferenceIn, Status, VesselRef, decode_cursor, encode_cursor
from shippy_common.errors import ValidationError
from shippy_common.schemas import parse


def test_the_schema_statuses_are_the_domain_statuses():
    assert typing.get_args(Status) == STATUSES


def test_a_listing_defaults_to_fifty_of_any_status_from_the_newest():
    request = parse(ListRequest, {}, name="query")
    assert (request.status, request.limit, request.after) == (None, 50, None)


def test_a_cursor_gives_back_its_position():
    position = Position(created_ns=1_764_000_000_123_456_789, id="order-42:x")
    cursor = encode_cursor(position)
    assert re.fullmatch(r"[A-Za-z0-9_-]+", cursor)
    assert parse(ListRequest, {"cursor": cursor, "status": "in_transit", "limit": 200}, name="query").after == position
    assert decode_cursor(cursor) == position


def b64(value):
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "10"}, "limit"),
        ({"limit": True}, "limit"),
        ({"status": "paid"}, "status"),
        ({"status": {"$ne": None}}, "status"),
        ({"cursor": ""}, "cursor"),
        ({"cursor": "x" * 201}, "cursor"),
        ({"cursor": "not/a+cursor"}, "cursor"),
        ({"cursor": "bm90IGpzb24"}, "cursor"),
        ({"cursor": b64([1, 2, 3])}, "cursor"),
        ({"cursor": b64(["1", "c1"])}, "cursor"),
        ({"cursor": b64([-1, "c1"])}, "cursor"),
        ({"cursor": b64([True, "c1"])}, "cursor"),
        ({"cursor": b64([1, ""])}, "cursor"),
        ({"cursor": b64([1, {"$gt": ""}])}, "cursor"),
        ({"cursor": b64([1, "c" * 65])}, "cursor"),
        ({"owner_id": "someone"}, "owner_id"),
    ],
)
def test_a_bad_listing_names_its_field(query, field):
    with pytest.raises(ValidationError) as error:
        parse(ListRequest, query, name="query")
    assert error.value.field == field


def test_references_and_vessel_ids_are_bounded():
    with pytest.raises(ValidationError):
        parse(ReferenceIn, {"reference": "A" * 33}, name="reference")
    with pytest.raises(ValidationError):
        parse(VesselRef, {"vessel_id": "$where"}, name="vessel_id")
    assert parse(VesselRef, {"vessel_id": "vessel001"}, name="vessel_id").vessel_id == "vessel001"
