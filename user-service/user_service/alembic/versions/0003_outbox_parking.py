"""Outbox events the relay could not publish are parked, not retried for ever.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("outbox", sa.Column("park_reason", sa.String(500), nullable=True))
    op.drop_index("outbox_pending", table_name="outbox")
    op.create_index(
        "outbox_pending", "outbox", ["seq"], postgresql_where=sa.text("published_at is null and parked_at is null")
    )


def downgrade() -> None:
    op.drop_index("outbox_pending", table_name="outbox")
    op.create_index("outbox_pending", "outbox", ["seq"], postgresql_where=sa.text("published_at is null"))
    op.drop_column("outbox", "park_reason")
    op.drop_column("outbox", "parked_at")
