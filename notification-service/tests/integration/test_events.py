"""Events end to end: services -> outbox -> relay processes -> JetStream ->
notification-service process -> mails. Real RabbitMQ, PostgreSQL, MongoDB-wire
server and NATS; the relays and the notification service run as console scripts."""

import email
import email.policy
import hashlib
import json
import sys
import time
import uuid
from pathlib import Path

import psycopg2
import pytest

from consignment_service.testing import CLASSIC_CONSIGNMENT
from shippy_common.testing.net import free_port
from shippy_common.testing.waits import eventually
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


def files_in(folder):
    """What the notifier has finished writing in ``folder``: not a mail still being
    written (``*.tmp``, renamed to its ``.eml`` once whole)."""
    return sorted(path for path in folder.glob("*") if path.suffix != ".tmp") if folder.exists() else []


def wait_for_files(folder, count, timeout=30):
    eventually(
        lambda: len(files_in(folder)) >= count,
        timeout=timeout,
        interval=0.2,
        what=lambda: f"{folder} holding {count} files, not {len(files_in(folder))}",
    )
    return files_in(folder)


def unpublished(database_url):
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        cursor.execute("select count(*) from outbox where published_at is null")
        return cursor.fetchone()[0]


def test_both_events_reach_the_stream_and_become_mails_without_secrets(
    platform, sign_up, relays, notifier, event_stream, tmp_path, mongo_database, database_url
):
    relays()
    notifier()
    password = "correct horse battery"
    user, token, _ = sign_up(password=password)
    owner, _, rpc = sign_up()
    owner_id = owner["id"]
    booked = rpc.consignment_service.create_consignment(CLASSIC)

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

    eventually(
        lambda: not mongo_database.consignments.count_documents({"outbox_pending": True}),
        timeout=10,
        what="the consignment outbox marked sent",
    )
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
    eventually(lambda: not unpublished(database_url), timeout=10, what="the user outbox marked sent")


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
    mailer = notifier()
    wait_for_files(tmp_path / "mail", 1)
    eventually(lambda: not unpublished(database_url), timeout=10, what="the user outbox marked sent")
    assert [m["event"]["id"] for m in event_stream.messages()] == [event["id"]]

    # A later event: the notifier handles messages in order, so once its mail is
    # written, a second copy of the first event would have been handled too.
    later = users.create(new_user())
    first_message, later_message = event_stream.wait_for_messages(2)
    assert (first_message["event"]["id"], later_message["event"]["aggregate_id"]) == (event["id"], later["id"])
    later_mail = tmp_path / "mail" / f"{later_message['event']['id']}.eml"
    eventually(later_mail.exists, what="the later event mailed")
    mails = {path.name for path in (tmp_path / "mail").glob("*.eml")}
    assert mails == {f"{event['id']}.eml", later_mail.name}, "one mail for each event"
    # A second mail of the first event would have the same file name: the log tells.
    assert mailer.output.count(f"event {event['id']}") == 1, mailer.output


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


#: Over NATS's 1 MiB max payload however it is encoded.
TOO_BIG_FOR_NATS = "港" * 400_000


def envelope(event_type, aggregate_id, data):
    """An event as ``new_event`` makes one, without its size check."""
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "version": 1,
        "occurred_at": "2026-11-21T00:00:00+00:00",
        "aggregate_id": aggregate_id,
        "data": data,
    }


def test_an_event_too_big_for_nats_is_parked_in_the_user_outbox_and_the_next_one_still_goes_out(
    relays, event_stream, database_url
):
    (relay,) = relays(consignment=False)  # migrates the database
    too_big = envelope("user.created", "u-big", {"user_id": "u-big", "name": TOO_BIG_FOR_NATS})
    after = envelope("user.created", "u-next", {"user_id": "u-next", "name": "Ana"})
    with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
        for event in (too_big, after):
            cursor.execute(
                "insert into outbox (id, aggregate_id, type, event) values (%s, %s, %s, %s::jsonb)",
                (event["id"], event["aggregate_id"], event["type"], json.dumps(event)),
            )

    (message,) = event_stream.wait_for_messages(1)
    assert message["event"]["id"] == after["id"]

    def parked_row():
        with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
            cursor.execute(
                "select park_reason, published_at, event from outbox where id = %s and parked_at is not null",
                (too_big["id"],),
            )
            return cursor.fetchone()

    reason, published_at, kept = eventually(parked_row, what="the oversized event parked")
    assert "MaxPayloadError" in reason
    assert published_at is None
    assert kept == too_big, "a parked event is kept whole for an operator"
    eventually(lambda: unpublished(database_url) == 1, what="the next event marked sent")
    relay.wait_for_output(f"parked event {too_big['id']} (user.created)")
    assert "ERROR" in next(line for line in relay.output.splitlines() if "parked event" in line)
    assert [m["event"]["id"] for m in event_stream.messages()] == [after["id"]]


