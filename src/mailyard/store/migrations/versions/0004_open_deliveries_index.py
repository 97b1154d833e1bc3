"""a partial index over the open deliveries, for the claim

The claim takes the lowest ids among the deliveries still queued or being sent. Without this index
PostgreSQL walks the primary key past every delivery already sent (tens of milliseconds per claim late in a
large run); over the open rows only, a claim costs the same whatever the run's size.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OPEN = sa.text("state IN ('queued', 'sending')")


def upgrade() -> None:
    op.create_index(
        "ix_deliveries_open_id",
        "deliveries",
        ["id"],
        unique=False,
        postgresql_where=OPEN,
        sqlite_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_open_id", table_name="deliveries")
