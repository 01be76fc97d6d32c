"""Users in PostgreSQL, through SQLAlchemy."""

from __future__ import annotations

import uuid

from sqlalchemy import Engine, create_engine, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shippy_common.errors import AlreadyExists
from user_service.domain import PagePosition, User
from user_service.migrations import sqlalchemy_url
from user_service.models import OutboxRecord, UserRecord


def _to_domain(record: UserRecord) -> User:
    return User(
        id=str(record.id),
        name=record.name,
        company=record.company,
        email=record.email,
        role=record.role,
        created_at=record.created_at,
    )


class UserRepository:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

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
            with self.sessions.begin() as session:
                session.add(record)
                session.add(outbox)
                session.flush()
                session.refresh(record)
                return _to_domain(record)
        except IntegrityError:
            raise AlreadyExists(f"an account for {email} already exists") from None

    def email_taken(self, email_key: str) -> bool:
        with self.sessions() as session:
            return session.scalar(select(UserRecord.id).where(UserRecord.email_key == email_key)) is not None

    def with_password_hash(self, email_key: str) -> tuple[User, str] | None:
        with self.sessions() as session:
            record = session.scalar(select(UserRecord).where(UserRecord.email_key == email_key))
            return None if record is None else (_to_domain(record), record.password_hash)

    def get(self, user_id: str) -> User | None:
        with self.sessions() as session:
            record = session.get(UserRecord, uuid.UUID(user_id))
            return None if record is None else _to_domain(record)

    def page(self, after: PagePosition | None, limit: int) -> list[User]:
        """Up to ``limit`` users in (created_at, id) order, from just after ``after``."""
        query = select(UserRecord).order_by(UserRecord.created_at, UserRecord.id).limit(limit)
        if after is not None:
            query = query.where(tuple_(UserRecord.created_at, UserRecord.id) > tuple_(*after))
        with self.sessions() as session:
            return [_to_domain(record) for record in session.scalars(query)]

    def set_role(self, email_key: str, role: str) -> User | None:
        """Give the account at ``email_key`` ``role``; ``None`` if there is none."""
        with self.sessions.begin() as session:
            record = session.scalar(
                update(UserRecord).where(UserRecord.email_key == email_key).values(role=role).returning(UserRecord)
            )
            return None if record is None else _to_domain(record)


def make_engine(database_url: str, pool_size: int) -> Engine:
    # hide_parameters: an INSERT's parameters include the password hash, and a
    # driver error (logged, or shown to an operator) would otherwise carry them.
    return create_engine(
        sqlalchemy_url(database_url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        hide_parameters=True,
    )
