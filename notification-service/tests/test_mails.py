"""Composing mails: pure logic."""

import pytest
from notification_service.mails import UnknownEvent, compose

from shippy_common.events import new_event

SENDER = "Shippy <no-reply@shippy.example>"


def test_a_new_user_gets_a_welcome():
    event = new_event("user.created", "u1", {"user_id": "u1", "name": "Ana", "company": "X Ltd", "email": "ana@x.io"})
    mail = compose(event, SENDER)
    assert mail["To"] == "Ana <ana@x.io>"
    assert mail["Subject"] == "Welcome to Shippy"
    assert "X Ltd" in mail.get_content()


def test_a_booking_gets_a_confirmation_to_its_owner():
    data = {
        "consignment_id": "c1",
        "owner": {"id": "u1", "name": "Ana", "email": "ana@x.io"},
        "vessel": {"id": "vessel001", "name": "Kane's Salty Secret"},
        "description": "Tea",
        "weight": 55000,
        "containers": [{"customer_id": "cust001", "origin": "Derby"}],
        "created_at": "2026-11-21T00:00:00+00:00",
    }
    mail = compose(new_event("consignment.created", "c1", data), SENDER)
    assert mail["To"] == "Ana <ana@x.io>"
    assert mail["Subject"] == "Consignment c1 is booked on Kane's Salty Secret"
    assert "cust001 from Derby" in mail.get_content()


@pytest.mark.parametrize(
    "event",
    [
        {"id": "e1", "type": "user.deleted", "data": {}},
        {"id": "e2", "type": "user.created", "data": {"name": "no email"}},
        {"id": "e3", "type": "consignment.created", "data": None},
    ],
)
def test_an_event_without_what_a_mail_needs_is_unknown(event):
    with pytest.raises(UnknownEvent):
        compose(event, SENDER)
