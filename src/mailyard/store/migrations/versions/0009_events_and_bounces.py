"""events with daily counters, suppression descriptions, and inbound mail kept for inspection

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("suppressions") as batch:
        batch.add_column(sa.Column("description", sa.Text(), nullable=True))
    op.create_table(
        "events",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("task_id", Id, nullable=False),
        sa.Column("delivery_id", Id, nullable=False),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("bounce_type", sa.String(16), nullable=True),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.String(400), nullable=True),
        sa.Column("machine", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
    )
    op.create_index("ix_events_task_id_id", "events", ["task_id", "id"])
    op.create_index("ix_events_delivery_id_type", "events", ["delivery_id", "type"])
    op.create_index("ix_events_account_address_id", "events", ["account_id", "address", "id"])
    complaints_only = sa.text("type = 'spamreport'")
    op.create_index(
        "ix_events_complaints",
        "events",
        ["account_id", "occurred_at"],
        postgresql_where=complaints_only,
        sqlite_where=complaints_only,
    )
    op.create_table(
        "event_counts",
        sa.Column("task_id", Id, nullable=False, autoincrement=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("recipient_domain", sa.String(253), nullable=False),
        sa.Column("counter", sa.String(16), nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("event_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("task_id", "day", "recipient_domain", "counter", name="pk_event_counts"),
    )
    op.create_index("ix_event_counts_account_day", "event_counts", ["account_id", "day"])
    op.create_table(
        "inbound_messages",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("mail_from", sa.String(320), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("problem", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_messages"),
    )


def downgrade() -> None:
    op.drop_table("inbound_messages")
    op.drop_index("ix_event_counts_account_day", table_name="event_counts")
    op.drop_table("event_counts")
    op.drop_table("events")
    with op.batch_alter_table("suppressions") as batch:
        batch.drop_column("description")
