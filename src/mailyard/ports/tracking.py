"""What open and click tracking needs from the store: its settings, and the deliveries that hits name."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

from mailyard.domain import tracking
from mailyard.ports.events import EventRecordingRepositories


class TrackingSettings(Protocol):
    async def options(self, account_id: int, task_id: int | None = None) -> tracking.TrackingOptions | None:
        """The account's setting (no task) or the task's own; None when it was never set."""
        ...

    async def set_options(
        self, account_id: int, options: tracking.TrackingOptions | None, task_id: int | None = None
    ) -> None: ...


class TrackingStore(TrackingSettings, Protocol):
    async def deliveries(self, delivery_ids: Collection[int]) -> dict[int, tracking.TrackedDelivery]: ...


class TrackingSettingRepositories(Protocol):
    @property
    def tracking(self) -> TrackingSettings: ...


class TrackingRepositories(EventRecordingRepositories, Protocol):
    @property
    def tracking(self) -> TrackingStore: ...
