"""What every service does with messages on its RPC queue that no well-behaved
client sends: each is logged and dropped (or refused, when a reply can be
sent), and the service keeps serving."""

import json
import uuid

import pytest

from consignment_service.testing import CLASSIC_CONSIGNMENT
from shippy_common.auth import TOKEN_CONTEXT_KEY
from shippy_common.errors import InternalError, InvalidCredentials, InvalidToken, Unauthorized
from shippy_common.rpc import MAX_CALL_BYTES
from shippy_common.testing.waits import eventually

CALLS = {
    "vessel_service": "vessel_service.find_available",
    "user_service": "user_service.validate_token",
    "user_service (its queue for bcrypt calls)": "user_service.auth",
    "consignment_service": "consignment_service.get_consignments",
}
GOOD_BODY = json.dumps({"args": [{"capacity": 1, "max_weight": 1}], "kwargs": {}}).encode()

#: name: (publish() keyword arguments, whether a MalformedRequest reply comes back)
BAD_MESSAGES = {
    "no reply_to": ({"body": GOOD_BODY, "reply_to": None}, False),
    "no correlation_id": ({"body": GOOD_BODY, "correlation_id": None}, False),
    "pickle content type": ({"body": b"\x80\x04K\x01.", "content_type": "application/x-python-serialize"}, False),
    "no content type": ({"body": GOOD_BODY, "content_type": None}, False),
    "text content type": ({"body": b"hello", "content_type": "text/plain"}, False),
    "not JSON": ({"body": b"{not json"}, True),
    "not UTF-8": ({"body": b"\xff\xfe\x00"}, True),
    "a list": ({"body": b"[1, 2]"}, True),
    "args not a list": ({"body": b'{"args": 1, "kwargs": {}}'}, True),
    "extra keys": ({"body": b'{"args": [], "kwargs": {}, "x": 1}'}, True),
    "huge": ({"body": b'{"args": ["' + b"x" * MAX_CALL_BYTES + b'"], "kwargs": {}}'}, True),
}


def test_every_service_survives_every_malformed_message_and_keeps_serving(platform, raw_rpc, rpc_client):
    answered = []
    for service, routing_key in CALLS.items():
        for name, (kwargs, refused) in BAD_MESSAGES.items():
            correlation_id = raw_rpc.publish(routing_key, **kwargs)
            if refused:
                answered.append((correlation_id, f"{service}: {name}"))
    replies = raw_rpc.replies(len(answered))
    for correlation_id, what in answered:
        assert replies[correlation_id]["error"]["exc_type"] == "MalformedRequest", what
    client = rpc_client(timeout=30)
    assert client.vessel_service.find_available({"capacity": 1, "max_weight": 1})["available"] is True
    with pytest.raises(InvalidToken):
        client.user_service.validate_token("not-a-token")
    with pytest.raises(InvalidCredentials):
        client.user_service.auth("nobody@example.com", "not-the-password")
    with pytest.raises(Unauthorized):  # consignment_service asked user_service: both serve
        rpc_client(context_data={TOKEN_CONTEXT_KEY: "x.y.z"}, timeout=30).consignment_service.get_consignments()


def test_a_call_whose_caller_gave_up_is_not_run(platform, raw_rpc, rpc_client, mongo_database):
    import time

    late = raw_rpc.call(
        "vessel_service.book",
        {"booking_id": "too-late", "containers": 1, "weight": 1},
        headers={"nameko.deadline": time.time() - 1},
    )
    on_time = raw_rpc.call("vessel_service.book", {"booking_id": "on-time", "containers": 1, "weight": 1})
    assert set(raw_rpc.replies(1)) == {on_time}
    assert late != on_time
    assert mongo_database.vessel_ledger.count_documents({"booking_id": "too-late"}) == 0
    assert mongo_database.vessel_ledger.count_documents({"booking_id": "on-time"}) == 1


def test_an_unexpected_error_reaches_the_caller_as_an_internal_error_without_internals(
    platform, rpc_client, mongo_database, caplog
):
    # vessel002's first ledger entry, broken: the booking reads it and fails.
    mongo_database.vessel_ledger.insert_one(
        {"_id": "vessel002:000000000000", "vessel_id": "vessel002", "seq": 0, "kind": "booking", "note": "s3cret"}
    )
    with pytest.raises(InternalError) as error:
        rpc_client().vessel_service.book({"booking_id": "b1", "containers": 1, "weight": 1})
    message = str(error.value)
    assert message.startswith("internal error; quote vessel_service.book.")
    assert "containers_left" not in message
    assert "s3cret" not in message
    correlation_id = message.split()[3]
    assert any(correlation_id in record.getMessage() for record in caplog.records)


def test_a_redelivered_create_without_an_id_books_once(platform, raw_rpc, sign_up, mongo_database):
    _, token, rpc = sign_up()
    headers = {f"nameko.{TOKEN_CONTEXT_KEY}": token}  # context data, as nameko sends it
    first = raw_rpc.publish(
        "consignment_service.create_consignment",
        json.dumps({"args": [CLASSIC_CONSIGNMENT], "kwargs": {}}).encode(),
        headers=headers,
    )
    raw_rpc.publish(
        "consignment_service.create_consignment",
        json.dumps({"args": [CLASSIC_CONSIGNMENT], "kwargs": {}}).encode(),
        headers=headers,
        correlation_id=first,
    )
    replies = []
    # Both copies answer, under the same correlation id: collect them one at a time.
    eventually(lambda: replies.extend(raw_rpc.replies(1).values()) or len(replies) >= 2, what="both copies answered")
    assert replies[0] == replies[1]
    assert replies[0]["error"] is None
    assert mongo_database.consignments.count_documents({}) == 1
    assert [c["id"] for c in rpc.consignment_service.get_consignments()] == [replies[0]["result"]["id"]]


def test_calls_between_services_and_every_answer_are_transient_messages(platform, raw_rpc, sign_up):
    """RabbitMQ writes a persistent message to disk: calls and answers are
    transient (``shippy_common.rpc.RPC_DELIVERY_MODE``), as the gateway's calls are."""
    import kombu

    _, _, rpc = sign_up()
    spy = kombu.Queue("spy-" + uuid.uuid4().hex, exchange=raw_rpc.exchange, routing_key="#", auto_delete=True)
    spy = spy(raw_rpc.channel)
    spy.declare()
    rpc.consignment_service.create_consignment(CLASSIC_CONSIGNMENT)  # -> user_service, -> vessel_service
    seen = {}

    def both_kinds_seen():
        while (message := spy.get(no_ack=True)) is not None:
            key = message.delivery_info["routing_key"]
            kind = "call" if "." in key else "answer"  # an answer's key is its caller's reply key, a UUID
            seen.setdefault(kind, []).append((key, message.properties.get("delivery_mode")))
        return any(key == "vessel_service.book" for key, _ in seen.get("call", [])) and len(seen.get("answer", [])) >= 2

    eventually(both_kinds_seen, what="consignment_service's call to vessel_service and the answers")
    (book,) = [mode for key, mode in seen["call"] if key == "vessel_service.book"]
    assert book == 1, "consignment_service's call to vessel_service is persistent"
    assert {mode for _, mode in seen["answer"]} == {1}, seen["answer"]
