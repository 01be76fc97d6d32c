"""A pymongo database as a nameko dependency, for services that store in MongoDB."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar

import pymongo
from nameko.extensions import DependencyProvider
from pymongo.database import Database

from shippy_common.config import ConfigError, require_int
from shippy_common.settings import settings_of

Repository = TypeVar("Repository")


@dataclass(frozen=True)
class MongoSettings:
    """Where a service's MongoDB database is: ``MONGO_URI``, ``MONGO_DATABASE``
    and ``MONGO_TIMEOUT_MS`` (5 s by default)."""

    uri: str
    database: str
    timeout_ms: int = 5000

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Self:
        uri, database = config.get("MONGO_URI"), config.get("MONGO_DATABASE")
        if not isinstance(uri, str) or not uri.startswith(("mongodb://", "mongodb+srv://")):
            raise ConfigError("MONGO_URI must be a URL starting with mongodb:// or mongodb+srv://")
        if not isinstance(database, str) or not database:
            raise ConfigError("MONGO_DATABASE must be a database name")
        timeout_ms = require_int(config, "MONGO_TIMEOUT_MS", minimum=100) if "MONGO_TIMEOUT_MS" in config else 5000
        return cls(uri=uri, database=database, timeout_ms=timeout_ms)


def connect_database(settings: MongoSettings) -> Database:
    """The database, with bounded timeouts and timezone-aware datetimes."""
    client: pymongo.MongoClient = pymongo.MongoClient(
        settings.uri,
        serverSelectionTimeoutMS=settings.timeout_ms,
        connectTimeoutMS=settings.timeout_ms,
        socketTimeoutMS=settings.timeout_ms * 2,
        tz_aware=True,
    )
    return client[settings.database]


class MongoStore(DependencyProvider, Generic[Repository]):
    """One MongoClient per service container, injected as a repository.

    Subclasses say which repository wraps the database (``repository``) and
    what must exist before the first call (``prepare``: indexes, seed data).
    The service's settings carry a ``mongo`` (:class:`MongoSettings`).
    """

    def setup(self) -> None:
        self.settings = settings_of(self.container)
        self.database: Database = connect_database(self.settings.mongo)
        self.client = self.database.client
        self.prepare(self.repository(self.database))

    def repository(self, database: Database) -> Repository:
        raise NotImplementedError

    def prepare(self, repository: Repository) -> None:
        """Create indexes and seed data; runs once per start, must be idempotent."""

    def stop(self) -> None:
        self.client.close()

    def kill(self) -> None:
        self.client.close()

    def get_dependency(self, worker_ctx: Any) -> Repository:
        return self.repository(self.database)
