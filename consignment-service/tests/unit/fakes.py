"""In-memory fakes of consignment_service's ports."""

from consignment_service.domain import BookedVessel, Reservation
from shippy_common.errors import AlreadyExists, NoVesselAvailable


class InMemoryConsignments:
    def __init__(self):
        self.stored = {}  # id -> (consignment, event)
        self.fail_next_add = False

    def add(self, consignment, event):
        if self.fail_next_add:
            self.fail_next_add = False
            raise ConnectionError("the store went away")
        if consignment.id in self.stored:
            return None
        self.stored[consignment.id] = (consignment, event)
        return consignment

    def get(self, consignment_id):
        found = self.stored.get(consignment_id)
        return None if found is None else found[0]

    def owned_by(self, owner_id):
        mine = [c for c, _ in self.stored.values() if c.owner_id == owner_id]
        return sorted(mine, key=lambda c: c.created_at, reverse=True)

    def existing_ids(self, consignment_ids):
        return {i for i in consignment_ids if i in self.stored}


class InMemoryVessels:
    """A one-vessel fleet with ``room`` containers, booking like vessel_service."""

    def __init__(self, room=10, clock=None):
        self.room = room
        self.clock = clock
        self.bookings = {}  # booking_id -> [generation, containers, weight, at, released]
        self.calls = 0

    def book(self, booking_id, containers, weight):
        self.calls += 1
        held = self.bookings.get(booking_id)
        if held is not None and not held[4]:
            if (held[1], held[2]) != (containers, weight):
                raise AlreadyExists("different load")
            return BookedVessel("v1", "Vessel One")
        if containers > self.room:
            raise NoVesselAvailable("no room")
        self.room -= containers
        generation = 1 if held is None else held[0] + 1
        self.bookings[booking_id] = [generation, containers, weight, self.clock(), False]
        return BookedVessel("v1", "Vessel One")

    def release(self, booking_id, generation):
        held = self.bookings.get(booking_id)
        if held is None or held[4] or held[0] != generation:
            return False
        held[4] = True
        self.room += held[1]
        return True

    def bookings_between(self, since, until, limit):
        found = [
            Reservation(booking_id, held[0], "v1", held[3])
            for booking_id, held in self.bookings.items()
            if since <= held[3] < until
        ]
        return sorted(found, key=lambda r: r.at)[:limit]


class InMemoryCheckpoint:
    def __init__(self):
        self.value = None

    def load(self):
        return self.value

    def save(self, checked_until):
        self.value = checked_until
