"""user_service's outbox in PostgreSQL, as the relay reads it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from user_service.models import OutboxRecord
from user_service.settings import DatabaseSettings

#: The channel a trigger on the outbox notifies at each insert (migration 0005).
OUTBOX_CHANNEL = "user_outbox"


class PostgresWakeups:
    """``LISTEN user_outbox`` on a connection of its own, outside the pool:
    readable when a transaction that recorded events has committed."""

    def __init__(self, engine: Engine) -> None:
        self.pooled = engine.raw_connection()
        self.pooled.detach()  # held for as long as the relay listens, then closed, not pooled
        self.connection: Any = self.pooled.dbapi_connection
        self.connection.autocommit = True
        with self.connection.cursor() as cursor:
            cursor.execute(f"listen {OUTBOX_CHANNEL}")

    def fileno(self) -> int:
        return int(self.connection.fileno())

    def drain(self) -> None:
        self.connection.poll()
        self.connection.notifies.clear()

    def close(self) -> None:
        self.pooled.close()


class PostgresOutbox:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def listen(self) -> PostgresWakeups:
        return PostgresWakeups(self.engine)

    def pending(self, limit: int) -> Sequence[dict[str, Any]]:
        with Session(self.engine) as session:
            query = select(OutboxRecord.event).where(
                OutboxRecord.published_at.is_(None), OutboxRecord.parked_at.is_(None)
            )
            return list(session.scalars(query.order_by(OutboxRecord.seq).limit(limit)))

    def mark_sent(self, events: Sequence[dict[str, Any]]) -> None:
        ids = [uuid.UUID(event["id"]) for event in events]
        with Session(self.engine) as session, session.begin():
            session.execute(update(OutboxRecord).where(OutboxRecord.id.in_(ids)).values(published_at=func.now()))

    def park(self, event: dict[str, Any], reason: str) -> None:
        """Keep the event for an operator (never deleted), out of ``pending``."""
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(OutboxRecord)
                .where(OutboxRecord.id == uuid.UUID(event["id"]))
                .values(parked_at=func.now(), park_reason=reason[:500])
            )


def open_outbox(database: DatabaseSettings) -> PostgresOutbox:
    from user_service.migrations import upgrade
    from user_service.repository import make_engine

    upgrade(database.url)
    # The relay reads and marks one batch at a time: two connections are plenty
    # (its listener's is one more, of its own).
    return PostgresOutbox(make_engine(database.url, pool_size=2))
