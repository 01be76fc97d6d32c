"""The booking ids consignment-cli chose and has not yet seen booked.

A file without an ``"id"`` gets one here, so that a re-run after a timeout, a
5xx or an unreachable API sends the same id, and the API answers the booking
already made instead of making a second one. The id is remembered per exact
file content and per user (the token's ``sub``, read unverified: it only keys
a local cache; a token without one counts by its digest), in
``<state folder>/bookings/<key>``, written (0600, atomically) before the
request is sent and removed once the booking succeeded, so that the next run
of the same file is a new booking.

The state folder is ``$SHIPPY_CLI_STATE_DIR``, else ``$XDG_STATE_HOME/shippy``,
else ``~/.local/state/shippy``. When it cannot be written, the booking goes
ahead with a warning: a re-run after a failure may then book twice.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path

from shippy_common.files import write_whole
from shippy_common.token_subject import token_subject

STATE_DIR_VARIABLE = "SHIPPY_CLI_STATE_DIR"
_AT_RISK = "booking anyway, but a re-run after a failure may book twice"


def state_folder() -> Path:
    """Where consignment-cli keeps its state (see the module docstring)."""
    explicit = os.environ.get(STATE_DIR_VARIABLE)
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "state"
    return base / "shippy"


def booking_key(content: bytes, token: str) -> str:
    """The key of one file's exact bytes booked by one user."""
    file_digest = hashlib.sha256(content).hexdigest()
    return hashlib.sha256(f"{token_subject(token)}\n{file_digest}".encode()).hexdigest()


def _reason(exc: BaseException) -> str:
    return exc.strerror.lower() if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__


class BookingIds:
    """Ids waiting for their booking's success, one small file each under ``folder``."""

    def __init__(self, folder: Path | None, warn: Callable[[str], None]) -> None:
        self.folder = folder / "bookings" if folder is not None else None
        self._warn = warn

    @classmethod
    def in_state_folder(cls, warn: Callable[[str], None]) -> BookingIds:
        try:
            return cls(state_folder(), warn)
        except (RuntimeError, KeyError):  # no home folder to find
            return cls(None, warn)

    def id_for(self, key: str) -> str:
        """The id remembered for ``key``, else a new one, remembered before it is returned."""
        if self.folder is None:
            self._warn(f"no state folder (set {STATE_DIR_VARIABLE}); {_AT_RISK}")
            return str(uuid.uuid4())
        path = self.folder / key
        try:
            return str(uuid.UUID(path.read_text(encoding="ascii").strip()))
        except (OSError, ValueError):
            pass  # none yet, or unreadable, or not an id: a new one replaces it
        chosen = str(uuid.uuid4())
        try:
            self._write(path, chosen + "\n")
        except OSError as exc:
            self._warn(f"cannot keep the booking id in {self.folder} ({_reason(exc)}); {_AT_RISK}")
        return chosen

    def forget(self, key: str) -> None:
        """Drop ``key``'s id: its booking succeeded, the next run is a new one."""
        if self.folder is None:
            return
        try:
            (self.folder / key).unlink(missing_ok=True)
        except OSError as exc:
            self._warn(
                f"cannot remove {self.folder / key} ({_reason(exc)}); until it is removed, "
                "running the same file again answers this booking instead of making a new one"
            )

    def _write(self, path: Path, text: str) -> None:
        """Write ``text`` to ``path`` whole or not at all (0600: a file of this user's)."""
        assert self.folder is not None
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_whole(path, text.encode("ascii"), sync=True)
