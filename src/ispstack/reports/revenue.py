"""Net revenue by kind of line and service type (docs/metrics.md, "Revenue
by service type"), and the stored months it is read from.

The revenue of a month is a sum over its documents (invoice lines by issue
date, voids by the day voided, credit note lines by issue date), so a
closed month, once computed, changes only when a document of that month is
written or edited, or when what converts or classifies its lines changes.
``store_months`` computes each closed month once and keeps it
(``RevenueFact``, marked by ``RevenueFactMonth``); PostgreSQL triggers
(migration ``reports.0007_revenue_fact_triggers``) drop the mark of every
month a later change reaches, in the writer's own transaction, so stored
months stay equal to a computation from today's rows. The report reads the
stored months and computes only the current one (still being invoiced) and
those a change reached: refreshed by the writes themselves, never by a full
rebuild. The hourly task ``ispstack.reports.store_revenue_facts`` keeps
the last ``KEPT_MONTHS`` closed months stored, so a report's first view
does not pay for them.

A report filtered by plan or customer tag reads the documents directly:
the stored months are totals over every customer.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from ispstack.billing.models import InvoiceStatus
from ispstack.core.models import Tenant
from ispstack.core.money import round_money
from ispstack.reports import sql
from ispstack.reports.models import RevenueFact, RevenueFactMonth
from ispstack.reports.money import (
    _CONVERTED,
    _fetch,
    _params,
    _tagged,
)
from ispstack.reports.selectors import (
    Filters,
    month_start,
    months_between,
)

#: Kinds of invoice line as the revenue report names them: the billing line
#: kinds, and ``top_up`` for the one-time charge of a bought data top-up.
LINE_TYPES = ("recurring", "addon", "proration", "discount", "one_time", "top_up", "usage")

#: The first key of the tenant's advisory lock between storing months (taken
#: exclusively) and the triggers that forget them (taken shared). Migration
#: 0006's SQL carries the same number; a test holds them equal.
LOCK_KEY = 0x52455655

#: Closed months kept stored by the hourly task, counting back from today's.
KEPT_MONTHS = 36


@dataclass(frozen=True)
class RevenueMonth:
    """Net revenue of one month, kind of line and service type, in the tenant's
    currency: invoice lines' net amounts less the credit notes' net amounts
    on lines of that kind; ``service`` is the subscription's connection type
    (``ftth``, ``wireless``, ``dsl``, ``cable``), empty when it has none or
    the line belongs to no subscription."""

    month: dt.date
    line_type: str
    service: str
    invoiced: Decimal
    credited: Decimal

    @property
    def net(self) -> Decimal:
        """Invoiced less credited."""
        return self.invoiced - self.credited


# Invoice lines by issue date, void ones too: a void is a dated fact of its
# own, the same lines taken back (negative) on the day it was voided, so a
# past month reads the same after a later void. Credit note lines by the
# credit note's issue date with the kind of the line they credit. The plan
# filter reads the subscription's plan on the document's day from its
# applied plan changes, as MRR does. Every document read is dated within
# the report's days, so its month is its day's: no join to a list of
# months, whose row estimate misled the planner into nested loops.
_REVENUE = (
    "WITH "
    + sql.PLAN_SPANS
    + """,
lines AS (
    SELECT inv.issue_date AS day, inv.currency, inv.customer_id, il.kind, il.charge_id,
        il.subscription_id, il.net_amount AS invoiced, 0 AS credited
    FROM {line} il JOIN {invoice} inv ON inv.id = il.invoice_id
    WHERE inv.tenant_id = %(tenant)s AND inv.issue_date BETWEEN %(first)s AND %(last)s
    UNION ALL
    SELECT inv.voided_on, inv.currency, inv.customer_id, il.kind, il.charge_id,
        il.subscription_id, -il.net_amount, 0
    FROM {line} il JOIN {invoice} inv ON inv.id = il.invoice_id
    WHERE inv.tenant_id = %(tenant)s AND inv.status = %(void)s
      AND inv.voided_on BETWEEN %(first)s AND %(last)s
    UNION ALL
    SELECT cn.issue_date, cn.currency, cn.customer_id, il.kind, il.charge_id,
        il.subscription_id, 0, cl.net_amount
    FROM {cn_line} cl JOIN {cn} cn ON cn.id = cl.credit_note_id
    JOIN {line} il ON il.id = cl.invoice_line_id
    WHERE cn.tenant_id = %(tenant)s AND cn.issue_date BETWEEN %(first)s AND %(last)s
),
f AS (
    SELECT date_trunc('month', l.day)::date AS m, l.day, l.currency,
        CASE WHEN l.kind = 'one_time' AND EXISTS (
            SELECT 1 FROM {topup} t WHERE t.charge_id = l.charge_id
        ) THEN 'top_up' ELSE l.kind END AS line_type,
        COALESCE(s.connection_type, '') AS service, l.invoiced, l.credited
    FROM lines l
    LEFT JOIN {sub} s ON s.id = l.subscription_id
    LEFT JOIN plan_spans ps ON %(plan)s::bigint IS NOT NULL
        AND ps.subscription_id = l.subscription_id
        AND (ps.starts IS NULL OR ps.starts <= l.day) AND (ps.ends IS NULL OR l.day < ps.ends)
    WHERE """
    + _tagged("l.customer_id")
    + """
      AND (%(plan)s::bigint IS NULL OR COALESCE(ps.plan_id, s.plan_id) = %(plan)s)
),
converted AS (
    SELECT f.*, """
    + _CONVERTED.replace("amount *", "invoiced *")
    + """, """
    + _CONVERTED.replace("amount *", "credited *").replace("AS value", "AS credit_value")
    + """ FROM f
)
SELECT m, line_type, service, COALESCE(sum(value), 0), COALESCE(sum(credit_value), 0),
    min(currency) FILTER (WHERE value IS NULL), min(day) FILTER (WHERE value IS NULL)
