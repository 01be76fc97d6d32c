"""Vessels in MongoDB."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.database import Database
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from shippy_common.errors import AlreadyExists
from shippy_common.times import as_utc
from vessel_service.domain import (
    FIRST_GENERATION,
    FIRST_VOYAGE,
    VOYAGE_CHANGES,
    Allocation,
    EntryKind,
    LedgerEntry,
    Load,
    Vessel,
    VesselStatus,
    voyage_change_key,
)
from vessel_service.services import Turn

log = logging.getLogger("vessel_service.ledger")


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


class KnownFleet:
    """The available fleet as this process last read it, shared by its workers.

    Without it every booking reads the candidate vessels: one MongoDB round
    trip of five, for a list that changes only when an admin adds or retires a
    vessel. What this process adds or withdraws it forgets at once; another
    process's change is seen within ``max_age`` seconds. A stale list can cost
    a booking its best fit, never its correctness: room is the ledger's, whose
    unique keys decide, a retired vessel's ledger takes nothing, and a refusal
    is made on the fleet as stored (``services.book`` reads it ``fresh``).
    A fleet of more than ``limit`` available vessels is not kept: each booking
    then asks MongoDB for the few that fit."""

    def __init__(self, max_age: float = 1.0, limit: int = 1000, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age, self.limit, self.clock = max_age, limit, clock
        self._vessels: list[Vessel] | None = None
        self._read_at = 0.0
        self._forgets = 0

    def vessels(self) -> list[Vessel] | None:
        """The available vessels, smallest first, if read less than ``max_age`` ago."""
        if self._vessels is None or self.clock() - self._read_at >= self.max_age:
            return None
        return self._vessels

    def reading(self) -> tuple[float, int]:
        """Taken before a read of the fleet, and given back to :meth:`read` with what it found."""
        return self.clock(), self._forgets

    def read(self, vessels: list[Vessel], began: tuple[float, int]) -> None:
        """Keep ``vessels`` (every available vessel), unless this process
        changed the fleet while they were being read."""
        at, forgets = began
        if forgets == self._forgets:
            self._vessels, self._read_at = vessels, at

    def forget(self) -> None:
        self._vessels = None
        self._forgets += 1


class VesselRepository:
    def __init__(self, database: Database, turns: LedgerTurns | None = None, known: KnownFleet | None = None) -> None:
        self.vessels = database["vessels"]
        self.ledger = VesselLedger(database, turns)
        self.known = KnownFleet() if known is None else known

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
        finally:
            self.known.forget()
        return vessel

    def seed(self, fleet: Iterable[Vessel]) -> None:
        """Add each vessel that is not there yet; never overwrite one that is."""
        for vessel in fleet:
            with contextlib.suppress(DuplicateKeyError):
                self.vessels.insert_one(_to_document(vessel))
        self.known.forget()

    def candidates(self, load: Load, fresh: bool = False) -> list[Vessel]:
        """Vessels that may carry ``load`` (the domain makes the final
        choice), from the fleet this process read less than a second ago
        unless ``fresh`` (:class:`KnownFleet`)."""
        available = None if fresh else self.known.vessels()
        if available is None:
            began = self.known.reading()
            documents = self.vessels.find({"available": True}).sort("capacity", ASCENDING).limit(self.known.limit + 1)
            available = [_from_document(document) for document in documents]
            if len(available) > self.known.limit:
                self.known.forget()
                query = {"available": True, "capacity": {"$gte": load.containers}, "max_weight": {"$gte": load.weight}}
                return [_from_document(d) for d in self.vessels.find(query).sort("capacity", ASCENDING).limit(100)]
            self.known.read(available, began)
        return [vessel for vessel in available if vessel.can_carry(load)]

    def withdraw(self, vessel_id: str) -> None:
        """Only retirement writes a stored vessel, and always the same value: no lost update to fear."""
        self.vessels.update_one({"_id": vessel_id}, {"$set": {"available": False}})
        self.known.forget()

    def page(self, after: str | None, limit: int) -> list[Vessel]:
        """Vessels by id after ``after`` (the ``_id`` index)."""
        query = {} if after is None else {"_id": {"$gt": after}}
        return [_from_document(document) for document in self.vessels.find(query).sort("_id", ASCENDING).limit(limit)]


class LedgerTurns:
    """What the ledger writers of one process share: a turn per vessel, and
    the vessel's newest entry as last written or read here.

    Without turns, bookings made at once for one vessel all read the same
    newest entry and race for the next sequence number: one wins, the others
    read again, and a hot vessel spends its time on losers (15 of 16 at
    concurrency 16). Taking turns leaves only writers of other processes to
    race with, and the remembered entry saves the read before each write; the
    unique keys stay what guarantees that no vessel is overbooked.

    A remembered entry serves as a vessel's head for ``max_age`` seconds: a
    full or departed vessel is then passed over without a read, and a room
    another process gave back on it is seen within that time (or at once by
    a booking about to be refused, which reads what is stored).
    """

    def __init__(self, max_age: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age, self.clock = max_age, clock
        self._turns: dict[str, Turn] = {}
        self._newest: dict[str, tuple[Allocation, float]] = {}

    def turn(self, vessel_id: str) -> Turn:
        return self._turns.setdefault(vessel_id, Turn())

    def newest(self, vessel_id: str) -> Allocation | None:
        known = self._newest.get(vessel_id)
        return None if known is None else known[0]

    def recent(self, vessel_id: str) -> Allocation | None:
        """The newest entry, if written or read here less than ``max_age`` ago."""
        known = self._newest.get(vessel_id)
        return None if known is None or self.clock() - known[1] >= self.max_age else known[0]

    def saw(self, allocation: Allocation) -> None:
        known = self.newest(allocation.vessel_id)
        if known is None or allocation.seq >= known.seq:
            self._newest[allocation.vessel_id] = (allocation, self.clock())

    def lost(self, vessel_id: str) -> None:
        """An append failed: what is remembered may be stale."""
        self._newest.pop(vessel_id, None)


class VesselLedger:
    """Each vessel's ledger (see ``services``) in one collection.

    An entry's ``_id`` is ``<vessel id>:<sequence number>``, so two writers of
    the same next entry collide on the primary key; its ``key`` (kind,
    generation, booking id; kind, vessel, voyage) is unique too, so a booking,
    a release, a departure or an arrival is written once whatever the concurrency.

    Entries a release before voyages wrote have no ``voyage`` nor ``status``:
    they are read as voyage 1, open (no vessel had departed then).
    """

    def __init__(self, database: Database, turns: LedgerTurns | None = None) -> None:
        self.entries = database["vessel_ledger"]
        #: One document per upgrade or fact recorded once per ledger, by ``_id``.
        self.upgrades = database["ledger_upgrades"]
        self.turns = LedgerTurns() if turns is None else turns

    def ensure_indexes(self) -> None:
        """Upgrade a previous release's ledger (:meth:`migrate_legacy_entries`),
        then create the indexes, which that ledger would make fail."""
        self.migrate_legacy_entries()
        self.entries.create_index([("key", ASCENDING)], unique=True)
        self.entries.create_index([("booking_id", ASCENDING), ("seq", DESCENDING)])
        self.entries.create_index([("minute", ASCENDING), ("at", ASCENDING), ("_id", ASCENDING)])
        self.add_booking_minutes()
        self.entries.create_index([("vessel_id", ASCENDING), ("voyage", ASCENDING), ("seq", ASCENDING)])
        self.entries.create_index([("outbox_pending", ASCENDING), ("at", ASCENDING), ("_id", ASCENDING)])
        self.record_bookings_since()

    def record_bookings_since(self, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        """Record, once per ledger (a ``ledger_upgrades`` document), the time
        before which it has no booking: when a service first finds it without
        any, a few minutes before then (``BOOKINGS_SINCE_MARGIN``, for the clocks
        of other machines); ``None`` (unknown) for a ledger that had bookings then.
        :meth:`bookings_between` reads no minute before it: the first
        reconciliation of a new store asks for a day, one query a minute (1,440,
        about 1.5 CPU-s on an idle machine, seconds on a loaded one)."""
        if self.upgrades.find_one({"_id": BOOKINGS_SINCE}) is not None:
            return
        since: datetime | None = now() - BOOKINGS_SINCE_MARGIN  # taken before looking: a later booking is later
        if self.entries.find_one({"kind": str(EntryKind.BOOKING)}, {"_id": 1}) is not None:
            since = None
        with contextlib.suppress(DuplicateKeyError):  # another instance recorded it first
            self.upgrades.insert_one({"_id": BOOKINGS_SINCE, "at": since})

    def bookings_since(self) -> datetime | None:
        """No booking of this ledger is older (:meth:`record_bookings_since`); ``None``: unknown."""
        recorded = self.upgrades.find_one({"_id": BOOKINGS_SINCE})
        return None if recorded is None else _utc(recorded.get("at"))

    def migrate_legacy_entries(self, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> int:
        """Upgrade in place the entries the previous release wrote; the number
        this call upgraded. Idempotent, and safe for instances that start at once.

        That release kept ``booking_id`` unique (index ``booking_id_1``), which
        would refuse every release entry: the index goes first. Its entries have
        no ``kind`` (nor ``key``, ``generation``, ``at``, ``containers``,
        ``weight``); each becomes what this release writes (see
        :func:`legacy_entry`), with a conditional update that only touches an
        entry still without ``kind``, so two instances never upgrade one twice.

        The booking time of a legacy entry is unknown: its ``at`` is the time of
        this migration, a millisecond more for each booking, so that no two share
        an instant (reconciliation pages through bookings by ``at``, and would
        skip part of a full page made at one instant).
        """
        self._drop_legacy_booking_index()
        started = now()
        migrated = bookings = 0
        previous: dict[str, Any] | None = None
        legacy = self.entries.find({"kind": {"$exists": False}}).sort([("vessel_id", ASCENDING), ("seq", ASCENDING)])
        for document in legacy:
            if _is_legacy_opening(document):
                entry = legacy_entry(document, None, started)
            else:
                previous_id = _entry_id(document["vessel_id"], document["seq"] - 1)
                if previous is None or previous["_id"] != previous_id:
                    previous = self.entries.find_one({"_id": previous_id})
                if previous is None:
                    log.error("legacy ledger entry %s left as it is: the entry before it is missing", document["_id"])
                    previous = document
                    continue
                entry = legacy_entry(document, previous, started + timedelta(milliseconds=bookings))
                bookings += 1
            upgrade = legacy_upgrade(entry)
            result = self.entries.update_one({"_id": document["_id"], "kind": {"$exists": False}}, upgrade)
            migrated += result.modified_count
            previous = document
        log.info("migrated %d legacy ledger entries", migrated)
        return migrated

    def add_booking_minutes(self) -> int:
        """Give each booking entry written before bookings carried their
        ``minute`` (:func:`booking_minute`) its own, once per ledger (a
        ``ledger_upgrades`` document records it); the number this call changed.
        Until then :meth:`bookings_between` would not see those bookings."""
        if self.upgrades.find_one({"_id": BOOKING_MINUTES}) is not None:
            return 0
        changed = 0
        for document in self.entries.find({"kind": str(EntryKind.BOOKING), "minute": {"$exists": False}}, {"at": 1}):
            at = _utc(document.get("at"))
            if at is not None:
                update = {"$set": {"minute": booking_minute(at)}}
                changed += self.entries.update_one(
                    {"_id": document["_id"], "minute": {"$exists": False}}, update
                ).modified_count
        self.upgrades.update_one({"_id": BOOKING_MINUTES}, {"$set": {"at": datetime.now(UTC)}}, upsert=True)
        with contextlib.suppress(OperationFailure):  # another instance dropped it meanwhile
            if PREVIOUS_BOOKINGS_INDEX in self.entries.index_information():
                self.entries.drop_index(PREVIOUS_BOOKINGS_INDEX)
        if changed:
            log.info("gave %d booking entries their minute", changed)
        return changed

    def _drop_legacy_booking_index(self) -> None:
        index = self.entries.index_information().get(LEGACY_BOOKING_INDEX)
        if index is None or not index.get("unique"):
            return
        try:
            self.entries.drop_index(LEGACY_BOOKING_INDEX)
        except OperationFailure:
            if LEGACY_BOOKING_INDEX in self.entries.index_information():
                raise
            return  # another instance dropped it meanwhile
        log.info("dropped the previous release's unique index %s", LEGACY_BOOKING_INDEX)

    def latest_for(self, booking_id: str) -> LedgerEntry | None:
        """Served by the index on ``booking_id``, ``seq``."""
        for document in self.entries.find({"booking_id": booking_id}).sort("seq", DESCENDING).limit(1):
            return _entry_from_document(document)
        return None

    def newest(self, vessel: Vessel) -> Allocation:
        """Found by ``_id`` (``<vessel id>:<seq>``; sequence numbers have no
        gaps): from the entry this process saw last, one look-up when nothing
        was written since; else by doubling the step, then halving it. A query
        sorted by ``seq`` would do in one round trip on MongoDB, but FerretDB
        sorts in its own memory, after reading every entry of the vessel."""
        known = self.turns.newest(vessel.id)
        if known is None:
            first = self._entry_at(vessel.id, 0)
            if first is None:
                opening = LedgerEntry.opening(vessel)
                self.append(opening)
                return opening.allocation
            known = _entry_from_document(first).allocation
        found, low, step = None, known.seq, 1
        while (document := self._entry_at(vessel.id, low + step)) is not None:
            found, low, step = document, low + step, step * 2
        high = low + step
        while high - low > 1:
            middle = (low + high) // 2
            if (document := self._entry_at(vessel.id, middle)) is not None:
                found, low = document, middle
            else:
                high = middle
        allocation = known if found is None else _entry_from_document(found).allocation
        self.turns.saw(allocation)
        return allocation

    def _entry_at(self, vessel_id: str, seq: int) -> dict[str, Any] | None:
        return self.entries.find_one({"_id": _entry_id(vessel_id, seq)})

    def writing(self, vessel_id: str) -> Turn:
        return self.turns.turn(vessel_id)

    def head(self, vessel: Vessel) -> Allocation:
        known = self.turns.recent(vessel.id)
        return self.newest(vessel) if known is None else known

    def append(self, entry: LedgerEntry) -> bool:
        return self.append_all([entry]) == 1

    def append_all(self, entries: Sequence[LedgerEntry]) -> int:
        """One ordered insert: the store writes the entries in order and stops
        at the first refused, naming its index. FerretDB keeps these
        semantics of MongoDB's (``test_ledger_turns`` checks it)."""
        if not entries:
            return 0
        try:
            self.entries.insert_many([_entry_to_document(entry) for entry in entries], ordered=True)
        except BulkWriteError as error:
            refused = error.details["writeErrors"][0]
            if refused.get("code") != DUPLICATE_KEY:
                raise
            self.turns.lost(entries[0].vessel_id)
            return int(refused["index"])
        self.turns.saw(entries[-1].allocation)
        return len(entries)

    def bookings_between(self, since: datetime, until: datetime, limit: int) -> list[LedgerEntry]:
        """One query per minute of the window (none before :meth:`bookings_since`),
        each served by the index on ``minute``, ``at``, ``_id``: FerretDB sends only equality filters to
        PostgreSQL, so a query on a range of ``at`` alone would read every
        booking ever made (seconds, and a timed-out reconciliation, at 100,000)."""
        found: list[LedgerEntry] = []
        first = self.bookings_since()
        if first is not None:
            since = max(since, first)
        minute = since.replace(second=0, microsecond=0)
        while minute < until and len(found) < limit:
            query = {"minute": booking_minute(minute), "at": {"$gte": since, "$lt": until}}
            documents = self.entries.find(query).sort([("at", ASCENDING), ("_id", ASCENDING)])
            found.extend(_entry_from_document(document) for document in documents.limit(limit - len(found)))
            minute += timedelta(minutes=1)
        return found

    def voyage_entries(self, vessel_id: str, voyage: int, through_seq: int) -> Sequence[LedgerEntry]:
        """Served by the index on ``vessel_id``, ``voyage``, ``seq``. Voyage 1
        includes the entries written before voyages (no ``voyage`` field)."""
        query = {
            "vessel_id": vessel_id,
            "voyage": {"$in": [voyage, None]} if voyage == FIRST_VOYAGE else voyage,
            "seq": {"$lte": through_seq},
            "kind": {"$in": [str(EntryKind.BOOKING), str(EntryKind.RELEASE)]},
        }
        return [_entry_from_document(document) for document in self.entries.find(query).sort("seq", ASCENDING)]

    def voyage_change(self, vessel_id: str, kind: EntryKind, voyage: int) -> LedgerEntry | None:
        """Served by the unique index on ``key``."""
        document = self.entries.find_one({"key": voyage_change_key(kind, vessel_id, voyage)})
        return None if document is None else _entry_from_document(document)


