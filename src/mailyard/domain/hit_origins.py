"""Opens and clicks told apart by who made them: people, or machines (mail privacy proxies that prefetch every
image, link scanners that follow every link). Each open or click event carries its `machine` flag; the cloud
counts add both, the dashboard shows them apart."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class HitOrigins:
    """Copies opened and clicked, by people and by machines: each copy counts once per side, so a copy a
    scanner clicked and its reader clicked too counts once in `human_clicks` and once in `machine_clicks`.
    A hit of unknown origin counts as a person's."""

    human_opens: int = 0
    machine_opens: int = 0
    human_clicks: int = 0
    machine_clicks: int = 0
