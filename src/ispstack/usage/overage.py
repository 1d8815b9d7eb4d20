"""Overage billing: usage over the data cap, priced per GB.

For a plan with ``cap_policy = overage``, once a cycle has ended the volume
used beyond the allowance (cap + top-ups of that cycle) becomes a charge on
the subscription's next invoice: ``excess GB x overage_price_per_gb``, net,
taxed at the plan's rate. A GB is 10^9 bytes; the excess is counted in whole
megabytes, rounded up, so a customer is never billed for less than was used
nor for a fraction of a byte. ``OverageCharge`` keeps one row per
subscription and cycle, so a re-run never bills a cycle twice.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_CEILING, Decimal

from django.db import IntegrityError, transaction

from ispstack.billing.models import LineKind
from ispstack.billing.proration import add_charge
from ispstack.catalog.models import CapPolicy
from ispstack.core.models import Tenant
from ispstack.core.money import round_money
from ispstack.subscriptions.models import Subscription, SubscriptionStatus
from ispstack.usage.models import OverageCharge
from ispstack.usage.selectors import GB, allowance, cycle_of, usage_between

MB_IN_GB = Decimal("0.001")


def excess_gigabytes(used: int, allowance_bytes: int) -> Decimal:
    """Bytes over the allowance as GB with 3 decimals (whole MB, rounded up)."""
    over = max(used - allowance_bytes, 0)
    return (Decimal(over) / Decimal(GB)).quantize(MB_IN_GB, rounding=ROUND_CEILING)


def bill_overage(*, tenant: Tenant, today: dt.date) -> int:
    """Charge the excess of every cycle that ended before ``today`` (the tenant's
    local date) and has not been charged yet; returns how many charges were made.

    Only the cycle just ended is looked at, so run it at least once a cycle
    (the usage task runs it after every rollup).
    """
    subs = (
        Subscription.objects.for_tenant(tenant)
        .filter(
            status__in=[SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED],
            plan__cap_policy=CapPolicy.OVERAGE,
            plan__data_cap_bytes__isnull=False,
            plan__overage_price_per_gb__isnull=False,
        )
        .select_related("plan", "plan__tax_rate", "customer", "tenant")
    )
    done = set(
        OverageCharge.objects.filter(
            tenant=tenant, cycle_end__gte=today - dt.timedelta(days=400)
        ).values_list("subscription_id", "cycle_start")
    )
    made = 0
    for sub in subs:
        current_start, _ = cycle_of(sub, today)
        start, end = cycle_of(sub, current_start - dt.timedelta(days=1))
        if end < sub.start_date or (sub.pk, start) in done:
            continue
        if _charge(sub, start, end):
            made += 1
    return made


def _charge(sub: Subscription, start: dt.date, end: dt.date) -> bool:
    used = usage_between(sub, start, end)["total_octets"]
    limit = allowance(sub, start)
    gigabytes = excess_gigabytes(used, limit)
    price = sub.plan.overage_price_per_gb or Decimal(0)
    try:
        with transaction.atomic():
            record = OverageCharge.objects.create(
                tenant=sub.tenant,
                subscription=sub,
                cycle_start=start,
                cycle_end=end,
                used_bytes=used,
                allowance_bytes=limit,
                excess_gigabytes=gigabytes,
                price_per_gb=price,
            )
            amount = round_money(gigabytes * price, sub.customer.currency)
            if amount > 0:
                record.charge = add_charge(
                    subscription=sub,
                    description=(
                        f"Data over the cap {start:%d.%m.%Y}-{end:%d.%m.%Y}: "
                        f"{gigabytes} GB x {price.normalize():f} per GB"
                    ),
                    amount=amount,
                    charge_date=end,
                    kind=LineKind.USAGE,
                    period=(start, end),
                )
                record.save(update_fields=["charge"])
    except IntegrityError:
        return False
    return record.charge_id is not None
