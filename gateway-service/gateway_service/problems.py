"""Errors as RFC 9457 problem documents (``application/problem+json``).

Every refusal the gateway sends is a :class:`Problem`: ``type``, ``title``,
``status``, ``detail``, plus ``field`` for a validation error, ``request_id``
always, and ``correlation_id`` for an internal error (nothing else of it).
:func:`problem_for` maps the typed errors of ``shippy_common.errors`` (rebuilt
from a service's reply by ``gateway_service.rpc``) to statuses.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from starlette.responses import JSONResponse

from gateway_service.rpc import NoAnswer
from shippy_common.errors import (
    AlreadyExists,
    Busy,
    Forbidden,
    InternalError,
    InvalidCredentials,
    InvalidToken,
    InvalidTransition,
    NotFound,
    NoVesselAvailable,
    ServiceUnavailable,
    ShippyError,
    Unauthorized,
    ValidationError,
)

MEDIA_TYPE = "application/problem+json"
#: Problem types are tag URIs (RFC 4151): names, never fetched by a client.
TYPE_PREFIX = "tag:shippy.example,2026:problem:"
#: What a 401 says it wants (RFC 6750).
BEARER_CHALLENGE = 'Bearer realm="shippy"'
BUSY_RETRY_AFTER_SECONDS = 1
MAX_DETAIL_LENGTH = 500


@dataclass
class Problem(Exception):
    status: int
    slug: str
    detail: str
    title: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.title:
            self.title = HTTPStatus(self.status).phrase
        if len(self.detail) > MAX_DETAIL_LENGTH:
            self.detail = self.detail[: MAX_DETAIL_LENGTH - 3] + "..."

    def document(self, request_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": TYPE_PREFIX + self.slug,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            **self.extra,
        }
        if request_id:
            body["request_id"] = request_id
        return body

    def response(self, request_id: str | None = None) -> JSONResponse:
        return JSONResponse(
            self.document(request_id), status_code=self.status, headers=self.headers, media_type=MEDIA_TYPE
        )


def unauthenticated(detail: str, *, error: str = "invalid_token") -> Problem:
    """401 with the challenge RFC 9110 asks of it."""
    challenge = BEARER_CHALLENGE if error == "" else f'{BEARER_CHALLENGE}, error="{error}"'
    return Problem(401, "unauthenticated", detail, headers={"WWW-Authenticate": challenge})


def validation_problem(field_path: str, message: str) -> Problem:
    return Problem(422, "validation-error", f"{field_path}: {message}", extra={"field": field_path})


_QUOTED_ID = re.compile(r"quote ([0-9A-Za-z][0-9A-Za-z._:-]{0,199}) to an operator")


def internal_error(correlation_id: str) -> Problem:
    return Problem(
        500,
        "internal-error",
        f"internal error; quote {correlation_id} to an operator",
        extra={"correlation_id": correlation_id},
    )


def _correlation_id_in(error: InternalError) -> str:
    """The id an ``InternalError`` from a service quotes (``internal error; quote <id> to an operator``)."""
    found = _QUOTED_ID.search(str(error))
    return found.group(1) if found else uuid.uuid4().hex


def problem_for(error: ShippyError) -> Problem:
    """The problem document a service's typed error becomes."""
    message = str(error) or type(error).__name__
    match error:
        case ValidationError():
            return validation_problem(error.field, error.message)
        case AlreadyExists():
            return Problem(409, "already-exists", message)
        case NotFound():
            return Problem(404, "not-found", message)
        case NoVesselAvailable():
            return Problem(409, "no-vessel-available", message)
        case InvalidTransition():
            return Problem(409, "invalid-transition", message)
        case InvalidCredentials():
            return unauthenticated(message, error="")
        case InvalidToken() | Unauthorized():
            return unauthenticated(message)
        case Forbidden():
            return Problem(403, "forbidden", message)
        case Busy():
            return Problem(503, "busy", message, headers={"Retry-After": str(BUSY_RETRY_AFTER_SECONDS)})
        case NoAnswer():
            return Problem(504, "no-answer", message)
        case ServiceUnavailable():
            return Problem(503, "service-unavailable", message)
        case InternalError():
            return internal_error(_correlation_id_in(error))
    return internal_error(uuid.uuid4().hex)
