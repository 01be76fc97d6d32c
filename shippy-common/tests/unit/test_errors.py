"""Shippy's errors come back from RPC as the same classes, with their details."""

import pytest
from nameko.exceptions import RemoteError, deserialize, serialize

from shippy_common.errors import SHIPPY_ERRORS, NoVesselAvailable, ValidationError


def test_a_validation_error_keeps_its_field_across_the_wire():
    error = deserialize(serialize(ValidationError("containers.0.origin", "Field required")))
    assert isinstance(error, ValidationError)
    assert error.field == "containers.0.origin"
    assert str(error) == "containers.0.origin: Field required"
    assert error.refused is False


@pytest.mark.parametrize("error_class", [cls for cls in SHIPPY_ERRORS if cls is not ValidationError])
def test_every_shippy_error_is_registered_for_callers(error_class):
    error = deserialize(serialize(error_class("the reason")))
    assert type(error) is error_class
    assert str(error) == "the reason"
    assert error.refused is True


def test_an_unregistered_error_stays_a_remote_error():
    assert isinstance(deserialize(serialize(KeyError("x"))), RemoteError)
    assert not isinstance(deserialize(serialize(NoVesselAvailable("x"))), RemoteError)
