"""The daily usage chart of a service's cycle, drawn as SVG by the server.

Geometry only (no queries): each day of the cycle gets a slot with the
day's download and upload stacked, a running total links the days, and
when the plan is capped the allowance's marks (``CAP_MARKS``, the usage
bar's 80, 95 and 100 %) are horizontal lines. One scale for all of them,
so a bar, the line and the marks compare directly: its top is the largest
of the allowance and the running total, with a tenth of headroom. The SVG
stretches to its box (CSS sets the height), so positions are in user units
of a ``WIDTH`` x ``HEIGHT`` view box and text stays out of it: the legend,
the scale and the dates are HTML around it, the figures are in a table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ispstack.portal.selectors import CAP_MARKS, CycleUsage, UsageDay

WIDTH, HEIGHT = 620, 200
HEADROOM = 1.1
#: The share of a day's slot its bar takes; the rest is the gap between days.
BAR_SHARE = 0.7


@dataclass(frozen=True)
class ChartDay:
    """One day of the cycle: its bytes (``running`` the cycle's total up to
    it) and its stacked bar: download from the bottom, upload above it."""

    day: dt.date
    download_bytes: int
    upload_bytes: int
    running_bytes: int
    x: float
    download_y: float
    download_height: float
    upload_y: float
    upload_height: float

    @property
    def total_bytes(self) -> int:
        return self.download_bytes + self.upload_bytes


@dataclass(frozen=True)
class ChartMark:
    """A cap mark: ``percent`` of the allowance, ``bytes`` it stands for,
    ``y`` of its line, and whether use has reached it."""

    percent: int
    bytes: int
    y: float
    reached: bool


@dataclass
class DailyChart:
    """The chart of one cycle: ``days`` from its start to ``today`` (the
    days after have no bars yet, each a ``bar_width`` wide), the cap
    ``marks`` (empty without a cap), the running total's ``line`` (SVG
    points) and ``top_bytes`` (what the top of the chart stands for)."""

    usage: CycleUsage
    days: list[ChartDay]
    bar_width: float
    marks: list[ChartMark]
    line: str
    top_bytes: int
    width: int = WIDTH
    height: int = HEIGHT


def _y(octets: int, top: int) -> float:
    return round(HEIGHT - octets * HEIGHT / top, 2)


def daily_chart(usage: CycleUsage, days: list[UsageDay], today: dt.date) -> DailyChart:
    """The chart of ``usage``'s cycle from its daily rows (``days``, any
    order; a day without a row used nothing), up to ``today``."""
    by_day = {row.day: row for row in days}
    slots = (usage.end - usage.start).days + 1
    last = min(today, usage.end)
    shown = (last - usage.start).days + 1 if last >= usage.start else 0
    running_total = sum(row.total_bytes for row in days if usage.start <= row.day <= last)
    allowance = usage.allowance_bytes or 0
    top = max(int(max(allowance, running_total) * HEADROOM), 1)
    slot = WIDTH / slots
    bar_width = round(slot * BAR_SHARE, 2)
    chart_days, points, running = [], [], 0
    for index in range(shown):
        day = usage.start + dt.timedelta(days=index)
        row = by_day.get(day)
        down = row.download_bytes if row else 0
        up = row.upload_bytes if row else 0
        running += down + up
        down_height = round(down * HEIGHT / top, 2)
        up_height = round(up * HEIGHT / top, 2)
        x = round(index * slot + (slot - bar_width) / 2, 2)
        chart_days.append(
            ChartDay(
                day=day,
                download_bytes=down,
                upload_bytes=up,
                running_bytes=running,
                x=x,
                download_y=round(HEIGHT - down_height, 2),
                download_height=down_height,
                upload_y=round(HEIGHT - down_height - up_height, 2),
                upload_height=up_height,
            )
        )
        points.append(f"{round(index * slot + slot / 2, 2)},{_y(running, top)}")
    percent = usage.percent or 0
    marks = [
        ChartMark(
            percent=mark,
            bytes=allowance * mark // 100,
            y=_y(allowance * mark // 100, top),
            reached=percent >= mark,
        )
        for mark in (CAP_MARKS if allowance else ())
    ]
    return DailyChart(
        usage=usage,
        days=chart_days,
        bar_width=bar_width,
        marks=marks,
        line=" ".join(points),
        top_bytes=top,
    )