#: MongoDB's error code for a write refused by a unique index.
DUPLICATE_KEY = 11000
#: The previous release's unique index on ``booking_id``.
LEGACY_BOOKING_INDEX = "booking_id_1"
#: The index reconciliation's query used before bookings carried their minute.
PREVIOUS_BOOKINGS_INDEX = "kind_1_at_1"
#: The ``ledger_upgrades`` document of :meth:`VesselLedger.add_booking_minutes`.
BOOKING_MINUTES = "booking minutes"
#: The ``ledger_upgrades`` document of :meth:`VesselLedger.record_bookings_since`.
BOOKINGS_SINCE = "bookings since"
BOOKINGS_SINCE_MARGIN = timedelta(minutes=5)


def booking_minute(at: datetime) -> str:
    """The UTC minute of a booking, ``2026-12-04T09:53``: what reconciliation's
    look-up by time window matches on (:meth:`VesselLedger.bookings_between`)."""
    return as_utc(at).astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _entry_id(vessel_id: str, seq: int) -> str:
    return f"{vessel_id}:{seq:012d}"


def _is_legacy_opening(document: dict[str, Any]) -> bool:
    """The previous release opened a vessel's ledger with booking id ``opening:<vessel id>``
    at sequence number 0 (a client's booking id may look the same, never at 0)."""
    return document["seq"] == 0 and document.get("booking_id") == f"opening:{document['vessel_id']}"


