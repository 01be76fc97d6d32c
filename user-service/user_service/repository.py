"""Users in PostgreSQL, through SQLAlchemy."""

from __future__ import annotations

import uuid
from typing import Any

import psycogreen.eventlet
from nameko.extensions import DependencyProvider
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shippy_common.config import require_int
from shippy_common.errors import AlreadyExists
from user_service.domain import User
from user_service.migrations import sqlalchemy_url, upgrade
from user_service.models import OutboxRecord, UserRecord


def _to_domain(record: UserRecord) -> User:
    return User(
        id=str(record.id),
        name=record.name,
        company=record.company,
        email=record.email,
        created_at=record.created_at,
    )


class UserRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def add(self, user_id: str, *, name: str, company: str, email: str, password_hash: str, event: dict) -> User:
        """Store the user and ``event`` in one transaction: both or neither."""
        record = UserRecord(id=uuid.UUID(user_id), name=name, company=company, email=email, password_hash=password_hash)
        outbox = OutboxRecord(id=uuid.UUID(event["id"]), aggregate_id=user_id, type=event["type"], event=event)
        try:
            with self.sessions.begin() as session:
                session.add(record)
                session.add(outbox)
                session.flush()
                session.refresh(record)
                return _to_domain(record)
        except IntegrityError:
            raise AlreadyExists(f"an account for {email} already exists") from None

    def email_taken(self, email: str) -> bool:
        with self.sessions() as session:
            query = select(UserRecord.id).where(func.lower(UserRecord.email) == email.lower())
            return session.scalar(query) is not None

    def with_password_hash(self, email: str) -> tuple[User, str] | None:
        with self.sessions() as session:
            record = session.scalar(select(UserRecord).where(func.lower(UserRecord.email) == email.lower()))
            return None if record is None else (_to_domain(record), record.password_hash)

    def get(self, user_id: str) -> User | None:
        with self.sessions() as session:
            record = session.get(UserRecord, uuid.UUID(user_id))
            return None if record is None else _to_domain(record)

    def all(self) -> list[User]:
        with self.sessions() as session:
            records = session.scalars(select(UserRecord).order_by(UserRecord.created_at, UserRecord.id))
            return [_to_domain(record) for record in records]


def make_engine(database_url: str, pool_size: int) -> Engine:
    return create_engine(sqlalchemy_url(database_url), pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


class UserStore(DependencyProvider):
    """Migrates the schema at start, then injects a :class:`UserRepository`."""

    def setup(self) -> None:
        # psycopg2 would block the eventlet hub on every query without this.
        psycogreen.eventlet.patch_psycopg()
        config = self.container.config
        upgrade(config["DATABASE_URL"])
        self.engine = make_engine(
            config["DATABASE_URL"], pool_size=require_int(config, "DATABASE_POOL_SIZE", minimum=1)
        )
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def stop(self) -> None:
        self.engine.dispose()

    def kill(self) -> None:
        self.engine.dispose()

    def get_dependency(self, worker_ctx: Any) -> UserRepository:
        return UserRepository(self.sessions)
