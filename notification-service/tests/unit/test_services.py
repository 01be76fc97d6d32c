"""notification-service's use case on in-memory fakes of its ports."""

import json
from email.headerregistry import Address

import pytest

from notification_service import services
from shippy_common.envelope import (
    CONSIGNMENT_STATUS_CHANGED,
    USER_CREATED,
    VESSEL_ARRIVED,
    VESSEL_DEPARTED,
    encode_event,
    new_event,
)

DELIVERY = services.Delivery(Address("Shippy", addr_spec="no-reply@shippy.example"), max_deliveries=3, retry_seconds=2)


class Handled:
    def __init__(self):
        self.ids = set()

    def seen(self, event_id):
        return event_id in self.ids

    def record(self, event_id):
        self.ids.add(event_id)


class Parking:
    def __init__(self):
        self.parked = {}

    def park(self, name, event, reason, attempt):
        assert name not in self.parked, "parked twice"
        self.parked[name] = (event, reason, attempt)


class Mailer:
    def __init__(self, failures=0):
        self.sent = []
        self.failures = failures

    def send(self, message):
        if self.failures:
            self.failures -= 1
            raise ConnectionRefusedError("SMTP is down")
        self.sent.append(message)

    def close(self):
        pass


def welcome(**data):
    return new_event(USER_CREATED, "u1", {"user_id": "u1", "name": "Ana", "company": "Co", "email": "ana@x.io", **data})


@pytest.fixture
def ports():
    return Handled(), Parking(), Mailer()


def handle(payload, attempt, ports):
    handled, parking, mailer = ports
    return services.handle_message(payload, attempt, handled, parking, mailer, DELIVERY)


def test_an_event_is_mailed_once_however_often_it_comes(ports):
    payload = encode_event(welcome())
    assert handle(payload, 1, ports).done
    assert handle(payload, 2, ports).done
    assert [str(m["To"]) for m in ports[2].sent] == ["Ana <ana@x.io>"]


def test_a_failing_mail_is_retried_later_then_parked_not_dropped(ports):
    handled, parking, _ = ports
    failing = (handled, parking, Mailer(failures=5))
    event = welcome()
    payload = encode_event(event)
    assert handle(payload, 1, failing) == services.Outcome(retry_in=2)
    assert handle(payload, 2, failing) == services.Outcome(retry_in=4)
    assert handle(payload, 3, failing).done
    assert parking.parked[event["id"]][1].startswith("ConnectionRefusedError")
    assert not handled.seen(event["id"])


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"[1, 2]", json.dumps({"id": "../../etc/x", "type": "user.created"}).encode()],
    ids=["not-json", "a-list", "path-id"],
)
def test_a_message_that_is_no_event_is_parked_at_once_under_a_digest(ports, payload):
    assert handle(payload, 1, ports).done
    (name,) = ports[1].parked
    assert name.startswith("invalid-") and "/" not in name
    assert ports[2].sent == []


def test_an_event_no_mail_can_be_made_of_is_parked_at_once(ports):
    event = welcome(email="a@x.io, b@y.io")
    assert handle(encode_event(event), 1, ports).done
    assert event["id"] in ports[1].parked
    assert ports[2].sent == []


def status_changed(owner_email="ana@x.io"):
    return new_event(
        CONSIGNMENT_STATUS_CHANGED,
        "c1",
        {
            "consignment_id": "c1",
            "reference": "ABCD-EFGH-JKMN",
            "owner": {"id": "u1", "name": "Ana", "email": owner_email},
            "vessel": {"id": "v1", "name": "Vessel One"},
            "voyage": 1,
            "old_status": "booked",
            "new_status": "in_transit",
            "at": "2026-11-21T00:00:00+00:00",
            "by": "u-admin",
        },
    )


def test_a_status_change_is_mailed_to_the_owner_once(ports):
    payload = encode_event(status_changed())
    assert handle(payload, 1, ports).done
    assert handle(payload, 2, ports).done
    assert [m["Subject"] for m in ports[2].sent] == ["Consignment ABCD-EFGH-JKMN is on its way"]


@pytest.mark.parametrize(
    "event",
    [
        new_event(VESSEL_DEPARTED, "v1", {"vessel_id": "v1", "voyage": 1}),
        new_event(VESSEL_ARRIVED, "v1", {"vessel_id": "v1", "voyage": 1}),
        status_changed(owner_email=None),
    ],
    ids=["vessel-departed", "vessel-arrived", "owner-without-email"],
)
def test_an_event_nobody_is_mailed_about_is_acknowledged_not_parked(ports, event, caplog):
    handled, parking, mailer = ports
    with caplog.at_level("INFO", logger="notification_service"):
        assert handle(encode_event(event), 1, ports).done
    assert (parking.parked, mailer.sent) == ({}, [])
    assert handled.seen(event["id"])
    assert f"event {event['id']} ({event['type']}) acknowledged, nothing to mail" in caplog.text
