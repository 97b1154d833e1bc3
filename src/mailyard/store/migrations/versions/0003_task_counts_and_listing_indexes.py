"""task counts kept by triggers, and listing indexes that cover the task kind

``task_counts`` holds how many batch tasks each (account, owner, state, type, list, paused) has, so a
listing's total is a sum over a few rows instead of a count over every task. Triggers on ``tasks`` keep it
in the same transaction as every insert, delete and change of those columns, whichever code makes it.
SQLite's batch mode rebuilds a table and loses its triggers: a later migration that batch-alters ``tasks``
must create them again (``create_triggers``).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KEY = ("account_id", "owner_id", "state", "task_type", "recipient_list_id", "paused")
KEY_LIST = ", ".join(KEY)
OLD_INDEXES = {
    "ix_tasks_account_id_id": ["account_id", "id"],
    "ix_tasks_account_state_id": ["account_id", "state", "id"],
    "ix_tasks_account_type_id": ["account_id", "task_type", "id"],
    "ix_tasks_account_list_id": ["account_id", "recipient_list_id", "id"],
}
NEW_INDEXES = {
    "ix_tasks_account_kind_id": ["account_id", "kind", "id"],
    "ix_tasks_account_kind_state_id": ["account_id", "kind", "state", "id"],
    "ix_tasks_account_kind_type_id": ["account_id", "kind", "task_type", "id"],
    "ix_tasks_account_kind_list_id": ["account_id", "kind", "recipient_list_id", "id"],
}
TRIGGERS = ("tasks_counted_insert", "tasks_counted_update", "tasks_counted_delete")


def _values(row: str) -> str:
    return (
        f"{row}.account_id, {row}.owner_id, {row}.state, {row}.task_type, "
        f"COALESCE({row}.recipient_list_id, 0), {row}.paused"
    )


def _decrement(row: str) -> str:
    matches = " AND ".join(
        f"{column} = COALESCE({row}.{column}, 0)" if column == "recipient_list_id" else f"{column} = {row}.{column}"
        for column in KEY
    )
    return f"UPDATE task_counts SET task_count = task_count - 1 WHERE {matches};"


def _increment(row: str, where: str) -> str:
    return (
        f"INSERT INTO task_counts ({KEY_LIST}, task_count) SELECT {_values(row)}, 1 WHERE {where} "
        f"ON CONFLICT ({KEY_LIST}) DO UPDATE SET task_count = task_counts.task_count + 1;"
    )


def _changed(distinct: str) -> str:
    return " OR ".join(f"OLD.{column} {distinct} NEW.{column}" for column in (*KEY, "kind"))


POSTGRES_FUNCTION = f"""
CREATE FUNCTION task_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        IF OLD.kind = 'batch' THEN
            {_decrement("OLD")}
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        {_increment("NEW", "NEW.kind = 'batch'")}
    END IF;
    RETURN NULL;
END
$$
"""
UPDATED_COLUMNS = ", ".join((*KEY, "kind"))


def create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        run = "FOR EACH ROW EXECUTE FUNCTION task_counts_apply()"
        op.execute(f"CREATE TRIGGER tasks_counted_insert AFTER INSERT ON tasks {run}")
        op.execute(f"CREATE TRIGGER tasks_counted_delete AFTER DELETE ON tasks {run}")
        op.execute(
            f"CREATE TRIGGER tasks_counted_update AFTER UPDATE OF {UPDATED_COLUMNS} ON tasks "
            f"FOR EACH ROW WHEN ({_changed('IS DISTINCT FROM')}) EXECUTE FUNCTION task_counts_apply()"
        )
        return
    op.execute(
        "CREATE TRIGGER tasks_counted_insert AFTER INSERT ON tasks WHEN NEW.kind = 'batch' "
        f"BEGIN {_increment('NEW', 'true')} END"
    )
    op.execute(
        "CREATE TRIGGER tasks_counted_delete AFTER DELETE ON tasks WHEN OLD.kind = 'batch' "
        f"BEGIN {_decrement('OLD')} END"
    )
    decrement = _decrement("OLD").replace(" WHERE ", " WHERE OLD.kind = 'batch' AND ")
    increment = _increment("NEW", "NEW.kind = 'batch'")
    op.execute(
        f"CREATE TRIGGER tasks_counted_update AFTER UPDATE OF {UPDATED_COLUMNS} ON tasks WHEN {_changed('IS NOT')} "
        f"BEGIN {decrement} {increment} END"
    )


def drop_triggers() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (" ON tasks" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS task_counts_apply()")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("LOCK TABLE tasks IN SHARE ROW EXCLUSIVE MODE")  # no task changes between backfill and triggers
    op.create_table(
        "task_counts",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("task_type", sa.Integer(), nullable=False),
        sa.Column("recipient_list_id", ID, nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("task_count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_task_counts_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_task_counts_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(*KEY, name=op.f("pk_task_counts")),
    )
    op.execute(
        f"INSERT INTO task_counts ({KEY_LIST}, task_count) "
        f"SELECT account_id, owner_id, state, task_type, COALESCE(recipient_list_id, 0), paused, COUNT(*) "
        f"FROM tasks WHERE kind = 'batch' GROUP BY account_id, owner_id, state, task_type, "
        f"COALESCE(recipient_list_id, 0), paused"
    )
    create_triggers()
    for name, columns in NEW_INDEXES.items():
        op.create_index(name, "tasks", columns, unique=False)
    for name in OLD_INDEXES:
        op.drop_index(name, table_name="tasks")


def downgrade() -> None:
    for name, columns in OLD_INDEXES.items():
        op.create_index(name, "tasks", columns, unique=False)
    for name in NEW_INDEXES:
        op.drop_index(name, table_name="tasks")
    drop_triggers()
    op.drop_table("task_counts")
