"""Database engines for the embedded SQLite default and for PostgreSQL."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

try:  # SQLAlchemy 2.1 renamed it; the old name goes in 2.2
    from sqlalchemy.util import await_
except ImportError:  # pragma: no cover - SQLAlchemy 2.0
    from sqlalchemy.util import await_only as await_

SQLITE_BUSY_TIMEOUT_MS = 30_000
PING_AFTER_IDLE_SECONDS = 5.0


def normalize_url(url: str) -> str:
    """Pick the async driver for plain URLs (`postgresql://`, `sqlite://`)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, pool_size: int = 10, ping_after_idle: float = PING_AFTER_IDLE_SECONDS) -> AsyncEngine:
    """An async engine; SQLite gets WAL and a busy timeout so the CLI works beside a running server.

    Statement parameters are hidden from errors: they carry addresses, messages and sealed secrets, and
    errors are logged.
    """
    url = normalize_url(url)
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            _create_private(Path(database))
        engine = create_async_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            hide_parameters=True,
            pool_reset_on_return=None,  # _roll_back_if_open resets instead
        )
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
        event.listen(engine.sync_engine, "reset", _roll_back_if_open)
        return engine
    # No overflow: an overflow connection is closed as soon as the pool has room again, so concurrency above
    # pool_size opened and closed connections by the hundred a second (each a new PostgreSQL backend that plans
    # its statements anew). Callers wait for one of pool_size connections instead.
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=0, hide_parameters=True)
    _ping_when_idle(engine, ping_after_idle)
    event.listen(engine.sync_engine, "handle_error", _discard_stuck_connections)
    return engine


def _create_private(database: Path) -> None:
    """The database holds addresses and every message sent: only its owner may read it. SQLite gives its
    -wal and -shm files the database file's mode, so creating the file first (0600) covers them too."""
    if not database.parent.exists():
        database.parent.mkdir(mode=0o700, parents=True)
    if not database.exists():
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT, 0o600))


def _ping_when_idle(engine: AsyncEngine, seconds: float) -> None:
    """Check a pooled connection before use only when it sat idle for `seconds` or more.

    A connection that was in use a moment ago is alive; pinging it (what `pool_pre_ping` does) costs a round
    trip on every transaction, a seventh of a short read. One that sat idle may have been cut by a database
    restart or a firewall: it is pinged, and a dead one is replaced before anyone uses it.
    """
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _remember_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < seconds:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as error:  # any failure to ping means the connection is unusable
            raise exc.DisconnectionError(str(error)) from error
        if not alive:
            raise exc.DisconnectionError("the connection did not answer a ping")


def _discard_stuck_connections(context: Any) -> None:
    """Treat a connection whose protocol is stuck mid-operation as gone.

    When the server ends a backend while an operation is under way (a restart, `pg_terminate_backend`), asyncpg
    can keep the socket open with the operation half done; every later use then fails with "another operation
    is in progress". SQLAlchemy counts only closed connections as disconnects and would hand this one out again
    and again; marked as a disconnect, it is replaced instead and the pool's other connections are checked.
    """
    cause = getattr(context.original_exception, "__cause__", None)
    if isinstance(cause, asyncpg.InternalClientError):
        context.is_disconnect = True


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy issue BEGIN itself (see _begin_immediate) instead of the driver's implicit one.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_immediate(connection: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two writers wait on the busy timeout
    # instead of failing with "database is locked" when a read transaction upgrades. It goes to aiosqlite
    # directly: one call into its thread where SQLAlchemy's statement makes three (cursor, execute, close), which
    # saves about 0.25 ms of CPU on every transaction (docs/performance.md, "Submitting over SMTP").
    await_(connection.connection.driver_connection.execute_fetchall("BEGIN IMMEDIATE"))


def _roll_back_if_open(dbapi_connection: Any, _record: Any, reset_state: Any) -> None:
    """A connection going back to the pool is rolled back only if a transaction is still open on it.

    SQLAlchemy rolls back every connection it takes back, committed or not; on SQLite that ROLLBACK is one more
    call into aiosqlite's thread (about 40 µs of CPU) after every committed transaction. The driver knows
    whether one is open, without a call into that thread. A connection dropped without asyncio (by the garbage
    collector) is closed, not reused, so it is left alone here as SQLAlchemy does.
    """
    if not reset_state.asyncio_safe:
        return
    try:
        still_open = dbapi_connection.driver_connection.in_transaction
    except ValueError:  # aiosqlite's connection is closed already: nothing to roll back
        return
    if still_open:
        dbapi_connection.rollback()
