"""Consignments in MongoDB."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from consignment_service.domain import Consignment, Container


def _to_milliseconds(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _to_document(consignment: Consignment) -> dict[str, Any]:
    document = consignment.to_dict()
    document["_id"] = document.pop("id")
    document["created_at"] = consignment.created_at
    # Orders consignments created within the same millisecond.
    document["created_ns"] = time.time_ns()
    return document


def _from_document(document: dict[str, Any]) -> Consignment:
    return Consignment(
        id=document["_id"],
        owner_id=document["owner_id"],
        description=document["description"],
        weight=document["weight"],
        containers=tuple(Container(**container) for container in document["containers"]),
        vessel_id=document["vessel_id"],
        created_at=document["created_at"],
    )


class ConsignmentRepository:
    def __init__(self, database: Database) -> None:
        self.consignments = database["consignments"]
        self.checkpoint = ReconcileCheckpoint(database)

    def ensure_indexes(self) -> None:
        self.consignments.create_index([("owner_id", ASCENDING), ("created_ns", DESCENDING)])
        self.consignments.create_index([("outbox_pending", ASCENDING), ("created_ns", ASCENDING)])

    def add(self, consignment: Consignment, event: dict[str, Any]) -> Consignment | None:
        """Store ``consignment`` with ``event`` in its outbox, in one document
        write (a standalone MongoDB has no multi-document transactions), and
        return it as stored (times to the millisecond, as MongoDB keeps them);
        ``None`` if a consignment with its id exists already."""
        stored = replace(consignment, created_at=_to_milliseconds(consignment.created_at))
        document = _to_document(stored)
        document["outbox"] = [event]
        document["outbox_pending"] = True
        try:
            self.consignments.insert_one(document)
        except DuplicateKeyError:
            return None
        return stored

    def get(self, consignment_id: str) -> Consignment | None:
        document = self.consignments.find_one({"_id": consignment_id})
        return None if document is None else _from_document(document)

    def existing_ids(self, consignment_ids: Sequence[str]) -> set[str]:
        documents = self.consignments.find({"_id": {"$in": list(consignment_ids)}}, {"_id": 1})
        return {document["_id"] for document in documents}

    def owned_by(self, owner_id: str) -> list[Consignment]:
        """The owner's consignments, newest first."""
        query = self.consignments.find({"owner_id": owner_id}).sort("created_ns", DESCENDING)
        return [_from_document(document) for document in query]


class ReconcileCheckpoint:
    """How far reconciliation got, in one document (see ``services.reconcile``)."""

    ID = "vessel-bookings"

    def __init__(self, database: Database) -> None:
        self.documents = database["reconciliation"]

    def load(self) -> datetime | None:
        document = self.documents.find_one({"_id": self.ID})
        return None if document is None else document["checked_until"]

    def save(self, checked_until: datetime) -> None:
        self.documents.update_one({"_id": self.ID}, {"$set": {"checked_until": checked_until}}, upsert=True)
