"""Which queries a piece of code sends to MongoDB, and whether the server
answers each from an index (``explain``), on MongoDB and on FerretDB.

    recorder = QueryRecorder()
    client = pymongo.MongoClient(uri, event_listeners=[recorder])
    ...  # run the code on client's database
    assert not recorder.unindexed(client[name])

FerretDB (on PostgreSQL) answers ``explain`` with PostgreSQL's plan: a query
is served by an index when the plan holds an index scan. MongoDB's plan holds
``COLLSCAN`` when it is not. PostgreSQL prefers reading a table of a few rows
to using its index, so fill the collections first (a few thousand documents
that the queries do not select).
"""

from __future__ import annotations

import json
from typing import Any

from pymongo import monitoring
from pymongo.database import Database

#: The parts of a ``find`` command that ``explain`` takes.
FIND_FIELDS = ("find", "filter", "sort", "limit", "skip", "projection")


class QueryRecorder(monitoring.CommandListener):
    """Every ``find`` a client sends, in order."""

    def __init__(self) -> None:
        self.finds: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find":
            self.finds.append({key: event.command[key] for key in FIND_FIELDS if key in event.command})

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def unindexed(self, database: Database) -> list[dict[str, Any]]:
        """The recorded queries the server would answer without an index."""
        return [find for find in self.finds if not uses_index(database, find)]


class InsertRecorder(monitoring.CommandListener):
    """Every ``insert`` a client sends: its collection and how many documents it carries."""

    def __init__(self) -> None:
        self.inserts: list[tuple[str, int]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "insert":
            self.inserts.append((event.command["insert"], len(event.command["documents"])))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def into(self, collection: str) -> list[int]:
        """The documents of each insert into ``collection``, in order."""
        return [documents for name, documents in self.inserts if name == collection]


def uses_index(database: Database, find: dict[str, Any]) -> bool:
    answer = database.command("explain", find, verbosity="queryPlanner")
    plan = json.dumps(answer.get("queryPlanner", {}), default=str)
    if "ferretdbVersion" in answer.get("serverInfo", {}):
        return "Index Scan" in plan or "Index Only Scan" in plan
    return "COLLSCAN" not in plan
