"""Vessels in MongoDB."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shippy_common.errors import AlreadyExists
from vessel_service.domain import Allocation, EntryKind, LedgerEntry, Load, Vessel


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
    """Each vessel's ledger (see ``services``) in one collection.

    An entry's ``_id`` is ``<vessel id>:<sequence number>``, so two writers of
    the same next entry collide on the primary key; its ``key`` (kind,
    generation, booking id) is unique too, so a booking or a release is
    written once whatever the concurrency.
    """

    def __init__(self, database: Database) -> None:
        self.entries = database["vessel_ledger"]

    def ensure_indexes(self) -> None:
        self.entries.create_index([("key", ASCENDING)], unique=True)
        self.entries.create_index([("vessel_id", ASCENDING), ("seq", DESCENDING)])
        self.entries.create_index([("booking_id", ASCENDING), ("seq", DESCENDING)])
        self.entries.create_index([("kind", ASCENDING), ("at", ASCENDING)])

    def latest_for(self, booking_id: str) -> LedgerEntry | None:
        for document in self.entries.find({"booking_id": booking_id}).sort("seq", DESCENDING).limit(1):
            return _entry_from_document(document)
        return None

    def newest(self, vessel: Vessel) -> Allocation:
        for document in self.entries.find({"vessel_id": vessel.id}).sort("seq", DESCENDING).limit(1):
            return _entry_from_document(document).allocation
        opening = LedgerEntry.opening(vessel)
        self.append(opening)
        return opening.allocation

    def append(self, entry: LedgerEntry) -> bool:
        try:
            self.entries.insert_one(_entry_to_document(entry))
        except DuplicateKeyError:
            return False
        return True

    def bookings_between(self, since: datetime, until: datetime, limit: int) -> list[LedgerEntry]:
        query = {"kind": str(EntryKind.BOOKING), "at": {"$gte": since, "$lt": until}}
        documents = self.entries.find(query).sort([("at", ASCENDING), ("_id", ASCENDING)]).limit(limit)
        return [_entry_from_document(document) for document in documents]


def _entry_to_document(entry: LedgerEntry) -> dict[str, Any]:
    allocation = entry.allocation
    document: dict[str, Any] = {
        "_id": f"{allocation.vessel_id}:{allocation.seq:012d}",
        "key": entry.key,
        "kind": str(entry.kind),
        "vessel_id": allocation.vessel_id,
        "seq": allocation.seq,
        "containers_left": allocation.containers_left,
        "weight_left": allocation.weight_left,
    }
    if entry.kind is not EntryKind.OPENING:
        document.update(booking_id=entry.booking_id, generation=entry.generation, at=entry.at)
    if entry.load is not None:
        document.update(containers=entry.load.containers, weight=entry.load.weight)
    return document


def _entry_from_document(document: dict[str, Any]) -> LedgerEntry:
    load = Load(document["containers"], document["weight"]) if "containers" in document else None
    return LedgerEntry(
        allocation=Allocation(
            vessel_id=document["vessel_id"],
            seq=document["seq"],
            containers_left=document["containers_left"],
            weight_left=document["weight_left"],
        ),
        kind=EntryKind(document["kind"]),
        booking_id=document.get("booking_id"),
        generation=document.get("generation", 0),
        load=load,
        at=document.get("at"),
    )
