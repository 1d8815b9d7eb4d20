"""Reads on usage."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Sum

from ispstack.billing.periods import anchor_on_or_before, next_anchor
from ispstack.radius.models import AccessBlock, RateOverride
from ispstack.subscriptions.models import Subscription
from ispstack.usage.models import DailyUsage, TopUp

GB = 10**9  # data is sold and capped in decimal gigabytes


def usage_between(subscription: Subscription, start: dt.date, end: dt.date) -> dict[str, int]:
    """Octets of ``subscription`` from ``start`` to ``end`` inclusive:
    ``{"input_octets", "output_octets", "total_octets"}`` in bytes."""
    totals = DailyUsage.objects.filter(
        subscription=subscription, day__gte=start, day__lte=end
    ).aggregate(i=Sum("input_octets"), o=Sum("output_octets"))
    i, o = totals["i"] or 0, totals["o"] or 0
    return {"input_octets": i, "output_octets": o, "total_octets": i + o}


def cycle_of(subscription: Subscription, day: dt.date) -> tuple[dt.date, dt.date]:
    """First and last day of the monthly cycle containing ``day``."""
    return (
        anchor_on_or_before(day, subscription.billing_day),
        next_anchor(day, subscription.billing_day) - dt.timedelta(days=1),
    )


def allowance(subscription: Subscription, cycle_start: dt.date) -> int:
    """The cycle's volume in bytes: the plan's cap plus top-ups."""
    extra = sum(
        TopUp.objects.filter(subscription=subscription, cycle_start=cycle_start).values_list(
            "extra_bytes", flat=True
        )
    )
    return int(subscription.plan.data_cap_bytes or 0) + int(extra)


def daily_usage(subscription: Subscription, start: dt.date, end: dt.date) -> list[DailyUsage]:
    """The subscription's daily rows from ``start`` to ``end`` inclusive, oldest first."""
    return list(
        DailyUsage.objects.filter(subscription=subscription, day__gte=start, day__lte=end).order_by(
            "day"
        )
    )


def cap_status(subscription: Subscription, today: dt.date) -> dict[str, Any]:
    """Where the subscription stands in its cycle: ``cycle_start``, ``cycle_end``
    (dates), ``used_bytes``, ``allowance_bytes`` (None without a cap),
    ``percent`` (None without a cap), ``cap_policy`` and ``restriction``
    (``"throttled"``, ``"blocked"`` or None)."""
    start, end = cycle_of(subscription, today)
    used = usage_between(subscription, start, today)["total_octets"]
    capped = subscription.plan.data_cap_bytes is not None
    limit = allowance(subscription, start) if capped else None
    restriction = None
    if AccessBlock.objects.filter(username=subscription.username).exists():
        restriction = "blocked"
    elif RateOverride.objects.filter(username=subscription.username).exists():
        restriction = "throttled"
    return {
        "cycle_start": start,
        "cycle_end": end,
        "used_bytes": used,
        "allowance_bytes": limit,
        "percent": (used * 100 // limit) if limit else None,
        "cap_policy": subscription.plan.cap_policy,
        "restriction": restriction,
    }
