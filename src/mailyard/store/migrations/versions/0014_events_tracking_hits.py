"""opens and clicks by time and by task: partial indexes for counting them apart by origin

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

HITS = sa.text("type IN ('open', 'click')")


def upgrade() -> None:
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


def downgrade() -> None:
    op.drop_index("ix_events_tracking_hits_of_task", table_name="events")
    op.drop_index("ix_events_tracking_hits", table_name="events")
