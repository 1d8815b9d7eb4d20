"""The SQL every report shares: the table names its statements are written
with, the one way a report statement runs, the reading of a subscription's
plan history that several reports join, and the storing of the facts that
reports read instead of computing them (MRR days, revenue and usage months)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from django.db import connection, models, transaction

from ispstack.billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from ispstack.catalog.models import AddOn, AddOnPrice, Bundle, Plan, PlanPrice, Promotion
from ispstack.collections.models import DunningActionLog, DunningCampaign, DunningExecution
from ispstack.core import clock
from ispstack.core.models import ExchangeRate
from ispstack.customers.models import Customer
from ispstack.network.inventory import Sector, Site
from ispstack.payments.models import (
    Allocation,
    BankTransfer,
    CardPayment,
    DirectDebitBatch,
    DirectDebitItem,
    Payment,
    Refund,
)
from ispstack.reports.models import MrrFact
from ispstack.subscriptions.models import (
    PlanChange,
    Subscription,
    SubscriptionAddOn,
    SubscriptionEvent,
    SubscriptionPromotion,
)
from ispstack.tickets.models import Team, Ticket
from ispstack.usage.models import DailyUsage, TopUp


@cache
def tables() -> dict[str, str]:
    """The placeholder names report statements use (``{invoice}``...) and the
    tables they stand for."""
    named: dict[str, type[models.Model] | Any] = {
        "addon": AddOn,
        "addon_price": AddOnPrice,
        "allocation": Allocation,
        "bundle": Bundle,
        "bundle_addons": Bundle.addons.through,
        "bundle_plans": Bundle.plans.through,
        "campaign": DunningCampaign,
        "card": CardPayment,
        "change": PlanChange,
        "cn": CreditNote,
        "cn_line": CreditNoteLine,
        "customer": Customer,
        "dd_batch": DirectDebitBatch,
        "dd_item": DirectDebitItem,
        "event": SubscriptionEvent,
        "fact": MrrFact,
        "execution": DunningExecution,
        "invoice": Invoice,
        "line": InvoiceLine,
        "log": DunningActionLog,
        "payment": Payment,
        "plan": Plan,
        "plan_price": PlanPrice,
        "promo": Promotion,
        "rate": ExchangeRate,
        "refund": Refund,
        "sector": Sector,
        "site": Site,
        "sub": Subscription,
        "sub_addon": SubscriptionAddOn,
        "sub_promo": SubscriptionPromotion,
        "team": Team,
        "ticket": Ticket,
        "topup": TopUp,
        "transfer": BankTransfer,
        "usage": DailyUsage,
    }
    return {name: model._meta.db_table for name, model in named.items()}


@contextmanager
def _cursor(
    sql: str, params: dict[str, Any], *, nested_loops: bool = True, work_mem: str = "64MB"
) -> Iterator[Any]:
    # SET LOCAL outlives the release of a nested atomic block's savepoint, so
    # the settings are reset after the statement: a later statement of the
    # same transaction (a report reading the days just stored) plans as
    # usual. On an error the savepoint's rollback undoes them.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])
        if not nested_loops:
            cursor.execute("SET LOCAL enable_nestloop = off")
        cursor.execute(sql.format(**tables()), params)
        yield cursor
        cursor.execute("RESET jit; RESET work_mem; RESET enable_nestloop")


def fetch(sql: str, params: dict[str, Any], *, work_mem: str = "64MB") -> list[tuple[Any, ...]]:
    """The rows of one report statement, its ``{name}`` placeholders filled
    from ``tables()``. JIT compilation is off for it: the planner's cost of
    these statements (CTEs over every subscription and day) turns on JIT
    with inlining, whose compiling took 13 s of a 16 s run on 10,000
    subscribers, for a statement that runs in under 2 s without it. The
    sorts and hashes of 100,000 subscribers x 25 days fit in memory with
    64 MB, where the default 4 MB spills them to disk; a statement sorting
    more (a row per customer and month) asks for its ``work_mem``."""
    with _cursor(sql, params, work_mem=work_mem) as cursor:
        return list(cursor.fetchall())


def lock_tenant(key: int, tenant_id: int) -> None:
    """Take the advisory lock ``(key, tenant_id)`` exclusively until the end of
    the transaction: stored facts are computed under it, and the triggers
    that forget them take it shared (``reports.mrr_facts``,
    ``reports.revenue``)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [key, tenant_id])


