"""One scheduler pass over many due tasks, in-process, with the time each kind of statement took.

Usage: python bench/scheduler_pass.py [--tasks 2000] [--database postgres|sqlite]

The soak's scheduler scenario (`bench/soak.py --scenarios scheduler`) measures the same work end to end, with
workers beside it; this one shows where a pass spends its time, statement by statement.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import event, text, update

sys.path.insert(0, str(Path(__file__).parent))
import harness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--batch", type=int, default=None, help="due tasks a transaction (the default's)")
    parser.add_argument("--profile", action="store_true", help="print where the Python time went")
    parser.add_argument("--without-triggers", action="store_true", help="PostgreSQL: what the pass costs without them")
    options = parser.parse_args()
    with harness.database(options.database) as url, tempfile.TemporaryDirectory() as data_dir:
        asyncio.run(_pass(url, Path(data_dir), options.tasks, options.without_triggers, options.batch, options.profile))


async def _pass(
    url: str | None, data_dir: Path, count: int, without_triggers: bool, batch: int | None, profiled: bool
) -> None:
    from mailyard import bootstrap
    from mailyard.settings import Settings

    settings = Settings(data_dir=data_dir, database_url=url, identity_verification="trust")
    runtime = await bootstrap.open_runtime(settings)
    try:
        await _due_tasks(runtime, count)
        if batch:
            runtime.services.scheduling._batch = batch
        if without_triggers:
            async with runtime.engine.begin() as connection:
                await connection.execute(text("ALTER TABLE tasks DISABLE TRIGGER USER"))
        spent: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
        sync_engine = runtime.engine.sync_engine

        @event.listens_for(sync_engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            conn.info.setdefault("started", []).append(time.perf_counter())

        @event.listens_for(sync_engine, "after_cursor_execute")
        def _after(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            took = time.perf_counter() - conn.info["started"].pop()
            key = " ".join(statement.split())[:90]
            spent[key][0] += took
            spent[key][1] += 1

        profile = cProfile.Profile() if profiled else None
        started = time.perf_counter()
        if profile:
            profile.enable()
        fired = await runtime.services.scheduling.fire_due()
        elapsed = time.perf_counter() - started
        if profile:
            profile.disable()
            pstats.Stats(profile).sort_stats("cumulative").print_stats("mailyard", 40)
        print(f"{len(fired)} runs started in {elapsed:.2f} s ({elapsed / max(1, len(fired)) * 1000:.2f} ms a task)")
        total = sum(took for took, _ in spent.values())
        print(f"statements: {total:.2f} s; the rest (Python, pool): {elapsed - total:.2f} s")
        for key, (took, calls) in sorted(spent.items(), key=lambda item: -item[1][0])[:15]:
            print(f"{took:7.3f} s {calls:5d}x  {key}")
    finally:
        await runtime.close()


async def _due_tasks(runtime, count: int) -> None:  # type: ignore[no-untyped-def]
    from mailyard.store import tables

    await harness.scheduled_tasks(runtime, count)
    async with runtime.engine.begin() as connection:
        await connection.execute(update(tables.tasks).values(next_fire_at=runtime.services.clock.now()))


if __name__ == "__main__":
    main()
