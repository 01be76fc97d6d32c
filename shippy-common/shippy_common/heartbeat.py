"""Liveness for processes without an HTTP endpoint (relays, notification-service).

The process touches ``HEARTBEAT_FILE`` (when set) each time round its loop
while it is connected; a container health check runs
``python -m shippy_common.heartbeat FILE MAX_AGE_SECONDS``, which exits 0 only
if the file was touched within that many seconds.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path


def beat() -> None:
    path = os.environ.get("HEARTBEAT_FILE")
    if path:
        Path(path).touch()


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
