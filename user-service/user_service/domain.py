"""Accounts in plain Python: what a user is and what a client may see of one."""

from __future__ import annotations

import base64
import binascii
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shippy_common.auth import ADMIN

#: RFC 5321's longest forward path, the longest address an account may have.
MAX_EMAIL_LENGTH = 254


def email_key(email: str) -> str:
    """What makes two addresses one account: equal after NFKC normalisation and
    full Unicode case folding (PostgreSQL without a locale folds ASCII only)."""
    return unicodedata.normalize("NFKC", email).casefold()


@dataclass(frozen=True)
class User:
    id: str
    name: str
    company: str
    email: str
    role: str
    created_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    def public(self) -> dict[str, Any]:
        """What a caller allowed to see this user gets: never a password or a hash."""
        return {"id": self.id, "name": self.name, "company": self.company, "email": self.email, "role": self.role}


PagePosition = tuple[datetime, uuid.UUID]


def page_cursor(user: User) -> str:
    """An opaque cursor for the page after ``user`` in (created_at, id) order."""
    position = f"{user.created_at.isoformat()}|{user.id}"
    return base64.urlsafe_b64encode(position.encode()).decode().rstrip("=")


def page_position(cursor: str) -> PagePosition:
    """The (created_at, id) a cursor from :func:`page_cursor` stands for; ``ValueError`` if it is not one."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, user_id = text.split("|")
        position = datetime.fromisoformat(created_at), uuid.UUID(user_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("not a cursor from get_all") from exc
    if position[0].tzinfo is None:
        raise ValueError("not a cursor from get_all")
    return position


@dataclass(frozen=True)
class NewAccount:
    name: str
    company: str
    email: str
    password: str


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: int


@dataclass(frozen=True)
class PageRequest:
    limit: int
    after: PagePosition | None = None


@dataclass(frozen=True)
class UserPage:
    items: list[User]
    next_cursor: str | None
