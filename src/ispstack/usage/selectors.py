"""Reads on usage."""

from __future__ import annotations

import datetime as dt

from django.db.models import Sum

from ispstack.subscriptions.models import Subscription
from ispstack.usage.models import DailyUsage


def usage_between(subscription: Subscription, start: dt.date, end: dt.date) -> dict[str, int]:
    """Octets of ``subscription`` from ``start`` to ``end`` inclusive:
    ``{"input_octets", "output_octets", "total_octets"}`` in bytes."""
    totals = DailyUsage.objects.filter(
        subscription=subscription, day__gte=start, day__lte=end
    ).aggregate(i=Sum("input_octets"), o=Sum("output_octets"))
    i, o = totals["i"] or 0, totals["o"] or 0
    return {"input_octets": i, "output_octets": o, "total_octets": i + o}
