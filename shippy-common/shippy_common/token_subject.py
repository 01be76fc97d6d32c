"""Whom a bearer token names, read without verifying it: for keying and deriving
ids only, never for access (the service that acts checks the token itself).
Standard library only, so the CLIs can use it without loading nameko."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

MAX_SUBJECT_LENGTH = 100


def token_subject(token: str) -> str:
    """The token's JWT ``sub`` (``sub:<id>``), or a digest of the whole token
    (``token:<sha256>``) when it has no readable one."""
    parts = token.split(".")
    if len(parts) == 3:
        try:
            payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except (ValueError, binascii.Error):
            payload = None
        subject = payload.get("sub") if isinstance(payload, dict) else None
        if isinstance(subject, str) and 0 < len(subject) <= MAX_SUBJECT_LENGTH:
            return f"sub:{subject}"
    return "token:" + hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()
