"""Composing mails (pure logic), and what a mail's recipients are once sent."""

import io
import os
from email import generator, policy

import pytest

from notification_service import mails
from notification_service.mailers import FileMailer
from notification_service.mails import NoMail, UnknownEvent, compose, parse_sender
from shippy_common.envelope import new_event

SENDER = parse_sender("Shippy <no-reply@shippy.example>")


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
    ("name", "email"),
    [("Ana", "ana@x.io"), ('Émile Zoë, "the boss"', "emile@x.io"), ("a@x.com, b@y.com, Bob", "bob@x.io")],
)
def test_a_mail_is_byte_for_byte_what_the_standard_librarys_own_policy_makes(monkeypatch, name, email):
    """The notifier's policy makes each header class once, and the headers
    every mail shares once (README, changes 21 and 25): as files, and as
    smtplib writes a mail (``\\r\\n``), for two senders in turn."""
    welcome = new_event("user.created", "u1", {"user_id": "u1", "name": name, "company": "X", "email": email})
    booked = new_event("consignment.created", "c1", {**booking([{"customer_id": "c", "origin": "Ödda"}])})
    booked["data"]["owner"] = {"id": "u1", "name": name, "email": email}
    senders = (SENDER, parse_sender('"Shippy, Ltd" <no-reply@shippy.example>'), parse_sender("Zoë <z@shippy.example>"))

    def mails_as_written():
        mails_made = [compose(event, sender) for sender in senders for event in (welcome, booked, welcome)]
        return [bytes(mail) for mail in mails_made] + [smtp_bytes(mail) for mail in mails_made]

    ours = mails_as_written()
    monkeypatch.setattr(mails, "MAIL_POLICY", policy.default)
    assert mails_as_written() == ours


def smtp_bytes(mail):
    """``mail`` as ``smtplib.SMTP.send_message`` flattens it."""
    written = io.BytesIO()
    generator.BytesGenerator(written).flatten(mail, linesep="\r\n")
    return written.getvalue()


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


def booking(containers, container_count=None):
    return {
        "consignment_id": "c1",
        "owner": {"id": "u1", "name": "Ana", "email": "ana@x.io"},
        "vessel": {"id": "vessel003", "name": "The Black Pearl"},
        "description": "Tea",
        "weight": 55000,
        "container_count": len(containers) if container_count is None else container_count,
        "containers": containers,
        "created_at": "2026-11-21T00:00:00+00:00",
    }


def test_a_confirmation_lists_the_containers_the_event_carries_and_counts_the_rest():
    listed = [{"customer_id": f"cust{i:04d}", "origin": "港" * 200} for i in range(20)]
    text = compose(new_event("consignment.created", "c1", booking(listed, container_count=1000)), SENDER).get_content()
    assert f"cust0019 from {'港' * 200}" in text
    assert "... and 980 more" in text


def test_a_confirmation_of_every_container_says_no_more():
    text = compose(new_event("consignment.created", "c1", booking([{"customer_id": "c", "origin": "Derby"}])), SENDER)
    assert "more" not in text.get_content()


SEVERAL_ADDRESSES = "a@x.com, b@y.com, Bob"


@pytest.mark.parametrize("event_type", ["user.created", "consignment.created"])
def test_a_display_name_that_reads_like_addresses_still_mails_only_the_account(event_type):
    if event_type == "user.created":
        data = {"user_id": "u1", "name": SEVERAL_ADDRESSES, "company": "X", "email": "ana@x.io"}
    else:
        data = booking([{"customer_id": "c", "origin": "Derby"}])
        data["owner"]["name"] = SEVERAL_ADDRESSES
    mail = compose(new_event(event_type, "a1", data), SENDER)
    (to,) = mail["To"].addresses
    assert (to.addr_spec, to.display_name) == ("ana@x.io", SEVERAL_ADDRESSES)
    assert mail.get_all("To") == [mail["To"]]
    assert mail.get_all("Cc") is None and mail.get_all("Bcc") is None


@pytest.mark.parametrize(
    "changes",
    [
        {"email": "a@x.com, b@y.com"},
        {"email": "Bob <a@x.com>"},
        {"email": "ana"},
        {"email": "ana@"},
        {"email": "ana@x.io\r\nBcc: eve@evil.example"},
        {"email": ["ana@x.io"]},
        {"name": "Ana\r\nBcc: eve@evil.example"},
    ],
    ids=["two-addresses", "name-and-address", "no-domain", "empty-domain", "header-injection", "list", "name-newline"],
)
def test_an_event_whose_email_is_not_one_address_is_refused(changes):
    data = {"user_id": "u1", "name": "Ana", "company": "X", "email": "ana@x.io", **changes}
    with pytest.raises(UnknownEvent):
        compose(new_event("user.created", "u1", data), SENDER)


def test_mail_from_must_be_one_address():
    assert str(SENDER) == "Shippy <no-reply@shippy.example>"
    for text in ("a@x.io, b@y.io", "Shippy", ""):
        with pytest.raises(ValueError):
            parse_sender(text)


def test_a_mail_file_is_never_named_after_a_path(tmp_path):
    event = {"id": "../../x", "type": "user.created", "data": {"name": "Ana", "company": "X", "email": "ana@x.io"}}
    with pytest.raises(ValueError, match="safe file name"):
        FileMailer(tmp_path / "mail").send(compose(event, SENDER))
    assert [path.name for path in tmp_path.rglob("*")] == ["mail"]


