"""consignment_service end to end: real RPC to real user_service and
vessel_service, RabbitMQ, PostgreSQL and the MongoDB-wire server."""

import uuid

import eventlet
import pytest

from consignment_service.testing import CLASSIC_CONSIGNMENT
from shippy_common.auth import TOKEN_CONTEXT_KEY
from shippy_common.errors import (
    AlreadyExists,
    NoVesselAvailable,
    ServiceUnavailable,
    Unauthorized,
    ValidationError,
)
from shippy_common.rpc import rpc
from shippy_common.testing.net import get_json
from shippy_common.testing.tokens import bad_tokens
from shippy_common.testing.waits import eventually
from user_service.testing import AUDIENCE, BAD_TOKEN_REASONS, ISSUER, JWT_SECRET

CLASSIC = CLASSIC_CONSIGNMENT


def stored(mongo_database):
    return mongo_database.consignments.count_documents({})


def reserved(mongo_database):
    """Vessel bookings made, leaving out each vessel's opening ledger entry."""
    return mongo_database.vessel_ledger.count_documents({"seq": {"$gt": 0}})


def test_the_classic_consignment_is_booked_onto_kanes_salty_secret(platform, sign_up):
    owner, _, rpc = sign_up()
    consignments = rpc.consignment_service
    created = consignments.create_consignment(CLASSIC)
    assert created["vessel_id"] == "vessel001"
    assert created["owner_id"] == owner["id"]
    assert created["weight"] == 55000
    assert [c["customer_id"] for c in created["containers"]] == ["cust001", "cust002", "cust005"]
    assert consignments.get_consignments() == [created]


def test_the_owner_comes_from_the_token_and_a_vessel_id_in_the_body_is_ignored(platform, sign_up):
    owner, _, rpc = sign_up()
    consignments = rpc.consignment_service
    created = consignments.create_consignment({**CLASSIC, "vessel_id": "vessel003"})
    assert created["vessel_id"] == "vessel001"
    assert created["owner_id"] == owner["id"]
    with pytest.raises(ValidationError) as error:
        consignments.create_consignment({**CLASSIC, "owner_id": "someone-else"})
    assert error.value.field == "owner_id"


def test_each_user_lists_only_their_own_consignments_newest_first(platform, sign_up):
    ana = sign_up().rpc.consignment_service
    ben = sign_up().rpc.consignment_service
    first = ana.create_consignment({**CLASSIC, "description": "first"})
    bens = ben.create_consignment({**CLASSIC, "description": "ben's"})
    second = ana.create_consignment({**CLASSIC, "description": "second"})
    assert [c["id"] for c in ana.get_consignments()] == [second["id"], first["id"]]
    assert [c["id"] for c in ben.get_consignments()] == [bens["id"]]


def test_no_token_is_unauthorized_and_nothing_is_stored(platform, rpc_client, mongo_database):
    anonymous = rpc_client().consignment_service
    with pytest.raises(Unauthorized, match="no access token"):
        anonymous.create_consignment(CLASSIC)
    with pytest.raises(Unauthorized):
        anonymous.get_consignments()
    assert stored(mongo_database) == 0


def test_every_bad_token_is_refused_at_the_gate_and_the_services_keep_serving(
    platform, sign_up, rpc_client, mongo_database
):
    owner, _, rpc = sign_up()
    consignments = rpc.consignment_service
    corpus = bad_tokens(secret=JWT_SECRET, issuer=ISSUER, audience=AUDIENCE, user_id=owner["id"])
    # Context data travels as AMQP headers, which must fit one frame (128 KiB):
    # a 1 MB token cannot even be sent that way; user_service's own tests send it as an argument.
    del corpus["1 MB token"]
    corpus["100 KB token"] = "a" * 100_000
    reasons = {**BAD_TOKEN_REASONS, "100 KB token": "token is longer than 4096 characters"}
    for name, token in corpus.items():
        gate = rpc_client(context_data={TOKEN_CONTEXT_KEY: token}).consignment_service
        with pytest.raises(Unauthorized) as error:
            gate.create_consignment(CLASSIC)
        # Only a non-empty string is a token at all; user_service's reason for any other.
        expected = reasons[name] if isinstance(token, str) and token else "no access token sent"
        assert str(error.value) == expected, name
        assert stored(mongo_database) == 0, name
    assert reserved(mongo_database) == 0
    assert consignments.create_consignment(CLASSIC)["vessel_id"] == "vessel001"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "d" * 2001}, "description"),
        ({"description": {"$gt": ""}}, "description"),
        ({"weight": 0}, "weight"),
        ({"weight": -5}, "weight"),
        ({"weight": "55000"}, "weight"),
        ({"weight": 1.5}, "weight"),
        ({"weight": 10**12}, "weight"),
        ({"weight": {"$gt": 0}}, "weight"),
        ({"containers": []}, "containers"),
        ({"containers": "cust001"}, "containers"),
        ({"containers": [{"origin": "Derby"}]}, "containers.0.customer_id"),
        ({"containers": [{"customer_id": "c1"}]}, "containers.0.origin"),
        ({"containers": [{"customer_id": {"$ne": None}, "origin": "x"}]}, "containers.0.customer_id"),
        ({"containers": [{"customer_id": "c1", "origin": "x", "extra": 1}]}, "containers.0.extra"),
        ({"containers": [{"customer_id": "c1", "origin": "x"}] * 1001}, "containers"),
        ({"id": "$where"}, "id"),
        ({"vessel_id": {"$gt": ""}}, "vessel_id"),
        ({"status": "paid"}, "status"),
    ],
)
def test_bad_consignments_name_the_field_and_nothing_is_stored_or_reserved(
    platform, sign_up, mongo_database, change, field
):
    consignments = sign_up().rpc.consignment_service
    with pytest.raises(ValidationError) as error:
        consignments.create_consignment({**CLASSIC, **change})
    assert error.value.field == field
    assert stored(mongo_database) == 0
    assert reserved(mongo_database) == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({key: value for key, value in CLASSIC.items() if key != "weight"}, "weight"),
        (None, "consignment"),
        ([CLASSIC], "consignment"),
    ],
)
def test_missing_fields_and_non_objects_are_refused(platform, sign_up, payload, field):
    consignments = sign_up().rpc.consignment_service
    with pytest.raises(ValidationError) as error:
        consignments.create_consignment(payload)
    assert error.value.field == field


