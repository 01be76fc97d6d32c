"""The transition rules, explored by hypothesis: random sequences of books,
cancels (by the owner, an admin or a stranger), departures, arrivals and
deliveries on the use cases, against a model of what each must do. After every
step, each consignment's status and timeline are the model's, and the vessel's
free room is its capacity minus the consignments booked on its open voyage."""

from datetime import UTC, datetime, timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from consignment_service import services
from consignment_service.domain import ARRIVED, BOOKED, CANCELLED, DELIVERED, IN_TRANSIT, BookingRequest, Container
from shippy_common.auth import ADMIN, Caller
from shippy_common.errors import Forbidden, InvalidTransition, NotFound, NoVesselAvailable

from .fakes import InMemoryConsignments, InMemoryVessels

CAPACITY = 6
OWNERS = (
    Caller(id="u-ana", name="Ana", company="Shippy", email="ana@example.com"),
    Caller(id="u-ben", name="Ben", company="Shippy", email="ben@example.com"),
)
ADMIN_USER = Caller(id="u-ada", name="Ada", company="Shippy", email="ada@example.com", role=ADMIN)
STRANGER = Caller(id="u-eve", name="Eve", company="Elsewhere", email="eve@example.com")
#: Where each status comes from: the timeline of a consignment in it.
PATH = {
    BOOKED: [BOOKED],
    CANCELLED: [BOOKED, CANCELLED],
    IN_TRANSIT: [BOOKED, IN_TRANSIT],
    ARRIVED: [BOOKED, IN_TRANSIT, ARRIVED],
    DELIVERED: [BOOKED, IN_TRANSIT, ARRIVED, DELIVERED],
}


class Clock:
    def __init__(self):
        self.now = datetime(2026, 12, 3, 12, tzinfo=UTC)

    def __call__(self):
        self.now += timedelta(seconds=1)
        return self.now


class TransitionRules(RuleBasedStateMachine):
    consignments = Bundle("consignments")

    def __init__(self):
        super().__init__()
        self.clock = Clock()
        self.store = InMemoryConsignments()
        self.vessels = InMemoryVessels(room=CAPACITY, clock=self.clock)
        self.status = {}  # id -> the status the model expects
        self.owner = {}
        self.size = {}
        self.voyage_of = {}
        self.voyage, self.at_sea, self.created = 1, False, 0

    @property
    def free_room(self):
        """The current voyage's capacity less its consignments booked (in port) or in transit (at sea)."""
        aboard = [
            i
            for i, status in self.status.items()
            if status in (BOOKED, IN_TRANSIT) and self.voyage_of[i] == self.voyage
        ]
        return CAPACITY - sum(self.size[i] for i in aboard)

    @rule(target=consignments, owner=st.sampled_from(OWNERS), containers=st.integers(1, 4))
    def book(self, owner, containers):
        self.created += 1
        consignment_id = f"c{self.created}"
        boxes = tuple(Container(customer_id=f"k{i}", origin="Derby") for i in range(containers))
        request = BookingRequest(id=consignment_id, description="parts", weight=10, containers=boxes)
        fits = not self.at_sea and containers <= self.free_room
        try:
            booked = services.create_consignment(
                self.store, self.store.transitions, self.store.voyages, self.vessels, owner, request, self.clock
            )
        except NoVesselAvailable:
            assert not fits
            return consignment_id  # never stored: every later call on it is NotFound
        assert fits and booked.status == BOOKED and booked.voyage == self.voyage
        self.status[consignment_id], self.owner[consignment_id] = BOOKED, owner
        self.size[consignment_id], self.voyage_of[consignment_id] = containers, self.voyage
        return consignment_id

    @rule(consignment_id=consignments, who=st.sampled_from(["owner", "admin", "stranger"]))
    def cancel(self, consignment_id, who):
        caller = {"owner": self.owner.get(consignment_id, OWNERS[0]), "admin": ADMIN_USER, "stranger": STRANGER}[who]
        expected = self.status.get(consignment_id)
        try:
            answer = services.cancel_consignment(
                self.store, self.store.transitions, self.vessels, caller, consignment_id, self.clock
            )
        except NotFound:
            assert expected is None or who == "stranger"
            return
        except InvalidTransition as refusal:
            assert expected not in (None, BOOKED, CANCELLED) and expected in str(refusal)
            return
        assert who != "stranger" and expected in (BOOKED, CANCELLED)
        assert answer.status == CANCELLED
        self.status[consignment_id] = CANCELLED

    @rule(as_admin=st.booleans())
    def depart(self, as_admin):
        caller = ADMIN_USER if as_admin else OWNERS[0]
        try:
            report = services.depart_vessel(
                self.store, self.store.transitions, self.store.voyages, self.vessels, caller, "v1"
            )
        except Forbidden:
            assert not as_admin
            return
        assert as_admin and report.change.voyage == self.voyage
        if not self.at_sea:
            self.at_sea = True
            for consignment_id, status in self.status.items():
                if status == BOOKED and self.voyage_of[consignment_id] == self.voyage:
                    self.status[consignment_id] = IN_TRANSIT

    @rule()
    def arrive(self):
        try:
            report = services.arrive_vessel(
                self.store, self.store.transitions, self.store.voyages, self.vessels, ADMIN_USER, "v1"
            )
        except InvalidTransition:
            assert not self.at_sea and self.voyage == 1
            return
        if not self.at_sea:
            assert report.change.voyage == self.voyage - 1  # a retry: the last arrival
            return
        assert report.change.voyage == self.voyage
        for consignment_id, status in self.status.items():
            if status == IN_TRANSIT:
                self.status[consignment_id] = ARRIVED
        self.at_sea, self.voyage = False, self.voyage + 1

    @rule(consignment_id=consumes(consignments), as_admin=st.booleans())
    def deliver(self, consignment_id, as_admin):
        caller = ADMIN_USER if as_admin else self.owner.get(consignment_id, OWNERS[0])
        expected = self.status.get(consignment_id)
        try:
            answer = services.mark_delivered(self.store, self.store.transitions, caller, consignment_id, self.clock)
        except Forbidden:
            assert not as_admin
            return
        except NotFound:
            assert expected is None
            return
        except InvalidTransition:
            assert expected not in (ARRIVED, DELIVERED)
            return
        assert expected in (ARRIVED, DELIVERED) and answer.status == DELIVERED
        self.status[consignment_id] = DELIVERED

    @invariant()
    def statuses_and_timelines_are_the_models(self):
        for consignment_id, status in self.status.items():
            found = services.consignment_of(self.store, self.store.transitions, ADMIN_USER, consignment_id)
            assert found.status == status
            assert [entry.status for entry in found.timeline] == PATH[status]

    @invariant()
    def the_open_voyage_has_exactly_the_room_its_bookings_leave(self):
        assert self.vessels.room == self.free_room
        assert 0 <= self.vessels.room <= CAPACITY


TransitionRules.TestCase.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
test_transition_rules = TransitionRules.TestCase
