"""single sends (task kind, cc/bcc, attachments) and address-level unsubscribe configs

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.alter_column("recipient_list_id", existing_type=ID, nullable=True)
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="batch"))
        batch_op.add_column(sa.Column("cc", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("bcc", sa.Text(), nullable=True))
    op.create_table(
        "task_attachments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("task_id", ID, nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=127), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_attachments_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_attachments")),
    )
    op.create_index("ix_task_attachments_task_id", "task_attachments", ["task_id"], unique=False)
    op.create_table(
        "unsubscribe_configs",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_unsubscribe_configs_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unsubscribe_configs")),
        sa.UniqueConstraint("account_id", "address", name="uq_unsubscribe_configs_account_address"),
    )


def downgrade() -> None:
    op.drop_table("unsubscribe_configs")
    op.drop_index("ix_task_attachments_task_id", table_name="task_attachments")
    op.drop_table("task_attachments")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("bcc")
        batch_op.drop_column("cc")
        batch_op.drop_column("kind")
        batch_op.alter_column("recipient_list_id", existing_type=ID, nullable=False)
