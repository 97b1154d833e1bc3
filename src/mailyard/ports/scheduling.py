"""What firing tasks (the scheduler, and "run now") needs from the store."""

from __future__ import annotations

import builtins
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from mailyard.domain import runs, tasks, templates
from mailyard.ports.templates import TemplateLookup


class TaskProgress(Protocol):
    """Moving a task's state and schedule on."""

    async def get(self, account_id: int, task_id: int) -> tasks.Task | None: ...
    async def set_state(
        self,
        task_id: int,
        state: tasks.TaskState,
        *,
        error_message: str | None = None,
        terminated: bool = False,
    ) -> None: ...
    async def set_next_fire_at(self, task_id: int, next_fire_at: datetime | None) -> None: ...


class ActiveRuns(Protocol):
    async def active(self, task_id: int) -> runs.Run | None:
        """The task's run that still has deliveries to send, if any."""
        ...


class RunStarts(ActiveRuns, Protocol):
    async def start(self, task: tasks.Task, *, fire_at: datetime, kind: runs.RunKind) -> runs.Run | None:
        """Create the run and its ledger rows; None when that fire time already has a run."""
        ...


class FiringRepositories(Protocol):
    @property
    def tasks(self) -> TaskProgress: ...
    @property
    def runs(self) -> RunStarts: ...
    @property
    def templates(self) -> TemplateLookup:
        """A run starts only for an approved template."""
        ...


class DueTasks(TaskProgress, Protocol):
    async def due(self, now: datetime, limit: int) -> builtins.list[tasks.Task]:
        """Tasks whose next fire time has come and that may fire: not paused, cancelled or in error; held by
        this transaction, and passed over by other schedulers' while it lasts."""
        ...

    async def set_fired(self, fired: Sequence[tasks.FiredTask]) -> None:
        """Move fired tasks on: next fire time, state, and the counts of the ledger rows their runs wrote."""
        ...


class BatchRunStarts(RunStarts, Protocol):
    async def start_many(
        self, starts: Sequence[tuple[tasks.Task, datetime]], *, kind: runs.RunKind, count_tasks: bool = True
    ) -> builtins.list[runs.Run]:
        """`start` for many (task, fire time) pairs in a few statements; the runs it started (a fire time that
        already has a run is left out). With `count_tasks` False the tasks' counters are left to the caller,
        which writes them with its own update of the tasks (`set_fired`)."""
        ...

    async def active_among(self, task_ids: Collection[int]) -> set[int]:
        """Which of these tasks have a run that still has deliveries to send."""
        ...


class TemplatesByIds(TemplateLookup, Protocol):
    async def get_many(self, template_ids: Collection[int]) -> dict[int, templates.Template]:
        """By id, across accounts: the caller checks each one's account."""
        ...


class SchedulingRepositories(FiringRepositories, Protocol):
    @property
    def tasks(self) -> DueTasks: ...
    @property
    def runs(self) -> BatchRunStarts: ...
    @property
    def templates(self) -> TemplatesByIds: ...
