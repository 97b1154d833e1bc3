"""task blocks: how many batch tasks each block of task ids holds, per facet, for deep pages

``task_blocks`` counts the batch tasks of each account in each block of ``BLOCK_SIZE`` consecutive task ids,
once per facet: ``all``, ``state:<state>``, ``type:<task type>``, ``list:<recipient list id>`` (0 for none) and
``owner:<user id>``. A listing filtered on at most one of these finds the block holding its page by adding up
these counts, and skips at most one block of ids, instead of skipping every id before the page. Triggers on
``tasks`` keep it in the same transaction as every insert, delete and change of these columns; a bulk insert
adds its counts once per statement. As with ``task_counts``, SQLite's batch mode rebuilds a table without its
triggers: a later migration that batch-alters ``tasks`` must call ``create_triggers`` again.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BLOCK_SIZE = 4096  # the store's listing reads the same number (store/task_blocks.py)
TRIGGERS = ("tasks_blocked_insert", "tasks_blocked_update", "tasks_blocked_delete")
DIMENSIONS = {
    "state": "state",
    "type": "task_type",
    "list": "COALESCE({row}.recipient_list_id, 0)",
    "owner": "owner_id",
}


def _facets(row: str) -> list[str]:
    """The SQL expressions of a row's facets."""
    facets = ["'all'"]
    for name, column in DIMENSIONS.items():
        value = column.format(row=row) if "{row}" in column else f"{row}.{column}"
        facets.append(f"'{name}:' || {value}")
    return facets


def _facet_array(row: str) -> str:
    return f"ARRAY[{', '.join(_facets(row))}]::text[]"


POSTGRES_INSERT_FUNCTION = f"""
CREATE FUNCTION task_blocks_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO task_blocks (account_id, facet, block, task_count)
    SELECT inserted.account_id, facet, inserted.id / {BLOCK_SIZE}, COUNT(*)
    FROM inserted CROSS JOIN LATERAL unnest({_facet_array("inserted")}) AS facet
    WHERE inserted.kind = 'batch'
    GROUP BY inserted.account_id, facet, inserted.id / {BLOCK_SIZE}
    ON CONFLICT (account_id, facet, block) DO UPDATE SET task_count = task_blocks.task_count + EXCLUDED.task_count;
    RETURN NULL;
END
$$
"""

# A change moves a task out of the facets it no longer has and into the ones it gained; the others are left
# alone, so a state change does not rewrite the busy `all` row of its block.
POSTGRES_CHANGE_FUNCTION = f"""
CREATE FUNCTION task_blocks_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    left_facets text[] := '{{}}';
    gained_facets text[] := '{{}}';
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.kind = 'batch' THEN
        left_facets := {_facet_array("OLD")};
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.kind = 'batch' THEN
        gained_facets := {_facet_array("NEW")};
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.account_id = NEW.account_id THEN
        SELECT COALESCE(array_agg(facet), '{{}}') INTO left_facets
        FROM unnest(left_facets) AS facet WHERE NOT facet = ANY(gained_facets);
        SELECT COALESCE(array_agg(facet), '{{}}') INTO gained_facets
        FROM unnest(gained_facets) AS facet WHERE NOT facet = ANY({_facet_array("OLD")})
            OR OLD.kind <> 'batch';
    END IF;
    IF cardinality(left_facets) > 0 THEN
        UPDATE task_blocks SET task_count = task_count - 1
        WHERE account_id = OLD.account_id AND block = OLD.id / {BLOCK_SIZE} AND facet = ANY(left_facets);
    END IF;
    IF cardinality(gained_facets) > 0 THEN
        INSERT INTO task_blocks (account_id, facet, block, task_count)
        SELECT NEW.account_id, facet, NEW.id / {BLOCK_SIZE}, 1 FROM unnest(gained_facets) AS facet
        ON CONFLICT (account_id, facet, block) DO UPDATE SET task_count = task_blocks.task_count + 1;
    END IF;
    RETURN NULL;
END
$$
"""
COUNTED_COLUMNS = ("account_id", "kind", "state", "task_type", "recipient_list_id", "owner_id")


def _changed(distinct: str) -> str:
    return " OR ".join(f"OLD.{column} {distinct} NEW.{column}" for column in COUNTED_COLUMNS)


