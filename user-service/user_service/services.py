"""What user_service does, in plain Python over its ports (the users store,
the password hasher, the token authority); the nameko entrypoints in
``service`` call these, unit tests call them with in-memory fakes."""

from __future__ import annotations

import uuid
from contextlib import AbstractContextManager
from typing import Any, Protocol

from shippy_common.auth import Caller
from shippy_common.envelope import USER_CREATED, new_event
from shippy_common.errors import AlreadyExists, Forbidden, InvalidCredentials, InvalidToken, NotFound, ValidationError
from user_service.domain import (
    MAX_EMAIL_LENGTH,
    Credentials,
    IssuedToken,
    NewAccount,
    PagePosition,
    PageRequest,
    User,
    UserPage,
    email_key,
    page_cursor,
)


class Users(Protocol):
    def add(
        self,
        user_id: str,
        *,
        name: str,
        company: str,
        email: str,
        email_key: str,
        password_hash: str,
        event: dict[str, Any],
    ) -> User: ...
    def email_taken(self, email_key: str) -> bool: ...
    def with_password_hash(self, email_key: str) -> tuple[User, str] | None: ...
    def get(self, user_id: str) -> User | None: ...
    def page(self, after: PagePosition | None, limit: int) -> list[User]: ...


class Hasher(Protocol):
    def admitted(self) -> AbstractContextManager[None]:
        """A bcrypt slot, waited for in a bounded line; ``Busy`` when the line is full."""

    def hash(self, password: str) -> str: ...

    def verify(self, password: str, password_hash: str | None) -> bool: ...


class Tokens(Protocol):
    def issue(self, user_id: str) -> tuple[str, int]:
        """A signed token for ``user_id`` and its expiry (Unix seconds)."""

    def subject(self, token: Any) -> str:
        """The user id a valid token was issued to; ``InvalidToken`` otherwise."""


def register(users: Users, hasher: Hasher, account: NewAccount) -> User:
    key = email_key(account.email)
    if len(key) > MAX_EMAIL_LENGTH:  # NFKC can lengthen text (one ligature becomes letters)
        raise ValidationError("email", f"must be at most {MAX_EMAIL_LENGTH} characters once normalised")
    # Checked first so a taken address costs no bcrypt round; the unique
    # index still decides between two concurrent registrations.
    if users.email_taken(key):
        raise AlreadyExists(f"an account for {account.email} already exists")
    with hasher.admitted():
        password_hash = hasher.hash(account.password)
    user_id = str(uuid.uuid4())
    profile = {"name": account.name, "company": account.company, "email": account.email}
    return users.add(
        user_id,
        **profile,
        email_key=key,
        password_hash=password_hash,
        event=new_event(USER_CREATED, user_id, {"user_id": user_id, **profile}),
    )


def authenticate(users: Users, hasher: Hasher, tokens: Tokens, credentials: Credentials) -> IssuedToken:
    """A token for the right email and password. A wrong password and an
    unknown email fail alike, after one bcrypt check each."""
    # Admitted before the lookup: a login refused as Busy costs no query either.
    with hasher.admitted():
        found = users.with_password_hash(email_key(credentials.email))
        user, password_hash = found if found is not None else (None, None)
        if not hasher.verify(credentials.password, password_hash) or user is None:
            raise InvalidCredentials("email or password is wrong")
    token, expires_at = tokens.issue(user.id)
    return IssuedToken(token=token, expires_at=expires_at)


def user_for_token(users: Users, tokens: Tokens, token: object) -> User:
    """The user a token belongs to, with their role as it is now."""
    user = users.get(tokens.subject(token))
    if user is None:
        raise InvalidToken("the token's user no longer exists")
    return user


def visible_user(users: Users, caller: Caller, user_id: str) -> User:
    """The user ``caller`` may see at ``user_id``: anyone for an admin, only
    themself for a customer. Anything else is ``NotFound``, exactly as for an
    id nobody has, so a customer cannot tell which ids exist."""
    user = users.get(user_id) if caller.is_admin or user_id == caller.id else None
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user


def list_users(users: Users, caller: Caller, page: PageRequest) -> UserPage:
    """One page of every user, for an admin; ``next_cursor`` is ``None`` on the last page."""
    if not caller.is_admin:
        raise Forbidden("only an admin may list users")
    found = users.page(page.after, page.limit + 1)
    items = found[: page.limit]
    return UserPage(items=items, next_cursor=page_cursor(items[-1]) if len(found) > page.limit else None)
