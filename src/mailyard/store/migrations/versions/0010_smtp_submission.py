"""SMTP submission: hashed SMTP passwords, and single sends that carry the submitted message itself

- ``sender_addresses.smtp_password_hash`` (argon2) replaces ``sealed_smtp_password`` (reversibly encrypted).
  Stored passwords are re-made as hashes when the caller hands in ``smtp_password_rehash`` (sealed → hash,
  or None when it cannot be opened, e.g. another master key); without it they are dropped and must be set
  again. Either way no reversible copy is left.
- ``tasks.template_id`` may be empty: a message submitted over SMTP brings its own content, kept in
  ``submitted_messages``. SQLite cannot drop a NOT NULL in place; its documented procedure for removing one
  (rewrite the table's SQL in the schema) is used instead of rebuilding ``tasks``, which would drop its
  triggers and, with foreign keys on, cascade into the ledger.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from alembic import context, op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_log = logging.getLogger("mailyard.migrations")


def upgrade() -> None:
    _hash_smtp_passwords()
    _template_optional()
    op.create_table(
        "submitted_messages",
        sa.Column("task_id", ID, nullable=False),
        sa.Column("envelope_from", sa.String(254), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_submitted_messages_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_submitted_messages")),
    )


def _hash_smtp_passwords() -> None:
    with op.batch_alter_table("sender_addresses") as batch:
        batch.add_column(sa.Column("smtp_password_hash", sa.Text(), nullable=True))
    rehash: Callable[[str], str | None] | None = context.config.attributes.get("smtp_password_rehash")
    senders = sa.table(
        "sender_addresses",
        sa.column("id", ID),
        sa.column("address", sa.String()),
        sa.column("sealed_smtp_password", sa.Text()),
        sa.column("smtp_password_hash", sa.Text()),
    )
    connection = op.get_bind()
    stored = connection.execute(
        sa.select(senders.c.id, senders.c.address, senders.c.sealed_smtp_password).where(
            senders.c.sealed_smtp_password.is_not(None)
        )
    ).all()
    for row in stored:
        hashed = rehash(row.sealed_smtp_password) if rehash is not None else None
        if hashed is None:
            _log.warning("the SMTP password of %s could not be kept; set it again", row.address)
            continue
        connection.execute(sa.update(senders).where(senders.c.id == row.id).values(smtp_password_hash=hashed))
    with op.batch_alter_table("sender_addresses") as batch:
        batch.drop_column("sealed_smtp_password")


def _template_optional() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("tasks", "template_id", existing_type=ID, nullable=True)
        return
    # https://www.sqlite.org/lang_altertable.html#otheralter: removing a NOT NULL needs no rebuild.
    connection = op.get_bind()
    version = connection.exec_driver_sql("PRAGMA schema_version").scalar_one()
    connection.exec_driver_sql("PRAGMA writable_schema = ON")
    connection.exec_driver_sql(
        "UPDATE sqlite_master SET sql = replace(sql, 'template_id INTEGER NOT NULL', 'template_id INTEGER') "
        "WHERE type = 'table' AND name = 'tasks'"
    )
    connection.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    connection.exec_driver_sql("PRAGMA writable_schema = OFF")


def downgrade() -> None:
    op.drop_table("submitted_messages")
    with op.batch_alter_table("sender_addresses") as batch:
        batch.add_column(sa.Column("sealed_smtp_password", sa.Text(), nullable=True))
        batch.drop_column("smtp_password_hash")
