"""who created each template, recipient list, sending domain and sender address (they alone, or an admin,
may change or delete it)

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TABLES = ("templates", "recipient_lists", "sending_domains", "sender_addresses")


def upgrade() -> None:
    # A plain column on both databases. A foreign key would need a batch copy on SQLite, which drops and
    # re-creates the table: with foreign keys on, that deletes (or, for templates, refuses) the rows that
    # point at it. Users are never deleted, so the id stays meaningful. Older rows keep no creator.
    for table in TABLES:
        op.add_column(table, sa.Column("created_by", ID, nullable=True))


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_column(table, "created_by")