FROM converted GROUP BY m, line_type, service ORDER BY m, line_type, service
"""
)


def _computed(tenant: Tenant, filters: Filters) -> list[RevenueMonth]:
    """The report computed from the documents, months in no particular order."""
    params = {**_params(tenant, filters), "void": InvoiceStatus.VOID}
    return [RevenueMonth(*row) for row in _fetch(_REVENUE, params)]


def store_months(tenant: Tenant, months: Iterable[dt.date]) -> int:
    """Compute and store the revenue of each month of ``months`` (first days of
    closed months) that is not stored yet; returns how many were computed.
    Runs in the caller's transaction (or its own), holding the tenant's
    revenue-facts lock exclusively while it computes: a change committed
    meanwhile waits for it, then forgets what it reaches.

    Raises ValueError for a month that is not closed (ended before the
    tenant's today: the current month is still being invoiced), and
    NotFound (field ``currency``) as ``revenue_by_service`` does, storing
    nothing.
    """
    wanted = {month_start(month) for month in months}
    if sql.split_closed(tenant, sorted(wanted))[1]:
        raise ValueError("revenue months are stored once closed, not before")

    def write(missing: list[dt.date]) -> None:
        RevenueFact.objects.filter(tenant=tenant, month__in=missing).delete()
        RevenueFact.objects.bulk_create(
            RevenueFact(tenant=tenant, **dataclasses.asdict(row))
            for first, last in sql.month_runs(missing)
            for row in _computed(tenant, Filters(start=first, end=last))
        )

    return sql.store_missing(
        tenant.pk, wanted, marker=RevenueFactMonth, field="month", lock_key=LOCK_KEY, write=write
    )


def _read(tenant: Tenant, months: list[dt.date]) -> list[RevenueMonth]:
    facts = RevenueFact.objects.filter(tenant=tenant, month__in=months).values_list(
        "month", "line_type", "service", "invoiced", "credited"
    )
    return [
        RevenueMonth(
            month,
            line_type,
            service,
            round_money(invoiced, tenant.currency),
            round_money(credited, tenant.currency),
        )
        for month, line_type, service, invoiced, credited in facts
    ]


def revenue_by_service(tenant: Tenant, filters: Filters) -> list[RevenueMonth]:
    """Net revenue per month of ``filters``, kind of line (``LINE_TYPES``) and
    service type, for the subscriptions on ``filters.plan_id`` on the
    document's day and customers tagged ``filters.tag``; combinations
    without a line have no row. Tax is excluded; discounts are negative lines.
    A void invoice counts in its issue month and is taken back, as negative
    invoicing, in the month it was voided (``Invoice.voided_on``). Without a
    plan or tag, closed months are read from (and first written to) the
    stored months.

    Raises NotFound (field ``currency``) when a document's currency has no
    exchange rate on or before its issue date.
    """
    if filters.plan_id is not None or filters.tag:
        rows = _computed(tenant, filters)
    else:
        closed, current = sql.split_closed(tenant, months_between(filters.start, filters.end))
        store_months(tenant, closed)
        rows = _read(tenant, closed)
        if current:
            rows += _computed(tenant, Filters(start=current[0], end=current[-1]))
    order = {name: i for i, name in enumerate(LINE_TYPES)}
    return sorted(rows, key=lambda r: (r.month, order.get(r.line_type, 99), r.service))
