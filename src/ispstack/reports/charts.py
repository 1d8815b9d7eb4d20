"""Charts drawn on the server as SVG geometry for the console's templates (no
JavaScript, no CDN: the CSP allows 'self' only). The template draws the
shapes; the numbers themselves are in the table under each chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 70, 10, 10, 30


@dataclass(frozen=True)
class Bar:
    """One bar: its label (under the axis), value and box in SVG units."""

    label: str
    value: Decimal
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    bars: list[Bar]
    ticks: list[tuple[float, str]]
    baseline: float


def bar_chart(points: Sequence[tuple[str, Decimal]]) -> BarChart:
    """Bars for ``points`` (label, value >= 0), scaled to the largest value,
    with four ticks on the value axis."""
    top = max((value for _label, value in points), default=Decimal(0)) or Decimal(1)
    plot_h = HEIGHT - TOP - BOTTOM
    slot = (WIDTH - LEFT - RIGHT) / max(len(points), 1)
    bars = []
    for i, (label, value) in enumerate(points):
        h = float(value / top) * plot_h if value > 0 else 0.0
        bars.append(
            Bar(label, value, LEFT + i * slot + slot * 0.15, TOP + plot_h - h, slot * 0.7, h)
        )
    ticks = [(TOP + plot_h - plot_h * step / 4, f"{top * step / 4:,.0f}") for step in range(0, 5)]
    return BarChart(WIDTH, HEIGHT, bars, ticks, TOP + plot_h)
