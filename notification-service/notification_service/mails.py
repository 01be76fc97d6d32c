"""What each event's mail says, and how a mail leaves: SMTP or an .eml file."""

from __future__ import annotations

from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any

from shippy_common.envelope import CONSIGNMENT_CREATED, USER_CREATED


class UnknownEvent(ValueError):
    pass


def compose(event: dict[str, Any], sender: Address) -> EmailMessage:
    """The mail for ``event``, to exactly one address: the account's;
    ``UnknownEvent`` for a type or payload it cannot use."""
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
    try:
        message["From"] = sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = f"<{event['id']}@shippy>"
        message.set_content(body)
    except ValueError as exc:  # a line break in a header value, a lone surrogate in the text
        raise UnknownEvent(f"cannot make a mail of this event: {exc}") from None
    return message


def recipient(name: Any, email: Any) -> Address:
    """``name <email>`` as one address, the display name quoted as need be;
    ``UnknownEvent`` unless ``email`` is exactly one valid address."""
    if not isinstance(name, str) or not isinstance(email, str):
        raise UnknownEvent("a recipient's name and email must be strings")
    try:
        address = Address(display_name=name, addr_spec=email)
    except (ValueError, IndexError, HeaderParseError) as exc:
        raise UnknownEvent(f"{email[:100]!r} is not one valid email address: {exc}") from None
    if not address.username or not address.domain or address.addr_spec != email:
        raise UnknownEvent(f"{email[:100]!r} is not one valid email address")
    return address


def parse_sender(text: str) -> Address:
    """``MAIL_FROM`` (``Name <address>`` or a bare address) as one address; ``ValueError`` otherwise."""
    header = policy.default.header_factory("From", text)
    if len(header.addresses) != 1 or header.defects:
        raise ValueError(f"not one email address: {text!r}")
    (address,) = header.addresses
    try:
        return recipient(address.display_name, address.addr_spec)
    except UnknownEvent as exc:
        raise ValueError(f"not one email address: {text!r}") from exc


def _welcome(data: dict[str, Any]) -> tuple[Address, str, str]:
    return (
        recipient(data["name"], data["email"]),
        "Welcome to Shippy",
        f"Hello {data['name']},\n\nyour Shippy account for {data['company']} is ready.\n"
        "Sign in with: user-cli auth --email " + data["email"] + "\n\nShippy\n",
    )


def _booking_confirmation(data: dict[str, Any]) -> tuple[Address, str, str]:
    owner, vessel = data["owner"], data["vessel"]
    listed = data["containers"]
    containers = "\n".join(f"  - {c['customer_id']} from {c['origin']}" for c in listed)
    # The event lists the first containers only (consignment_service.events).
    unlisted = data.get("container_count", len(listed)) - len(listed)
    if unlisted > 0:
        containers += f"\n  ... and {unlisted} more"
    return (
        recipient(owner["name"], owner["email"]),
        f"Consignment {data['consignment_id']} is booked on {vessel['name']}",
        f"Hello {owner['name']},\n\nyour consignment is booked.\n\n"
        f"Consignment: {data['consignment_id']}\nVessel:      {vessel['name']} ({vessel['id']})\n"
        f"Weight:      {data['weight']}\nDescription: {data['description']}\n"
        f"Containers:\n{containers}\n\nShippy\n",
    )
