"""Vessels in MongoDB."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shippy_common.errors import AlreadyExists
from shippy_common.mongo import MongoStore
from vessel_service.domain import Load, Vessel
from vessel_service.fleet import DEFAULT_FLEET


def _to_document(vessel: Vessel) -> dict[str, Any]:
    document = vessel.to_dict()
    document["_id"] = document.pop("id")
    return document


def _from_document(document: dict[str, Any]) -> Vessel:
    return Vessel(
        id=document["_id"],
        name=document["name"],
        capacity=document["capacity"],
        max_weight=document["max_weight"],
        available=document["available"],
        owner_id=document.get("owner_id"),
    )


class VesselRepository:
    def __init__(self, database: Database) -> None:
        self.vessels = database["vessels"]

    def ensure_indexes(self) -> None:
        self.vessels.create_index([("available", ASCENDING), ("capacity", ASCENDING), ("max_weight", ASCENDING)])

    def add(self, vessel: Vessel) -> Vessel:
        try:
            self.vessels.insert_one(_to_document(vessel))
        except DuplicateKeyError:
            raise AlreadyExists(f"vessel {vessel.id} already exists") from None
        return vessel

    def seed(self, fleet: Iterable[Vessel]) -> None:
        """Add each vessel that is not there yet; never overwrite one that is."""
        for vessel in fleet:
            with contextlib.suppress(DuplicateKeyError):
                self.vessels.insert_one(_to_document(vessel))

    def candidates(self, load: Load) -> Iterator[Vessel]:
        """Vessels that may carry ``load``; the domain makes the final choice."""
        query = {"available": True, "capacity": {"$gte": load.containers}, "max_weight": {"$gte": load.weight}}
        for document in self.vessels.find(query).sort("capacity", ASCENDING).limit(100):
            yield _from_document(document)


class VesselStore(MongoStore[VesselRepository]):
    def repository(self, database: Database) -> VesselRepository:
        return VesselRepository(database)

    def prepare(self, repository: VesselRepository) -> None:
        repository.ensure_indexes()
        repository.seed(DEFAULT_FLEET)