def test_a_mail_file_is_whole_and_one_per_event_however_often_it_is_written(tmp_path):
    event = new_event("user.created", "u1", {"user_id": "u1", "name": "Ana", "company": "X", "email": "ana@x.io"})
    mailer = FileMailer(tmp_path)
    mailer.send(compose(event, SENDER))
    mailer.send(compose(event, SENDER))
    assert [path.name for path in tmp_path.iterdir()] == [f"{event['id']}.eml"]
    assert (tmp_path / f"{event['id']}.eml").read_bytes() == bytes(compose(event, SENDER))


def test_a_mail_file_that_cannot_be_finished_leaves_nothing_behind(tmp_path, monkeypatch):
    event = new_event("user.created", "u1", {"user_id": "u1", "name": "Ana", "company": "X", "email": "ana@x.io"})

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    with pytest.raises(OSError, match="No space"):
        FileMailer(tmp_path).send(compose(event, SENDER))
    assert list(tmp_path.iterdir()) == []


PREVIOUS = {"cancelled": "booked", "in_transit": "booked", "arrived": "in_transit"}


def news(event_type="consignment.status_changed", new_status="in_transit", **changes):
    """A transition event as consignment_service records one."""
    data = {
        "consignment_id": "c1",
        "reference": "ABCD-EFGH-JKMN",
        "owner": {"id": "u1", "name": "Ana", "email": "ana@x.io"},
        "vessel": {"id": "vessel003", "name": "The Black Pearl"},
        "voyage": 4,
        "old_status": PREVIOUS.get(str(new_status), "arrived"),
        "new_status": new_status,
        "at": "2026-11-21T00:00:00+00:00",
        "by": "u-admin",
        **changes,
    }
    return new_event(event_type, "c1", data)


@pytest.mark.parametrize(
    ("event_type", "status", "subject", "says"),
    [
        ("consignment.cancelled", "cancelled", "Consignment ABCD-EFGH-JKMN is cancelled", "is cancelled"),
        (
            "consignment.status_changed",
            "in_transit",
            "Consignment ABCD-EFGH-JKMN is on its way",
            "has left port aboard The Black Pearl (voyage 4)",
        ),
        (
            "consignment.status_changed",
            "arrived",
            "Consignment ABCD-EFGH-JKMN has arrived",
            "has arrived aboard The Black Pearl (voyage 4)",
        ),
        ("consignment.status_changed", "delivered", "Consignment ABCD-EFGH-JKMN is delivered", "is delivered"),
    ],
)
def test_the_owner_is_told_what_happened_to_their_consignment(event_type, status, subject, says):
    event = news(event_type, status)
    mail = compose(event, SENDER)
    assert mail["To"] == "Ana <ana@x.io>"
    assert mail["Subject"] == subject
    assert mail["Message-ID"] == f"<{event['id']}@shippy>"
    text = mail.get_content()
    assert says in text
    assert "ABCD-EFGH-JKMN" in text and "The Black Pearl (vessel003)" in text and "c1" in text


def test_a_consignment_stored_before_references_is_named_by_its_id():
    mail = compose(news(reference=None, voyage=None, vessel={"id": "vessel003", "name": None}), SENDER)
    assert mail["Subject"] == "Consignment c1 is on its way"
    assert "aboard vessel003." in mail.get_content()


@pytest.mark.parametrize(
    "event",
    [
        news(owner={"id": "u1", "name": None, "email": None}),
        new_event("vessel.departed", "vessel003", {"vessel_id": "vessel003", "voyage": 4}),
        new_event("vessel.arrived", "vessel003", {"vessel_id": "vessel003", "voyage": 4}),
    ],
    ids=["owner-without-email", "vessel-departed", "vessel-arrived"],
)
def test_events_nobody_is_mailed_about_say_so(event):
    with pytest.raises(NoMail):
        compose(event, SENDER)


@pytest.mark.parametrize(
    "event",
    [
        news("consignment.status_changed", "cancelled"),
        news("consignment.cancelled", "in_transit"),
        news(new_status="booked"),
        news(new_status="lost at sea"),
        news(new_status=["in_transit"]),
        news(owner="ana@x.io"),
        news(vessel=None),
    ],
    ids=["cancel-as-change", "change-as-cancel", "to-booked", "unknown", "status-list", "owner-str", "no-vessel"],
)
def test_a_status_event_without_what_its_mail_needs_is_unknown(event):
    with pytest.raises(UnknownEvent):
        compose(event, SENDER)


@pytest.mark.parametrize(
    "owner",
    [
        {"id": "u1", "name": "Ana", "email": "a@x.com, b@y.com"},
        {"id": "u1", "name": "Ana", "email": "ana@x.io\r\nBcc: eve@evil.example"},
        {"id": "u1", "name": "Ana\r\nBcc: eve@evil.example", "email": "ana@x.io"},
        {"id": "u1", "name": "Ana", "email": ["ana@x.io"]},
    ],
    ids=["two-addresses", "header-injection", "name-newline", "list"],
)
@pytest.mark.parametrize("event_type", ["consignment.cancelled", "consignment.status_changed"])
def test_a_status_event_whose_owner_is_not_one_address_is_refused(owner, event_type):
    status = "cancelled" if event_type == "consignment.cancelled" else "arrived"
    with pytest.raises(UnknownEvent):
        compose(news(event_type, status, owner=owner), SENDER)


def test_a_status_mail_to_an_owner_whose_name_reads_like_addresses_goes_to_the_owner_only():
    mail = compose(news(owner={"id": "u1", "name": SEVERAL_ADDRESSES, "email": "ana@x.io"}), SENDER)
    (to,) = mail["To"].addresses
    assert (to.addr_spec, to.display_name) == ("ana@x.io", SEVERAL_ADDRESSES)
    assert mail.get_all("Cc") is None and mail.get_all("Bcc") is None
