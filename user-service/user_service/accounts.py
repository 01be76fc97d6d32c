"""What user_service does, in plain Python over its adapters.

The nameko service wires these to RPC; tests can call them with fakes.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from shippy_common.errors import AlreadyExists, InvalidCredentials, InvalidToken, Unauthorized, ValidationError
from shippy_common.events import USER_CREATED, new_event
from user_service.domain import NewAccount, User
from user_service.passwords import check_password
from user_service.tokens import TokenAuthority

MAX_EMAIL_LENGTH = 254


class Users(Protocol):
    def add(self, user_id: str, *, name: str, company: str, email: str, password_hash: str, event: dict) -> User: ...
    def email_taken(self, email: str) -> bool: ...
    def with_password_hash(self, email: str) -> tuple[User, str] | None: ...
    def get(self, user_id: str) -> User | None: ...


class Hasher(Protocol):
    def hash(self, password: str) -> str: ...
    def verify(self, password: str, password_hash: str | None) -> bool: ...


def register(users: Users, hasher: Hasher, account: NewAccount) -> User:
    # Checked first so a taken address costs no bcrypt round; the unique
    # index still decides between two concurrent registrations.
    if users.email_taken(account.email):
        raise AlreadyExists(f"an account for {account.email} already exists")
    user_id = str(uuid.uuid4())
    profile = {"name": account.name, "company": account.company, "email": account.email}
    return users.add(
        user_id,
        **profile,
        password_hash=hasher.hash(account.password),
        event=new_event(USER_CREATED, user_id, {"user_id": user_id, **profile}),
    )


def authenticate(users: Users, hasher: Hasher, tokens: TokenAuthority, email: object, password: object) -> dict:
    """A token for the right email and password. A wrong password and an
    unknown email fail alike, after one bcrypt check each."""
    if not isinstance(email, str) or not email or len(email) > MAX_EMAIL_LENGTH:
        raise ValidationError("email", f"must be a non-empty string of at most {MAX_EMAIL_LENGTH} characters")
    password = check_password(password)
    found = users.with_password_hash(email)
    user, password_hash = found if found is not None else (None, None)
    if not hasher.verify(password, password_hash) or user is None:
        raise InvalidCredentials("email or password is wrong")
    token, expires_at = tokens.issue(user.id)
    return {"token": token, "expires_at": expires_at}


def user_for_token(users: Users, tokens: TokenAuthority, token: object) -> User:
    user = users.get(tokens.subject(token))
    if user is None:
        raise InvalidToken("the token's user no longer exists")
    return user


def caller(users: Users, tokens: TokenAuthority, token: str | None) -> User:
    """The user making a call that needs one, or ``Unauthorized`` with why."""
    if token is None:
        raise Unauthorized("no access token sent")
    try:
        return user_for_token(users, tokens, token)
    except InvalidToken as exc:
        raise Unauthorized(str(exc)) from None
