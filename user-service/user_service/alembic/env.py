"""Alembic environment: online migrations only, one migrator at a time."""

from alembic import context
from sqlalchemy import create_engine, pool, text

from user_service.migrations import sqlalchemy_url
from user_service.models import Base

# Any fixed number: instances starting together queue on this lock instead of
# racing to create the same tables.
MIGRATION_LOCK_ID = 7_314_159

engine = create_engine(sqlalchemy_url(context.config.attributes["database_url"]), poolclass=pool.NullPool)

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        connection.execute(text("select pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        context.run_migrations()
engine.dispose()