def legacy_entry(document: dict[str, Any], previous: dict[str, Any] | None, at: datetime) -> LedgerEntry:
    """The entry a previous release's ledger ``document`` stands for.

    That release wrote only openings and bookings, and kept neither the load
    of a booking nor when it was made. The load is the room the booking took:
    what was left after ``previous`` (the vessel's entry before it) minus what
    is left after it. ``at`` stands for the unknown booking time: the
    migration's, so reconciliation (which releases a booking older than its
    grace period only if no consignment with its id is stored) gives every
    legacy booking a full grace period from the upgrade before it looks at it.
    Its generation is 1, a first booking's, which ``release`` accepts.
    """
    allocation = Allocation(
        vessel_id=document["vessel_id"],
        seq=document["seq"],
        containers_left=document["containers_left"],
        weight_left=document["weight_left"],
    )
    if _is_legacy_opening(document):
        return LedgerEntry(allocation, EntryKind.OPENING)
    if previous is None:
        raise ValueError(f"legacy booking entry {document['_id']} needs the entry before it")
    load = Load(
        containers=previous["containers_left"] - allocation.containers_left,
        weight=previous["weight_left"] - allocation.weight_left,
    )
    return LedgerEntry(allocation, EntryKind.BOOKING, document["booking_id"], FIRST_GENERATION, load, at)