def test_an_event_too_big_for_nats_is_parked_in_the_consignment_outbox_and_the_next_one_still_goes_out(
    relays, event_stream, mongo_database
):
    too_big = envelope("consignment.created", "c-big", {"consignment_id": "c-big", "description": TOO_BIG_FOR_NATS})
    after = envelope("consignment.created", "c-next", {"consignment_id": "c-next", "description": "Tea"})
    mongo_database.consignments.insert_many(
        [
            {"_id": event["aggregate_id"], "created_ns": time.time_ns(), "outbox": [event], "outbox_pending": True}
            for event in (too_big, after)
        ]
    )
    (relay,) = relays(user=False)

    (message,) = event_stream.wait_for_messages(1)
    assert message["event"]["id"] == after["id"]
    document = eventually(
        lambda: mongo_database.consignments.find_one({"_id": "c-big", "outbox_parked": {"$exists": True}}),
        what="the oversized event parked",
    )
    assert "MaxPayloadError" in document["outbox_parked"]["reason"]
    assert document["outbox_parked"]["parked_at"] is not None
    assert document["outbox_pending"] is False
    assert document["outbox"] == [too_big], "a parked event is kept whole for an operator"
    eventually(
        lambda: mongo_database.consignments.find_one({"_id": "c-next", "outbox_pending": False}),
        what="the next event marked sent",
    )
    relay.wait_for_output(f"parked event {too_big['id']} (consignment.created)")


def test_a_consignment_of_1000_containers_with_long_non_ascii_origins_is_booked_published_and_mailed(
    platform, sign_up, relays, notifier, event_stream, tmp_path
):
    relays()
    notifier()
    consignments = sign_up().rpc.consignment_service
    containers = [{"customer_id": f"cust{i:04d}", "origin": f"{i:04d} " + "港" * 195} for i in range(1000)]
    request = {"description": "A full load", "weight": 500_000, "containers": containers}
    booked = consignments.create_consignment(request)

    messages = event_stream.wait_for_messages(2)
    (booking,) = [m["event"] for m in messages if m["event"]["type"] == "consignment.created"]
    assert booking["aggregate_id"] == booked["id"]
    assert booking["data"]["container_count"] == 1000
    assert booking["data"]["containers"] == containers[:20]

    mail_file = tmp_path / "mail" / f"{booking['id']}.eml"
    eventually(mail_file.exists, what="the booking confirmation mailed")
    text = email.message_from_bytes(mail_file.read_bytes(), policy=email.policy.default).get_content()
    assert f"cust0019 from {containers[19]['origin']}" in text
    assert "cust0020" not in text
    assert "... and 980 more" in text


def valid_user_created(**data):
    return {
        **envelope("user.created", "u1", {"user_id": "u1", "name": "Ana", "company": "X", "email": "ana@x.io"}),
        **({"data": {"user_id": "u1", "name": "Ana", "company": "X", "email": "ana@x.io", **data}} if data else {}),
    }


def test_crafted_events_are_parked_once_each_inside_the_parked_folder_and_the_next_event_is_still_mailed(
    notifier, event_stream, tmp_path
):
    def crafted(**changes):
        return json.dumps({**valid_user_created(), **changes}).encode()

    not_envelopes = [
        crafted(id="../../x", data={"name": "no email"}),  # parked as <id>.json: tmp_path/x.json
        crafted(id="../escaped"),  # mailed as <id>.eml: tmp_path/escaped.eml
        crafted(id=12345),
        crafted(id={"$gt": ""}),
        crafted(type="user.deleted"),
        crafted(version="1"),
        crafted(data=["not", "an", "object"]),
        json.dumps([1, 2]).encode(),
        b"{not json",
        json.dumps({"id": str(uuid.uuid4()), "type": "user.created"}).encode(),
    ]
    unmailable = [
        valid_user_created(email="a@x.com, b@y.com"),
        valid_user_created(name="Ana\r\nBcc: eve@evil.example"),
    ]
    normal = valid_user_created()
    process = notifier()
    for payload in not_envelopes:
        event_stream.publish("user.created", payload)
    for event in unmailable:
        event_stream.publish("user.created", json.dumps(event).encode())
    event_stream.publish("user.created", json.dumps(normal).encode())

    eventually((tmp_path / "mail" / f"{normal['id']}.eml").exists, what="the normal event mailed")
    parked = tmp_path / "state" / "parked"
    expected = {f"invalid-{hashlib.sha256(payload).hexdigest()}.json" for payload in not_envelopes}
    expected |= {f"{event['id']}.json" for event in unmailable}
    assert {path.name for path in parked.iterdir()} == expected
    assert process.output.count("parked event") == len(expected), "each bad event parked once"

    written = {str(path.relative_to(tmp_path)) for path in tmp_path.rglob("*") if path.is_file()}
    assert {name for name in written if not name.startswith("state/handled.sqlite3")} == {
        f"mail/{normal['id']}.eml",
        *(f"state/parked/{name}" for name in expected),
    }
    assert not list(tmp_path.parent.glob("escaped*")) and not list(tmp_path.parent.glob("x.*"))

    records = {path.name: json.loads(path.read_text()) for path in parked.iterdir()}
    traversal = records[f"invalid-{hashlib.sha256(not_envelopes[0]).hexdigest()}.json"]
    assert "id must be a UUID" in traversal["reason"]
    assert json.loads(traversal["event"]["raw"])["id"] == "../../x"
    assert "is not one valid email address" in records[f"{unmailable[0]['id']}.json"]["reason"]


