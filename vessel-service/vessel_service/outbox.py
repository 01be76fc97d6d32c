"""vessel_service's outbox: the events inside the ledger's departure and arrival entries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.collection import Collection

from shippy_common.envelope import VESSEL_ARRIVED, VESSEL_DEPARTED
from shippy_common.mongo import MongoSettings, connect_database
from vessel_service.domain import EntryKind, voyage_change_key

KINDS = {VESSEL_DEPARTED: EntryKind.DEPARTURE, VESSEL_ARRIVED: EntryKind.ARRIVAL}


class VesselOutbox:
    """A departure or arrival entry carries its event in ``event`` and
    ``outbox_pending: true`` until the relay has published it, or parked it:
    then ``outbox_parked`` says why and when. Only the relay updates an entry,
    and only these fields."""

    def __init__(self, entries: Collection) -> None:
        self.entries = entries

    def listen(self) -> None:
        """No signal of new events: FerretDB has no change streams, so the relay polls."""
        return None

    def pending(self, limit: int) -> Sequence[dict[str, Any]]:
        """Oldest first, served by the index on ``outbox_pending``, ``at``, ``_id``.
        A vessel's departure and arrival are hours apart, so ``at`` orders its events."""
        query = {"outbox_pending": True}
        documents = self.entries.find(query, {"event": 1}).sort([("at", ASCENDING), ("_id", ASCENDING)]).limit(limit)
        return [document["event"] for document in documents]

    def mark_sent(self, events: Sequence[dict[str, Any]]) -> None:
        """One bulk write, each update by the entry's unique (indexed) key."""
        sent = {"$set": {"outbox_pending": False}}
        self.entries.bulk_write([UpdateOne({"key": entry_key(event)}, sent) for event in events], ordered=False)

    def park(self, event: dict[str, Any], reason: str) -> None:
        """Keep the entry's event for an operator, no longer pending, with why."""
        parked = {"reason": reason, "parked_at": datetime.now(UTC)}
        self.entries.update_one({"key": entry_key(event)}, {"$set": {"outbox_pending": False, "outbox_parked": parked}})


def entry_key(event: dict[str, Any]) -> str:
    """The key of the ledger entry that carries ``event`` (unique, indexed)."""
    return voyage_change_key(KINDS[event["type"]], event["aggregate_id"], event["data"]["voyage"])


def open_outbox(mongo: MongoSettings) -> VesselOutbox:
    return VesselOutbox(connect_database(mongo)["vessel_ledger"])
