"""Usage by plan per month (docs/metrics.md, "Usage by plan"), and the
stored months it is read from.

Usage is read from the daily usage rows (``usage.DailyUsage``, bytes per
subscription and tenant-local day), each day attributed to the plan the
subscription was on that day from its applied plan changes, so a past month
gives the same numbers whenever it is run; a plan's data cap is read as it
is now. A year of a large tenant's daily rows is tens of millions (28
million at 100,000 subscribers): attributing each to its day's plan takes
longer than a report may, so ``store_months`` computes each closed month
once and keeps it (``UsageFact``, marked by ``UsageFactMonth``); PostgreSQL
triggers (migration ``reports.0009_usage_fact_triggers``) drop the mark of
every month a later change reaches (a daily row of the month written late, a
backdated plan change, a changed data cap), in the writer's own transaction.
The report reads the stored months and computes only the current one and
those a change reached: refreshed by the writes themselves, never by a full
rebuild. The hourly task ``ispstack.reports.store_usage_facts`` keeps the
last ``KEPT_MONTHS`` closed months stored.

A report filtered by plan, customer tag or site reads the daily rows
directly: the stored months are totals over every subscription.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ispstack.core.clock import month_end
from ispstack.core.models import Tenant
from ispstack.reports import sql
from ispstack.reports.models import UsageFact, UsageFactMonth
from ispstack.reports.operations import check_site, tag_filter
from ispstack.reports.selectors import HUNDRED, Filters, month_start, months_between

#: The first key of the tenant's advisory lock between storing months (taken
#: exclusively) and the triggers that forget them (taken shared). Migration
#: 0009's SQL carries the same number; a test holds them equal.
LOCK_KEY = 0x55534147

#: Closed months kept stored by the hourly task, counting back from today's:
#: the year the report shows by default.
KEPT_MONTHS = 12

#: The share of the cap, in percent, that usage by plan counts subscriptions
#: at besides the cap itself: the first alert a subscriber gets
#: (``usage.caps.THRESHOLDS``).
FIRST_ALERT = 80


@dataclass(frozen=True)
class UsageMonth:
    """Usage of one plan in one calendar month, bytes as ints.

    ``subscriptions``: those that moved bytes on the plan that month;
    ``average_bytes`` and ``p95_bytes`` are per such subscription (the 95th
    percentile by the nearest-rank method: the smallest month's total that at
    least 95 % of them stay at or under). ``cap_bytes`` is the plan's cap per
    billing cycle (None: unlimited); ``reached_80`` / ``reached_100`` count
    the subscriptions whose month's bytes on the plan reached 80 % / 100 % of
    it (None on an unlimited plan).
    """

    month: dt.date
    plan_id: int
    plan: str
    cap_bytes: int | None
    subscriptions: int
    download_bytes: int
    upload_bytes: int
    average_bytes: int
    p95_bytes: int
    reached_80: int | None
    reached_100: int | None

    @property
    def total_bytes(self) -> int:
        return self.download_bytes + self.upload_bytes

    def _share(self, count: int | None) -> Decimal | None:
        if count is None or not self.subscriptions:
            return None
        return HUNDRED * count / self.subscriptions

    @property
    def reached_80_percent(self) -> Decimal | None:
        """Share of the subscriptions that reached 80 % of the cap, in percent."""
        return self._share(self.reached_80)

    @property
    def reached_100_percent(self) -> Decimal | None:
        """Share of the subscriptions that used the whole cap, in percent."""
        return self._share(self.reached_100)


# The daily rows of the range, each with the plan of its day, narrowed by the
# customer's tag and the site serving the subscription, summed per month,
# plan and subscription, then per month and plan.
_USAGE_BY_PLAN = (
    "WITH"
    + sql.PLAN_SPANS
    + """,
days AS (
    SELECT u.day, u.subscription_id, COALESCE(ps.plan_id, s.plan_id) AS plan_id,
        u.output_octets AS down, u.input_octets AS up
    FROM {usage} u
    JOIN {sub} s ON s.id = u.subscription_id AND s.tenant_id = %(tenant)s
    JOIN {customer} c ON c.id = s.customer_id
    LEFT JOIN {sector} se ON se.id = s.sector_id
    LEFT JOIN plan_spans ps ON ps.subscription_id = u.subscription_id
        AND (ps.starts IS NULL OR ps.starts <= u.day) AND (ps.ends IS NULL OR u.day < ps.ends)
    WHERE u.tenant_id = %(tenant)s AND u.day BETWEEN %(start)s AND %(end)s
      AND (%(tag)s::jsonb IS NULL OR c.tags @> %(tag)s::jsonb)
      AND (%(site)s::bigint IS NULL OR se.site_id = %(site)s)
),
per_sub AS (
    SELECT date_trunc('month', day)::date AS month, plan_id, subscription_id,
        sum(down) AS down, sum(up) AS up, sum(down + up) AS total
    FROM days WHERE %(plan)s::bigint IS NULL OR plan_id = %(plan)s
    GROUP BY 1, 2, 3 HAVING sum(down + up) > 0
)
SELECT p.month, pl.id, pl.name, pl.data_cap_bytes, count(*), sum(p.down), sum(p.up),
    round(avg(p.total)), percentile_disc(0.95) WITHIN GROUP (ORDER BY p.total),
    count(*) FILTER (WHERE p.total * 100 >= pl.data_cap_bytes::numeric * %(first_alert)s),
    count(*) FILTER (WHERE p.total >= pl.data_cap_bytes)
