"""A pymongo database as a nameko dependency, for services that store in MongoDB."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import pymongo
from nameko.extensions import DependencyProvider
from pymongo.database import Database

from shippy_common.config import require_int

Repository = TypeVar("Repository")


def connect_database(config: dict[str, Any]) -> Database:
    """The ``MONGO_DATABASE`` database at ``MONGO_URI``, with bounded timeouts
    (``MONGO_TIMEOUT_MS``, 5 s by default) and timezone-aware datetimes."""
    timeout_ms = require_int(config, "MONGO_TIMEOUT_MS", minimum=100) if "MONGO_TIMEOUT_MS" in config else 5000
    client: pymongo.MongoClient = pymongo.MongoClient(
        config["MONGO_URI"],
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        socketTimeoutMS=timeout_ms * 2,
        tz_aware=True,
    )
    return client[config["MONGO_DATABASE"]]


class MongoStore(DependencyProvider, Generic[Repository]):
    """One MongoClient per service container, injected as a repository.

    Subclasses say which repository wraps the database (``repository``) and
    what must exist before the first call (``prepare``: indexes, seed data).
    The database name comes from the config key ``MONGO_DATABASE``.
    """

    def setup(self) -> None:
        self.database: Database = connect_database(self.container.config)
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
