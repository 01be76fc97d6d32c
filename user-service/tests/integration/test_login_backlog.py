"""A flood of logins is refused in part, at once, and token checks go on."""

import os
from collections import Counter

import bcrypt
import eventlet

from shippy_common.errors import Busy
from shippy_common.testing.waits import eventually
from user_service.passwords import WAITING_PER_SLOT, PasswordHasher
from user_service.service import UserService

PASSWORD = "correct horse battery"


def test_callers_beyond_the_backlog_are_refused_at_once(held_bcrypt):
    slots, max_waiting, extra = 2, 3, 4
    hasher = PasswordHasher(cost=4, max_waiting=max_waiting, slots=slots)
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    outcomes = []

    def login():
        try:
            with hasher.admitted():
                outcomes.append(hasher.verify(PASSWORD, password_hash))
        except Busy as refusal:
            outcomes.append(str(refusal))

    held_bcrypt.hold()
    pool = eventlet.GreenPool()
    for _ in range(slots + max_waiting + extra):
        pool.spawn(login)
    held_bcrypt.wait_until_entered(slots)
    eventually(lambda: len(outcomes) >= extra, what="the refusals")
    # Every admitted caller is still held in or waiting for bcrypt: the refusals did not wait for them.
    assert outcomes == ["busy, retry"] * extra
    assert held_bcrypt.entered == slots
    held_bcrypt.release()
    pool.waitall()
    assert outcomes == ["busy, retry"] * extra + [True] * (slots + max_waiting)
    assert held_bcrypt.entered == slots + max_waiting


def test_places_free_up_as_logins_finish():
    hasher = PasswordHasher(cost=4, max_waiting=0, slots=1)
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    for _ in range(3):
        with hasher.admitted():
            assert hasher.verify(PASSWORD, password_hash)


def test_by_default_eight_logins_per_cpu_may_wait():
    hasher = PasswordHasher(cost=4)
    assert hasher.slots == (os.cpu_count() or 1)
    assert hasher.max_waiting == WAITING_PER_SLOT * hasher.slots == 8 * hasher.slots


def test_token_checks_are_answered_during_a_login_flood_that_is_refused_in_part(
    container_factory, user_config, rpc_client, new_user, held_bcrypt
):
    """300 logins at once, their password checks held in bcrypt: the few that
    may wait do, the rest are refused as Busy straight away, and token checks
    sent in the middle of the flood are answered before any login finishes."""
    max_waiting, flood = 4, 300
    slots = os.cpu_count() or 1
    container_factory(UserService, {**user_config, "BCRYPT_MAX_WAITING": max_waiting}).start()
    users = rpc_client().user_service
    payload = new_user()
    user = users.create(payload)
    token = users.auth(payload["email"], payload["password"])["token"]
    held_bcrypt.hold()

    # Each proxy's replies are collected by this greenthread alone.
    logins_proxy = rpc_client(timeout=60).user_service
    checks_proxy = rpc_client(timeout=10).user_service
    logins, checks = [], []
    for n in range(flood):
        logins.append(logins_proxy.auth.call_async(payload["email"], payload["password"]))
        if n % 30 == 29:
            checks.append(checks_proxy.validate_token.call_async(token))
    held_bcrypt.wait_until_entered(slots)

    assert [check.result()["user"]["id"] for check in checks] == [user["id"]] * len(checks)
    assert held_bcrypt.entered == slots  # no login has finished: they are all still held
    held_bcrypt.release()
    outcomes = Counter()
    for login in logins:
        try:
            outcomes["token" if login.result()["token"] else "?"] += 1
        except Busy as refusal:
            outcomes[str(refusal)] += 1
    assert outcomes == {"token": slots + max_waiting, "busy, retry": flood - slots - max_waiting}


def routing_keys(rabbit_manager, vhost, queue):
    """The queue's bindings to named exchanges (not the default exchange's)."""
    return sorted(b["routing_key"] for b in rabbit_manager.get_queue_bindings(vhost, queue) if b["source"])


def test_logins_wait_in_a_queue_of_their_own_never_in_front_of_token_checks(
    rabbit_manager, rabbit_config, user_config, container_factory, raw_rpc
):
    # A queue left by an older deployment, bound to every method of the service.
    vhost = rabbit_config["vhost"]
    rabbit_manager.create_queue(vhost, "rpc-user_service", durable=True)
    raw_rpc.exchange.declare()
    rabbit_manager.create_queue_binding(vhost, "nameko-rpc", "rpc-user_service", "user_service.*")

    container_factory(UserService, user_config).start()
    assert routing_keys(rabbit_manager, vhost, "rpc-user_service") == [
        "user_service.get",
        "user_service.get_all",
        "user_service.validate_token",
    ]
    assert routing_keys(rabbit_manager, vhost, "rpc-user_service-slow") == [
        "user_service.auth",
        "user_service.create",
    ]
