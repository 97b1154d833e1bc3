"""webhook endpoints and the messages queued for them

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column("custom", sa.Text(), nullable=True),
        sa.Column("sender_address", sa.String(254), nullable=True),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_webhook_endpoints_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_index("ix_webhook_endpoints_account_id", "webhook_endpoints", ["account_id"])
    op.create_table(
        "webhook_messages",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("endpoint_id", Id, nullable=False),
        sa.Column("account_id", Id, nullable=False),
        sa.Column("event_type", sa.String(16), nullable=False),
        sa.Column("delivery_id", Id, nullable=True),
        sa.Column("task_id", Id, nullable=True),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("bounce_type", sa.String(16), nullable=True),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("user_agent", sa.String(400), nullable=True),
        sa.Column("machine", sa.Boolean(), nullable=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("leased_until", sa.DateTime(), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_answer", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["endpoint_id"],
            ["webhook_endpoints.id"],
            name=op.f("fk_webhook_messages_endpoint_id_webhook_endpoints"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_messages")),
    )
    op.create_index("ix_webhook_messages_state_next_attempt_at", "webhook_messages", ["state", "next_attempt_at"])
    op.create_index("ix_webhook_messages_endpoint_id_id", "webhook_messages", ["endpoint_id", "id"])


def downgrade() -> None:
    op.drop_table("webhook_messages")
    op.drop_table("webhook_endpoints")
