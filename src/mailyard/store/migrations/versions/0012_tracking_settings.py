"""open and click tracking settings per account and per task

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tracking_settings",
        sa.Column("account_id", Id, nullable=False, autoincrement=False),
        sa.Column("task_id", Id, nullable=False, autoincrement=False),
        sa.Column("opens", sa.Boolean(), nullable=False),
        sa.Column("clicks", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "task_id", name="pk_tracking_settings"),
    )


def downgrade() -> None:
    op.drop_table("tracking_settings")
