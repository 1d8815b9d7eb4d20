"""Each report as a table: column headings and rows of plain values (dates,
Decimals, ints, strings), the one shape the console's table, the CSV and the
XLSX export are made from. Money columns hold amounts in the tenant's
currency, named in their heading."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ispstack.core.models import Tenant
from ispstack.core.money import round_money
from ispstack.reports import params, selectors
from ispstack.reports.selectors import AgingBucket, MrrMonth, PlanMonth


@dataclass(frozen=True)
class Table:
    """``headings``, and ``rows`` of values; ``money`` flags the money columns."""

    headings: list[str]
    money: list[bool]
    rows: list[list[Any]]


def _rate(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"))


def mrr_table(months: Sequence[MrrMonth], currency: str) -> Table:
    """One row per month: MRR movements, customers, ARR, ARPU and churn rates."""
    columns: list[tuple[str, bool, Any]] = [
        (_("Month"), False, lambda m: m.month.strftime("%Y-%m")),
        (_("Opening MRR"), True, lambda m: m.opening),
        (_("New"), True, lambda m: m.new),
        (_("Expansion"), True, lambda m: m.expansion),
        (_("Contraction"), True, lambda m: m.contraction),
        (_("Churn"), True, lambda m: m.churn),
        (_("Reactivation"), True, lambda m: m.reactivation),
        (_("Closing MRR"), True, lambda m: m.closing),
        (_("ARR"), True, lambda m: m.arr),
        (_("Paying customers"), False, lambda m: m.customers_closing),
        (_("New customers"), False, lambda m: m.new_customers),
        (_("Churned customers"), False, lambda m: m.churned_customers),
        (
            _("ARPU"),
            True,
            lambda m: None if m.arpu is None else round_money(m.arpu, currency),
        ),
        (_("Logo churn %"), False, lambda m: _rate(m.logo_churn_rate)),
        (_("Revenue churn %"), False, lambda m: _rate(m.revenue_churn_rate)),
        (_("Net revenue churn %"), False, lambda m: _rate(m.net_revenue_churn_rate)),
    ]
    return Table(
        headings=[f"{h} ({currency})" if money else h for h, money, _get in columns],
        money=[money for _h, money, _get in columns],
        rows=[[get(m) for _h, _money, get in columns] for m in months],
    )


def plan_table(rows: Sequence[PlanMonth], currency: str) -> Table:
    """One row per month and plan: subscriptions in service and their MRR."""
    return Table(
        headings=[_("Month"), _("Plan"), _("Subscriptions"), f"{_('MRR')} ({currency})"],
        money=[False, False, False, True],
        rows=[[r.month.strftime("%Y-%m"), r.plan, r.subscriptions, r.mrr] for r in rows],
    )


def aging_table(buckets: Sequence[AgingBucket], currency: str) -> Table:
    """One row per bucket of days past due: invoices and the open amount."""
    return Table(
        headings=[_("Days past due"), _("Invoices"), f"{_('Open amount')} ({currency})"],
        money=[False, False, True],
        rows=[[b.label, b.invoices, b.amount] for b in buckets],
    )


def build_mrr_table(tenant: Tenant, query: Mapping[str, Any]) -> Table:
    """The MRR report of ``tenant`` for the filters in ``query`` (``start``,
    ``end``, ``plan``, ``tag``: ``params.filters_from``) as a table.

    Raises InvalidInput naming the filter at fault, NotFound (field
    ``currency``) for a missing exchange rate."""
    months = selectors.mrr_movements(tenant, params.filters_from(tenant, query))
    return mrr_table(months, tenant.currency)


def build_plans_table(tenant: Tenant, query: Mapping[str, Any]) -> Table:
    """Subscribers by plan of ``tenant`` for the filters in ``query`` (as
    ``build_mrr_table``) as a table; raises as ``build_mrr_table``."""
    rows = selectors.growth_by_plan(tenant, params.filters_from(tenant, query))
    return plan_table(rows, tenant.currency)


def build_aging_table(tenant: Tenant, query: Mapping[str, Any]) -> Table:
    """The aging of ``tenant`` on ``query["as_of"]`` (default today) for the
    customers tagged ``query["tag"]`` as a table.

    Raises InvalidInput (``as_of``, ``tag``), NotFound (``currency``)."""
    as_of = params.aging_day(tenant, query)
    buckets = selectors.aging(tenant, as_of=as_of, tag=params.tag_param(query))
    return aging_table(buckets, tenant.currency)
