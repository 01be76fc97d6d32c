"""What each event's mail says, and how a mail leaves: SMTP or an .eml file."""

from __future__ import annotations

import os
import smtplib
import tempfile
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from shippy_common.events import CONSIGNMENT_CREATED, USER_CREATED


class UnknownEvent(ValueError):
    pass


def compose(event: dict[str, Any], sender: str) -> EmailMessage:
    """The mail for ``event``; ``UnknownEvent`` for a type or payload it cannot use."""
    try:
        data = event["data"]
        if event["type"] == USER_CREATED:
            to, subject, body = _welcome(data)
        elif event["type"] == CONSIGNMENT_CREATED:
            to, subject, body = _booking_confirmation(data)
        else:
            raise UnknownEvent(f"no mail for events of type {event['type']!r}")
    except (KeyError, TypeError) as exc:
        raise UnknownEvent(f"event lacks {exc}") from None
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = f"<{event['id']}@shippy>"
    message.set_content(body)
    return message


def _welcome(data: dict[str, Any]) -> tuple[str, str, str]:
    return (
        f"{data['name']} <{data['email']}>",
        "Welcome to Shippy",
        f"Hello {data['name']},\n\nyour Shippy account for {data['company']} is ready.\n"
        "Sign in with: user-cli auth --email " + data["email"] + "\n\nShippy\n",
    )


def _booking_confirmation(data: dict[str, Any]) -> tuple[str, str, str]:
    owner, vessel = data["owner"], data["vessel"]
    containers = "\n".join(f"  - {c['customer_id']} from {c['origin']}" for c in data["containers"])
    return (
        f"{owner['name']} <{owner['email']}>",
        f"Consignment {data['consignment_id']} is booked on {vessel['name']}",
        f"Hello {owner['name']},\n\nyour consignment is booked.\n\n"
        f"Consignment: {data['consignment_id']}\nVessel:      {vessel['name']} ({vessel['id']})\n"
        f"Weight:      {data['weight']}\nDescription: {data['description']}\n"
        f"Containers:\n{containers}\n\nShippy\n",
    )


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


class FileMailer:
    """Writes each mail to ``<folder>/<event id>.eml``: atomically, and the same
    file again if the same event comes twice."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = message["Message-ID"].strip("<>").split("@")[0] + ".eml"
        with tempfile.NamedTemporaryFile("wb", dir=self.folder, suffix=".tmp", delete=False) as partial:
            partial.write(bytes(message))
        os.replace(partial.name, self.folder / name)


class SmtpMailer:
    def __init__(self, url: str, timeout: float = 10) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 25
        self.username, self.password = parts.username, parts.password
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)
