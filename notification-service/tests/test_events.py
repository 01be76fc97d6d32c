"""Events end to end: services -> outbox -> relay processes -> JetStream ->
notification-service process -> mails. Real RabbitMQ, PostgreSQL, MongoDB-wire
server and NATS; the relays and the notification service run as console scripts."""

import email
import email.policy
import json
import sys
import time
from pathlib import Path

import psycopg2
import pytest

from consignment_service.testing import CLASSIC_CONSIGNMENT
from shippy_common.testing.net import free_port
from user_service.testing import JWT_SECRET

BIN = Path(sys.executable).parent
CLASSIC = CLASSIC_CONSIGNMENT
ENVELOPE_KEYS = {"id", "type", "version", "occurred_at", "aggregate_id", "data"}


@pytest.fixture
def relays(start_process, event_stream, database_url, mongo_database, mongo_uri):
    """``relays(user=True, consignment=True, nats_url=None)``: start the outbox relays."""

    def start(user=True, consignment=True, nats_url=None, wait=True):
        env = {**event_stream.env, **({"NATS_URL": nats_url} if nats_url else {})}
        started = []
        if user:
            started.append(start_process([str(BIN / "user-outbox-relay")], env={**env, "DATABASE_URL": database_url}))
        if consignment:
            mongo = {"MONGO_URI": mongo_uri, "CONSIGNMENT_MONGO_DATABASE": mongo_database.name}
            started.append(start_process([str(BIN / "consignment-outbox-relay")], env={**env, **mongo}))
        for relay in started:
            if wait:
                relay.wait_for_output("relaying events")
        return started

    return start


@pytest.fixture
def notifier(start_process, event_stream, tmp_path):
    """``notifier(**env)``: start notification-service; mails land in ``tmp_path/mail``."""

    def start(**env):
        process = start_process(
            [str(BIN / "notification-service")],
            env={
                **event_stream.env,
                "NOTIFICATION_MAIL_DIR": str(tmp_path / "mail"),
                "NOTIFICATION_STATE_DIR": str(tmp_path / "state"),
                "NOTIFICATION_CONSUMER": "notifications",
                **env,
            },
        )
        process.wait_for_output("consuming")
        return process

    return start


def wait_for_files(folder, count, timeout=30):
    deadline = time.monotonic() + timeout
    while len(files := sorted(folder.glob("*"))) < count if folder.exists() else True:
        assert time.monotonic() < deadline, f"{folder} holds {len(files) if folder.exists() else 0} of {count}"
        time.sleep(0.2)
    return files


def unpublished(database_url):
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from outbox where published_at is null")
        return cursor.fetchone()[0]


def test_both_events_reach_the_stream_and_become_mails_without_secrets(
    platform, sign_up, relays, notifier, event_stream, tmp_path, users, new_user, mongo_database, database_url
):
    relays()
    notifier()
    password = "correct horse battery"
    payload = new_user(password=password)
    user = users.create(payload)
    token = users.auth(payload["email"], password)["token"]
    owner_id, _, consignments = sign_up()
    booked = consignments.create_consignment(CLASSIC)

    messages = event_stream.wait_for_messages(3)
    by_type = {}
    for message in messages:
        event = message["event"]
        assert set(event) == ENVELOPE_KEYS
        assert event["version"] == 1
        assert message["msg_id"] == event["id"]
        assert message["subject"] == event_stream.prefix + event["type"]
        by_type.setdefault(event["type"], []).append(event)
    assert {e["aggregate_id"] for e in by_type["user.created"]} == {user["id"], owner_id}
    welcome = next(e for e in by_type["user.created"] if e["aggregate_id"] == user["id"])
    assert welcome["data"] == {
        "user_id": user["id"],
        "name": user["name"],
        "company": user["company"],
        "email": user["email"],
    }
    (booking,) = by_type["consignment.created"]
    assert booking["aggregate_id"] == booked["id"]
    assert booking["data"]["owner"]["id"] == owner_id
    assert booking["data"]["vessel"] == {"id": "vessel001", "name": "Kane's Salty Secret"}

    deadline = time.monotonic() + 10
    while mongo_database.consignments.count_documents({"outbox_pending": True}):
        assert time.monotonic() < deadline, "the consignment outbox was never marked sent"
        time.sleep(0.1)
    assert unpublished(database_url) == 0

    published = json.dumps(messages)
    for secret in (password, "$2b$", token, JWT_SECRET, "password"):
        assert secret not in published

    files = wait_for_files(tmp_path / "mail", 3)
    mails = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files]
    confirmation = f"Consignment {booked['id']} is booked on Kane's Salty Secret"
    assert sorted(mail["Subject"] for mail in mails) == sorted(["Welcome to Shippy"] * 2 + [confirmation])
    assert any(mail["To"] == f"{user['name']} <{user['email']}>" for mail in mails)


