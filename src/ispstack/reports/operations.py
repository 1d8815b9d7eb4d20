"""Operational reports, computed in PostgreSQL from dated facts: the top
users of a date range and the overdue balance by network site
(docs/metrics.md); usage by plan per month is ``reports.usage``.

Like the finance reports (``reports.selectors``) each report is one SQL
statement aggregating over every subscription of the tenant, never a Python
loop over rows: usage is read from the daily usage rows (``usage.DailyUsage``,
bytes per subscription and tenant-local day), each day attributed to the plan
the subscription was on that day from its applied plan changes, so a past
month gives the same numbers whenever it is run. A plan's data cap is read as
it is now (``catalog.Plan.data_cap_bytes``, bytes per billing cycle), as the
finance reports read its price.

The site of a subscription is its sector's site (``Subscription.sector``);
sectors keep no history, so a subscriber moved to another sector counts at
its new site for past days too. That is the one current-state attribute these
reports read, and the reason the site filter and the site grouping say "the
site serving the subscriber now".
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ispstack.billing.models import OPEN_STATUSES, InvoiceStatus
from ispstack.catalog.models import Plan
from ispstack.core import clock
from ispstack.core.errors import InvalidInput, NotFound
from ispstack.core.models import Tenant
from ispstack.core.money import minor_unit
from ispstack.network.inventory import Site
from ispstack.reports import sql
from ispstack.reports.selectors import AGING_BUCKETS, AGING_SQL, HUNDRED, ZERO

#: Top users listed by default and at most: a page an operator reads, and a
#: bound on what one request sorts and sends.
TOP_DEFAULT, TOP_MAX = 50, 500
#: The longest date range of the top users, in days: a year of daily rows.
MAX_DAYS = 366
#: The default range of the top users, in days up to today: about one
#: billing cycle, the period a data cap counts.
DEFAULT_DAYS = 30


def tag_filter(tag: str) -> str | None:
    """The customer tag filter as the reports' statements read it: a JSON array
    of the one tag (``c.tags @> ...``), None for no tag."""
    return json.dumps([tag.strip()]) if tag.strip() else None


def check_site(tenant: Tenant, site_id: int | None) -> None:
    """Raise InvalidInput (field ``site``) when ``site_id`` names no site of
    ``tenant``: a filter's value is the request's input, refused as such."""
    if site_id is not None and not Site.objects.filter(tenant=tenant, pk=site_id).exists():
        raise InvalidInput("no site of yours has this id", field="site")


@dataclass(frozen=True)
class DayRange:
    """The days ``start``..``end`` (tenant-local dates, inclusive)."""

    start: dt.date
    end: dt.date


def make_range(tenant: Tenant, *, start: dt.date | None, end: dt.date | None) -> DayRange:
    """A checked day range: by default the ``DEFAULT_DAYS`` days up to today.

    Raises InvalidInput (field ``end``) for an end in the future, (field
    ``start``) for a start after the end or a range over ``MAX_DAYS`` days.
    """
    today = clock.today(tenant)
    end = end or today
    if end > today:
        raise InvalidInput("must not be in the future", field="end")
    start = start or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise InvalidInput("must be on or before the end", field="start")
    if (end - start).days + 1 > MAX_DAYS:
        raise InvalidInput(f"the range may span at most {MAX_DAYS} days", field="start")
    return DayRange(start, end)


@dataclass(frozen=True)
class TopUser:
    """One subscription's bytes over the range, with its customer and the plan
    it was on the range's last day with usage (``cap_bytes`` per billing
    cycle, None: unlimited). ``cap_percent`` is the range's bytes against one
    cycle's cap, in percent: a range longer than a cycle can pass 100."""

    subscription_id: int
    username: str
    customer_id: int
    account_number: str
    customer: str
    plan_id: int
    plan: str
    cap_bytes: int | None
    download_bytes: int
    upload_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.download_bytes + self.upload_bytes

    @property
    def cap_percent(self) -> Decimal | None:
        if not self.cap_bytes:
            return None
        return HUNDRED * self.total_bytes / self.cap_bytes


