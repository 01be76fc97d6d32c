"""Pages over a list the gateway has whole (the caller's consignments, newest first).

A cursor is opaque to clients: the id of the last item of the page before,
encoded. Items added at the head meanwhile do not shift later pages.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from shippy_common.errors import ValidationError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_CURSOR_LENGTH = 200
_PREFIX = "c1:"


def encode_cursor(item_id: str) -> str:
    return base64.urlsafe_b64encode((_PREFIX + item_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, binascii.Error):
        text = ""
    if not text.startswith(_PREFIX) or len(text) == len(_PREFIX):
        raise ValidationError("cursor", "must be a next_cursor from this list")
    return text[len(_PREFIX) :]


def page_of(items: Sequence[dict[str, Any]], limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """``limit`` items after ``cursor`` (from the start without one), and the cursor of the next page."""
    start = 0
    if cursor is not None:
        after = decode_cursor(cursor)
        position = next((index for index, item in enumerate(items) if item.get("id") == after), None)
        if position is None:
            raise ValidationError("cursor", "must be a next_cursor from this list")
        start = position + 1
    page = list(items[start : start + limit])
    more = start + limit < len(items)
    return page, encode_cursor(str(page[-1]["id"])) if more and page else None
