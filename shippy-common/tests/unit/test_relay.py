"""The outbox relay's choices, with a fake outbox and a fake JetStream: which
failures park an event, and that nothing else overtakes or drops one.
(End to end, with real NATS and both outboxes: notification-service/tests/test_events.py.)"""

import asyncio
import json
import logging
import socket
import threading

import pytest
from nats.errors import ConnectionClosedError, MaxPayloadError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.errors import APIError, BadRequestError, NoStreamResponseError, ServerError, ServiceUnavailableError

from shippy_common.config import ConfigError
from shippy_common.envelope import new_event
from shippy_common.relay import OutboxRelay, RelaySettings
from shippy_common.stream import StreamSettings
from shippy_common.testing.clocks import ManualClock


class FakeOutbox:
    def __init__(self, events):
        self.events = list(events)
        self.sent = []
        self.marks = []  # the events of each mark_sent call, one round trip each
        self.parked = {}

    def pending(self, limit):
        done = {*self.sent, *self.parked}
        return [e for e in self.events if e["id"] not in done][:limit]

    def mark_sent(self, events):
        self.marks.append([event["id"] for event in events])
        self.sent.extend(event["id"] for event in events)

    def park(self, event, reason):
        self.parked[event["id"]] = reason

    def listen(self):
        return None  # no signal of new events: the relay polls


class FakeJetStream:
    """Fails each publish of an event whose id or aggregate is in ``failures``
    with the next error given for it; answers each publish after the others
    sent meanwhile went out, as JetStream's acks come back."""

    def __init__(self, failures):
        self.failures = {key: list(errors) for key, errors in failures.items()}
        self.published = []
        self.in_flight = self.most_in_flight = 0

    async def publish(self, subject, payload, headers):
        event = json.loads(payload)
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            errors = self.failures.get(event["id"]) or self.failures.get(event["aggregate_id"])
            if errors:
                raise errors.pop(0)
            self.published.append((subject, event["id"], headers["Nats-Msg-Id"]))
            await asyncio.sleep(0)
        finally:
            self.in_flight -= 1


def relay_rounds(relay, js, rounds):
    """What ``OutboxRelay.run`` does while connected: relay, and on a failure try again."""

    async def go():
        for _ in range(rounds):
            try:
                await relay.relay_pending(js)
            except Exception:
                continue

    asyncio.run(go())


def events(*aggregates):
    return [new_event("user.created", aggregate, {"user_id": aggregate}) for aggregate in aggregates]


STREAM = StreamSettings(nats_url="nats://127.0.0.1:4222", subject_prefix="t.")


def relay_of(outbox, max_attempts):
    return OutboxRelay(outbox, RelaySettings(stream=STREAM, max_attempts=max_attempts))