def _create_postgres_triggers() -> None:
    op.execute(POSTGRES_INSERT_FUNCTION)
    op.execute(POSTGRES_CHANGE_FUNCTION)
    op.execute(
        "CREATE TRIGGER tasks_blocked_insert AFTER INSERT ON tasks REFERENCING NEW TABLE AS inserted "
        "FOR EACH STATEMENT EXECUTE FUNCTION task_blocks_insert()"
    )
    op.execute(
        "CREATE TRIGGER tasks_blocked_delete AFTER DELETE ON tasks FOR EACH ROW EXECUTE FUNCTION task_blocks_change()"
    )
    op.execute(
        f"CREATE TRIGGER tasks_blocked_update AFTER UPDATE OF {', '.join(COUNTED_COLUMNS)} ON tasks "
        f"FOR EACH ROW WHEN ({_changed('IS DISTINCT FROM')}) EXECUTE FUNCTION task_blocks_change()"
    )


def _sqlite_add(row: str, facets: list[str]) -> str:
    values = ", ".join(f"({row}.account_id, {facet}, {row}.id / {BLOCK_SIZE}, 1)" for facet in facets)
    return (
        f"INSERT INTO task_blocks (account_id, facet, block, task_count) VALUES {values} "
        "ON CONFLICT (account_id, facet, block) DO UPDATE SET task_count = task_count + 1;"
    )


def _sqlite_remove(row: str, facets: list[str], when: str = "true") -> str:
    return (
        f"UPDATE task_blocks SET task_count = task_count - 1 WHERE {when} AND account_id = {row}.account_id "
        f"AND block = {row}.id / {BLOCK_SIZE} AND facet IN ({', '.join(facets)});"
    )


def _sqlite_moves(old: str, new: str) -> str:
    """One facet's part of an update: out of the old value and into the new one, when the task moved."""
    moved = f"(OLD.account_id <> NEW.account_id OR ({old}) IS NOT ({new}))"
    leaves = f"OLD.kind = 'batch' AND (NEW.kind <> 'batch' OR {moved})"
    joins = f"NEW.kind = 'batch' AND (OLD.kind <> 'batch' OR {moved})"
    return (
        _sqlite_remove("OLD", [old], when=leaves) + " INSERT INTO task_blocks (account_id, facet, block, task_count) "
        f"SELECT NEW.account_id, {new}, NEW.id / {BLOCK_SIZE}, 1 WHERE {joins} "
        "ON CONFLICT (account_id, facet, block) DO UPDATE SET task_count = task_count + 1;"
    )


def _create_sqlite_triggers() -> None:
    # SQLite has neither transition tables nor arrays: the facets are written out one by one.
    old_facets, new_facets = _facets("OLD"), _facets("NEW")
    op.execute(
        "CREATE TRIGGER tasks_blocked_insert AFTER INSERT ON tasks WHEN NEW.kind = 'batch' "
        f"BEGIN {_sqlite_add('NEW', new_facets)} END"
    )
    op.execute(
        "CREATE TRIGGER tasks_blocked_delete AFTER DELETE ON tasks WHEN OLD.kind = 'batch' "
        f"BEGIN {_sqlite_remove('OLD', old_facets)} END"
    )
    moves = " ".join(_sqlite_moves(old, new) for old, new in zip(old_facets, new_facets, strict=True))
    op.execute(
        f"CREATE TRIGGER tasks_blocked_update AFTER UPDATE OF {', '.join(COUNTED_COLUMNS)} ON tasks "
        f"WHEN {_changed('IS NOT')} BEGIN {moves} END"
    )


def create_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _create_postgres_triggers()
    else:
        _create_sqlite_triggers()


def drop_triggers() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (" ON tasks" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS task_blocks_insert()")
        op.execute("DROP FUNCTION IF EXISTS task_blocks_change()")


def _backfill() -> None:
    facets = " UNION ALL ".join(
        f"SELECT account_id, {facet} AS facet, id / {BLOCK_SIZE} AS block FROM tasks WHERE kind = 'batch'"
        for facet in _facets("tasks")
    )
    op.execute(
        "INSERT INTO task_blocks (account_id, facet, block, task_count) "
        f"SELECT account_id, facet, block, COUNT(*) FROM ({facets}) AS facets GROUP BY account_id, facet, block"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("LOCK TABLE tasks IN SHARE ROW EXCLUSIVE MODE")  # no task changes between backfill and triggers
    op.create_table(
        "task_blocks",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("facet", sa.String(length=48), nullable=False),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("task_count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_task_blocks_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", "facet", "block", name=op.f("pk_task_blocks")),
    )
    _backfill()
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_table("task_blocks")