# Totals per subscription first, then the plan of its last day with usage,
# then the top rows with their customer: the sort reads one row per
# subscription, and only the top rows are joined to their names.
# Each subscription's bytes over the range summed first, from the daily rows
# alone; its plan is then the one of its last day with a row, and the filters
# are tested once per subscription: attributing every day to its plan (as
# usage by plan must) would join each of the range's rows to the plan spans,
# three times the work for the same answer.
_TOP_USERS = (
    "WITH"
    + sql.PLAN_SPANS
    + """,
per_sub AS (
    SELECT u.subscription_id, sum(u.output_octets) AS down, sum(u.input_octets) AS up,
        sum(u.output_octets + u.input_octets) AS total, max(u.day) AS last_day
    FROM {usage} u
    WHERE u.tenant_id = %(tenant)s AND u.day BETWEEN %(start)s AND %(end)s
    GROUP BY u.subscription_id HAVING sum(u.output_octets + u.input_octets) > 0
),
placed AS (
    SELECT p.*, COALESCE(ps.plan_id, s.plan_id) AS plan_id
    FROM per_sub p
    JOIN {sub} s ON s.id = p.subscription_id AND s.tenant_id = %(tenant)s
    JOIN {customer} c ON c.id = s.customer_id
    LEFT JOIN {sector} se ON se.id = s.sector_id
    LEFT JOIN plan_spans ps ON ps.subscription_id = p.subscription_id
        AND (ps.starts IS NULL OR ps.starts <= p.last_day)
        AND (ps.ends IS NULL OR p.last_day < ps.ends)
    WHERE (%(tag)s::jsonb IS NULL OR c.tags @> %(tag)s::jsonb)
      AND (%(site)s::bigint IS NULL OR se.site_id = %(site)s)
),
top AS (
    SELECT * FROM placed WHERE %(plan)s::bigint IS NULL OR plan_id = %(plan)s
    ORDER BY total DESC, subscription_id LIMIT %(limit)s
)
SELECT t.subscription_id, s.username, c.id, c.account_number, c.name, pl.id, pl.name,
    pl.data_cap_bytes, t.down, t.up
FROM top t JOIN {sub} s ON s.id = t.subscription_id
JOIN {customer} c ON c.id = s.customer_id JOIN {plan} pl ON pl.id = t.plan_id
ORDER BY t.total DESC, t.subscription_id
"""
)


def top_users(
    tenant: Tenant,
    days: DayRange,
    *,
    limit: int = TOP_DEFAULT,
    plan_id: int | None = None,
    site_id: int | None = None,
    tag: str = "",
) -> list[TopUser]:
    """The ``limit`` subscriptions that moved the most bytes over ``days``,
    most first (ties by subscription id). ``plan_id`` keeps the subscriptions
    whose last day with usage was on that plan; ``site_id`` those served by
    that site now; ``tag`` the customers tagged so.

    Raises InvalidInput (field ``limit``) outside 1..``TOP_MAX``, (field
    ``plan`` / ``site``) for an id of no plan / site of the tenant.
    """
    if not 1 <= limit <= TOP_MAX:
        raise InvalidInput(f"must be from 1 to {TOP_MAX}", field="limit")
    if plan_id is not None and not Plan.objects.filter(tenant=tenant, pk=plan_id).exists():
        raise InvalidInput("no plan of yours has this id", field="plan")
    check_site(tenant, site_id)
    params = {
        "tenant": tenant.pk,
        "start": days.start,
        "end": days.end,
        "plan": plan_id,
        "tag": tag_filter(tag),
        "site": site_id,
        "limit": limit,
    }
    return [
        TopUser(
            subscription_id=row[0],
            username=row[1],
            customer_id=row[2],
            account_number=row[3],
            customer=row[4],
            plan_id=row[5],
            plan=row[6],
            cap_bytes=row[7],
            download_bytes=int(row[8]),
            upload_bytes=int(row[9]),
        )
        for row in sql.fetch(_TOP_USERS, params)
    ]


#: What the overdue balance is grouped by: the site serving the subscriber,
#: or the sector within it.
OVERDUE_GROUPINGS = ("site", "sector")


def overdue_grouping(value: Any) -> str:
    """The ``by`` parameter of the overdue balance: ``site`` (the default) or
    ``sector``. Raises InvalidInput (field ``by``) for anything else."""
    by = str(value or "").strip() or OVERDUE_GROUPINGS[0]
    if by not in OVERDUE_GROUPINGS:
        raise InvalidInput(f"must be one of {', '.join(OVERDUE_GROUPINGS)}", field="by")
    return by


