"""user_service's outbox as the relay reads it: a committed event signals a listening relay."""

import select
import uuid

from shippy_common.envelope import USER_CREATED, new_event
from user_service.migrations import upgrade
from user_service.outbox import PostgresOutbox
from user_service.repository import UserDatabase, UserRepository, make_engine

PASSWORD_HASH = "$2b$04$abcdefghijklmnopqrstuuJ3pS1lDnmu7mZt2X3eXWRUvEJp5ZcWa"


def readable(wakeups, timeout):
    return bool(select.select([wakeups.fileno()], [], [], timeout)[0])


def test_a_committed_event_signals_the_listening_relay_once(database_url):
    upgrade(database_url)
    engine = make_engine(database_url, pool_size=1)
    users = UserDatabase(database_url, pool_size=1)
    outbox = PostgresOutbox(engine)
    wakeups = outbox.listen()
    try:
        user_id = str(uuid.uuid4())
        event = new_event(USER_CREATED, user_id, {"user_id": user_id})
        UserRepository(users).add(
            user_id,
            name="Ana",
            company="X",
            email=f"ana-{user_id}@example.com",
            email_key=f"ana-{user_id}@example.com",
            password_hash=PASSWORD_HASH,
            event=event,
        )
        assert readable(wakeups, 5), "no signal within 5 s of the commit"
        wakeups.drain()
        assert not readable(wakeups, 0), "a signal taken is not given again"
        assert event["id"] in [pending["id"] for pending in outbox.pending(1000)]
    finally:
        wakeups.close()
        users.close()
        engine.dispose()
