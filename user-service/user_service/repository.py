"""Users in PostgreSQL, through SQLAlchemy."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Engine, Executable, Row, create_engine, select, tuple_, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import sessionmaker

from shippy_common.errors import AlreadyExists
from user_service.domain import PagePosition, User
from user_service.migrations import sqlalchemy_url
from user_service.models import OutboxRecord, UserRecord

USERS = UserRecord.__table__


def _to_domain(record: UserRecord | Row[Any]) -> User:
    return User(
        id=str(record.id),
        name=record.name,
        company=record.company,
        email=record.email,
        role=record.role,
        created_at=record.created_at,
    )


class UserDatabase:
    """The connections to user_service's PostgreSQL database, in two pools.

    ``sessions`` are for writes: each a transaction, its connection pinged
    when checked out. ``reads`` hold autocommit connections, for one SELECT
    each: one round trip, where a session's read takes four (the ping, BEGIN,
    the SELECT, ROLLBACK). A token check is one such read."""

    def __init__(self, database_url: str, pool_size: int) -> None:
        self.writes = make_engine(database_url, pool_size)
        self.sessions = sessionmaker(self.writes, expire_on_commit=False)
        self.reads = make_engine(database_url, pool_size, isolation_level="AUTOCOMMIT", pool_pre_ping=False)

    def read(self, query: Executable) -> list[Row[Any]]:
        """The rows ``query`` selects. Its pooled connection found dropped (as
        after PostgreSQL restarted: SQLAlchemy then discards the whole pool's),
        the query is run once more on a new one, which a SELECT may safely be."""
        try:
            return self._read_once(query)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
        return self._read_once(query)

    def _read_once(self, query: Executable) -> list[Row[Any]]:
        with self.reads.connect() as connection:
            return list(connection.execute(query))

    def close(self) -> None:
        self.writes.dispose()
        self.reads.dispose()


class UserRepository:
    def __init__(self, database: UserDatabase) -> None:
        self.database = database

    def add(
        self, user_id: str, *, name: str, company: str, email: str, email_key: str, password_hash: str, event: dict
    ) -> User:
        """Store the user and ``event`` in one transaction: both or neither."""
        record = UserRecord(
            id=uuid.UUID(user_id),
            name=name,
            company=company,
            email=email,
            email_key=email_key,
            password_hash=password_hash,
        )
        outbox = OutboxRecord(id=uuid.UUID(event["id"]), aggregate_id=user_id, type=event["type"], event=event)
        try:
            with self.database.sessions.begin() as session:
                session.add(record)
                session.add(outbox)
                session.flush()
                session.refresh(record)
                return _to_domain(record)
        except IntegrityError:
            raise AlreadyExists(f"an account for {email} already exists") from None

    def email_taken(self, email_key: str) -> bool:
        return bool(self.database.read(select(USERS.c.id).where(USERS.c.email_key == email_key)))

    def with_password_hash(self, email_key: str) -> tuple[User, str] | None:
        rows = self.database.read(select(USERS).where(USERS.c.email_key == email_key))
        return (_to_domain(rows[0]), rows[0].password_hash) if rows else None

    def get(self, user_id: str) -> User | None:
        rows = self.database.read(select(USERS).where(USERS.c.id == uuid.UUID(user_id)))
        return _to_domain(rows[0]) if rows else None

    def page(self, after: PagePosition | None, limit: int) -> list[User]:
        """Up to ``limit`` users in (created_at, id) order, from just after ``after``."""
        query = select(USERS).order_by(USERS.c.created_at, USERS.c.id).limit(limit)
        if after is not None:
            query = query.where(tuple_(USERS.c.created_at, USERS.c.id) > tuple_(*after))
        return [_to_domain(row) for row in self.database.read(query)]

    def set_role(self, email_key: str, role: str) -> User | None:
        """Give the account at ``email_key`` ``role``; ``None`` if there is none."""
        with self.database.sessions.begin() as session:
            record = session.scalar(
                update(UserRecord).where(UserRecord.email_key == email_key).values(role=role).returning(UserRecord)
            )
            return None if record is None else _to_domain(record)


def make_engine(database_url: str, pool_size: int, **options: Any) -> Engine:
    """An engine whose connections are pinged when checked out; ``options``
    are more of ``create_engine``'s, or override these."""
    # hide_parameters: an INSERT's parameters include the password hash, and a
    # driver error (logged, or shown to an operator) would otherwise carry them.
    settings = {"pool_size": pool_size, "max_overflow": pool_size, "pool_pre_ping": True, "hide_parameters": True}
    return create_engine(sqlalchemy_url(database_url), **{**settings, **options})
