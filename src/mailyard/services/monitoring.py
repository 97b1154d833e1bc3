"""The `Metrics` port when nothing collects metrics (tests, CLI commands): every report is dropped."""

from __future__ import annotations


class Unmonitored:
    def deliveries_recorded(self, outcome: str, count: int) -> None:
        pass

    def relay_answered(self, reply_class: str, seconds: float) -> None:
        pass

    def loop_failed(self, loop: str) -> None:
        pass

    def request_served(self, door: str, action: str, status: int, seconds: float) -> None:
        pass

    def queue_sampled(self, depth: int, oldest_age_seconds: float) -> None:
        pass

    def events_recorded(self, kind: str, count: int) -> None:
        pass

    def webhooks_posted(self, outcome: str, count: int) -> None:
        pass

    def webhook_queue_sampled(self, pending: int, oldest_age_seconds: float) -> None:
        pass
