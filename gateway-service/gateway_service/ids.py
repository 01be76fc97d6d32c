"""Ids the gateway derives: request ids for tracing, consignment ids from idempotency keys."""

from __future__ import annotations

import uuid

from shippy_common.logs import sane_request_id
from shippy_common.token_subject import token_subject

#: Namespace of consignment ids derived from an ``Idempotency-Key`` (uuid5).
IDEMPOTENCY_NAMESPACE = uuid.UUID("0c6b9a57-3f0e-4c1e-9a43-6f2f1d8e7b10")
MAX_IDEMPOTENCY_KEY_LENGTH = 200


def request_id_for(sent: str | None) -> str:
    """The client's ``X-Request-ID`` if it is sane (at most 64 letters, digits, ``._:-``), else a new one."""
    return sane_request_id(sent) or uuid.uuid4().hex


def consignment_id_for(idempotency_key: str, token: str) -> str:
    """The consignment id of a booking sent with ``Idempotency-Key``: the same key
    from the same user is the same booking; another user's same key is another one."""
    return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, f"{token_subject(token)}\n{idempotency_key}"))
