"""Accounts in plain Python: what a user is and what a client may see of one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class User:
    id: str
    name: str
    company: str
    email: str
    created_at: datetime

    def public(self) -> dict[str, Any]:
        """What any caller may see: never a password or a hash."""
        return {"id": self.id, "name": self.name, "company": self.company, "email": self.email}


@dataclass(frozen=True)
class NewAccount:
    name: str
    company: str
    email: str
    password: str
