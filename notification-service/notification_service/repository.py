"""What notification-service keeps across restarts: the events it handled, and
the ones it parked for an operator."""

from __future__ import annotations

import json
import logging
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger("notification_service")


class HandledEvents:
    """The ids of events already mailed (SQLite).

    Written ahead (WAL) and synced at checkpoints, not at every record: a
    record synced each time took 43 % of the notifier's CPU samples under load
    (py-spy, bench/cpu_split.py) and held mail back. A process that dies loses
    no record; a machine that loses power may forget the last few, whose
    mails then go out a second time (never not at all)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One message is handled at a time, but each in a worker thread of its own.
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("pragma journal_mode = wal")
        self.db.execute("pragma synchronous = normal")
        self.db.execute("create table if not exists handled (event_id text primary key, handled_at text not null)")

    def seen(self, event_id: str) -> bool:
        return self.db.execute("select 1 from handled where event_id = ?", (event_id,)).fetchone() is not None

    def record(self, event_id: str) -> None:
        self.db.execute("insert or ignore into handled values (?, ?)", (event_id, datetime.now(UTC).isoformat()))


class ParkedEvents:
    """Events that will not be mailed, each as ``<folder>/<name>.json`` with the reason."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def park(self, name: str, event: dict[str, Any], reason: str, attempt: int) -> None:
        """``name`` is a checked event id or a digest, never a path."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{name}.json"
        if path.parent != self.folder or path.name != f"{name}.json":
            raise ValueError(f"{name!r} is not a file name")
        record = {"event": event, "reason": reason, "attempts": attempt, "parked_at": datetime.now(UTC).isoformat()}
        path.write_text(json.dumps(record, indent=2))
        log.error("parked event %s after %d attempt(s): %s (see %s)", name, attempt, reason, self.folder)