def test_a_huge_payload_is_refused_and_the_service_keeps_serving(platform, sign_up):
    consignments = sign_up().rpc.consignment_service
    with pytest.raises(ValidationError) as error:
        consignments.create_consignment({**CLASSIC, "description": "x" * 5_000_000})
    assert error.value.field == "description"
    assert consignments.create_consignment(CLASSIC)["vessel_id"] == "vessel001"


@pytest.fixture
def one_small_vessel(user_container, container_factory, vessel_config, consignment_container, admin_rpc):
    """The platform on a fleet of one vessel with room for ten containers."""
    from vessel_service.service import VesselService

    container_factory(VesselService, {**vessel_config, "SEED_DEFAULT_FLEET": False}).start()
    admin_rpc.vessel_service.create({"id": "ten", "name": "Ten slots", "capacity": 10, "max_weight": 10**6})


@pytest.fixture
def one_small_vessel_reconciling(user_container, container_factory, vessel_config, consignment_config, admin_rpc):
    """As ``one_small_vessel``, with reconciliation every 0.2 s after a 1 s grace period."""
    from consignment_service.service import ConsignmentService
    from vessel_service.service import VesselService

    container_factory(VesselService, {**vessel_config, "SEED_DEFAULT_FLEET": False}).start()
    reconciling = {**consignment_config, "RECONCILE_GRACE_SECONDS": 1, "RECONCILE_INTERVAL_SECONDS": 0.2}
    container_factory(ConsignmentService, reconciling).start()
    admin_rpc.vessel_service.create({"id": "ten", "name": "Ten slots", "capacity": 10, "max_weight": 10**6})


def test_fifty_concurrent_bookings_never_overbook_a_vessel(one_small_vessel, sign_up, mongo_database):
    consignments = sign_up().rpc.consignment_service
    one_container = {**CLASSIC, "weight": 100, "containers": CLASSIC["containers"][:1]}
    replies = [consignments.create_consignment.call_async(one_container) for _ in range(50)]
    outcomes = []
    for reply in replies:
        try:
            outcomes.append(reply.result()["vessel_id"])
        except NoVesselAvailable:
            outcomes.append("no vessel")
    assert outcomes.count("ten") == 10
    assert outcomes.count("no vessel") == 40
    assert stored(mongo_database) == 10
    assert reserved(mongo_database) == 10


def test_no_vessel_with_room_stores_and_reserves_nothing(one_small_vessel, sign_up, mongo_database):
    consignments = sign_up().rpc.consignment_service
    eleven = {**CLASSIC, "containers": [{"customer_id": f"c{i}", "origin": "Leeds"} for i in range(11)]}
    with pytest.raises(NoVesselAvailable):
        consignments.create_consignment(eleven)
    assert stored(mongo_database) == 0
    assert reserved(mongo_database) == 0


def test_a_retried_create_stores_and_reserves_once_and_answers_the_same(one_small_vessel, sign_up, mongo_database):
    consignments = sign_up().rpc.consignment_service
    request = {**CLASSIC, "id": "order-42"}
    first = consignments.create_consignment(request)
    again = consignments.create_consignment(request)
    concurrent = [consignments.create_consignment.call_async(request) for _ in range(5)]
    assert all(reply.result() == first for reply in concurrent)
    assert again == first
    assert stored(mongo_database) == 1
    assert reserved(mongo_database) == 1
    assert mongo_database.vessel_ledger.find_one({"booking_id": "order-42"})["containers_left"] == 7


def test_reusing_an_id_for_a_different_consignment_is_already_exists(platform, sign_up):
    ana = sign_up().rpc.consignment_service
    ben = sign_up().rpc.consignment_service
    ana.create_consignment({**CLASSIC, "id": "order-7"})
    with pytest.raises(AlreadyExists):
        ana.create_consignment({**CLASSIC, "id": "order-7", "weight": 1})
    with pytest.raises(AlreadyExists):
        ben.create_consignment({**CLASSIC, "id": "order-7"})