def legacy_upgrade(entry: LedgerEntry) -> dict[str, Any]:
    """The update that turns a legacy document into ``entry`` as this release stores it."""
    fields = _entry_to_document(entry)
    del fields["_id"]
    update: dict[str, Any] = {"$set": fields}
    if "booking_id" not in fields:
        update["$unset"] = {"booking_id": ""}
    return update


def _entry_to_document(entry: LedgerEntry) -> dict[str, Any]:
    """A departure or an arrival carries its event, pending for the outbox relay
    (``outbox.VesselOutbox``): written with the entry, so recorded exactly when it is."""
    allocation = entry.allocation
    document: dict[str, Any] = {
        "_id": _entry_id(allocation.vessel_id, allocation.seq),
        "key": entry.key,
        "kind": str(entry.kind),
        "vessel_id": allocation.vessel_id,
        "seq": allocation.seq,
        "containers_left": allocation.containers_left,
        "weight_left": allocation.weight_left,
        "voyage": allocation.voyage,
        "status": str(allocation.status),
    }
    if entry.kind in VOYAGE_CHANGES:
        document.update(at=entry.at, by=entry.by)
    elif entry.kind is not EntryKind.OPENING:
        document.update(booking_id=entry.booking_id, generation=entry.generation, at=entry.at)
        if entry.kind is EntryKind.BOOKING and entry.at is not None:
            document.update(minute=booking_minute(entry.at))
    if entry.load is not None:
        document.update(containers=entry.load.containers, weight=entry.load.weight)
    if entry.event is not None:
        document.update(event=entry.event, outbox_pending=True)
    return document


def _entry_from_document(document: dict[str, Any]) -> LedgerEntry:
    load = Load(document["containers"], document["weight"]) if "containers" in document else None
    return LedgerEntry(
        allocation=Allocation(
            vessel_id=document["vessel_id"],
            seq=document["seq"],
            containers_left=document["containers_left"],
            weight_left=document["weight_left"],
            voyage=document.get("voyage", FIRST_VOYAGE),
            status=VesselStatus(document.get("status", VesselStatus.OPEN)),
        ),
        kind=EntryKind(document["kind"]),
        booking_id=document.get("booking_id"),
        generation=document.get("generation", 0),
        load=load,
        at=_utc(document.get("at")),
        by=document.get("by"),
        event=document.get("event"),
    )


def _utc(moment: datetime | None) -> datetime | None:
    """As stored (UTC), whether or not the client reading it is ``tz_aware``."""
    return None if moment is None else as_utc(moment)
