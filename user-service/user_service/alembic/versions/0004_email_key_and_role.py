"""Accounts get a role, and one account per address is decided in Python.

PostgreSQL without a locale lowercases ASCII only, so ``lower(email)`` let
``Émile@…`` and ``émile@…`` be two accounts. ``email_key`` holds
``user_service.domain.email_key(email)`` (NFKC, then full case folding) and
carries the unique index instead. Existing rows are filled with that same
function; addresses that already collide under it stop the migration, naming
the accounts, for an operator to resolve: merging them is not for a migration
to decide.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from user_service.domain import email_key

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

users = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("email", sa.String()),
    sa.column("email_key", sa.String()),
)


def upgrade() -> None:
    op.add_column("users", sa.Column("email_key", sa.String(254), nullable=True))
    op.add_column("users", sa.Column("role", sa.String(20), nullable=False, server_default="customer"))
    op.create_check_constraint("users_role_known", "users", "role in ('customer', 'admin')")

    connection = op.get_bind()
    rows = connection.execute(sa.select(users.c.id, users.c.email))
    keys = [{"user_id": user_id, "key": email_key(email)} for user_id, email in rows]
    if keys:
        connection.execute(
            users.update().where(users.c.id == sa.bindparam("user_id")).values(email_key=sa.bindparam("key")), keys
        )
    clashing = connection.scalars(
        sa.select(sa.func.string_agg(sa.cast(users.c.id, sa.Text), ", "))
        .group_by(users.c.email_key)
        .having(sa.func.count() > 1)
    ).all()
    if clashing:
        raise RuntimeError(
            "these accounts share an address once letter case is folded; merge or rename them, then migrate again: "
            + "; ".join(clashing)
        )
    op.alter_column("users", "email_key", nullable=False)
    op.drop_index("users_email_lower_key", table_name="users")
    op.create_index("users_email_key_key", "users", ["email_key"], unique=True)
    op.create_index("users_created_at_id", "users", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("users_created_at_id", table_name="users")
    op.drop_index("users_email_key_key", table_name="users")
    op.create_index("users_email_lower_key", "users", [sa.text("lower(email)")], unique=True)
    op.drop_constraint("users_role_known", "users", type_="check")
    op.drop_column("users", "role")
    op.drop_column("users", "email_key")
