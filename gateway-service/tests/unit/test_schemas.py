"""The gateway refuses what the services refuse: its request models mirror theirs."""

import pytest

from consignment_service import schemas as consignment_schemas
from gateway_service import schemas
from shippy_common.errors import ValidationError
from shippy_common.schemas import parse
from user_service import schemas as user_schemas


def test_a_consignment_is_the_same_schema_as_consignment_service_validates():
    ours = schemas.NewConsignment.model_json_schema()
    theirs = consignment_schemas.NewConsignment.model_json_schema()
    assert ours["properties"] == theirs["properties"]
    assert ours["required"] == theirs["required"]
    assert ours["$defs"]["ContainerIn"]["properties"] == theirs["$defs"]["ContainerIn"]["properties"]


@pytest.mark.parametrize(
    ("ours", "theirs"), [(schemas.NewUser, user_schemas.NewUser), (schemas.LogIn, user_schemas.LogIn)]
)
def test_user_models_have_the_services_fields(ours, theirs):
    assert set(ours.model_fields) == set(theirs.model_fields)
    assert {name for name, f in ours.model_fields.items() if f.is_required()} == {
        name for name, f in theirs.model_fields.items() if f.is_required()
    }


GOOD_USER = {"name": "Ana", "company": "Shippy", "email": "ana@example.com", "password": "correct horse"}


@pytest.mark.parametrize(
    "change",
    [
        {"password": "short"},
        {"password": "é" * 40},  # 80 bytes
        {"password": 12345678},
        {"email": "not an email"},
        {"name": ""},
        {"name": "x" * 201},
        {"role": "admin"},
        {"email": {"$gt": ""}},
    ],
)
def test_a_user_the_service_refuses_the_gateway_refuses_too(change):
    payload = {**GOOD_USER, **change}
    for model in (schemas.NewUser, user_schemas.NewUser):
        with pytest.raises(ValidationError):
            parse(model, payload, name="user")


def test_a_user_both_accept():
    for model in (schemas.NewUser, user_schemas.NewUser):
        parse(model, GOOD_USER, name="user")


def test_a_profile_answered_has_no_password_or_hash():
    profile = schemas.UserProfile.model_validate(
        {"id": "1", "name": "A", "company": "C", "email": "a@b.c", "role": "customer", "password_hash": "$2b$..."}
    )
    assert "password_hash" not in profile.model_dump()
