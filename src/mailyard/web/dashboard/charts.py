"""Charts drawn on the server as SVG: grouped bars per day, one colour per series, with a text alternative.

Nothing runs in the browser and nothing is fetched: the markup goes straight into the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from html import escape

WIDTH, HEIGHT = 960, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 36
GRID_LINES = 4


@dataclass(frozen=True)
class Series:
    name: str  #: shown in the legend and the text alternative (already translated)
    css_class: str  #: the fill colour comes from the stylesheet
    values: list[int]  #: one per day


def daily_bars(days: list[date], series: list[Series], *, title: str) -> str:
    """An accessible SVG bar chart of `series` over `days` (each series has a value per day)."""
    top = _nice_ceiling(max((max(item.values, default=0) for item in series), default=0))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(days), 1)
    bar = max(1.0, slot * 0.8 / max(len(series), 1))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    parts += _grid(top, plot_height)
    label_every = max(1, len(days) // 10)
    for index, day in enumerate(days):
        start = LEFT + index * slot + slot * 0.1
        for position, item in enumerate(series):
            value = item.values[index]
            height = plot_height * value / top if top else 0
            x, y = start + position * bar, TOP + plot_height - height
            parts.append(
                f'<rect class="chart__bar chart__bar--{escape(item.css_class)}" x="{x:.1f}" y="{y:.1f}" '
                f'width="{bar:.1f}" height="{height:.1f}"><title>{day.isoformat()} {escape(item.name)}: '
                f"{value}</title></rect>"
            )
        if index % label_every == 0:
            middle = LEFT + index * slot + slot / 2
            parts.append(
                f'<text class="chart__label" x="{middle:.1f}" y="{HEIGHT - 12}" text-anchor="middle">'
                f"{day.strftime('%m-%d')}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _grid(top: int, plot_height: int) -> list[str]:
    lines = []
    for step in range(GRID_LINES + 1):
        value = top * step // GRID_LINES
        y = TOP + plot_height - plot_height * step / GRID_LINES
        lines.append(f'<line class="chart__grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        lines.append(f'<text class="chart__label" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{value}</text>')
    return lines


def _nice_ceiling(value: int) -> int:
    """A round number at least `value` that the grid lines divide evenly."""
    if value <= GRID_LINES:
        return GRID_LINES
    magnitude: int = 10 ** (len(str(value)) - 1)
    ceiling: int = next(step * magnitude for step in (1, 2, 4, 5, 8, 10) if step * magnitude >= value)
    return ceiling + (-ceiling) % GRID_LINES
