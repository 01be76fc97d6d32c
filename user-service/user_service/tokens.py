"""Access tokens: HS256 JWTs issued and checked along RFC 8725.

Decoding pins the algorithm, requires ``sub``/``iat``/``exp``/``iss``/``aud``,
checks issuer and audience, and allows a bounded clock leeway. Anything else a
client sends (wrong type, garbage, a forged header) ends in ``InvalidToken``
with a short reason, never in an exception the service did not expect.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt

from shippy_common.errors import InvalidToken
from user_service.settings import TokenSettings

ALGORITHM = "HS256"
MAX_TOKEN_LENGTH = 4096
REQUIRED_CLAIMS = ["sub", "iat", "exp", "iss", "aud"]

_REASONS: list[tuple[type[Exception], str]] = [
    (jwt.ExpiredSignatureError, "token has expired"),
    (jwt.ImmatureSignatureError, "token is not valid yet"),
    (jwt.InvalidAudienceError, "token is for another audience"),
    (jwt.InvalidIssuerError, "token is from another issuer"),
    (jwt.InvalidSignatureError, "token signature does not match"),
    (jwt.InvalidAlgorithmError, "token algorithm is not allowed"),
    (jwt.InvalidIssuedAtError, "token iat is not a number"),
    (jwt.DecodeError, "token is malformed"),
]


def _reason(exc: Exception) -> str:
    if isinstance(exc, jwt.MissingRequiredClaimError):
        return f"token has no {exc.claim} claim"
    for error_type, reason in _REASONS:
        if isinstance(exc, error_type):
            return reason
    return "token is invalid"


class TokenAuthority:
    def __init__(self, settings: TokenSettings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.clock = clock

    def issue(self, user_id: str) -> tuple[str, int]:
        """A signed token for ``user_id`` and its expiry (Unix seconds)."""
        now = int(self.clock())
        expires = now + self.settings.ttl_seconds
        claims = {
            "sub": user_id,
            "iat": now,
            "exp": expires,
            "iss": self.settings.issuer,
            "aud": self.settings.audience,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.settings.secret, algorithm=ALGORITHM, headers={"typ": "JWT"}), expires

    def subject(self, token: Any) -> str:
        """The user id a valid token was issued to; ``InvalidToken`` otherwise."""
        if not isinstance(token, str):
            raise InvalidToken(f"token must be a string, got {type(token).__name__}")
        if not token:
            raise InvalidToken("token is empty")
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken(f"token is longer than {MAX_TOKEN_LENGTH} characters")
        if token.count(".") != 2:
            raise InvalidToken("token must have three dot-separated parts")
        try:
            claims = jwt.decode(
                token,
                self.settings.secret,
                algorithms=[ALGORITHM],
                audience=self.settings.audience,
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_seconds,
                options={"require": REQUIRED_CLAIMS, "verify_signature": True, "strict_aud": True},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(_reason(exc)) from None
        except Exception:
            # Hostile input can reach corners of the decoder (deep JSON nesting,
            # odd unicode); whatever it is, it is not a token we issued.
            raise InvalidToken("token is malformed") from None
        subject = claims["sub"]
        try:
            return str(uuid.UUID(subject))
        except (TypeError, ValueError, AttributeError):
            raise InvalidToken("token sub is not a user id") from None
