"""the retention purge reads events and outbox copies by age through indexes; the partial indexes of opens and
clicks go, the dashboard reading their split from the daily counters now

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

HITS = sa.text("type IN ('open', 'click')")


def upgrade() -> None:
    op.drop_index("ix_events_tracking_hits_of_task", table_name="events")
    op.drop_index("ix_events_tracking_hits", table_name="events")
    op.create_index("ix_events_occurred_at_id", "events", ["occurred_at", "id"])
    op.create_index("ix_outbox_messages_created_at_id", "outbox_messages", ["created_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_created_at_id", table_name="outbox_messages")
    op.drop_index("ix_events_occurred_at_id", table_name="events")
    op.create_index(
        "ix_events_tracking_hits",
        "events",
        ["account_id", "occurred_at", "type", "machine", "delivery_id"],
        postgresql_where=HITS,
        sqlite_where=HITS,
    )
    op.create_index(
        "ix_events_tracking_hits_of_task",
        "events",
        ["task_id", "account_id", "type", "machine", "delivery_id"],
        postgresql_where=HITS,
        sqlite_where=HITS,
    )
