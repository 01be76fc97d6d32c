"""pytest fixtures for tests that need a running user_service (registered as
the ``shippy_user_service`` pytest plugin, so other packages' tests use them too).

pytest imports this module before the ``shippy`` plugin applies eventlet's
monkey patch, so it imports nothing that loads kombu, nameko or a driver at
module level: they would keep unpatched, hub-blocking ``sleep`` and sockets.
"""

import os
import uuid
from pathlib import Path
from typing import Any, NamedTuple

import pytest

CONFIG_FILE = Path(__file__).with_name("config.yml")

ADMIN_URL = os.environ.get("SHIPPY_TEST_DATABASE_URL", "postgresql://shippy:shippy@127.0.0.1:5432/shippy")
# Random (secrets.token_urlsafe(48)): user_service refuses a guessable secret.
JWT_SECRET = "04xYyl3uI2ryMvVJmYe8x7ASa8tF0eWgf7RiI52x9TRM_cQhRuFRpOhPzAhQ_mLN"
ISSUER = "shippy-user-service"
AUDIENCE = "shippy"

#: The reason user_service gives for each token of
#: ``shippy_common.testing.tokens.bad_tokens`` (``InvalidToken``'s message):
#: each names the one defect the token was built with.
BAD_TOKEN_REASONS = {
    "empty string": "token is empty",
    "None": "token must be a string, got NoneType",
    "number": "token must be a string, got int",
    "dict": "token must be a string, got dict",
    "list": "token must be a string, got list",
    "one segment": "token must have three dot-separated parts",
    "two segments": "token must have three dot-separated parts",
    "four segments": "token must have three dot-separated parts",
    "bad base64": "token is malformed",
    "header not JSON": "token is malformed",
    "payload not JSON": "token is malformed",
    "payload is a JSON array": "token is malformed",
    "alg none, empty signature": "token algorithm is not allowed",
    "header claims HS512": "token algorithm is not allowed",
    "header claims HS512, same secret": "token algorithm is not allowed",
    "header claims RS256": "token algorithm is not allowed",
    "stripped signature": "token signature does not match",
    "tampered signature": "token signature does not match",
    "tampered payload": "token signature does not match",
    "signed with another secret": "token signature does not match",
    "expired": "token has expired",
    "nbf in the future": "token is not valid yet",
    "iat in the future": "token is not valid yet",
    "wrong iss": "token is from another issuer",
    "wrong aud": "token is for another audience",
    "no exp": "token has no exp claim",
    "no sub": "token has no sub claim",
    "no iat": "token has no iat claim",
    "sub is not a user id": "token sub is not a user id",
    "sub of an unknown user": "the token's user no longer exists",
    "1 MB token": "token is longer than 4096 characters",
    "random unicode": "token is malformed",
}


def _admin(statement):
    import psycopg2

    connection = psycopg2.connect(ADMIN_URL)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


def _create_database():
    name = f"test_users_{uuid.uuid4().hex[:12]}"
    _admin(f"create database {name}")
    return name


class _DatabaseSupply:
    """Test databases made one ahead and dropped behind, in green threads.

    ``create database`` takes 0.1-0.25 s of the server's time and some 270
    tests each need one: the next test's database is made while this test
    runs, and a finished test's is dropped while the next one runs.
    """

    def __init__(self):
        import psycogreen.eventlet

        # psycopg2 waits cooperatively, as user_service makes it do anyway.
        psycogreen.eventlet.patch_psycopg()
        self._next = None
        self._drops = []

    def take(self):
        import eventlet

        name = _create_database() if self._next is None else self._next.wait()
        self._next = eventlet.spawn(_create_database)
        return name

    def give_back(self, name):
        import eventlet

        self._drops.append(eventlet.spawn(_drop_database, name))

    def close(self):
        if self._next is not None:
            self.give_back(self._next.wait())
        for drop in self._drops:
            drop.wait()


@pytest.fixture(scope="session")
def _database_supply():
    supply = _DatabaseSupply()
    yield supply
    supply.close()


@pytest.fixture
def database_url(_database_supply):
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    name = _database_supply.take()
    yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    _database_supply.give_back(name)


def _drop_database(name):
    """Drop, retrying while an autovacuum worker (a superuser backend the
    application role may not terminate) is still in the new database."""
    import psycopg2

    from shippy_common.testing.waits import eventually

    def dropped():
        try:
            _admin(f"drop database if exists {name} with (force)")
        except psycopg2.errors.InsufficientPrivilege:
            return False
        return True

    eventually(dropped, timeout=30, what=f"dropping database {name}")