@dataclass(frozen=True)
class SiteOverdue:
    """What was overdue on the report's day on the invoices of one site's (or
    sector's) subscribers, in the tenant's currency, by bucket of days past
    due (``buckets``: label -> amount, in ``AGING_BUCKETS`` order), and the
    customers owing it. ``site_id`` None: no site; ``sector_id`` is set when
    grouped by sector."""

    site_id: int | None
    site: str
    sector_id: int | None
    sector: str
    customers: int
    invoices: int
    buckets: dict[str, Decimal]

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)


# The aging's reading of an invoice (``reports.selectors.AGING_SQL``: its
# total less the allocations made on or before the day, overdue once its
# due date is past), attributed to the sector (and so the site) serving the
# subscription on its first line that bills one: an invoice bills one
# subscriber's services, nearly always one subscription; one-time charges
# alone, or a subscription without a sector, leave it without a site.
_OVERDUE_BY_SITE = f"""
WITH aged AS ({AGING_SQL}),
first_lines AS (
    SELECT DISTINCT ON (l.invoice_id) l.invoice_id, s.sector_id
    FROM aged o JOIN {{line}} l ON l.invoice_id = o.id
    JOIN {{sub}} s ON s.id = l.subscription_id
    ORDER BY l.invoice_id, l.id
),
grouped AS (
    SELECT o.*, se.site_id,
        CASE WHEN %(by)s = 'sector' THEN se.id END AS group_sector_id
    FROM aged o
    LEFT JOIN first_lines f ON f.invoice_id = o.id
    LEFT JOIN {{sector}} se ON se.id = f.sector_id
)
SELECT g.site_id, si.name, g.group_sector_id, se.name,
    count(DISTINCT g.customer_id), count(*),
    {
    ", ".join(
        f"COALESCE(sum(g.amount) FILTER (WHERE g.days >= {first}"
        + (f" AND g.days <= {last}" if last else "")
        + "), 0)"
        for _label, first, last in AGING_BUCKETS
    )
},
    bool_or(g.amount IS NULL), min(g.currency) FILTER (WHERE g.amount IS NULL)
FROM grouped g
LEFT JOIN {{site}} si ON si.id = g.site_id
LEFT JOIN {{sector}} se ON se.id = g.group_sector_id
GROUP BY g.site_id, si.name, g.group_sector_id, se.name
ORDER BY sum(g.amount) DESC, si.name NULLS LAST, se.name
"""


def overdue_by_site(
    tenant: Tenant, *, as_of: dt.date, tag: str = "", by: str = "site"
) -> list[SiteOverdue]:
    """The overdue balance on ``as_of`` per site (``by="sector"``: per
    sector) serving the subscribers, in the aging's buckets of days past due
    (docs/metrics.md), the largest balance first; invoices without a site
    are under ``site_id`` None.

    Raises InvalidInput (field ``by``) for another grouping, NotFound (field
    ``currency``) when an invoice's currency has no exchange rate on or
    before ``as_of``.
    """
    params = {
        "tenant": tenant.pk,
        "as_of": as_of,
        "day_after": clock.start_of_day(tenant, as_of + dt.timedelta(days=1)),
        "void": InvoiceStatus.VOID,
        "open": list(OPEN_STATUSES),
        "currency": tenant.currency,
        "minor": minor_unit(tenant.currency),
        "tag": tag_filter(tag),
        "by": overdue_grouping(by),
    }
    rows = sql.fetch(_OVERDUE_BY_SITE, params)
    width = len(AGING_BUCKETS)
    for row in rows:
        if row[6 + width]:
            raise NotFound(
                f"no {row[7 + width]} exchange rate on or before {as_of}", field="currency"
            )
    return [
        SiteOverdue(
            site_id=row[0],
            site=row[1] or "",
            sector_id=row[2],
            sector=row[3] or "",
            customers=row[4],
            invoices=row[5],
            buckets={label: row[6 + i] for i, (label, _first, _last) in enumerate(AGING_BUCKETS)},
        )
        for row in rows
    ]
