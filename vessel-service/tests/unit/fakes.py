"""In-memory fakes of vessel_service's ports that behave like the store:
an append fails when its sequence number or its key is already taken."""

from shippy_common.errors import AlreadyExists
from vessel_service.domain import EntryKind, LedgerEntry


class InMemoryFleet:
    def __init__(self, *vessels):
        self.vessels = {v.id: v for v in vessels}

    def candidates(self, load):
        return list(self.vessels.values())

    def get(self, vessel_id):
        return self.vessels.get(vessel_id)

    def add(self, vessel):
        if vessel.id in self.vessels:
            raise AlreadyExists(f"vessel {vessel.id} already exists")
        self.vessels[vessel.id] = vessel
        return vessel


class InMemoryLedger:
    def __init__(self):
        self.entries = {}  # (vessel_id, seq) -> LedgerEntry
        self.lose_next_race = False

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

    def append(self, entry):
        position = (entry.vessel_id, entry.allocation.seq)
        if self.lose_next_race and entry.kind is not EntryKind.OPENING:  # a rival took this sequence number first
            self.lose_next_race = False
            previous = self.entries[(entry.vessel_id, entry.allocation.seq - 1)].allocation
            rival = LedgerEntry(previous.after(entry.load), EntryKind.BOOKING, "rival", 1, entry.load)
            self.entries[position] = rival
            return False
        if position in self.entries or entry.key in self.keys():
            return False
        self.entries[position] = entry
        return True

    def bookings_between(self, since, until, limit):
        found = [e for e in self.entries.values() if e.kind is EntryKind.BOOKING and since <= e.at < until]
        return sorted(found, key=lambda e: e.at)[:limit]
