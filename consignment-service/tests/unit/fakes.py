"""In-memory fakes of consignment_service's ports."""

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from consignment_service.domain import BOOKED, BookedVessel, Page, Position, ReferenceTaken, Reservation, VoyageChange
from shippy_common.errors import (
    AlreadyExists,
    BookingReleased,
    InvalidTransition,
    NotFound,
    NoVesselAvailable,
    ValidationError,
)


class InMemoryConsignments:
    """Keeps each consignment as stored (booked) and, apart, the stored copy
    of its status: ``lose_status_updates`` makes ``set_status`` lose its
    writes, as FerretDB may."""

    def __init__(self):
        self.stored = {}  # id -> (consignment, event)
        self.order = {}  # id -> created_ns
        self.statuses = {}  # id -> (status, seq)
        self.fail_next_add = False
        self.lose_status_updates = False
        self._ns = itertools.count(1)
        # As ConsignmentRepository's.
        self.transitions = InMemoryTransitions()
        self.voyages = InMemoryVoyages()

    def add(self, consignment, event):
        if self.fail_next_add:
            self.fail_next_add = False
            raise ConnectionError("the store went away")
        if consignment.id in self.stored:
            return None
        if any(c.reference == consignment.reference for c, _ in self.stored.values()):
            raise ReferenceTaken(consignment.reference)
        self.stored[consignment.id] = (consignment, event)
        self.order[consignment.id] = next(self._ns)
        self.statuses[consignment.id] = (BOOKED, 0)
        return consignment

    def _as_stored(self, consignment_id):
        consignment = self.stored[consignment_id][0]
        return replace(consignment, status=self.statuses.get(consignment_id, (BOOKED, 0))[0])

    def get(self, consignment_id):
        return self._as_stored(consignment_id) if consignment_id in self.stored else None

    def get_many(self, consignment_ids):
        return [self._as_stored(i) for i in consignment_ids if i in self.stored]

    def by_reference(self, reference):
        found = [i for i, (c, _) in self.stored.items() if c.reference == reference]
        return self._as_stored(found[0]) if found else None

    def _newest_first(self, owner_id):
        mine = [i for i, (c, _) in self.stored.items() if c.owner_id == owner_id]
        return sorted(mine, key=lambda i: (self.order[i], i), reverse=True)

    def owned_by(self, owner_id):
        return [self._as_stored(i) for i in self._newest_first(owner_id)]

    def page(self, owner_id, status, after, limit):
        ids = self._newest_first(owner_id)
        if status is not None:
            ids = [i for i in ids if self.statuses[i][0] == status]
        if after is not None:
            ids = [i for i in ids if (self.order[i], i) < (after.created_ns, after.id)]
        shown = ids[:limit]
        more = len(ids) > limit
        last = shown[-1] if shown else None
        return Page(
            items=tuple(self._as_stored(i) for i in shown),
            next=Position(self.order[last], last) if more else None,
        )

    def existing_ids(self, consignment_ids):
        return {i for i in consignment_ids if i in self.stored}

    def set_status(self, consignment_id, status, seq):
        if self.lose_status_updates:
            return
        if self.statuses.get(consignment_id, (BOOKED, 0))[1] < seq:
            self.statuses[consignment_id] = (status, seq)


class InMemoryTransitions:
    """Transition logs; ``before_append`` (a callable) runs before each append,
    to play a concurrent writer."""

    def __init__(self):
        self.entries = {}  # (consignment_id, seq) -> (transition, event)
        self.before_append = None

    def of(self, consignment_id):
        found = [t for (i, _), (t, _) in self.entries.items() if i == consignment_id]
        return sorted(found, key=lambda t: t.seq)

    def of_many(self, consignment_ids):
        logs = {}
        for consignment_id in consignment_ids:
            found = self.of(consignment_id)
            if found:
                logs[consignment_id] = found
        return logs

    def append(self, transition, event):
        if self.before_append is not None:
            hook, self.before_append = self.before_append, None
            hook()
        key = (transition.consignment_id, transition.seq)
        if key in self.entries:
            return False
        self.entries[key] = (transition, event)
        return True

    def events(self, consignment_id=None):
        return [e for (i, _), (_, e) in sorted(self.entries.items()) if consignment_id in (None, i)]


