"""task facets and blocks: how many batch tasks each account has per facet, in all and per block of task ids

A facet is ``all``, ``state:<state>``, ``type:<task type>``, ``list:<recipient list id>`` (0 for none) or
``owner:<user id>``. ``task_facets`` holds each account's batch tasks per facet; ``task_blocks`` the same per
block of consecutive task ids, in blocks of 65,536 ids and of 1,024. A listing filtered on at most one of these
takes its total from the first and finds the block holding its page by adding up the second (the large blocks,
then the small ones within the large one found), skipping at most 1,024 ids instead of every id before the
page. Triggers on ``tasks`` keep both in the same transaction as every insert,
delete and change of the counted columns (on PostgreSQL at its commit, so that a long transaction does not hold
the shared rows). As with ``task_counts``, SQLite's batch mode rebuilds a table without its triggers: a later
migration that batch-alters ``tasks`` must call ``create_triggers`` again.

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
BLOCK_SIZES = (65_536, 1_024)  # the store's listing reads the same numbers (store/task_blocks.py)
TRIGGERS = ("tasks_blocked_insert", "tasks_blocked_update", "tasks_blocked_delete")
DIMENSIONS = {"state": "{row}.state", "type": "{row}.task_type", "list": "COALESCE({row}.recipient_list_id, 0)"}
DIMENSIONS |= {"owner": "{row}.owner_id"}
COUNTED_COLUMNS = ("account_id", "kind", "state", "task_type", "recipient_list_id", "owner_id")


def _facets(row: str) -> list[str]:
    """The SQL expressions of a row's facets."""
    return ["'all'", *(f"'{name}:' || {value.format(row=row)}" for name, value in DIMENSIONS.items())]


def _facet_array(row: str) -> str:
    return f"ARRAY[{', '.join(_facets(row))}]::text[]"


def _changed(distinct: str) -> str:
    return " OR ".join(f"OLD.{column} {distinct} NEW.{column}" for column in COUNTED_COLUMNS)


# A change moves a task out of the facets it no longer has and into the ones it gained; the others are left
# alone, so a state change does not rewrite the busy `all` rows.
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
    IF TG_OP = 'UPDATE' AND OLD.account_id = NEW.account_id AND OLD.kind = NEW.kind THEN
        SELECT COALESCE(array_agg(facet), '{{}}') INTO left_facets
        FROM unnest(left_facets) AS facet WHERE NOT facet = ANY({_facet_array("NEW")});
        SELECT COALESCE(array_agg(facet), '{{}}') INTO gained_facets
        FROM unnest(gained_facets) AS facet WHERE NOT facet = ANY({_facet_array("OLD")});
    END IF;
    IF cardinality(left_facets) > 0 THEN
        UPDATE task_facets SET task_count = task_count - 1
        WHERE account_id = OLD.account_id AND facet = ANY(left_facets);
        UPDATE task_blocks SET task_count = task_count - 1
        WHERE account_id = OLD.account_id AND facet = ANY(left_facets)
            AND (block_size, block) IN ({", ".join(f"({size}, OLD.id / {size})" for size in BLOCK_SIZES)});
    END IF;
    IF cardinality(gained_facets) > 0 THEN
        INSERT INTO task_facets (account_id, facet, task_count)
        SELECT NEW.account_id, facet, 1 FROM unnest(gained_facets) AS facet
        ON CONFLICT (account_id, facet) DO UPDATE SET task_count = task_facets.task_count + 1;
        INSERT INTO task_blocks (account_id, facet, block_size, block, task_count)
        SELECT NEW.account_id, facet, size, NEW.id / size, 1
        FROM unnest(gained_facets) AS facet CROSS JOIN unnest(ARRAY[{", ".join(map(str, BLOCK_SIZES))}]) AS size
        ON CONFLICT (account_id, facet, block_size, block) DO UPDATE SET task_count = task_blocks.task_count + 1;
    END IF;
    RETURN NULL;
