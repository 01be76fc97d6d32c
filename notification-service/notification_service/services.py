"""What notification-service does with one message, in plain Python over its
ports (handled ids, parked events, the mailer); ``consumer`` feeds it
JetStream messages, unit tests feed it bytes and fakes.

Each event id is mailed once. An event counts as handled only after its mail is
written (or sent) and its id recorded; a failure is retried after
``retry_seconds`` times the attempt number, and after ``max_deliveries``
attempts the event is parked for an operator (and logged as an error), never
dropped. An event nobody is mailed about (``mails.NoMail``: a vessel's, or a
consignment's whose owner has no email on record) is acknowledged and logged.
Nothing of a message is used before its envelope is checked: a message that is
not a valid event is parked at once, as ``invalid-<sha256 of it>``, so that it
can neither choose a file name nor come back for ever.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from typing import Any, Protocol

from notification_service.mails import NoMail, UnknownEvent, compose
from shippy_common.envelope import InvalidEvent, read_event
from shippy_common.servers import describe_failure

log = logging.getLogger("notification_service")


class Handled(Protocol):
    def seen(self, event_id: str) -> bool: ...

    def record(self, event_id: str) -> None: ...


class Parking(Protocol):
    def park(self, name: str, event: dict[str, Any], reason: str, attempt: int) -> None: ...


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Outcome:
    """Acknowledge the message (done with it), or ask for it again after ``retry_in`` seconds."""

    retry_in: float | None = None

    @property
    def done(self) -> bool:
        return self.retry_in is None


DONE = Outcome()


@dataclass(frozen=True)
class Delivery:
    """How hard to try: the sender, attempts before parking, the pause per attempt."""

    sender: Address
    max_deliveries: int
    retry_seconds: float


def handle_message(
    payload: bytes, attempt: int, handled: Handled, parking: Parking, mailer: Mailer, delivery: Delivery
) -> Outcome:
    """Mail the event in ``payload`` (its ``attempt``-th delivery) once."""
    try:
        event = read_event(payload)
    except InvalidEvent as exc:
        name = f"invalid-{hashlib.sha256(payload).hexdigest()}"
        parking.park(name, {"raw": payload.decode(errors="replace")}, f"not an event: {exc}", attempt)
        return DONE
    event_id = event["id"]
    if handled.seen(event_id):
        log.info("event %s was handled before; acknowledging it again", event_id)
        return DONE
    try:
        mail = compose(event, delivery.sender)
        mailer.send(mail)
    except NoMail as exc:  # a vessel's event, an owner with no email on record
        handled.record(event_id)
        log.info("event %s (%s) acknowledged, nothing to mail: %s", event_id, event["type"], exc)
        return DONE
    except Exception as exc:
        reason = describe_failure(exc)
        if isinstance(exc, UnknownEvent) or attempt >= delivery.max_deliveries:
            parking.park(event_id, event, reason, attempt)
            return DONE
        delay = delivery.retry_seconds * attempt
        log.warning("mail for event %s failed (attempt %d: %s); retrying in %.0fs", event_id, attempt, reason, delay)
        return Outcome(retry_in=delay)
    handled.record(event_id)
    log.info("mailed %s for event %s to %s", event["type"], event_id, mail["To"])
    return DONE
