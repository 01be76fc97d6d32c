"""A corpus of bad access tokens, each broken in exactly one way.

Every entry must be refused with ``InvalidToken`` (by user_service) or
``Unauthorized`` (by a service that asks user_service). Tokens are built for
a real user, secret, issuer and audience, so the named defect is the only one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _signed(header: Any, payload: Any, secret: str, *, raw: bool = False) -> str:
    """A token with any header and payload, HS256-signed with ``secret``."""
    head = _b64(header if raw else json.dumps(header).encode())
    body = _b64(payload if raw else json.dumps(payload).encode())
    signature = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


def bad_tokens(*, secret: str, issuer: str, audience: str, user_id: str) -> dict[str, Any]:
    now = int(time.time())
    claims = {"sub": user_id, "iat": now, "exp": now + 3600, "iss": issuer, "aud": audience, "jti": "j1"}
    header = {"alg": "HS256", "typ": "JWT"}

    def token(**changes: Any) -> str:
        body = {**claims, **changes}
        return jwt.encode({k: v for k, v in body.items() if v is not None}, secret, algorithm="HS256")

    good = token()
    head, body, signature = good.split(".")
    tampered_signature = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    tampered_body = _b64(json.dumps({**claims, "sub": str(uuid.uuid4())}).encode())
    return {
        "empty string": "",
        "None": None,
        "number": 12345,
        "dict": {"token": good},
        "list": [good],
        "one segment": head,
        "two segments": f"{head}.{body}",
        "four segments": f"{good}.{signature}",
        "bad base64": "$$$.%%%.^^^",
        "header not JSON": f"{_b64(b'not json')}.{body}.{signature}",
        "payload not JSON": _signed(json.dumps(header).encode(), b"not json {", secret, raw=True),
        "payload is a JSON array": _signed(header, [claims], secret),
        "alg none, empty signature": f"{_b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{body}.",
        "header claims HS512": jwt.encode(claims, secret + "-hs512-padding-to-64-bytes" * 2, algorithm="HS512"),
        "header claims HS512, same secret": _signed({"alg": "HS512", "typ": "JWT"}, claims, secret),
        "header claims RS256": _signed({"alg": "RS256", "typ": "JWT"}, claims, secret),
        "stripped signature": f"{head}.{body}.",
        "tampered signature": f"{head}.{body}.{tampered_signature}",
        "tampered payload": f"{head}.{tampered_body}.{signature}",
        "signed with another secret": jwt.encode(claims, "another-secret-that-is-long-enough-123", algorithm="HS256"),
        "expired": token(iat=now - 7200, exp=now - 3600),
        "nbf in the future": token(nbf=now + 3600),
        "iat in the future": token(iat=now + 3600),
        "wrong iss": token(iss="someone-else"),
        "wrong aud": token(aud="another-audience"),
        "no exp": token(exp=None),
        "no sub": token(sub=None),
        "no iat": token(iat=None),
        "sub is not a user id": token(sub="admin"),
        "sub of an unknown user": token(sub=str(uuid.uuid4())),
        "1 MB token": f"{head}.{'A' * 1_000_000}.{signature}",
        "random unicode": "ünï.cødé☃.😀\u0000\ud7ff",
    }
