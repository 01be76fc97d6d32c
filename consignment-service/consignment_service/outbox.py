"""consignment_service's outbox: ``consignment.created`` inside each
consignment document, and every later event inside its transition's log entry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database

from consignment_service.events import created_data
from consignment_service.repository import from_document
from shippy_common.envelope import CONSIGNMENT_CREATED
from shippy_common.mongo import MongoSettings, connect_database


class MongoOutbox:
    """A consignment document carries its ``consignment.created`` in
    ``outbox``, without the event's data where that is the consignment's own fields
    (``events.created_data``, made again here), and a transition's log entry its event in ``event``, each with
    ``outbox_pending: true`` until the relay has published it, or parked it:
    then ``outbox_parked`` says why and when.

    Pending events come created first, then transitions oldest first: a
    consignment's created event is always listed before its transitions'
    (a transition is only ever recorded after its consignment, and transitions
    are read only once every pending created event is in the batch). The
    created events come in no particular order: each is its consignment's
    first, and unsorted the store stops reading at ``limit``, where sorted
    FerretDB reads and sorts every pending document first (550 ms a poll with
    4,700 pending, measured), so a backlog made every poll slower. The relay
    is the only writer of a log entry, found by its ``event_id`` (indexed)."""

    def __init__(self, consignments: Collection, transitions: Collection) -> None:
        self.consignments = consignments
        self.transitions = transitions

    def listen(self) -> None:
        """No signal of new events: FerretDB has no change streams, so the relay polls."""
        return None

    def pending(self, limit: int) -> Sequence[dict[str, Any]]:
        query = {"outbox_pending": True}
        documents = self.consignments.find(query).limit(limit)
        events = [_whole(event, document) for document in documents for event in document["outbox"]][:limit]
        if len(events) < limit:
            entries = self.transitions.find(query, {"event": 1}).sort("created_ns", ASCENDING)
            events += [entry["event"] for entry in entries.limit(limit - len(events))]
        return events

    def mark_sent(self, events: Sequence[dict[str, Any]]) -> None:
        """One event per document, so its document is done once it is sent: one
        bulk write per collection, each update by an indexed equality."""
        sent = {"$set": {"outbox_pending": False}}
        created = [UpdateOne(self._created_filter(e), sent) for e in events if e.get("type") == CONSIGNMENT_CREATED]
        changes = [UpdateOne(self._change_filter(e), sent) for e in events if e.get("type") != CONSIGNMENT_CREATED]
        if created:
            self.consignments.bulk_write(created, ordered=False)
        if changes:
            self.transitions.bulk_write(changes, ordered=False)

    def park(self, event: dict[str, Any], reason: str) -> None:
        """Keep the document's event for an operator, no longer pending, with why."""
        parked = {"reason": reason, "parked_at": datetime.now(UTC)}
        self._update(event, {"outbox_pending": False, "outbox_parked": parked})

    def _update(self, event: dict[str, Any], changes: dict[str, Any]) -> None:
        if event.get("type") == CONSIGNMENT_CREATED:
            self.consignments.update_one(self._created_filter(event), {"$set": changes})
        else:
            self.transitions.update_one(self._change_filter(event), {"$set": changes})

    @staticmethod
    def _created_filter(event: dict[str, Any]) -> dict[str, Any]:
        return {"_id": event["aggregate_id"]}

    @staticmethod
    def _change_filter(event: dict[str, Any]) -> dict[str, Any]:
        return {"event_id": event["id"]}


def _whole(event: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """``event`` as recorded, its data made again from its consignment if it was kept without."""
    return event if "data" in event else {**event, "data": created_data(from_document(document))}


def outbox_of(database: Database) -> MongoOutbox:
    return MongoOutbox(database["consignments"], database["consignment_transitions"])


def open_outbox(mongo: MongoSettings) -> MongoOutbox:
    return outbox_of(connect_database(mongo))
