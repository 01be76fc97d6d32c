"""What the HTTP API accepts and answers: the OpenAPI document is generated from these.

Request models mirror the services' own (``user_service.schemas``,
``consignment_service.schemas``: strict types, unknown fields forbidden, the
same bounds), so the gateway refuses what the services would, with the same
field names; a unit test holds them equal. The services still validate
everything themselves. Response models list exactly what a client gets: a
user's profile never has a password or hash.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from shippy_common.schemas import Identifier, StrictModel

# user_service
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
MAX_EMAIL_LENGTH = 254
MIN_PASSWORD_CHARACTERS = 8
MAX_PASSWORD_BYTES = 72
# consignment_service
MAX_CONTAINERS = 1000
MAX_WEIGHT = 10**9
# vessel_service
MAX_VESSEL_CONTAINERS = 100_000
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]

Password = Annotated[
    str,
    Field(
        min_length=MIN_PASSWORD_CHARACTERS,
        max_length=MAX_PASSWORD_BYTES,
        description=f"{MIN_PASSWORD_CHARACTERS} characters to {MAX_PASSWORD_BYTES} bytes of UTF-8",
    ),
]


def _bcrypt_can_take(value: str) -> str:
    try:
        encoded = value.encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid unicode text") from None
    if len(encoded) > MAX_PASSWORD_BYTES:
        raise ValueError(f"must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8")
    return value


class NewUser(StrictModel):
    """``POST /v1/users``: an account (``user_service.create``)."""

    name: Text
    company: Text
    email: Annotated[EmailStr, StringConstraints(max_length=MAX_EMAIL_LENGTH)]
    password: Password

    @field_validator("password")
    @classmethod
    def _password_bcrypt_can_take(cls, value: str) -> str:
        return _bcrypt_can_take(value)


class LogIn(StrictModel):
    """``POST /v1/tokens``: credentials (``user_service.auth``)."""

    email: Annotated[str, StringConstraints(min_length=1, max_length=MAX_EMAIL_LENGTH)]
    password: Password

    @field_validator("password")
    @classmethod
    def _password_bcrypt_can_take(cls, value: str) -> str:
        return _bcrypt_can_take(value)


class ContainerIn(StrictModel):
    id: Identifier | None = None
    customer_id: Identifier
    origin: Text


class NewConsignment(StrictModel):
    """``POST /v1/consignments``: what to book (``consignment_service.create_consignment``).

    ``id`` is the booking's id, chosen by the client so that a retry books once;
    without one, an ``Idempotency-Key`` header does the same. ``vessel_id`` is
    accepted for compatibility and ignored: the service chooses the vessel."""

    id: Identifier | None = None
    description: Description
    weight: Annotated[int, Field(gt=0, le=MAX_WEIGHT)]
    containers: Annotated[list[ContainerIn], Field(min_length=1, max_length=MAX_CONTAINERS)]
    vessel_id: Identifier | None = None


class Out(BaseModel):
    """What a service answers, as the gateway passes it on (fields it does not list are dropped)."""

    model_config = ConfigDict(extra="ignore")


class UserProfile(Out):
    id: str
    name: str
    company: str
    email: str
    role: Literal["customer", "admin"]


class UserPage(Out):
    items: list[UserProfile]
    next_cursor: str | None = Field(description="pass it back as `cursor` for the next page; null on the last")


class IssuedToken(Out):
    token: str = Field(description="send it as `Authorization: Bearer <token>`")
    expires_at: int = Field(description="Unix seconds")


class ContainerOut(Out):
    id: str | None = None
    customer_id: str
    origin: str


ConsignmentStatus = Literal["booked", "in_transit", "arrived", "delivered", "cancelled"]
VesselStatus = Literal["open", "at_sea", "retired"]


class Transition(Out):
    status: ConsignmentStatus
    at: str = Field(description="ISO 8601, UTC")
    by: str = Field(description="the id of the user who made it")


class Consignment(Out):
    id: str
    reference: str | None = Field(
        default=None, description="the tracking reference (`GET /v1/tracking/{reference}`); none on old bookings"
    )
    status: ConsignmentStatus
    owner_id: str
    description: str
    weight: int
    containers: list[ContainerOut]
    vessel_id: str
    voyage: int | None = Field(default=None, description="the vessel's voyage it is booked on")
    created_at: str = Field(description="ISO 8601, UTC")
    timeline: list[Transition] = Field(description="every status it had, oldest first")


class ConsignmentPage(Out):
    items: list[Consignment]
    next_cursor: str | None = Field(description="pass it back as `cursor` for the next page; null on the last")


class NewVessel(StrictModel):
    """``POST /v1/vessels``: a vessel for the fleet (``vessel_service.create``)."""

    id: Identifier | None = None
    name: Text
    capacity: Annotated[int, Field(gt=0, le=MAX_VESSEL_CONTAINERS, description="containers it carries")]
    max_weight: Annotated[int, Field(gt=0, le=MAX_WEIGHT, description="total weight it carries")]


class Vessel(Out):
    """A vessel of the fleet. Admins get every field; customers only open vessels'
    free room (no other customer's cargo)."""

    id: str
    name: str
    status: VesselStatus
    voyage: int = Field(description="its open voyage (or the one at sea)")
    containers_free: int
    weight_free: int
    capacity: int | None = None
    max_weight: int | None = None
    containers_used: int | None = None
    weight_used: int | None = None


class VesselPage(Out):
    items: list[Vessel]
    next_cursor: str | None = Field(description="pass it back as `cursor` for the next page; null on the last")


class VoyageChange(Out):
    """A vessel's departure or arrival, and the consignments it moved."""

    vessel_id: str
    vessel_name: str
    voyage: int
    status: Literal["departed", "arrived"]
    at: str = Field(description="ISO 8601, UTC")
    consignments: int = Field(description="consignments on that voyage, now in transit (departed) or arrived")


class Health(BaseModel):
    status: Literal["ok"]


class Ready(BaseModel):
    status: Literal["ready"]
    checks: dict[str, str]


class ProblemDocument(BaseModel):
    """RFC 9457 problem details (``application/problem+json``)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    field: str | None = Field(default=None, description="the offending field (validation errors)")
    request_id: str | None = None
    correlation_id: str | None = Field(default=None, description="internal errors: what to quote to an operator")
    checks: dict[str, str] | None = Field(default=None, description="GET /ready: each dependency's state")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these problem statuses."""
    return {
        status: {
            "model": ProblemDocument,
            "content": {"application/problem+json": {}},
            "description": _DESCRIPTIONS.get(status, "problem"),
        }
        for status in statuses
    }


_DESCRIPTIONS = {
    400: "malformed request (JSON, encoding, headers)",
    401: "no, malformed or refused access token; wrong credentials",
    403: "the caller's role does not allow this",
    404: "no such resource for this caller",
    409: "conflict: exists already, no vessel has room, or not in a state that allows this",
    413: "body over the configured limit",
    415: "body is not application/json",
    422: "a field breaks the schema (`field` names it)",
    429: "too many requests from this address (see Retry-After)",
    500: "internal error (only a correlation id)",
    503: "a service, or RabbitMQ, is unavailable or busy (Retry-After when busy)",
    504: "a service did not answer in time",
}
