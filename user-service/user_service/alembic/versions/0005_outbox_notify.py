"""Every insert into the outbox signals the relay (NOTIFY user_outbox, on commit),
so that an idle relay waits for it instead of polling.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from alembic import op

from user_service.outbox import OUTBOX_CHANNEL

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        f"""
        create function outbox_notify() returns trigger language plpgsql as $$
        begin
            perform pg_notify('{OUTBOX_CHANNEL}', '');
            return null;
        end $$
        """
    )
    op.execute(
        "create trigger outbox_notify after insert on outbox for each statement execute function outbox_notify()"
    )


def downgrade() -> None:
    op.execute("drop trigger outbox_notify on outbox")
    op.execute("drop function outbox_notify()")