@pytest.mark.parametrize(
    "error",
    [
        MaxPayloadError(),
        BadRequestError(code=400, err_code=10054, description="maximum message size exceeded"),
        APIError(code=409, description="refused"),
    ],
    ids=["too-big-for-nats", "jetstream-400", "jetstream-409"],
)
def test_an_event_that_fails_through_its_own_fault_is_parked_after_bounded_attempts_and_the_next_goes_on(error, caplog):
    bad, next_of_its_aggregate = events("a", "a")
    outbox = FakeOutbox([bad, next_of_its_aggregate])
    js = FakeJetStream({bad["id"]: [error] * 100})
    relay = relay_of(outbox, max_attempts=3)

    with caplog.at_level(logging.ERROR, logger="shippy_common.relay"):
        relay_rounds(relay, js, rounds=2)
        assert outbox.parked == {}, "parked before its last attempt"
        assert js.published == [], "an event overtook the one before it of its aggregate"
        relay_rounds(relay, js, rounds=1)

    assert list(outbox.parked) == [bad["id"]]
    assert type(error).__name__ in outbox.parked[bad["id"]]
    assert js.published == [("t.user.created", next_of_its_aggregate["id"], next_of_its_aggregate["id"])]
    assert outbox.sent == [next_of_its_aggregate["id"]]
    (logged,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert bad["id"] in logged.getMessage()
    assert "user.created" in logged.getMessage()
    assert type(error).__name__ in logged.getMessage()


def test_an_event_that_cannot_be_encoded_is_parked():
    (event,) = events("u1")
    event["data"]["odd"] = {1, 2}  # recorded by a bug, say: no JSON for a set
    outbox = FakeOutbox([event])
    relay_rounds(relay_of(outbox, max_attempts=2), FakeJetStream({}), rounds=2)
    assert "not JSON serializable" in outbox.parked[event["id"]]


@pytest.mark.parametrize(
    "error",
    [
        NatsTimeoutError(),
        ConnectionClosedError(),
        NoStreamResponseError(),
        ServiceUnavailableError(code=503),
        ServerError(code=500),
        OSError("connection reset"),
    ],
    ids=["timeout", "connection-closed", "no-stream", "jetstream-503", "jetstream-500", "socket"],
)
def test_nats_trouble_is_retried_in_order_for_as_long_as_it_lasts_never_parked(error):
    first, second = events("a", "a")
    outbox = FakeOutbox([first, second])
    js = FakeJetStream({first["id"]: [error] * 10})
    relay = relay_of(outbox, max_attempts=3)

    relay_rounds(relay, js, rounds=10)
    assert outbox.parked == {}
    assert js.published == []

    relay_rounds(relay, js, rounds=1)
    assert [event_id for _, event_id, _ in js.published] == [first["id"], second["id"]]
    assert outbox.sent == [first["id"], second["id"]]


def test_attempts_are_counted_per_event_and_forgotten_once_it_is_sent():
    (event,) = events("u1")
    outbox = FakeOutbox([event])
    js = FakeJetStream({"u1": [MaxPayloadError(), MaxPayloadError()]})
    relay = relay_of(outbox, max_attempts=3)
    relay_rounds(relay, js, rounds=3)
    assert outbox.parked == {}
    assert outbox.sent == [event["id"]]
    assert relay.failures == {}


def test_a_batch_is_marked_sent_in_one_round_trip_and_what_went_out_beside_a_failure_too():
    a, b, c, d = batch = events("a", "b", "c", "d")
    outbox = FakeOutbox(batch)
    relay = relay_of(outbox, max_attempts=3)
    relay_rounds(relay, FakeJetStream({"c": [ConnectionClosedError()]}), rounds=1)
    assert outbox.marks == [[a["id"], b["id"], d["id"]]], "a, b and d out, marked together; c still pending"

    relay_rounds(relay, FakeJetStream({}), rounds=1)
    assert outbox.marks[1:] == [[c["id"]]]


def test_events_of_different_aggregates_are_published_together_those_of_one_aggregate_in_turn():
    """A backlog waits for JetStream's acks once per wave, not once per event."""
    batch = events("a", "b", "c", "a", "d", "a")
    outbox = FakeOutbox(batch)
    js = FakeJetStream({})
    relay_rounds(relay_of(outbox, max_attempts=3), js, rounds=1)
    assert [event_id for _, event_id, _ in js.published] == [event["id"] for event in batch]
    assert js.most_in_flight == 3, "a, b and c at once; then the next a with d; then the last a"
    assert outbox.marks == [[event["id"] for event in batch]]


def test_a_relay_that_polls_looks_again_at_once_after_events_and_less_often_once_quiet():
    """Polling FerretDB 20 times a second took 5 % of a core on an idle platform."""
    clock = ManualClock()
    relay = OutboxRelay(
        FakeOutbox([]), RelaySettings(stream=STREAM), poll_interval=0.05, quiet_poll_interval=0.15, clock=clock
    )
    assert relay.next_look_in(found=3) == 0, "a backlog is read on at once"
    clock.now += 0.9
    assert relay.next_look_in(found=0) == 0.05, "within a second of the last events: every 50 ms"
    clock.now += 0.2
    assert relay.next_look_in(found=0) == 0.15, "quiet for a second: every 150 ms"
    assert relay.next_look_in(found=1) == 0
    clock.now += 0.5
    assert relay.next_look_in(found=0) == 0.05, "an event brings the quick looks back"


def test_a_quiet_relay_never_looks_more_often_than_its_poll_interval():
    """The vessel relay looks once a second (departures are hours apart)."""
    relay = OutboxRelay(FakeOutbox([]), RelaySettings(stream=STREAM), poll_interval=1.0, clock=ManualClock())
    relay.clock.now += 60
    assert relay.next_look_in(found=0) == 1.0


def test_a_later_event_of_an_aggregate_waits_while_an_earlier_one_fails_and_others_go_on():
    first_a, b, second_a, c = batch = events("a", "b", "a", "c")
    outbox = FakeOutbox(batch)
    relay = relay_of(outbox, max_attempts=3)
    js = FakeJetStream({first_a["id"]: [NatsTimeoutError()] * 2})
    relay_rounds(relay, js, rounds=2)
    assert [event_id for _, event_id, _ in js.published] == [b["id"]], "b beside the failure; the rest after it"
    relay_rounds(relay, js, rounds=1)
    assert [event_id for _, event_id, _ in js.published] == [b["id"], first_a["id"], second_a["id"], c["id"]]


def connect_to(js, monkeypatch):
    """The relay's NATS connection, replaced by one to the fake JetStream ``js``."""

    class FakeConnection:
        is_connected = True

        def jetstream(self, timeout):
            return js

        async def close(self):
            pass

    async def connect(url, name):
        return FakeConnection()

    async def ensure_stream(js, settings):
        pass

    monkeypatch.setattr("shippy_common.relay.connect", connect)
    monkeypatch.setattr("shippy_common.relay.ensure_stream", ensure_stream)


def relay_config(**changes):
    """A relay's keys as its service's ``config.yml`` gives them by default."""
    return {
        "NATS_URL": "nats://127.0.0.1:4222",
        "EVENT_STREAM": "SHIPPY",
        "EVENT_SUBJECT_PREFIX": "",
        "RELAY_MAX_ATTEMPTS": 3,
        "HEARTBEAT_FILE": "",
        "LOG_LEVEL": "INFO",
        **changes,
    }


def test_relay_settings_are_read_once_from_the_config():
    settings = RelaySettings.from_config(relay_config(RELAY_MAX_ATTEMPTS=5, LOG_LEVEL="debug"))
    assert settings == RelaySettings(
        stream=StreamSettings(nats_url="nats://127.0.0.1:4222", name="SHIPPY"),
        max_attempts=5,
        heartbeat_file=None,
        log_level="DEBUG",
    )


def test_the_heartbeat_file_comes_from_the_config_not_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTBEAT_FILE", str(tmp_path / "from-env"))
    assert RelaySettings.from_config(relay_config()).heartbeat_file is None
    settings = RelaySettings.from_config(relay_config(HEARTBEAT_FILE=str(tmp_path / "heartbeat")))
    assert settings.heartbeat_file == tmp_path / "heartbeat"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("RELAY_MAX_ATTEMPTS", 0),
        ("RELAY_MAX_ATTEMPTS", "three"),
        ("RELAY_MAX_ATTEMPTS", True),
        ("RELAY_MAX_ATTEMPTS", None),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_LEVEL", 10),
        ("HEARTBEAT_FILE", "/no/such/directory/heartbeat"),
        ("HEARTBEAT_FILE", 7),
        ("NATS_URL", "http://nats:4222"),
    ],
)
def test_a_bad_relay_setting_is_refused_naming_it(key, value):
    with pytest.raises(ConfigError, match=key):
        RelaySettings.from_config(relay_config(**{key: value}))


