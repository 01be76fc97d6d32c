"""pytest fixtures for tests that need a running user_service (registered as
the ``shippy_user_service`` pytest plugin, so other packages' tests use them too).

pytest imports this module before the ``shippy`` plugin applies eventlet's
monkey patch, so it imports nothing that loads kombu, nameko or a driver at
module level: they would keep unpatched, hub-blocking ``sleep`` and sockets.
"""

import os
import uuid
from pathlib import Path

import pytest

CONFIG_FILE = Path(__file__).with_name("config.yml")

ADMIN_URL = os.environ.get("SHIPPY_TEST_DATABASE_URL", "postgresql://shippy:shippy@127.0.0.1:5432/shippy")
JWT_SECRET = "test-secret-for-user-service-0123456789"
ISSUER = "shippy-user-service"
AUDIENCE = "shippy"


def _admin(statement):
    import psycopg2

    connection = psycopg2.connect(ADMIN_URL)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


@pytest.fixture
def database_url():
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"test_users_{uuid.uuid4().hex[:12]}"
    _admin(f"create database {name}")
    yield ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    _admin(f"drop database if exists {name} with (force)")


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


@pytest.fixture
def signed_in(users, new_user, rpc_client):
    """A created user, its token, and an RPC proxy that sends the token."""
    payload = new_user()
    user = users.create(payload)
    token = users.auth(payload["email"], payload["password"])["token"]
    return user, token, rpc_client(context_data={"authorization": token}).user_service
