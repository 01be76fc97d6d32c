"""consignment.created: a summary that always fits in an event, however big the booking."""

from dataclasses import replace
from datetime import UTC, datetime

from consignment_service.domain import BookedVessel, Consignment, Container
from consignment_service.events import MAX_LISTED_CONTAINERS, created_data, created_event
from consignment_service.schemas import MAX_CONTAINERS
from shippy_common.auth import Caller
from shippy_common.envelope import MAX_EVENT_BYTES, encode_event

# A character JSON escapes as two \uXXXX and UTF-8 spends 4 bytes on: the costliest there is.
WIDE = "\U0001f6a2"


OWNER = Caller(id="u1", name="Ana", company="X Ltd", email="ana@x.io")
VESSEL = BookedVessel(id="vessel003", name="The Black Pearl")


def consignment(containers, description="Tea", owner=OWNER, vessel=VESSEL):
    return Consignment(
        id="c1",
        owner_id=owner.id,
        description=description,
        weight=55000,
        containers=tuple(containers),
        vessel_id=vessel.id,
        created_at=datetime(2026, 11, 21, tzinfo=UTC),
        owner_name=owner.name,
        owner_email=owner.email,
        vessel_name=vessel.name,
    )


def test_a_booking_of_the_most_and_longest_containers_allowed_makes_an_event_far_below_the_bound():
    containers = [Container(customer_id=f"c{i:063d}", origin=WIDE * 200) for i in range(MAX_CONTAINERS)]
    owner = Caller(id="u" * 64, name=WIDE * 200, company=WIDE * 200, email="a" * 64 + "@" + "b" * 185 + ".io")
    vessel = BookedVessel(id="v" * 64, name=WIDE * 200)
    event = created_event(consignment(containers, WIDE * 2000, owner, vessel))
    assert len(encode_event(event)) < MAX_EVENT_BYTES / 2


def test_the_event_counts_every_container_and_lists_the_first_twenty_in_order():
    containers = [Container(customer_id=f"cust{i:04d}", origin=f"Port {i}", id=f"k{i}") for i in range(1000)]
    data = created_event(consignment(containers))["data"]
    assert MAX_LISTED_CONTAINERS == 20
    assert data["container_count"] == 1000
    assert data["containers"] == [{"customer_id": f"cust{i:04d}", "origin": f"Port {i}"} for i in range(20)]


def test_a_small_booking_lists_all_its_containers_and_no_more_than_its_owner_and_vessel_need():
    containers = [Container(customer_id="cust001", origin="Derby")]
    data = created_event(consignment(containers))["data"]
    assert data["container_count"] == 1
    assert data["containers"] == [{"customer_id": "cust001", "origin": "Derby"}]
    assert data["owner"] == {"id": "u1", "name": "Ana", "email": "ana@x.io"}
    assert data["vessel"] == {"id": "vessel003", "name": "The Black Pearl"}


def test_the_time_of_a_booking_read_back_without_its_zone_is_the_same_utc_time():
    aware = consignment([Container(customer_id="cust001", origin="Derby")])
    naive = replace(aware, created_at=datetime(2026, 11, 21))
    assert created_data(naive) == created_data(aware)
    assert created_data(aware)["created_at"] == "2026-11-21T00:00:00+00:00"