@pytest.fixture
def user_config(service_config, database_url):
    return service_config(CONFIG_FILE, DATABASE_URL=database_url, JWT_SECRET=JWT_SECRET, BCRYPT_COST=4)


@pytest.fixture
def user_container(container_factory, user_config):
    from user_service.service import UserService

    container = container_factory(UserService, user_config)
    container.start()
    return container


@pytest.fixture
def users(user_container, rpc_client):
    """The running user_service over real RPC, called without a token."""
    return rpc_client().user_service


@pytest.fixture
def new_user():
    """A valid create() payload with a unique email."""

    def make(**changes):
        tag = uuid.uuid4().hex[:8]
        return {
            "name": "Ana Lopes",
            "company": "Shippy Ltd",
            "email": f"ana.{tag}@example.com",
            "password": "correct horse battery",
            **changes,
        }

    return make


class SignedUp(NamedTuple):
    """A new account, signed in (see the ``sign_up`` fixture)."""

    #: Its public profile, as ``user_service.create`` answered it.
    user: dict
    #: Its access token, as ``user_service.auth`` issued it.
    token: str
    #: A started ``ClusterRpcProxy`` that sends the token with every call:
    #: ``rpc.user_service``, ``rpc.consignment_service``, ...
    rpc: Any


@pytest.fixture
def sign_up(users, new_user, rpc_client):
    """``sign_up(**changes)``: create an account (``new_user(**changes)``)
    through user_service, sign in, and return a :class:`SignedUp`. The one way
    tests make a user with a token; the proxies it gives wait up to 60 s."""
    from shippy_common.auth import TOKEN_CONTEXT_KEY

    def make(**changes):
        payload = new_user(**changes)
        user = users.create(payload)
        token = users.auth(payload["email"], payload["password"])["token"]
        return SignedUp(user, token, rpc_client(context_data={TOKEN_CONTEXT_KEY: token}, timeout=60))

    return make


@pytest.fixture
def signed_in(sign_up):
    """``sign_up()`` for tests of user_service: the user, its token, and a
    user_service proxy that sends the token."""
    user, token, rpc = sign_up()
    return user, token, rpc.user_service


@pytest.fixture
def set_role(database_url):
    """``set_role(user_id, role)``: what ``user-service-admin`` does, straight in this test's database."""
    import psycopg2

    def change(user_id, role):
        with psycopg2.connect(database_url) as connection, connection.cursor() as cursor:
            cursor.execute("update users set role = %s where id = %s", (role, user_id))
            assert cursor.rowcount == 1, f"no user {user_id}"
        connection.close()

    return change


@pytest.fixture
def admin_signed_in(signed_in, set_role):
    """As ``signed_in``, for a user with the admin role."""
    user, token, as_user = signed_in
    set_role(user["id"], "admin")
    return {**user, "role": "admin"}, token, as_user


class HeldBcrypt:
    """``bcrypt.checkpw`` that, after :meth:`hold`, waits in its pool thread
    until :meth:`release`: a hasher as slow as a test needs, so that logins
    keep their bcrypt slots."""

    def __init__(self, checkpw):
        from eventlet import patcher

        native = patcher.original("threading")
        self._checkpw = checkpw
        self._open = native.Event()
        self._open.set()
        self._lock = native.Lock()
        self.entered = 0

    def __call__(self, password, password_hash):
        with self._lock:
            self.entered += 1
        assert self._open.wait(timeout=120), "HeldBcrypt was never released"
        return self._checkpw(password, password_hash)

    def hold(self):
        """From now on, each check waits for :meth:`release`; counts them from 0."""
        with self._lock:
            self.entered = 0
        self._open.clear()

    def release(self):
        self._open.set()

    def wait_until_entered(self, count):
        from shippy_common.testing.waits import eventually

        eventually(lambda: self.entered >= count, what=f"{count} password checks inside bcrypt")


@pytest.fixture
def held_bcrypt(monkeypatch):
    """Password checks (logins) that wait inside bcrypt from ``held_bcrypt.hold()``
    until ``held_bcrypt.release()``, or the end of the test."""
    import bcrypt

    held = HeldBcrypt(bcrypt.checkpw)
    monkeypatch.setattr(bcrypt, "checkpw", held)
    yield held
    held.release()