def test_with_nats_down_creates_succeed_and_events_follow_in_order_once_it_is_back(
    user_container, users, new_user, relays, event_stream, tcp_gate, database_url
):
    nats_gate = tcp_gate("nats")
    (relay,) = relays(consignment=False, nats_url=nats_gate.reroute(event_stream.nats_url), wait=False)
    relay.wait_for_output("cannot relay events yet")
    created = [users.create(new_user(name=f"User {i}"))["id"] for i in range(4)]
    assert unpublished(database_url) == 4

    nats_gate.open()
    messages = event_stream.wait_for_messages(4)
    assert [m["event"]["aggregate_id"] for m in messages] == created
    deadline = time.monotonic() + 10
    while unpublished(database_url):
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_a_relay_that_died_between_publish_and_mark_sent_loses_nothing_and_doubles_nothing(
    user_container, users, new_user, relays, notifier, event_stream, database_url, tmp_path
):
    users.create(new_user())
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("select event from outbox")
        (event,) = cursor.fetchone()
    # What a relay killed after JetStream's ack but before marking does: the
    # event is in the stream, and still pending in the outbox.
    event_stream.publish("user.created", json.dumps(event).encode(), msg_id=event["id"])
    assert unpublished(database_url) == 1

    relays(consignment=False)
    notifier()
    wait_for_files(tmp_path / "mail", 1)
    deadline = time.monotonic() + 10
    while unpublished(database_url):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert [m["event"]["id"] for m in event_stream.messages()] == [event["id"]]
    time.sleep(1)
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1


def test_a_service_killed_right_after_a_create_still_gets_its_event_out(
    start_process, rabbit_config, database_url, rpc_client, new_user, relays, event_stream
):
    service = start_process(
        [str(BIN / "user-service")],
        env={
            "AMQP_URI": rabbit_config["AMQP_URI"],
            "DATABASE_URL": database_url,
            "JWT_SECRET": JWT_SECRET,
            "BCRYPT_COST": "4",
            "USER_HTTP_ADDRESS": f"127.0.0.1:{free_port()}",
        },
    )
    service.wait_for_output("user_service is ready")
    user = rpc_client(timeout=30).user_service.create(new_user())
    service.process.kill()
    service.process.wait()

    relays(consignment=False)
    (message,) = event_stream.wait_for_messages(1)
    assert message["event"]["aggregate_id"] == user["id"]


def test_a_redelivered_event_is_mailed_once_even_across_restarts(notifier, event_stream, tmp_path):
    event = {
        "id": "5d7b0c5e-0000-4000-8000-000000000001",
        "type": "user.created",
        "version": 1,
        "occurred_at": "2026-11-21T00:00:00+00:00",
        "aggregate_id": "u1",
        "data": {"user_id": "u1", "name": "Ana", "company": "X", "email": "ana@x.io"},
    }
    first = notifier()
    event_stream.publish("user.created", json.dumps(event).encode())
    wait_for_files(tmp_path / "mail", 1)
    event_stream.publish("user.created", json.dumps(event).encode())
    first.wait_for_output("was handled before")
    first.stop()

    second = notifier()
    event_stream.publish("user.created", json.dumps(event).encode())
    second.wait_for_output("was handled before")
    assert [p.name for p in (tmp_path / "mail").glob("*")] == [f"{event['id']}.eml"]


def test_a_mail_that_keeps_failing_is_retried_then_parked_not_dropped(notifier, event_stream, tmp_path):
    event = {
        "id": "5d7b0c5e-0000-4000-8000-000000000002",
        "type": "user.created",
        "version": 1,
        "occurred_at": "2026-11-21T00:00:00+00:00",
        "aggregate_id": "u2",
        "data": {"user_id": "u2", "name": "Ben", "company": "Y", "email": "ben@y.io"},
    }
    process = notifier(
        SMTP_URL=f"smtp://127.0.0.1:{free_port()}",
        NOTIFICATION_MAX_DELIVERIES="3",
        NOTIFICATION_RETRY_SECONDS="0.2",
    )
    event_stream.publish("user.created", json.dumps(event).encode())
    (parked,) = wait_for_files(tmp_path / "state" / "parked", 1)
    record = json.loads(parked.read_text())
    assert record["event"] == event
    assert record["attempts"] == 3
    assert "Connection refused" in record["reason"] or "ConnectionRefusedError" in record["reason"]
    assert process.output.count("retrying in") == 2
    assert "parked event" in process.output


def test_an_unreadable_message_is_parked(notifier, event_stream, tmp_path):
    notifier()
    event_stream.publish("user.created", b"{not json")
    (parked,) = wait_for_files(tmp_path / "state" / "parked", 1)
    assert json.loads(parked.read_text())["event"] == {"raw": "{not json"}
