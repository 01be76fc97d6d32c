"""What the database layer lets out when a statement fails (never its
parameters), and how its reads ride out a dropped connection."""

import logging
import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from shippy_common.envelope import USER_CREATED, new_event
from user_service.migrations import upgrade
from user_service.models import UserRecord
from user_service.repository import UserDatabase, UserRepository

PASSWORD_HASH = "$2b$04$abcdefghijklmnopqrstuuJ3pS1lDnmu7mZt2X3eXWRUvEJp5ZcWa"


@pytest.fixture
def database(database_url):
    upgrade(database_url)
    database = UserDatabase(database_url, pool_size=1)
    yield database
    database.close()


def insert_twice(database):
    """An IntegrityError: the same primary key twice."""
    user_id = uuid.uuid4()
    for _ in range(2):
        with database.sessions.begin() as session:
            session.add(
                UserRecord(
                    id=user_id,
                    name="Ana",
                    company="X",
                    email="ana@example.com",
                    email_key=f"ana{uuid.uuid4().hex}@example.com",
                    password_hash=PASSWORD_HASH,
                )
            )


def add_user(database, password_hash=PASSWORD_HASH):
    user_id = str(uuid.uuid4())
    return UserRepository(database).add(
        user_id,
        name="Ana",
        company="X",
        email="ana@example.com",
        email_key=f"ana-{user_id}@example.com",
        password_hash=password_hash,
        event=new_event(USER_CREATED, user_id, {"user_id": user_id}),
    )


def add_with_an_oversized_hash(database):
    """A DataError: a value longer than its column, through the repository."""
    add_user(database, password_hash=PASSWORD_HASH * 3)


@pytest.mark.parametrize("fail", [insert_twice, add_with_an_oversized_hash])
def test_a_failed_insert_carries_no_parameter_values(database, fail, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DBAPIError) as error:
        fail(database)
    message = str(error.value)
    assert "SQL parameters hidden" in message
    assert PASSWORD_HASH not in message
    assert "ana@example.com" not in message
    assert PASSWORD_HASH not in caplog.text


def test_a_read_on_a_connection_postgresql_dropped_is_answered_on_a_new_one(database):
    """As after PostgreSQL restarted: the pooled connection is dead, and is not pinged first."""
    user = add_user(database)
    users = UserRepository(database)
    (pooled,) = database.read(select(func.pg_backend_pid()))
    with database.writes.connect() as connection:
        assert connection.scalar(text("select pg_terminate_backend(:pid, 5000)"), {"pid": pooled[0]})
    assert users.get(user.id) == user
    (replaced,) = database.read(select(func.pg_backend_pid()))
    assert replaced[0] != pooled[0]


def test_reads_run_outside_any_transaction(database):
    """So a token check's read is one round trip: no BEGIN before it, no ROLLBACK after."""
    with database.reads.connect() as connection:
        first, second = (connection.scalar(text("select pg_current_xact_id()")) for _ in range(2))
    assert first != second, "both statements ran in one transaction"
