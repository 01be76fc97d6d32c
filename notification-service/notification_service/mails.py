"""What each event's mail says, and how a mail leaves: SMTP or an .eml file."""

from __future__ import annotations

from collections.abc import Callable
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from typing import Any

from shippy_common.envelope import (
    CONSIGNMENT_CANCELLED,
    CONSIGNMENT_CREATED,
    CONSIGNMENT_STATUS_CHANGED,
    USER_CREATED,
    VESSEL_ARRIVED,
    VESSEL_DEPARTED,
)


class UnknownEvent(ValueError):
    pass


class NoMail(Exception):
    """The event is fine and nobody is to be mailed about it; the message says why."""


class _HeaderClasses(HeaderRegistry):
    """The standard library's header registry, making each header's class
    once, and each header that is the same in every mail (the sender and the
    MIME headers) once.

    ``HeaderRegistry`` builds a new class (``type(...)``) for every header it
    parses: about fifteen a mail, and the top of the notifier's profile under
    load (13.7 % of its samples; README, Performance, change 21). Parsing the
    sender and the MIME headers again for every mail, and folding them again
    when it is written, then took a third of composing and writing one
    (README, Performance, change 25)."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}
        self._shared: dict[tuple[str, str], BaseHeader] = {}
        self._folded: dict[tuple[int, str, int | None, bool], bytes] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(key)
        return made

    def __call__(self, name: str, value: str) -> BaseHeader:
        if name.lower() not in SHARED_HEADERS or not isinstance(value, str):
            return super().__call__(name, value)
        key = (name.lower(), value)
        header = self._shared.get(key)
        if header is None:
            header = super().__call__(name, value)
            if len(self._shared) < MAX_SHARED_HEADERS:
                self._shared[key] = header
        return header

    def folded(self, value: object, policy: _MailPolicy, fold: Callable[[], bytes]) -> bytes:
        """``fold()``, kept for a shared header (it is the same header, folded the same way)."""
        if not any(value is shared for shared in self._shared.values()):
            return fold()
        key = (id(value), policy.linesep, policy.max_line_length, policy.utf8)
        folded = self._folded.get(key)
        if folded is None:
            folded = self._folded[key] = fold()
        return folded


#: Headers whose value is the same in (nearly) every mail; the registry keeps
#: at most ``MAX_SHARED_HEADERS`` of them.
SHARED_HEADERS = frozenset({"from", "mime-version", "content-type", "content-transfer-encoding"})
MAX_SHARED_HEADERS = 32


class _MailPolicy(policy.EmailPolicy):
    """``email.policy.default``, but a header :class:`_HeaderClasses` shares is folded once."""

    def fold_binary(self, name: str, value: str) -> bytes:
        factory = self.header_factory
        if not isinstance(factory, _HeaderClasses):
            return super().fold_binary(name, value)
        return factory.folded(value, self, lambda: super(_MailPolicy, self).fold_binary(name, value))


#: ``email.policy.default`` (what ``EmailMessage()`` uses), with each header
#: class made once, and the headers every mail has in common made and folded once.
MAIL_POLICY = _MailPolicy(header_factory=_HeaderClasses())

#: Events about vessels: their consignments' owners hear of them through
#: ``consignment.status_changed``, one mail each.
UNMAILED = (VESSEL_DEPARTED, VESSEL_ARRIVED)


def compose(event: dict[str, Any], sender: Address) -> EmailMessage:
    """The mail for ``event``, to exactly one address: the account's;
    ``UnknownEvent`` for a type or payload it cannot use; ``NoMail`` for an
    event nobody is mailed about (a vessel's, or a consignment stored before
    owners' contacts were)."""
    try:
        data = event["data"]
        if event["type"] == USER_CREATED:
            to, subject, body = _welcome(data)
        elif event["type"] == CONSIGNMENT_CREATED:
            to, subject, body = _booking_confirmation(data)
        elif event["type"] in (CONSIGNMENT_CANCELLED, CONSIGNMENT_STATUS_CHANGED):
            to, subject, body = _status_news(event["type"], data)
        elif event["type"] in UNMAILED:
            raise NoMail(f"no mail for {event['type']} events")
        else:
            raise UnknownEvent(f"no mail for events of type {event['type']!r}")
    except (KeyError, TypeError, AttributeError) as exc:
        raise UnknownEvent(f"event lacks {exc}") from None
    message = EmailMessage(policy=MAIL_POLICY)
    try:
        message["From"] = str(sender)
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
    header = MAIL_POLICY.header_factory("From", text)
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


#: What a consignment's owner is told of each status it reaches after booking:
#: the subject (after "Consignment <reference> ") and the news.
STATUS_NEWS = {
    "cancelled": ("is cancelled", "is cancelled: its place on {vessel} is given back."),
    "in_transit": ("is on its way", "has left port aboard {vessel}{voyage}."),
    "arrived": ("has arrived", "has arrived aboard {vessel}{voyage}; it will be handed over soon."),
    "delivered": ("is delivered", "is delivered. Thank you for shipping with us."),
}


def _status_news(event_type: str, data: dict[str, Any]) -> tuple[Address, str, str]:
    """``consignment.cancelled`` / ``consignment.status_changed``: to the owner."""
    owner, vessel, status = data["owner"], data["vessel"], data["new_status"]
    if (event_type == CONSIGNMENT_CANCELLED) != (status == "cancelled") or status not in STATUS_NEWS:
        raise UnknownEvent(f"no mail for a {event_type} event to status {str(status)[:50]!r}")
    if owner.get("email") is None:
        raise NoMail(f"the owner of consignment {data['consignment_id']} has no email on record")
    name = owner.get("name") or ""
    reference = data.get("reference") or data["consignment_id"]
    vessel_name = vessel.get("name") or vessel["id"]
    voyage = f" (voyage {data['voyage']})" if data.get("voyage") is not None else ""
    subject, news = STATUS_NEWS[status]
    return (
        recipient(name, owner["email"]),
        f"Consignment {reference} {subject}",
        f"Hello {name},\n\nyour consignment {reference} {news.format(vessel=vessel_name, voyage=voyage)}\n\n"
        f"Consignment: {data['consignment_id']}\nReference:   {reference}\n"
        f"Vessel:      {vessel_name} ({vessel['id']})\nStatus:      {status}\n\nShippy\n",
    )
