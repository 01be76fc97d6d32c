"""Typed errors that cross nameko RPC.

Each class is registered with nameko's exception registry, so a caller that
imports this module gets the same class back from a failed RPC and can catch it
by name instead of inspecting a generic ``RemoteError``. Arguments must stay
JSON-serialisable strings: they are rebuilt on the caller with ``cls(*args)``.
"""

from __future__ import annotations

from nameko.exceptions import deserialize_to_instance


class ShippyError(Exception):
    """Base of every error a Shippy service raises on purpose.

    ``refused`` tells a client whether the request was well formed but turned
    down (exit code 1) or was bad input (exit code 2).
    """

    refused = True

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@deserialize_to_instance
class ValidationError(ShippyError):
    """The payload broke the schema; ``field`` names where (dotted path)."""

    refused = False

    def __init__(self, field: str, message: str) -> None:
        Exception.__init__(self, field, message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@deserialize_to_instance
class AlreadyExists(ShippyError):
    pass


@deserialize_to_instance
class NotFound(ShippyError):
    pass


@deserialize_to_instance
class NoVesselAvailable(ShippyError):
    pass


@deserialize_to_instance
class BookingReleased(ShippyError):
    """The booking id's room was given back, and the caller asked not to book it anew."""


@deserialize_to_instance
class InvalidTransition(ShippyError):
    """The consignment or vessel is not in a state that allows this; the message says why."""


@deserialize_to_instance
class InvalidCredentials(ShippyError):
    pass


@deserialize_to_instance
class InvalidToken(ShippyError):
    pass


@deserialize_to_instance
class Unauthorized(ShippyError):
    pass


@deserialize_to_instance
class Forbidden(ShippyError):
    """The caller is known but its role does not allow this call."""


@deserialize_to_instance
class ServiceUnavailable(ShippyError):
    """A service this one depends on did not answer in time."""


@deserialize_to_instance
class Busy(ShippyError):
    """The service is at capacity for this kind of call; retry later."""


@deserialize_to_instance
class InternalError(ShippyError):
    """Something unexpected failed; the message carries only a correlation id
    to find the details in the service's log, never the details themselves."""


SHIPPY_ERRORS: tuple[type[ShippyError], ...] = (
    ValidationError,
    AlreadyExists,
    NotFound,
    NoVesselAvailable,
    InvalidTransition,
    InvalidCredentials,
    InvalidToken,
    Unauthorized,
    Forbidden,
    ServiceUnavailable,
    Busy,
    InternalError,
)
