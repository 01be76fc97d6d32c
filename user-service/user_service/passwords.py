"""bcrypt password hashing, off the eventlet hub.

bcrypt is a C call that takes ~0.3 s at cost 12; run in the hub's thread it
would stall every other worker of the process (token checks included). Each
call goes to eventlet's thread pool instead, where bcrypt releases the GIL.
"""

from __future__ import annotations

from typing import Any

import bcrypt
from eventlet import tpool

from shippy_common.errors import ValidationError

MIN_PASSWORD_CHARACTERS = 8
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; longer input raises in bcrypt 5


def check_password(password: Any, field: str = "password") -> str:
    """The password if it is one bcrypt can take, else ``ValidationError``."""
    if not isinstance(password, str):
        raise ValidationError(field, f"must be a string, got {type(password).__name__}")
    if not password:
        raise ValidationError(field, "must not be empty")
    if len(password) < MIN_PASSWORD_CHARACTERS:
        raise ValidationError(field, f"must be at least {MIN_PASSWORD_CHARACTERS} characters")
    try:
        encoded = password.encode()
    except UnicodeEncodeError:
        raise ValidationError(field, "must be valid unicode text") from None
    if len(encoded) > MAX_PASSWORD_BYTES:
        raise ValidationError(field, f"must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8")
    return password


class PasswordHasher:
    def __init__(self, cost: int) -> None:
        self.cost = cost
        # Checked against when the account does not exist, so that an unknown
        # email costs as much time as a wrong password.
        self._dummy_hash = bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(cost))

    def hash(self, password: str) -> str:
        hashed = tpool.execute(bcrypt.hashpw, password.encode(), bcrypt.gensalt(self.cost))
        return hashed.decode()

    def verify(self, password: str, password_hash: str | None) -> bool:
        """Whether ``password`` matches; with no hash, spends the same time and says no."""
        if password_hash is None:
            tpool.execute(bcrypt.checkpw, password.encode(), self._dummy_hash)
            return False
        return tpool.execute(bcrypt.checkpw, password.encode(), password_hash.encode())
