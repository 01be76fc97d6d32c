"""A booking's whole life under concurrency, against the real services: random
books, cancels, departures and arrivals race each other on a small fleet, and
afterwards the books balance (README: "Voyages and cancellations").

For every vessel, the room its open voyage has used is exactly the sum of the
consignments booked on that voyage and not cancelled, never above capacity nor
below zero; every consignment's status agrees with its voyage: booked on the
open voyage, in transit on the voyage at sea, arrived on a voyage that arrived.
"""

import random
from collections import Counter, defaultdict

import pytest

from shippy_common.errors import InvalidTransition, NoVesselAvailable

FLEET = (("small", 8, 800), ("medium", 12, 1200), ("large", 16, 1600))
WAVES = 5
OPERATIONS_PER_WAVE = 20


@pytest.fixture
def small_fleet(user_container, container_factory, vessel_config, consignment_container, admin_rpc):
    from vessel_service.service import VesselService

    container_factory(VesselService, {**vessel_config, "SEED_DEFAULT_FLEET": False}).start()
    for vessel_id, capacity, max_weight in FLEET:
        admin_rpc.vessel_service.create(
            {"id": vessel_id, "name": vessel_id.title(), "capacity": capacity, "max_weight": max_weight}
        )


def consignment_of(containers, tag):
    return {
        "description": f"crate {tag}",
        "weight": 10 * containers,
        "containers": [{"customer_id": f"c{tag}-{i}", "origin": "Leith"} for i in range(containers)],
    }


def test_random_books_cancels_departures_and_arrivals_keep_the_books_balanced(small_fleet, sign_up, admin_rpc):
    rng = random.Random(20261203)
    customers = [sign_up().rpc for _ in range(3)]
    owners = {}  # consignment id -> the proxy of its owner
    outcomes = Counter()
    for wave in range(WAVES):
        calls = []
        for number in range(OPERATIONS_PER_WAVE):
            kind = rng.choices(["book", "cancel", "depart", "arrive"], weights=[10, 4, 1, 1])[0]
            if kind == "cancel" and owners:
                consignment_id = rng.choice(sorted(owners))
                cancel = owners[consignment_id].consignment_service.cancel_consignment
                calls.append(("cancel", cancel.call_async(consignment_id)))
            elif kind in ("depart", "arrive"):
                method = getattr(admin_rpc.consignment_service, f"{kind}_vessel")
                calls.append((kind, method.call_async(rng.choice(FLEET)[0])))
            else:
                customer = rng.choice(customers)
                payload = consignment_of(rng.randint(1, 3), f"{wave}.{number}")
                calls.append(("book", customer.consignment_service.create_consignment.call_async(payload), customer))
        for kind, reply, *owner in calls:
            try:
                answer = reply.result()
            except (NoVesselAvailable, InvalidTransition) as refusal:
                outcomes[f"{kind} refused ({type(refusal).__name__})"] += 1
                continue
            outcomes[kind] += 1
            if kind == "book":
                owners[answer["id"]] = owner[0]

    # The mix did race: bookings, cancels and voyage changes all happened (and some were refused).
    assert outcomes["book"] >= 15 and outcomes["cancel"] >= 1, outcomes
    assert outcomes["depart"] >= 1 and outcomes["arrive"] >= 1, outcomes

    fleet = {vessel["id"]: vessel for vessel in admin_rpc.vessel_service.list_vessels({"limit": 200})["items"]}
    consignments = [admin_rpc.consignment_service.get_consignment(consignment_id) for consignment_id in owners]
    live = defaultdict(lambda: [0, 0])  # (vessel, voyage) -> [containers, weight] not cancelled
    for consignment in consignments:
        if consignment["status"] != "cancelled":
            room = live[consignment["vessel_id"], consignment["voyage"]]
            room[0] += len(consignment["containers"])
            room[1] += consignment["weight"]

    for vessel_id, capacity, max_weight in FLEET:
        vessel = fleet[vessel_id]
        used = live[vessel_id, vessel["voyage"]]
        assert [vessel["containers_used"], vessel["weight_used"]] == used, vessel
        assert 0 <= vessel["containers_used"] <= capacity and 0 <= vessel["weight_used"] <= max_weight
        assert vessel["containers_used"] + vessel["containers_free"] == capacity

    for consignment in consignments:
        vessel = fleet[consignment["vessel_id"]]
        voyage, status = consignment["voyage"], consignment["status"]
        if status == "cancelled":
            expected = "cancelled"  # its room is checked above: not in the voyage's sum
        elif voyage < vessel["voyage"]:
            expected = "arrived"  # that voyage is over
        elif vessel["status"] == "at_sea":
            expected = "in_transit"
        else:
            expected = "booked"
        assert voyage <= vessel["voyage"] and status == expected, (consignment, vessel)
        timeline = [step["status"] for step in consignment["timeline"]]
        assert timeline in (
            ["booked"],
            ["booked", "cancelled"],
            ["booked", "in_transit"],
            ["booked", "in_transit", "arrived"],
        ), consignment
        assert timeline[-1] == status