FROM per_sub p JOIN {plan} pl ON pl.id = p.plan_id
GROUP BY p.month, pl.id, pl.name, pl.data_cap_bytes
ORDER BY p.month, pl.name, pl.id
"""
)


def _usage_month(row: Sequence[Any]) -> UsageMonth:
    """A report row from (month, plan id, plan name, cap, subscriptions,
    download, upload, average, p95, reached 80 %, reached 100 %)."""
    cap = row[3]
    return UsageMonth(
        month=row[0],
        plan_id=row[1],
        plan=row[2],
        cap_bytes=cap,
        subscriptions=row[4],
        download_bytes=int(row[5]),
        upload_bytes=int(row[6]),
        average_bytes=int(row[7]),
        p95_bytes=int(row[8]),
        reached_80=row[9] if cap is not None else None,
        reached_100=row[10] if cap is not None else None,
    )


def _computed(tenant: Tenant, filters: Filters, *, site_id: int | None = None) -> list[UsageMonth]:
    """The report computed from the daily rows."""
    params = {
        "tenant": tenant.pk,
        "start": filters.start,
        "end": month_end(filters.end),
        "plan": filters.plan_id,
        "tag": tag_filter(filters.tag),
        "site": site_id,
        "first_alert": FIRST_ALERT,
    }
    return [_usage_month(row) for row in sql.fetch(_USAGE_BY_PLAN, params)]


def store_months(tenant: Tenant, months: Iterable[dt.date]) -> int:
    """Compute and store the usage by plan of each month of ``months`` (first
    days of closed months) that is not stored yet; returns how many were
    computed. Runs in the caller's transaction (or its own), holding the
    tenant's usage-facts lock exclusively while it computes: a change
    committed meanwhile waits for it, then forgets what it reaches.

    Raises ValueError for a month that is not closed (ended before the
    tenant's today: the current month's usage is still being counted).
    """
    wanted = {month_start(month) for month in months}
    if sql.split_closed(tenant, sorted(wanted))[1]:
        raise ValueError("usage months are stored once closed, not before")

    def write(missing: list[dt.date]) -> None:
        UsageFact.objects.filter(tenant=tenant, month__in=missing).delete()
        UsageFact.objects.bulk_create(
            UsageFact(
                tenant=tenant,
                month=row.month,
                plan_id=row.plan_id,
                subscriptions=row.subscriptions,
                download_bytes=row.download_bytes,
                upload_bytes=row.upload_bytes,
                average_bytes=row.average_bytes,
                p95_bytes=row.p95_bytes,
                reached_80=row.reached_80 or 0,
                reached_100=row.reached_100 or 0,
            )
            for first, last in sql.month_runs(missing)
            for row in _computed(tenant, Filters(start=first, end=last))
        )

    return sql.store_missing(
        tenant.pk, wanted, marker=UsageFactMonth, field="month", lock_key=LOCK_KEY, write=write
    )


def _read(tenant: Tenant, months: list[dt.date]) -> list[UsageMonth]:
    facts = UsageFact.objects.filter(tenant=tenant, month__in=months).values_list(
        "month",
        "plan_id",
        "plan__name",
        "plan__data_cap_bytes",
        "subscriptions",
        "download_bytes",
        "upload_bytes",
        "average_bytes",
        "p95_bytes",
        "reached_80",
        "reached_100",
    )
    return [_usage_month(row) for row in facts]


def usage_by_plan(
    tenant: Tenant, filters: Filters, *, site_id: int | None = None
) -> list[UsageMonth]:
    """Usage per calendar month of ``filters`` and plan (the plan of each day),
    oldest month first, plans by name; a plan without usage in a month has no
    row. ``site_id`` keeps the subscriptions served by that site now. Without
    a plan, tag or site, closed months are read from (and first written to)
    the stored months.

    Raises InvalidInput (field ``site``) for a site of no tenant's own.
    """
    check_site(tenant, site_id)
    if filters.plan_id is not None or filters.tag or site_id is not None:
        rows = _computed(tenant, filters, site_id=site_id)
    else:
        closed, current = sql.split_closed(tenant, months_between(filters.start, filters.end))
        store_months(tenant, closed)
        rows = _read(tenant, closed)
        if current:
            rows += _computed(tenant, Filters(start=current[0], end=current[-1]))
    return sorted(rows, key=lambda r: (r.month, r.plan, r.plan_id))