def test_a_cancel_and_a_voyage_reach_their_owner_as_mails(
    platform, sign_up, admin_rpc, relays, notifier, event_stream, tmp_path
):
    relays()
    notifier()
    consignments = sign_up().rpc.consignment_service
    sailing = consignments.create_consignment(CLASSIC)
    cancelled = consignments.create_consignment(CLASSIC)
    consignments.cancel_consignment(cancelled["id"])
    admin = admin_rpc.consignment_service
    admin.depart_vessel(sailing["vessel_id"])
    admin.arrive_vessel(sailing["vessel_id"])
    admin.mark_delivered(sailing["id"])

    # Two welcomes, two confirmations, the cancel, and the three steps of the voyage.
    files = wait_for_files(tmp_path / "mail", 8)
    mails = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default) for path in files]
    ref = sailing["reference"]
    assert sorted(mail["Subject"] for mail in mails) == sorted(
        [
            "Welcome to Shippy",
            "Welcome to Shippy",
            f"Consignment {sailing['id']} is booked on Kane's Salty Secret",
            f"Consignment {cancelled['id']} is booked on Kane's Salty Secret",
            f"Consignment {cancelled['reference']} is cancelled",
            f"Consignment {ref} is on its way",
            f"Consignment {ref} has arrived",
            f"Consignment {ref} is delivered",
        ]
    )
    news = next(mail for mail in mails if mail["Subject"] == f"Consignment {ref} is on its way")
    assert "has left port aboard Kane's Salty Secret (voyage 1)" in news.get_content()
    assert not (tmp_path / "state" / "parked").exists()


def vessel_event(event_type):
    return envelope(event_type, "vessel001", {"vessel_id": "vessel001", "voyage": 1, "at": "2026-11-21T00:00:00+00:00"})


def test_vessel_events_are_acknowledged_without_a_mail_and_not_parked(notifier, event_stream, tmp_path):
    process = notifier()
    for event_type in ("vessel.departed", "vessel.arrived"):
        event_stream.publish(event_type, json.dumps(vessel_event(event_type)).encode())
    normal = valid_user_created()
    event_stream.publish("user.created", json.dumps(normal).encode())
    wait_for_files(tmp_path / "mail", 1)
    process.wait_for_output("(vessel.arrived) acknowledged, nothing to mail")
    assert [path.name for path in (tmp_path / "mail").iterdir()] == [f"{normal['id']}.eml"]
    assert not (tmp_path / "state" / "parked").exists()
    assert process.output.count("acknowledged, nothing to mail") == 2


OLD_CONSUMER = """
import asyncio, sys
import nats
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig

async def main(url, stream, prefix, durable):
    connection = await nats.connect(url)
    js = connection.jetstream()
    await js.add_stream(StreamConfig(name=stream, subjects=[prefix + "user.created"], storage=StorageType.FILE))
    await js.add_consumer(stream, ConsumerConfig(
        name=durable, durable_name=durable, ack_policy=AckPolicy.EXPLICIT, filter_subject=prefix + "*.created"))
    await connection.close()

asyncio.run(main(*sys.argv[1:]))
"""


def test_a_consumer_of_an_earlier_release_moves_on_to_every_event(notifier, event_stream, tmp_path):
    import subprocess

    subprocess.run(
        [
            sys.executable,
            "-c",
            OLD_CONSUMER,
            event_stream.nats_url,
            event_stream.name,
            event_stream.prefix,
            "notifications",
        ],
        check=True,
        timeout=30,
    )
    process = notifier()
    assert f"now consuming {event_stream.prefix}>, not {event_stream.prefix}*.created" in process.output
    cancelled = envelope(
        "consignment.cancelled",
        "c1",
        {
            "consignment_id": "c1",
            "reference": "ABCD-EFGH-JKMN",
            "owner": {"id": "u1", "name": "Ana", "email": "ana@x.io"},
            "vessel": {"id": "vessel001", "name": "Kane's Salty Secret"},
            "voyage": 1,
            "old_status": "booked",
            "new_status": "cancelled",
            "at": "2026-11-21T00:00:00+00:00",
            "by": "u1",
        },
    )
    event_stream.publish("consignment.cancelled", json.dumps(cancelled).encode())
    (mail,) = wait_for_files(tmp_path / "mail", 1)
    assert mail.name == f"{cancelled['id']}.eml"
