"""Vessels in MongoDB."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shippy_common.errors import AlreadyExists
from shippy_common.mongo import MongoStore
from vessel_service.domain import Allocation, Load, Vessel
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
        self.ledger = VesselLedger(database)

    def ensure_indexes(self) -> None:
        self.vessels.create_index([("available", ASCENDING), ("capacity", ASCENDING), ("max_weight", ASCENDING)])
        self.ledger.ensure_indexes()

    def get(self, vessel_id: str) -> Vessel | None:
        document = self.vessels.find_one({"_id": vessel_id})
        return None if document is None else _from_document(document)

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


class VesselLedger:
    """Each vessel's bookings as an append-only ledger (see ``booking``).

    An entry's ``_id`` is ``<vessel id>:<sequence number>``, so two writers of
    the same next entry collide on the primary key; ``booking_id`` is unique too.
    """

    def __init__(self, database: Database) -> None:
        self.entries = database["vessel_ledger"]

    def ensure_indexes(self) -> None:
        self.entries.create_index([("booking_id", ASCENDING)], unique=True)
        self.entries.create_index([("vessel_id", ASCENDING), ("seq", DESCENDING)])

    def vessel_booked_for(self, booking_id: str) -> str | None:
        entry = self.entries.find_one({"booking_id": booking_id}, {"vessel_id": 1})
        return None if entry is None else entry["vessel_id"]

    def newest(self, vessel: Vessel) -> Allocation:
        for entry in self.entries.find({"vessel_id": vessel.id}).sort("seq", DESCENDING).limit(1):
            return Allocation(
                vessel_id=vessel.id,
                seq=entry["seq"],
                containers_left=entry["containers_left"],
                weight_left=entry["weight_left"],
            )
        opening = Allocation.opening(vessel)
        self.append(opening, booking_id=f"opening:{vessel.id}")
        return opening

    def append(self, allocation: Allocation, booking_id: str) -> bool:
        try:
            self.entries.insert_one(
                {
                    "_id": f"{allocation.vessel_id}:{allocation.seq:012d}",
                    "vessel_id": allocation.vessel_id,
                    "seq": allocation.seq,
                    "containers_left": allocation.containers_left,
                    "weight_left": allocation.weight_left,
                    "booking_id": booking_id,
                }
            )
        except DuplicateKeyError:
            return False
        return True


class VesselStore(MongoStore[VesselRepository]):
    def repository(self, database: Database) -> VesselRepository:
        return VesselRepository(database)

    def prepare(self, repository: VesselRepository) -> None:
        repository.ensure_indexes()
        if self.container.config["SEED_DEFAULT_FLEET"]:
            repository.seed(DEFAULT_FLEET)