class SilentUserService:
    """A user_service that never answers in time."""

    name = "user_service"

    @rpc
    def validate_token(self, token):
        eventlet.sleep(30)


def test_a_user_service_that_does_not_answer_is_a_typed_error_not_a_hang(
    container_factory, consignment_config, vessel_container, rpc_client
):
    from consignment_service.service import ConsignmentService

    container_factory(SilentUserService, consignment_config).start()
    container_factory(ConsignmentService, {**consignment_config, "RPC_TIMEOUT_SECONDS": 1}).start()
    # Had the call hung, the client's own 20 s deadline would raise RpcTimeout instead.
    caller = rpc_client(context_data={TOKEN_CONTEXT_KEY: "any.token.here"}, timeout=20).consignment_service
    with pytest.raises(ServiceUnavailable, match="user_service did not answer within 1s"):
        caller.create_consignment(CLASSIC)


def test_a_user_service_that_is_not_running_is_a_typed_error(consignment_container, rpc_client):
    caller = rpc_client(context_data={TOKEN_CONTEXT_KEY: str(uuid.uuid4())}).consignment_service
    with pytest.raises(ServiceUnavailable, match="user_service is not running"):
        caller.get_consignments()


def test_health_reports_rabbitmq_and_mongodb(consignment_container, consignment_config):
    status, body = get_json(f"http://{consignment_config['WEB_SERVER_ADDRESS']}/health")
    assert (status, body["checks"]) == (200, {"RabbitMQ": "ok", "MongoDB": "ok"})


def test_room_reserved_for_a_consignment_never_stored_goes_back_after_the_grace_period(
    one_small_vessel_reconciling, sign_up, rpc_client, mongo_database, caplog
):
    consignments = sign_up().rpc.consignment_service
    kept = consignments.create_consignment({**CLASSIC, "id": "kept"})
    vessels = rpc_client().vessel_service
    vessels.book({"booking_id": "orphan", "containers": 7, "weight": 10})  # as if the store write had failed

    def released():
        return mongo_database.vessel_ledger.count_documents({"booking_id": "orphan", "kind": "release"}) == 1

    eventually(released, timeout=30)
    newest = mongo_database.vessel_ledger.find_one({"vessel_id": "ten"}, sort=[("seq", -1)])
    assert newest["containers_left"] == 10 - len(kept["containers"])
    assert mongo_database.vessel_ledger.count_documents({"booking_id": "kept", "kind": "release"}) == 0
    # The ledger has the release as soon as vessel_service wrote it; reconciliation logs it once the answer is back.
    eventually(
        lambda: any("released the room of booking orphan" in r.getMessage() for r in caplog.records),
        timeout=10,
        what="the release logged",
    )
    assert vessels.book({"booking_id": "next", "containers": 7, "weight": 10})["id"] == "ten"


def test_a_stop_during_the_first_reconciliation_waits_for_the_hour_in_hand_not_the_day(
    user_container, container_factory, vessel_config, consignment_config, mongo_database
):
    """A first reconciliation reads a day of bookings an hour at a time, seconds
    of work on a loaded store; compose kills a service still stopping 10 s after
    SIGTERM (CI's SIGTERM drill met it). A stop returns between hours, and the
    next start goes on from there."""
    from datetime import UTC, datetime, timedelta

    from consignment_service.service import ConsignmentService
    from vessel_service.repository import booking_minute
    from vessel_service.service import VesselService

    # A ledger with a booking from before (two days old, out of the window), so that
    # vessel_service reads every minute of the day: a new ledger's minutes before it
    # was made are skipped (VesselLedger.bookings_since).
    old = datetime.now(UTC) - timedelta(days=2)
    mongo_database.vessel_ledger.insert_one(
        {"_id": "old:000000000000", "key": "booking/1/old", "kind": "booking", "vessel_id": "old", "seq": 0}
        | {"booking_id": "old", "generation": 1, "containers_left": 1, "weight_left": 1}
        | {"at": old, "minute": booking_minute(old)}
    )
    container_factory(VesselService, vessel_config).start()
    reconciling = {**consignment_config, "RECONCILE_GRACE_SECONDS": 1, "RECONCILE_INTERVAL_SECONDS": 0.2}
    first = container_factory(ConsignmentService, reconciling)
    first.start()
    checkpoints = mongo_database.reconciliation

    def checked_until() -> datetime:  # stored in UTC, read back without an offset
        return checkpoints.find_one()["checked_until"].replace(tzinfo=UTC)

    eventually(lambda: checkpoints.find_one() is not None, timeout=30, interval=0.01, what="a first hour reconciled")
    first.stop()
    assert checked_until() < datetime.now(UTC) - timedelta(hours=12), "the stop waited for the whole day"

    container_factory(ConsignmentService, reconciling).start()
    eventually(
        lambda: checked_until() > datetime.now(UTC) - timedelta(minutes=1),
        timeout=60,
        what="the rest of the day reconciled after the restart",
    )