def store_missing(
    tenant_id: int,
    wanted: set[dt.date],
    *,
    marker: type[models.Model],
    field: str,
    lock_key: int,
    write: Callable[[list[dt.date]], None],
) -> int:
    """Store the facts of each date of ``wanted`` that has no ``marker`` row
    (``field`` its date) for the tenant yet: ``write(missing)`` replaces
    their facts, then each gets its marker; returns how many were written.
    Runs in the caller's transaction (or its own) holding the tenant's
    ``lock_key`` lock exclusively, which the triggers that delete markers
    take shared: a change committed meanwhile waits, then forgets what it
    reaches, so no marker ever covers facts computed before a change."""

    def marked() -> set[dt.date]:
        rows = marker._default_manager.filter(tenant_id=tenant_id, **{f"{field}__in": wanted})
        return set(rows.values_list(field, flat=True))

    if not wanted or marked() == wanted:
        return 0
    with transaction.atomic():
        lock_tenant(lock_key, tenant_id)
        missing = sorted(wanted - marked())
        if not missing:
            return 0
        write(missing)
        marker._default_manager.bulk_create(
            marker(tenant_id=tenant_id, **{field: day}) for day in missing
        )
    return len(missing)


def month_runs(months: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Sorted first days of months as runs of consecutive months (first,
    last): a stored-months report computes each run in one statement that
    reads only those months' rows."""
    runs: list[tuple[dt.date, dt.date]] = []
    for month in months:
        if runs and month == clock.month_end(runs[-1][1]) + dt.timedelta(days=1):
            runs[-1] = (runs[-1][0], month)
        else:
            runs.append((month, month))
    return runs


def split_closed(tenant: Any, months: list[dt.date]) -> tuple[list[dt.date], list[dt.date]]:
    """``months`` (first days, in order) as those closed (ended before the
    tenant's today), which a stored-months report reads from its store, and
    the rest, which it computes."""
    today = clock.today(tenant)
    closed = [month for month in months if clock.month_end(month) < today]
    return closed, months[len(closed) :]


def closed_months_before(tenant: Any, count: int) -> list[dt.date]:
    """The ``count`` closed months before the tenant's current one (first
    days, oldest first): what the hourly tasks keep stored."""
    month = clock.today(tenant).replace(day=1)
    months = []
    for _ in range(count):
        month = (month - dt.timedelta(days=1)).replace(day=1)
        months.append(month)
    return months[::-1]


def execute(sql: str, params: dict[str, Any], *, nested_loops: bool = True) -> int:
    """Run one writing report statement as ``fetch`` runs a reading one;
    returns the number of rows it wrote. ``nested_loops=False`` plans it
    with hash and merge joins only, for a statement over every subscription
    whose chain of CTEs the planner estimates at one row (it would then
    loop over each subscription: 63 s instead of 0.7 s for one day of
    100,000 subscriptions)."""
    with _cursor(sql, params, nested_loops=nested_loops) as cursor:
        return int(cursor.rowcount)


# The plan a subscription was on each day, as spans: an applied change's plan
# runs from its effective date to the next change's; before the first change
# the subscription was on that change's from_plan; a subscription without
# changes (no span) was on its plan. Two CTEs, ``changes`` and
# ``plan_spans (subscription_id, starts, ends, plan_id)``, ``starts``
# inclusive and NULL for "since the start", ``ends`` exclusive.
PLAN_SPANS = """
changes AS (
    SELECT pc.subscription_id, pc.effective_date, pc.from_plan_id, pc.to_plan_id,
        lead(pc.effective_date) OVER w AS next_date, row_number() OVER w AS n
    FROM {change} pc WHERE pc.tenant_id = %(tenant)s AND pc.status = 'applied'
    WINDOW w AS (PARTITION BY pc.subscription_id ORDER BY pc.effective_date, pc.id)
),
plan_spans AS (
    SELECT subscription_id, NULL::date AS starts, effective_date AS ends, from_plan_id AS plan_id
    FROM changes WHERE n = 1
    UNION ALL
    SELECT subscription_id, effective_date, next_date, to_plan_id FROM changes
)"""
