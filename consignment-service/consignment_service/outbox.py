"""consignment_service's outbox: the events inside consignment documents."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection

from shippy_common.mongo import MongoSettings, connect_database


class MongoOutbox:
    """A consignment document carries its events in ``outbox`` and
    ``outbox_pending: true`` until the relay has published all of them, or
    parked them: then ``outbox_parked`` says why and when."""

    def __init__(self, consignments: Collection) -> None:
        self.consignments = consignments

    def pending(self, limit: int) -> Sequence[dict[str, Any]]:
        query = {"outbox_pending": True}
        documents = self.consignments.find(query, {"outbox": 1}).sort("created_ns", ASCENDING).limit(limit)
        return [event for document in documents for event in document["outbox"]][:limit]

    def mark_sent(self, event: dict[str, Any]) -> None:
        # One event per document today, so its document is done once it is sent.
        self.consignments.update_one({"_id": event["aggregate_id"]}, {"$set": {"outbox_pending": False}})

    def park(self, event: dict[str, Any], reason: str) -> None:
        """Keep the document's event for an operator, no longer pending, with why."""
        parked = {"reason": reason, "parked_at": datetime.now(UTC)}
        self.consignments.update_one(
            {"_id": event["aggregate_id"]}, {"$set": {"outbox_pending": False, "outbox_parked": parked}}
        )


def open_outbox(mongo: MongoSettings) -> MongoOutbox:
    return MongoOutbox(connect_database(mongo)["consignments"])
