import pytest

from shippy_common.errors import ValidationError
from shippy_common.schemas import parse
from vessel_service.domain import Load
from vessel_service.schemas import NewVessel, Specification

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
