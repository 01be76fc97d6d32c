"""Request ids and the consignment ids derived from an Idempotency-Key."""

import base64
import json
import uuid

import pytest

from gateway_service.ids import consignment_id_for, request_id_for, token_subject
from shippy_common.logs import sane_request_id


@pytest.mark.parametrize("sent", ["abc", "req-1", "0f8e7d6c-5b4a-4938-8271-605f4e3d2c1b", "a.b:c_d-e", "x" * 64])
def test_a_sane_request_id_is_kept(sent):
    assert request_id_for(sent) == sent


@pytest.mark.parametrize(
    "sent",
    [None, "", "x" * 65, "has space", "new\nline", "semi;colon", "-leading-dash", "ünïcode", "a\x00b", "<script>"],
)
def test_anything_else_gets_a_new_one(sent):
    made = request_id_for(sent)
    assert made != sent
    assert sane_request_id(made) == made
    assert request_id_for(sent) != made  # new each time


def _jwt(claims):
    def b64(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'HS256'})}.{b64(claims)}.c2ln"


def test_the_same_key_from_the_same_user_is_the_same_consignment_whatever_the_token():
    first = consignment_id_for("order-42", _jwt({"sub": "user-1", "jti": "a"}))
    again = consignment_id_for("order-42", _jwt({"sub": "user-1", "jti": "b"}))  # logged in again
    assert first == again
    assert uuid.UUID(first).version == 5


def test_another_key_or_another_user_is_another_consignment():
    token = _jwt({"sub": "user-1"})
    ids = {
        consignment_id_for("order-42", token),
        consignment_id_for("order-43", token),
        consignment_id_for("order-42", _jwt({"sub": "user-2"})),
    }
    assert len(ids) == 3


@pytest.mark.parametrize("token", ["abc", "a.b.c", "$$$.%%%.^^^", _jwt(["sub"]), _jwt({"sub": 5}), _jwt({"sub": ""})])
def test_a_token_without_a_readable_subject_is_told_apart_by_its_digest(token):
    assert token_subject(token).startswith("token:")
    assert consignment_id_for("k", token) == consignment_id_for("k", token)
    assert consignment_id_for("k", token) != consignment_id_for("k", token + "x")