def test_the_relay_touches_its_configured_heartbeat_file_while_connected(tmp_path, monkeypatch):
    heartbeat = tmp_path / "heartbeat"
    monkeypatch.setenv("HEARTBEAT_FILE", str(tmp_path / "from-env"))
    outbox = FakeOutbox(events("u1"))

    async def go():
        stop = asyncio.Event()

        class StopAfterPublishing(FakeJetStream):
            async def publish(self, subject, payload, headers):
                await super().publish(subject, payload, headers)
                stop.set()

        connect_to(StopAfterPublishing({}), monkeypatch)
        await OutboxRelay(outbox, RelaySettings(stream=STREAM, heartbeat_file=heartbeat)).run(stop)

    asyncio.run(go())
    assert outbox.sent == [outbox.events[0]["id"]]
    assert heartbeat.exists()
    assert not (tmp_path / "from-env").exists()


class SocketWakeups:
    """A signal of new events the test gives by hand, on one end of a socket pair."""

    def __init__(self, lost=False):
        self.reader, self.writer = socket.socketpair()
        self.reader.setblocking(False)
        self.lost = lost  # its connection is gone: the next drain raises
        self.closed = False

    def fileno(self):
        return self.reader.fileno()

    def signal(self):
        self.writer.send(b"!")

    def drain(self):
        if self.lost:
            raise OSError("server closed the connection unexpectedly")
        try:
            while self.reader.recv(64):
                pass
        except BlockingIOError:
            pass

    def close(self):
        self.closed = True
        self.reader.close()
        self.writer.close()


