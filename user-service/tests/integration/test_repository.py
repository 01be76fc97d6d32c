"""What the database layer lets out when a statement fails: never its parameters."""

import logging
import uuid

import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from shippy_common.envelope import USER_CREATED, new_event
from user_service.migrations import upgrade
from user_service.models import UserRecord
from user_service.repository import UserRepository, make_engine

PASSWORD_HASH = "$2b$04$abcdefghijklmnopqrstuuJ3pS1lDnmu7mZt2X3eXWRUvEJp5ZcWa"


@pytest.fixture
def sessions(database_url):
    upgrade(database_url)
    engine = make_engine(database_url, pool_size=1)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


def insert_twice(sessions):
    """An IntegrityError: the same primary key twice."""
    user_id = uuid.uuid4()
    for _ in range(2):
        with sessions.begin() as session:
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


def add_with_an_oversized_hash(sessions):
    """A DataError: a value longer than its column, through the repository."""
    user_id = str(uuid.uuid4())
    UserRepository(sessions).add(
        user_id,
        name="Ana",
        company="X",
        email="ana@example.com",
        email_key="ana@example.com",
        password_hash=PASSWORD_HASH * 3,
        event=new_event(USER_CREATED, user_id, {"user_id": user_id}),
    )


@pytest.mark.parametrize("fail", [insert_twice, add_with_an_oversized_hash])
def test_a_failed_insert_carries_no_parameter_values(sessions, fail, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DBAPIError) as error:
        fail(sessions)
    message = str(error.value)
    assert "SQL parameters hidden" in message
    assert PASSWORD_HASH not in message
    assert "ana@example.com" not in message
    assert PASSWORD_HASH not in caplog.text