class InMemoryVoyages:
    def __init__(self):
        self.changes = {}  # (vessel_id, voyage, status) -> VoyageChange

    def record(self, change):
        self.changes.setdefault((change.vessel_id, change.voyage, change.status), replace(change, booking_ids=()))

    def of(self, vessel_id, voyage):
        return [c for (v, n, _), c in self.changes.items() if (v, n) == (vessel_id, voyage)]


class InMemoryVessels:
    """A one-vessel fleet ("v1") with ``room`` containers, booking and sailing
    as vessel_service's contract says: a booking goes onto the open voyage; a
    release of a booking whose voyage departed is ``InvalidTransition``; depart
    and arrive answer the voyage change with its live bookings, and a retry the same."""

    def __init__(self, room=10, clock=None):
        self.capacity = self.room = room
        self.clock = clock
        self.voyage = 1
        self.at_sea = False
        self.last_change = None
        self.bookings = {}  # booking_id -> [generation, containers, weight, at, released, voyage]
        self.calls = 0
        self.releases = 0

    def book(self, booking_id, containers, weight, again=True):
        self.calls += 1
        held = self.bookings.get(booking_id)
        if held is not None and held[4] and not again:
            raise BookingReleased(f"the room of booking {booking_id} was given back")
        if held is not None and not held[4]:
            if (held[1], held[2]) != (containers, weight):
                raise AlreadyExists("different load")
            return BookedVessel("v1", "Vessel One", held[5])
        if self.at_sea or containers > self.room:
            raise NoVesselAvailable("no room")
        self.room -= containers
        generation = 1 if held is None else held[0] + 1
        self.bookings[booking_id] = [generation, containers, weight, self.clock(), False, self.voyage]
        return BookedVessel("v1", "Vessel One", self.voyage)

    def release(self, booking_id, generation=None):
        self.releases += 1
        held = self.bookings.get(booking_id)
        if held is None or held[4] or generation not in (None, held[0]):
            return False
        if self.at_sea or held[5] != self.voyage:
            raise InvalidTransition(f"booking {booking_id} is on voyage {held[5]} of v1, which has departed")
        held[4] = True
        self.room += held[1]
        return True

    def bookings_between(self, since, until, limit):
        if until - since > timedelta(days=1):  # as vessel_service refuses it
            raise ValidationError("window", "until is more than a day after since")
        found = [
            Reservation(booking_id, held[0], "v1", held[3])
            for booking_id, held in self.bookings.items()
            if since <= held[3] < until
        ]
        return sorted(found, key=lambda r: r.at)[:limit]

    def _live_on(self, voyage):
        return tuple(i for i, held in self.bookings.items() if not held[4] and held[5] == voyage)

    def depart(self, vessel_id, by):
        if vessel_id != "v1":
            raise NotFound(f"no vessel {vessel_id}")
        if not self.at_sea:
            self.at_sea = True
            self.last_change = VoyageChange(
                "v1", "Vessel One", self.voyage, "departed", self.clock(), by, self._live_on(self.voyage)
            )
        return self.last_change

    def arrive(self, vessel_id, by):
        if vessel_id != "v1":
            raise NotFound(f"no vessel {vessel_id}")
        if not self.at_sea:
            if self.last_change is not None and self.last_change.status == "arrived":
                return self.last_change
            raise InvalidTransition("vessel v1 is in port: it never departed")
        self.at_sea = False
        self.last_change = VoyageChange(
            "v1", "Vessel One", self.voyage, "arrived", self.clock(), by, self._live_on(self.voyage)
        )
        self.voyage += 1
        self.room = self.capacity
        return self.last_change


class InMemoryCheckpoint:
    def __init__(self):
        self.value = None

    def load(self):
        return self.value

    def save(self, checked_until):
        self.value = checked_until


T0 = datetime(2026, 11, 25, 12, tzinfo=UTC)


class Clock:
    """The time a use case reads: ``T0`` until a test moves it."""

    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now

    def tick(self, **delta):
        self.now += timedelta(**delta)
