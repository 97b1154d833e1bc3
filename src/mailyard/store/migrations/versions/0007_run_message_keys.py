"""a random key per run, so Message-IDs are unique across installations

Message-IDs were `<run>.<delivery>@<sender domain>`: every fresh database repeats `<1.1@example.com>`, and
receivers drop a message whose Message-ID they have already seen. Runs started from now on draw a random key
that becomes part of their Message-IDs. Runs already in the database keep none (NULL), so a copy resent
after the upgrade keeps the Message-ID its first copy had.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("runs", sa.Column("message_key", sa.String(32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("message_key")
