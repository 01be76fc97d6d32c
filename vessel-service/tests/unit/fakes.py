"""In-memory fakes of vessel_service's ports that behave like the store:
an append fails when its sequence number or its key is already taken."""

from dataclasses import replace

from shippy_common.errors import AlreadyExists
from vessel_service.domain import EntryKind, LedgerEntry, Load, voyage_change_key
from vessel_service.services import Turn


class InMemoryFleet:
    def __init__(self, *vessels):
        self.vessels = {v.id: v for v in vessels}

    def candidates(self, load, fresh=False):
        return list(self.vessels.values())

    def get(self, vessel_id):
        return self.vessels.get(vessel_id)

    def add(self, vessel):
        if vessel.id in self.vessels:
            raise AlreadyExists(f"vessel {vessel.id} already exists")
        self.vessels[vessel.id] = vessel
        return vessel

    def withdraw(self, vessel_id):
        self.vessels[vessel_id] = replace(self.vessels[vessel_id], available=False)

    def page(self, after, limit):
        ordered = sorted(self.vessels.values(), key=lambda v: v.id)
        return [v for v in ordered if after is None or v.id > after][:limit]


class InMemoryLedger:
    def __init__(self):
        self.entries = {}  # (vessel_id, seq) -> LedgerEntry
        self.lose_next_race = False
        #: Run once, just before the next append other than an opening: a rival
        #: writer that read the same newest entry and wrote first. It is
        #: another process's: it takes turns of its own (``writing``).
        self.before_next_append = None
        #: Run once, during the next append other than an opening: what other
        #: bookings of this process do meanwhile.
        self.while_next_append = None
        self.turns = {}
        #: How many entries each append wrote or tried to.
        self.appends = []

    def keys(self):
        return {entry.key for entry in self.entries.values()}

    def latest_for(self, booking_id):
        mine = [e for e in self.entries.values() if e.booking_id == booking_id and e.kind is not EntryKind.OPENING]
        return max(mine, key=lambda e: e.allocation.seq) if mine else None

    def newest(self, vessel):
        mine = [e for (vid, _), e in self.entries.items() if vid == vessel.id]
        if mine:
            return max(mine, key=lambda e: e.allocation.seq).allocation
        opening = LedgerEntry.opening(vessel)
        self.append(opening)
        return opening.allocation

    def writing(self, vessel_id):
        return self.turns.setdefault(vessel_id, Turn())

    def head(self, vessel):
        return self.newest(vessel)

    def append(self, entry):
        self.appends.append(1)
        return self._append(entry)

    def _append(self, entry):
        position = (entry.vessel_id, entry.allocation.seq)
        if self.before_next_append is not None and entry.kind is not EntryKind.OPENING:
            rival, self.before_next_append = self.before_next_append, None
            turns, self.turns = self.turns, {}
            try:
                rival()
            finally:
                self.turns = turns
        if self.while_next_append is not None and entry.kind is not EntryKind.OPENING:
            meanwhile, self.while_next_append = self.while_next_append, None
            meanwhile()
        if self.lose_next_race and entry.kind is not EntryKind.OPENING:  # a rival took this sequence number first
            self.lose_next_race = False
            previous = self.entries[(entry.vessel_id, entry.allocation.seq - 1)].allocation
            load = entry.load or Load(1, 1)
            self.entries[position] = LedgerEntry(previous.after(load), EntryKind.BOOKING, "rival", 1, load)
            return False
        if position in self.entries or entry.key in self.keys():
            return False
        self.entries[position] = entry
        return True

    def append_all(self, entries):
        self.appends.append(len(entries))
        for written, entry in enumerate(entries):
            if not self._append(entry):
                return written
        return len(entries)

    def bookings_between(self, since, until, limit):
        found = [e for e in self.entries.values() if e.kind is EntryKind.BOOKING and since <= e.at < until]
        return sorted(found, key=lambda e: e.at)[:limit]

    def voyage_entries(self, vessel_id, voyage, through_seq):
        found = [
            e
            for (vid, seq), e in self.entries.items()
            if vid == vessel_id
            and e.allocation.voyage == voyage
            and seq <= through_seq
            and e.kind in (EntryKind.BOOKING, EntryKind.RELEASE)
        ]
        return sorted(found, key=lambda e: e.allocation.seq)

    def voyage_change(self, vessel_id, kind, voyage):
        key = voyage_change_key(kind, vessel_id, voyage)
        return next((e for e in self.entries.values() if e.key == key), None)
