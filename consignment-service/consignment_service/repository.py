"""Consignments in MongoDB."""

from __future__ import annotations

import time
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from consignment_service.domain import Consignment, Container
from shippy_common.mongo import MongoStore


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

    def ensure_indexes(self) -> None:
        self.consignments.create_index([("owner_id", ASCENDING), ("created_ns", DESCENDING)])
        self.consignments.create_index([("outbox_pending", ASCENDING), ("created_ns", ASCENDING)])

    def add(self, consignment: Consignment, event: dict[str, Any]) -> bool:
        """Store ``consignment`` with ``event`` in its outbox, in one document
        write (a standalone MongoDB has no multi-document transactions);
        ``False`` if a consignment with its id exists already."""
        document = _to_document(consignment)
        document["outbox"] = [event]
        document["outbox_pending"] = True
        try:
            self.consignments.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    def get(self, consignment_id: str) -> Consignment | None:
        document = self.consignments.find_one({"_id": consignment_id})
        return None if document is None else _from_document(document)

    def owned_by(self, owner_id: str) -> list[Consignment]:
        """The owner's consignments, newest first."""
        query = self.consignments.find({"owner_id": owner_id}).sort("created_ns", DESCENDING)
        return [_from_document(document) for document in query]


class ConsignmentStore(MongoStore[ConsignmentRepository]):
    def repository(self, database: Database) -> ConsignmentRepository:
        return ConsignmentRepository(database)

    def prepare(self, repository: ConsignmentRepository) -> None:
        repository.ensure_indexes()
