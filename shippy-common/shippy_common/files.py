"""Files written whole or not at all."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def write_whole(path: Path, data: bytes, mode: int = 0o600, sync: bool = False) -> None:
    """Write ``data`` to ``path`` whole or not at all: a reader finds the old
    file, or none, until the new one is complete (a partial file beside it,
    ``.<name>.<random>.tmp``, is renamed over it, and removed if that fails).
    ``mode`` is set exactly, whatever the umask; ``sync`` flushes the file to
    disk before the rename, for a file that must survive a power cut."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with open(descriptor, "wb") as file:
            os.fchmod(file.fileno(), mode)
            file.write(data)
            if sync:
                file.flush()
                os.fsync(file.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
