"""bcrypt password hashing, off the eventlet hub.

bcrypt is a C call that takes ~0.3 s at cost 12; run in the hub's thread it
would stall every other worker of the process (token checks included). Each
call goes to eventlet's thread pool instead, where bcrypt releases the GIL.
At most one hash per CPU runs at a time, and the threads that run them drop to
the lowest scheduling priority: when logins keep every core busy, the hub
thread (and with it every other call) still gets the CPU first.

A login waiting for a hash slot holds a nameko worker. So that a flood of
logins cannot take every worker (and token checks with them), only a bounded
number may wait: a caller beyond that is refused at once with ``Busy``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import bcrypt
from eventlet import patcher, semaphore, tpool

from shippy_common.errors import Busy, ValidationError

MIN_PASSWORD_CHARACTERS = 8
MAX_PASSWORD_BYTES = 72  # bcrypt's limit; longer input raises in bcrypt 5
#: The default bound on callers waiting for a hash slot, per slot. At cost 12
#: (about 0.25 s a hash here) the last one admitted waits about 2 s, within the
#: gateway's 10 s; with 4, 16 callers kept refused ones calling again, and logins
#: at 16 ran at 0.92 of raw bcrypt against 0.97 (README, Performance, change 24).
WAITING_PER_SLOT = 8
BUSY_MESSAGE = "busy, retry"


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


Result = TypeVar("Result")
_native_threading = patcher.original("threading")
_lowered = _native_threading.local()


def _at_low_priority(work: Callable[..., Result], *args: Any) -> Result:
    if not getattr(_lowered, "done", False):
        # Linux applies nice values per thread: only this pool thread drops.
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, _native_threading.get_native_id(), 19)
        _lowered.done = True
    return work(*args)


class PasswordHasher:
    def __init__(self, cost: int, max_waiting: int | None = None, slots: int | None = None) -> None:
        """``slots`` hashes run at once (default: one per CPU); at most
        ``max_waiting`` admitted callers wait for one (default: ``WAITING_PER_SLOT`` per slot)."""
        self.cost = cost
        self.slots = slots or os.cpu_count() or 1
        self.max_waiting = WAITING_PER_SLOT * self.slots if max_waiting is None else max_waiting
        self._slots = semaphore.Semaphore(self.slots)
        self._admitted = 0
        # Checked against when the account does not exist, so that an unknown
        # email costs as much time as a wrong password.
        self._dummy_hash = bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(cost))

    @contextlib.contextmanager
    def admitted(self) -> Iterator[None]:
        """A place among the callers that hash or wait for a slot, for the
        ``with`` block; ``Busy`` at once when every place is taken."""
        # Greenthreads switch only where they block: nothing can slip in between the test and the count.
        if self._admitted >= self.slots + self.max_waiting:
            raise Busy(BUSY_MESSAGE)
        self._admitted += 1
        try:
            yield
        finally:
            self._admitted -= 1

    def _run(self, work: Callable[..., Result], *args: Any) -> Result:
        with self._slots:
            return tpool.execute(_at_low_priority, work, *args)

    def hash(self, password: str) -> str:
        return self._run(bcrypt.hashpw, password.encode(), bcrypt.gensalt(self.cost)).decode()

    def verify(self, password: str, password_hash: str | None) -> bool:
        """Whether ``password`` matches; with no hash, spends the same time and says no."""
        if password_hash is None:
            self._run(bcrypt.checkpw, password.encode(), self._dummy_hash)
            return False
        return self._run(bcrypt.checkpw, password.encode(), password_hash.encode())
