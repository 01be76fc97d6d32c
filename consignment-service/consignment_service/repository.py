"""Consignments, their transition logs and the voyage changes seen, in MongoDB.

Our MongoDB-wire server (FerretDB) makes no update atomic, and rewrites a
whole document on update: two writers of one document can lose each other's
changes. So whatever is decided under concurrency is an insert that a unique
index arbitrates (a transition's ``_id``, a reference), and documents are
updated only where a lost update is harmless or repaired (see
:meth:`ConsignmentRepository.set_status`).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from consignment_service.domain import (
    BOOKED,
    Consignment,
    Container,
    Page,
    Position,
    ReferenceTaken,
    Transition,
    VoyageChange,
    to_milliseconds,
)
from consignment_service.events import created_data
from shippy_common.envelope import CONSIGNMENT_CREATED


def _to_document(consignment: Consignment) -> dict[str, Any]:
    document: dict[str, Any] = {
        "_id": consignment.id,
        "owner_id": consignment.owner_id,
        "description": consignment.description,
        "weight": consignment.weight,
        "containers": [{"customer_id": c.customer_id, "origin": c.origin, "id": c.id} for c in consignment.containers],
        "vessel_id": consignment.vessel_id,
        "created_at": consignment.created_at,
        # Orders consignments created within the same millisecond.
        "created_ns": time.time_ns(),
        "reference": consignment.reference,
        "voyage": consignment.voyage,
        "vessel_name": consignment.vessel_name,
        "owner": {"name": consignment.owner_name, "email": consignment.owner_email},
        "status": BOOKED,
        "status_seq": 0,
    }
    if consignment.reference is None:
        # A unique sparse index still indexes an explicit null (on MongoDB).
        del document["reference"]
    return document


def from_document(document: dict[str, Any]) -> Consignment:
    """A stored consignment; one stored before references, voyages, owner
    contacts and statuses were reads with ``None`` for them, booked."""
    owner = document.get("owner") or {}
    return Consignment(
        id=document["_id"],
        owner_id=document["owner_id"],
        description=document["description"],
        weight=document["weight"],
        containers=tuple(Container(**container) for container in document["containers"]),
        vessel_id=document["vessel_id"],
        created_at=document["created_at"],
        reference=document.get("reference"),
        voyage=document.get("voyage"),
        vessel_name=document.get("vessel_name"),
        owner_name=owner.get("name"),
        owner_email=owner.get("email"),
        status=document.get("status") or BOOKED,
    )


class ConsignmentRepository:
    """The ``consignments`` collection; which index serves which query:

    - ``_id``: :meth:`get`, :meth:`get_many` (a departure's bookings),
      :meth:`existing_ids` (reconciliation), :meth:`set_status`;
    - ``reference`` (unique; documents without one, stored before references,
      are not indexed: sparse, which FerretDB is implicitly): :meth:`by_reference`,
      and it refuses a second consignment with a reference already taken;
    - ``owner_id, created_ns``: :meth:`owned_by` and :meth:`page` without a status;
    - ``owner_id, status, created_ns``: :meth:`page` with a status;
    - ``outbox_pending, created_ns``: the relay's ``consignment.created`` events (``outbox``).

    ``status``/``status_seq`` on a consignment copy its log's newest
    transition, for listings by status only: the log
    (:class:`TransitionRepository`) is the truth. The copy may lag: it is
    written after the log, an update FerretDB may lose (updates are not
    atomic), and the relay rewrites the same document when it marks its
    ``consignment.created`` event sent. So every read of consignments checks
    them against their logs and repairs a copy that disagrees
    (``services._read``).
    """

    def __init__(self, database: Database) -> None:
        self.consignments = database["consignments"]
        self.checkpoint = ReconcileCheckpoint(database)
        self.transitions = TransitionRepository(database)
        self.voyages = VoyageRepository(database)

    def ensure_indexes(self) -> None:
        self.consignments.create_index([("owner_id", ASCENDING), ("created_ns", DESCENDING)])
        self.consignments.create_index([("owner_id", ASCENDING), ("status", ASCENDING), ("created_ns", DESCENDING)])
        self.consignments.create_index([("outbox_pending", ASCENDING), ("created_ns", ASCENDING)])
        # FerretDB has no partial indexes; sparse it accepts (and is anyway).
        self.consignments.create_index([("reference", ASCENDING)], unique=True, sparse=True)
        self.transitions.ensure_indexes()

    def add(self, consignment: Consignment, event: dict[str, Any]) -> Consignment | None:
        """Store ``consignment`` with ``event`` in its outbox, in one document
        write (a standalone MongoDB has no multi-document transactions), and
        return it as stored (times to the millisecond, as MongoDB keeps them);
        ``None`` if a consignment with its id exists already; ``ReferenceTaken``
        if one with its reference does."""
        stored = replace(consignment, created_at=to_milliseconds(consignment.created_at))
        document = _to_document(stored)
        document["outbox"] = [_as_kept(event, stored)]
        document["outbox_pending"] = True
        try:
            self.consignments.insert_one(document)
        except DuplicateKeyError:
            # The error does not say which index refused it: documents are never
            # deleted, so the id was taken if a consignment has it now.
            if self.consignments.find_one({"_id": consignment.id}, {"_id": 1}) is not None:
                return None
            raise ReferenceTaken(consignment.reference) from None
        return stored

    def get(self, consignment_id: str) -> Consignment | None:
        document = self.consignments.find_one({"_id": consignment_id}, {"outbox": 0})
        return None if document is None else from_document(document)

    def get_many(self, consignment_ids: Sequence[str]) -> list[Consignment]:
        documents = self.consignments.find({"_id": {"$in": list(consignment_ids)}}, {"outbox": 0})
        return [from_document(document) for document in documents]

    def by_reference(self, reference: str) -> Consignment | None:
        document = self.consignments.find_one({"reference": reference}, {"outbox": 0})
        return None if document is None else from_document(document)

    def existing_ids(self, consignment_ids: Sequence[str]) -> set[str]:
        """One look-up by ``_id`` each: FerretDB answers ``$in`` by reading the
        whole collection, once per batch of reconciliation."""
        return {cid for cid in consignment_ids if self.consignments.find_one({"_id": cid}, {"_id": 1}) is not None}

    def owned_by(self, owner_id: str) -> list[Consignment]:
        """The owner's consignments, newest first."""
        query = self.consignments.find({"owner_id": owner_id}, {"outbox": 0}).sort(
            [("created_ns", DESCENDING), ("_id", DESCENDING)]
        )
        return [from_document(document) for document in query]

    def page(self, owner_id: str, status: str | None, after: Position | None, limit: int) -> Page:
        query: dict[str, Any] = {"owner_id": owner_id}
        if status is not None:
            # A consignment stored before statuses were has none: booked.
            query["status"] = {"$in": [BOOKED, None]} if status == BOOKED else status
        if after is not None:
            query["$or"] = [
                {"created_ns": {"$lt": after.created_ns}},
                {"created_ns": after.created_ns, "_id": {"$lt": after.id}},
            ]
        documents = list(
            self.consignments.find(query, {"outbox": 0})
            .sort([("created_ns", DESCENDING), ("_id", DESCENDING)])
            .limit(limit + 1)
        )
        shown = documents[:limit]
        last = shown[-1] if shown else None
        more = len(documents) > limit and last is not None
        return Page(
            items=tuple(from_document(document) for document in shown),
            next=Position(last["created_ns"], last["_id"]) if more and last is not None else None,
        )

    def set_status(self, consignment_id: str, status: str, seq: int) -> None:
        """Copy the log's newest status (of transition ``seq``) onto the
        consignment unless a later one is there. Not atomic on FerretDB, and it
        may undo or be undone by the relay's update of the same document: a
        lost copy is repaired by the next read, a lost "sent" mark publishes
        ``consignment.created`` again, which JetStream and subscribers drop by id."""
        self.consignments.update_one(
            {"_id": consignment_id, "$or": [{"status_seq": {"$lt": seq}}, {"status_seq": {"$exists": False}}]},
            {"$set": {"status": status, "status_seq": seq}},
        )


def _as_kept(event: dict[str, Any], stored: Consignment) -> dict[str, Any]:
    """``consignment.created`` without its data when that is the consignment's own
    fields (``events.created_data``, which the outbox calls to make it whole again).
    The event's data doubled the document, and FerretDB decodes a whole document for
    every update and read of it: the relay's update after publishing it cost 0.15 ms
    of CPU more, an insert 0.1 ms (README, Performance, change 27)."""
    if event.get("type") == CONSIGNMENT_CREATED and event.get("data") == created_data(stored):
        return {key: value for key, value in event.items() if key != "data"}
    return event


def transition_id(consignment_id: str, seq: int) -> str:
    """A log entry's ``_id``: unique per (consignment, seq), so one writer of each ``seq`` wins.
    (``<id>:<6 digits>`` of two consignments never meet: the suffix has a fixed length.)"""
    return f"{consignment_id}:{seq:06d}"


def _transition_from(document: dict[str, Any]) -> Transition:
    return Transition(
        consignment_id=document["consignment_id"],
        owner_id=document["owner_id"],
        seq=document["seq"],
        old_status=document["old_status"],
        new_status=document["new_status"],
        at=document["at"],
        by=document["by"],
    )


class TransitionRepository:
    """The ``consignment_transitions`` collection: every consignment's log,
    insert-only, each entry with the event it makes (``event``,
    ``outbox_pending``) for the relay, the only one to update an entry. Indexes:

    - ``_id`` (``<consignment id>:<seq>``): arbitrates concurrent writers of one ``seq``;
    - ``consignment_id, seq``: :meth:`of`, :meth:`of_many` (``$in``, one query per page);
    - ``event_id`` (unique): the relay marks an event sent or parks it by its id;
    - ``outbox_pending, created_ns``: the relay's pending transition events, oldest first.
    """

    def __init__(self, database: Database) -> None:
        self.entries = database["consignment_transitions"]

    def ensure_indexes(self) -> None:
        self.entries.create_index([("consignment_id", ASCENDING), ("seq", ASCENDING)])
        self.entries.create_index([("event_id", ASCENDING)], unique=True)
        self.entries.create_index([("outbox_pending", ASCENDING), ("created_ns", ASCENDING)])

    def of(self, consignment_id: str) -> list[Transition]:
        documents = self.entries.find({"consignment_id": consignment_id}, {"event": 0}).sort("seq", ASCENDING)
        return [_transition_from(document) for document in documents]

    def of_many(self, consignment_ids: Sequence[str]) -> dict[str, list[Transition]]:
        """Up to :data:`QUERIES_PER_READ` consignments (a default page, a single
        one): one indexed query each. More (``get_consignments`` of a big
        customer): one ``$in`` query, for which FerretDB uses no index and reads
        every transition stored, still cheaper than thousands of round trips."""
        wanted = list(dict.fromkeys(consignment_ids))
        if len(wanted) <= QUERIES_PER_READ:
            logs = {consignment_id: self.of(consignment_id) for consignment_id in wanted}
            return {consignment_id: entries for consignment_id, entries in logs.items() if entries}
        found: dict[str, list[Transition]] = {}
        for document in self.entries.find({"consignment_id": {"$in": wanted}}, {"event": 0}):
            found.setdefault(document["consignment_id"], []).append(_transition_from(document))
        for entries in found.values():
            entries.sort(key=lambda transition: transition.seq)
        return found

    def append(self, transition: Transition, event: dict[str, Any]) -> bool:
        document = {
            "_id": transition_id(transition.consignment_id, transition.seq),
            "consignment_id": transition.consignment_id,
            "owner_id": transition.owner_id,
            "seq": transition.seq,
            "old_status": transition.old_status,
            "new_status": transition.new_status,
            "at": transition.at,
            "by": transition.by,
            "event_id": event["id"],
            "event": event,
            "outbox_pending": True,
            "created_ns": time.time_ns(),
        }
        try:
            self.entries.insert_one(document)
        except DuplicateKeyError:
            return False
        return True


#: The most consignments whose transitions ``of_many`` reads with a query each.
QUERIES_PER_READ = 50


def voyage_change_id(vessel_id: str, voyage: int, status: str) -> str:
    return f"{vessel_id}/{voyage}/{status}"


class VoyageRepository:
    """The ``consignment_voyages`` collection: the voyage changes
    ``depart_vessel``/``arrive_vessel`` saw, insert-only, by ``_id``
    ``<vessel>/<voyage>/<departed|arrived>`` (the only index, all queries use it).
    Not ``voyages``: vessel_service shares the database in tests."""

    def __init__(self, database: Database) -> None:
        self.changes = database["consignment_voyages"]

    def record(self, change: VoyageChange) -> None:
        document = {
            "_id": voyage_change_id(change.vessel_id, change.voyage, change.status),
            "vessel_id": change.vessel_id,
            "vessel_name": change.vessel_name,
            "voyage": change.voyage,
            "status": change.status,
            "at": change.at,
            "by": change.by,
        }
        # Recorded already by an earlier attempt: vessel_service answers a retry the same.
        with contextlib.suppress(DuplicateKeyError):
            self.changes.insert_one(document)

    def of(self, vessel_id: str, voyage: int) -> list[VoyageChange]:
        """One look-up by ``_id`` for a voyage that has not departed (the
        common case), two for one that has. Not one ``$in`` query: FerretDB
        does not use an index for ``$in``, and would read every voyage change."""
        changes = []
        for status in ("departed", "arrived"):
            document = self.changes.find_one({"_id": voyage_change_id(vessel_id, voyage, status)})
            if document is None:
                break
            changes.append(_voyage_change_from(document))
        return changes


def _voyage_change_from(document: dict[str, Any]) -> VoyageChange:
    return VoyageChange(
        vessel_id=document["vessel_id"],
        vessel_name=document["vessel_name"],
        voyage=document["voyage"],
        status=document["status"],
        at=document["at"],
        by=document["by"],
    )


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