END
$$
"""


def _create_postgres_triggers() -> None:
    # Deferred to the commit: a task created in a transaction that then expands a run of 50,000 recipients would
    # otherwise hold the `all` rows for as long, and every other task creation of the account would wait for it.
    op.execute(POSTGRES_CHANGE_FUNCTION)
    deferred = "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW"
    run = "EXECUTE FUNCTION task_blocks_change()"
    op.execute(f"CREATE CONSTRAINT TRIGGER tasks_blocked_insert AFTER INSERT ON tasks {deferred} {run}")
    op.execute(f"CREATE CONSTRAINT TRIGGER tasks_blocked_delete AFTER DELETE ON tasks {deferred} {run}")
    op.execute(
        f"CREATE CONSTRAINT TRIGGER tasks_blocked_update AFTER UPDATE OF {', '.join(COUNTED_COLUMNS)} ON tasks "
        f"{deferred} WHEN ({_changed('IS DISTINCT FROM')}) {run}"
    )


def _sqlite_add(facet: str, when: str = "true") -> str:
    """Count NEW under one facet, in all and in its blocks, when `when` holds."""
    blocks = " ".join(
        "INSERT INTO task_blocks (account_id, facet, block_size, block, task_count) "
        f"SELECT NEW.account_id, {facet}, {size}, NEW.id / {size}, 1 WHERE {when} "
        "ON CONFLICT (account_id, facet, block_size, block) DO UPDATE SET task_count = task_count + 1;"
        for size in BLOCK_SIZES
    )
    return (
        f"INSERT INTO task_facets (account_id, facet, task_count) SELECT NEW.account_id, {facet}, 1 WHERE {when} "
        f"ON CONFLICT (account_id, facet) DO UPDATE SET task_count = task_count + 1; {blocks}"
    )


def _sqlite_remove(facet: str, when: str = "true") -> str:
    """Count OLD out of one facet, in all and in its blocks, when `when` holds."""
    blocks = " OR ".join(f"(block_size = {size} AND block = OLD.id / {size})" for size in BLOCK_SIZES)
    return (
        f"UPDATE task_facets SET task_count = task_count - 1 WHERE {when} "
        f"AND account_id = OLD.account_id AND facet = {facet}; "
        f"UPDATE task_blocks SET task_count = task_count - 1 WHERE {when} "
        f"AND account_id = OLD.account_id AND facet = {facet} AND ({blocks});"
    )


def _sqlite_moves(old: str, new: str) -> str:
    """One facet's part of an update: out of the old value and into the new one, when the task moved."""
    moved = f"(OLD.account_id <> NEW.account_id OR ({old}) IS NOT ({new}))"
    leaves = f"OLD.kind = 'batch' AND (NEW.kind <> 'batch' OR {moved})"
    joins = f"NEW.kind = 'batch' AND (OLD.kind <> 'batch' OR {moved})"
    return _sqlite_remove(old, when=leaves) + " " + _sqlite_add(new, when=joins)


def _create_sqlite_triggers() -> None:
    # SQLite has neither arrays nor deferred triggers (nor concurrent writers): each facet is written out.
    old_facets, new_facets = _facets("OLD"), _facets("NEW")
    additions = " ".join(_sqlite_add(facet) for facet in new_facets)
    removals = " ".join(_sqlite_remove(facet) for facet in old_facets)
    op.execute(
        f"CREATE TRIGGER tasks_blocked_insert AFTER INSERT ON tasks WHEN NEW.kind = 'batch' BEGIN {additions} END"
    )
    op.execute(
        f"CREATE TRIGGER tasks_blocked_delete AFTER DELETE ON tasks WHEN OLD.kind = 'batch' BEGIN {removals} END"
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
        op.execute("DROP FUNCTION IF EXISTS task_blocks_change()")


def _backfill() -> None:
    facets = " UNION ALL ".join(
        f"SELECT account_id, {facet} AS facet, id AS task_id FROM tasks WHERE kind = 'batch'"
        for facet in _facets("tasks")
    )
    for size in BLOCK_SIZES:
        op.execute(
            "INSERT INTO task_blocks (account_id, facet, block_size, block, task_count) "
            f"SELECT account_id, facet, {size}, task_id / {size}, COUNT(*) FROM ({facets}) AS facets "
            f"GROUP BY account_id, facet, task_id / {size}"
        )
    op.execute(
        "INSERT INTO task_facets (account_id, facet, task_count) "
        f"SELECT account_id, facet, SUM(task_count) FROM task_blocks WHERE block_size = {BLOCK_SIZES[0]} "
        "GROUP BY account_id, facet"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("LOCK TABLE tasks IN SHARE ROW EXCLUSIVE MODE")  # no task changes between backfill and triggers
    op.create_table(
        "task_facets",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("facet", sa.String(length=48), nullable=False),
        sa.Column("task_count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_task_facets_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", "facet", name=op.f("pk_task_facets")),
    )
    op.create_table(
        "task_blocks",
        sa.Column("account_id", ID, nullable=False),
        sa.Column("facet", sa.String(length=48), nullable=False),
        sa.Column("block_size", sa.Integer(), nullable=False),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("task_count", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_task_blocks_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("account_id", "facet", "block_size", "block", name=op.f("pk_task_blocks")),
    )
    _backfill()
    create_triggers()
    op.create_index("ix_tasks_owner_kind_state_id", "tasks", ["owner_id", "kind", "state", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_tasks_owner_kind_state_id", table_name="tasks")
    drop_triggers()
    op.drop_table("task_blocks")
    op.drop_table("task_facets")
