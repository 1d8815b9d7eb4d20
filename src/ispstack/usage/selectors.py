"""Reads on usage."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet, Sum

from ispstack.billing.periods import anchor_on_or_before, next_anchor
from ispstack.billing.selectors import settings_for as billing_settings
from ispstack.billing.tax import split, tax_rate_for
from ispstack.radius.models import AccessBlock, RateOverride
from ispstack.subscriptions.models import Subscription
from ispstack.usage.models import DailyUsage, TopUp, TopUpOffer

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


def offers_for(subscription: Subscription) -> QuerySet[TopUpOffer]:
    """The top-up offers ``subscription`` may buy: its tenant's, switched on,
    for its plan or every plan, in its customer's currency (the currency its
    charges are billed in); smallest first. Empty for a plan without a data cap."""
    if subscription.plan.data_cap_bytes is None:
        return TopUpOffer.objects.none()
    return TopUpOffer.objects.filter(
        Q(plan__isnull=True) | Q(plan_id=subscription.plan_id),
        tenant_id=subscription.tenant_id,
        is_active=True,
        currency=subscription.customer.currency,
    ).order_by("extra_bytes", "price", "pk")


@dataclass(frozen=True)
class Quote:
    """What an offer costs this subscriber on ``day``, rounded to the
    currency's minor unit as the invoice line will be: ``net`` + ``tax`` =
    ``total`` in ``currency`` units; ``tax_rate`` in percent (0 for a
    tax-exempt customer)."""

    net: Decimal
    tax: Decimal
    total: Decimal
    tax_rate: Decimal
    currency: str


def quotes(subscription: Subscription, prices: list[Decimal], day: dt.date) -> list[Quote]:
    """What one-time charges of ``prices`` (catalog prices: net, or gross
    where the tenant's prices include tax) cost on ``subscription``'s next
    invoice, in order: taxed by the billing run's rule (``billing.tax``) at
    its plan's tax class for the customer's region on ``day``, each rounded
    as its invoice line is."""
    customer = subscription.customer
    rate = tax_rate_for(customer=customer, product_rate=subscription.plan.tax_rate, on=day)
    inclusive = billing_settings(subscription.tenant).prices_include_tax
    found = []
    for price in prices:
        net, tax = split(price, rate, customer.currency, inclusive)
        found.append(
            Quote(
                net=net,
                tax=tax,
                total=net + tax,
                tax_rate=rate,
                currency=customer.currency,
            )
        )
    return found


def topups_of(subscription: Subscription) -> QuerySet[TopUp]:
    """The subscription's top-ups, newest first, with their offer and charge."""
    return (
        TopUp.objects.filter(subscription=subscription, tenant_id=subscription.tenant_id)
        .select_related("offer", "charge")
        .order_by("-created_at", "-pk")
    )
