"""The event envelope: its size bound and the checks subscribers rely on."""

import json
import re
import uuid

import pytest

from shippy_common.envelope import MAX_EVENT_BYTES, InvalidEvent, encode_event, new_event, read_event


def test_an_event_over_the_size_bound_is_refused_with_its_size():
    with pytest.raises(ValueError, match=rf"of \d+ bytes is over the limit of {MAX_EVENT_BYTES} bytes") as refused:
        new_event("user.created", "u1", {"name": "港" * (MAX_EVENT_BYTES // 3)})
    size = int(re.search(r"of (\d+) bytes", str(refused.value)).group(1))
    assert size > MAX_EVENT_BYTES


def test_an_event_within_the_bound_is_made_and_encodes_within_it():
    event = new_event("user.created", "u1", {"name": "港" * 1000})
    assert len(encode_event(event)) <= MAX_EVENT_BYTES
    assert read_event(encode_event(event)) == event


def test_the_bound_is_far_below_what_nats_accepts():
    assert MAX_EVENT_BYTES * 8 <= 1024 * 1024


VALID = {
    "id": "5d7b0c5e-0000-4000-8000-000000000001",
    "type": "user.created",
    "version": 1,
    "occurred_at": "2026-11-21T00:00:00+00:00",
    "aggregate_id": "u1",
    "data": {"user_id": "u1"},
}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'"user.created"', "not a JSON object"),
        (json.dumps({**VALID, "id": "../../x"}).encode(), "id must be a UUID"),
        (json.dumps({**VALID, "id": 12345}).encode(), "id must be a UUID"),
        (json.dumps({**VALID, "id": {"$gt": ""}}).encode(), "id must be a UUID"),
        (json.dumps({**VALID, "id": "{" + VALID["id"] + "}"}).encode(), "id must be a UUID"),
        (json.dumps({**VALID, "id": VALID["id"].upper()}).encode(), "id must be a UUID"),
        (json.dumps({**VALID, "type": "user.deleted"}).encode(), "type must be one of"),
        (json.dumps({**VALID, "version": "1"}).encode(), "version must be of type int"),
        (json.dumps({**VALID, "version": True}).encode(), "version must be of type int"),
        (json.dumps({**VALID, "aggregate_id": 7}).encode(), "aggregate_id must be of type str"),
        (json.dumps({**VALID, "data": [1]}).encode(), "data must be of type dict"),
        (json.dumps({"id": VALID["id"], "type": "user.created"}).encode(), "version must be of type int"),
    ],
)
def test_a_message_that_is_not_a_valid_envelope_is_refused_with_the_reason(payload, reason):
    with pytest.raises(InvalidEvent, match=reason):
        read_event(payload)


def test_a_valid_envelope_is_read_as_is():
    event = {**VALID, "id": str(uuid.uuid4())}
    assert read_event(json.dumps(event).encode()) == event
