"""Liveness for processes without an HTTP endpoint (relays, notification-service).

The process touches its heartbeat file (setting ``HEARTBEAT_FILE`` of its
``config.yml``, checked at start by :func:`heartbeat_file`; empty: none) each
time round its loop while it is connected; a container health check runs
``python -m shippy_common.heartbeat FILE MAX_AGE_SECONDS``, which exits 0 only
if the file was touched within that many seconds.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any


def heartbeat_file(config: dict[str, Any], key: str = "HEARTBEAT_FILE") -> Path | None:
    """The file to touch, ``None`` when the setting is empty; its directory must exist."""
    from shippy_common.config import ConfigError

    value = config.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{key} must be empty or a file path, got {value!r}")
    path = Path(value)
    if not path.parent.is_dir():
        raise ConfigError(f"{key} must be a file in an existing directory, got {value!r}")
    return path


def beat(path: Path | None) -> None:
    """Touch ``path``, unless there is no heartbeat file (``None``)."""
    if path is not None:
        path.touch()


def main() -> None:
    path, max_age = sys.argv[1], float(sys.argv[2])
    try:
        age = time.time() - Path(path).stat().st_mtime
    except OSError:
        sys.exit(f"unhealthy: no heartbeat at {path}")
    if age > max_age:
        sys.exit(f"unhealthy: last heartbeat {age:.0f}s ago")


if __name__ == "__main__":
    main()
