"""What user_service accepts over RPC."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from pydantic import EmailStr, Field, StringConstraints, field_validator

from shippy_common.errors import ValidationError
from shippy_common.schemas import StrictModel
from user_service.domain import MAX_EMAIL_LENGTH, Credentials, NewAccount, PageRequest, page_position
from user_service.passwords import check_password

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_CURSOR_LENGTH = 200


class NewUser(StrictModel):
    name: Text
    company: Text
    email: Annotated[EmailStr, StringConstraints(max_length=MAX_EMAIL_LENGTH)]
    password: str

    @field_validator("password", mode="plain")
    @classmethod
    def _password_bcrypt_can_take(cls, value: Any) -> str:
        return check_password(value)

    def to_domain(self) -> NewAccount:
        return NewAccount(name=self.name, company=self.company, email=self.email, password=self.password)


class LogIn(StrictModel):
    """``auth(email, password)``: any string that could be an address (the
    lookup decides), and a password bcrypt can take."""

    email: str
    password: str

    @field_validator("email", mode="plain")
    @classmethod
    def _email_could_be_one(cls, value: Any) -> str:
        if not isinstance(value, str) or not value or len(value) > MAX_EMAIL_LENGTH:
            raise ValueError(f"must be a non-empty string of at most {MAX_EMAIL_LENGTH} characters")
        return value

    @field_validator("password", mode="plain")
    @classmethod
    def _password_bcrypt_can_take(cls, value: Any) -> str:
        return check_password(value)

    def to_domain(self) -> Credentials:
        return Credentials(email=self.email, password=self.password)


class UserRef(StrictModel):
    """``get(id)``: a user id, a UUID in any of its spellings."""

    id: str

    @field_validator("id", mode="plain")
    @classmethod
    def _a_uuid(cls, value: Any) -> str:
        try:
            return str(uuid.UUID(value))
        except (TypeError, ValueError, AttributeError):
            raise ValueError("must be a user id (a UUID)") from None


class Page(StrictModel):
    """``get_all(limit, cursor)``."""

    limit: Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE
    cursor: Annotated[str, StringConstraints(max_length=MAX_CURSOR_LENGTH)] | None = None

    def to_domain(self) -> PageRequest:
        try:
            after = None if self.cursor is None else page_position(self.cursor)
        except ValueError:
            raise ValidationError("cursor", "must be a next_cursor from get_all") from None
        return PageRequest(limit=self.limit, after=after)