class ListeningOutbox(FakeOutbox):
    """An outbox that signals new events; ``calls`` says in which order the relay listened and looked."""

    def __init__(self, *wakeups):
        super().__init__([])
        self.wakeups = list(wakeups)
        self.calls = []
        self.looked = threading.Event()

    def listen(self):
        self.calls.append("listen")
        return self.wakeups.pop(0)

    def pending(self, limit):
        self.calls.append("look")
        self.looked.set()
        return super().pending(limit)

    async def looked_again(self):
        self.looked.clear()
        assert await asyncio.to_thread(self.looked.wait, 5), "the relay did not look"


async def relaying(outbox, monkeypatch):
    """``OutboxRelay.run`` connected to a fake JetStream; without a signal, it
    would look again only after 60 s."""
    js = FakeJetStream({})
    connect_to(js, monkeypatch)
    relay = OutboxRelay(outbox, RelaySettings(stream=STREAM), poll_interval=60, signalled_poll_interval=60)
    stop = asyncio.Event()
    return js, stop, asyncio.create_task(relay.run(stop))


async def published(js, count):
    for _ in range(500):
        if len(js.published) >= count:
            return [event_id for _, event_id, _ in js.published]
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} event(s) not published within 5 s: {js.published}")


def test_an_idle_relay_that_listens_publishes_a_new_event_as_soon_as_it_is_signalled(monkeypatch):
    wakeups = SocketWakeups()
    outbox = ListeningOutbox(wakeups)
    (event,) = events("u1")

    async def go():
        js, stop, relay = await relaying(outbox, monkeypatch)
        await outbox.looked_again()
        outbox.events.append(event)
        wakeups.signal()
        assert await published(js, 1) == [event["id"]]
        stop.set()
        await asyncio.wait_for(relay, 5)  # stopping does not wait for the next look either

    asyncio.run(go())
    assert outbox.calls[:2] == ["listen", "look"], "listening after the first look would miss what came between"
    assert outbox.sent == [event["id"]]
    assert wakeups.closed


def test_a_relay_whose_listener_is_lost_listens_again_before_looking_and_publishes(monkeypatch, caplog):
    lost, fresh = SocketWakeups(lost=True), SocketWakeups()
    outbox = ListeningOutbox(lost, fresh)
    (event,) = events("u1")

    async def go():
        js, stop, relay = await relaying(outbox, monkeypatch)
        await outbox.looked_again()
        outbox.events.append(event)
        lost.signal()
        assert await published(js, 1) == [event["id"]]
        stop.set()
        await asyncio.wait_for(relay, 5)

    with caplog.at_level(logging.WARNING, logger="shippy_common.relay"):
        asyncio.run(go())
    assert lost.closed
    assert outbox.calls[:4] == ["listen", "look", "listen", "look"]
    assert "server closed the connection unexpectedly" in caplog.text


def test_a_quiet_relay_that_polls_publishes_a_new_event_at_its_next_look(monkeypatch):
    outbox = ListeningOutbox(None)  # cannot signal: the relay polls
    clock = ManualClock()
    (event,) = events("c1")

    async def go():
        js = FakeJetStream({})
        connect_to(js, monkeypatch)
        settings = RelaySettings(stream=STREAM)
        relay = OutboxRelay(outbox, settings, poll_interval=0.05, quiet_poll_interval=0.15, clock=clock)
        stop = asyncio.Event()
        running = asyncio.create_task(relay.run(stop))
        await outbox.looked_again()
        clock.now += 60  # nothing for a minute
        assert relay.next_look_in(found=0) == 0.15
        await outbox.looked_again()
        outbox.events.append(event)
        assert await published(js, 1) == [event["id"]]
        stop.set()
        await asyncio.wait_for(running, 5)

    asyncio.run(go())
    assert outbox.sent == [event["id"]]
