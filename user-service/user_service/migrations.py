"""Runs the Alembic migrations in ``user_service/alembic`` from code."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

SCRIPT_LOCATION = Path(__file__).with_name("alembic")


def sqlalchemy_url(database_url: str) -> str:
    """``DATABASE_URL`` (libpq form) with the driver SQLAlchemy must use."""
    return database_url.replace("postgresql://", "postgresql+psycopg2://", 1)


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)
