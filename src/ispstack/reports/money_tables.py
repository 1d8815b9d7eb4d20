"""The money reports (``reports.money``) as tables, one public builder per
report: ``build_<slug>_table(tenant, query)`` reads the filters from a query
string (``params``), computes the report and returns the ``tables.Table``
the console, the CSV and XLSX exports and a scheduled report are made from.
Money columns are in the tenant's currency, named in their heading; rates are
percentages with two decimals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ispstack.collections.models import DunningAction
from ispstack.core.models import Tenant
from ispstack.payments.models import PaymentMethod
from ispstack.reports import money, params, revenue
from ispstack.reports.selectors import Filters
from ispstack.reports.tables import Table

#: Names of the kinds of line the revenue report shows.
LINE_TYPE_NAMES = {
    "recurring": gettext_lazy("Recurring plan"),
    "addon": gettext_lazy("Add-on"),
    "proration": gettext_lazy("Proration"),
    "discount": gettext_lazy("Discount"),
    "one_time": gettext_lazy("One-time charge"),
    "top_up": gettext_lazy("Data top-up"),
    "usage": gettext_lazy("Usage over the data cap"),
}
KIND_NAMES = {"credit_note": gettext_lazy("Credit note"), "refund": gettext_lazy("Refund")}


def filters(tenant: Tenant, query: Mapping[str, Any], *, plan: bool = False) -> Filters:
    """The checked filters of a money report: ``start``, ``end`` and ``tag``,
    and ``plan`` only for a report that reads subscriptions (``plan=True``);
    the others ignore it, since payments and credits belong to customers.

    Raises InvalidInput naming the field (see ``params.filters_from``).
    """
    names = ("start", "end", "tag", "plan") if plan else ("start", "end", "tag")
    return params.filters_from(tenant, {name: query.get(name) for name in names})


def method_name(method: str) -> str:
    """The payment method's display name (``Direct debit``)."""
    return str(PaymentMethod(method).label) if method in PaymentMethod.values else method


def _percent(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"))


def _money(heading: str, currency: str) -> str:
    return f"{heading} ({currency})"


def payment_success_table(rows: Sequence[money.PaymentOutcomeMonth], currency: str) -> Table:
    """One row per month and method: attempts succeeded, failed and pending
    with their amounts, and the success rate."""
    return Table(
        headings=[
            _("Month"),
            _("Method"),
            _("Succeeded"),
            _money(_("Succeeded amount"), currency),
            _("Failed"),
            _money(_("Failed amount"), currency),
            _("Pending at month end"),
            _money(_("Pending amount"), currency),
            _("Success rate %"),
        ],
        money=[False, False, False, True, False, True, False, True, False],
        rows=[
            [
                r.month.strftime("%Y-%m"),
                method_name(r.method),
                r.succeeded,
                r.succeeded_amount,
                r.failed,
                r.failed_amount,
                r.pending,
                r.pending_amount,
                _percent(r.success_rate),
            ]
            for r in rows
        ],
    )


def step_name(position: int, action: str) -> str:
    """``2. Suspend service``; position 0 is the campaign's start, before its first step."""
    if position == 0:
        return _("Started, before the first step")
    label = DunningAction(action).label if action in DunningAction.values else action
    return f"{position}. {label}"


def dunning_effectiveness_table(rows: Sequence[money.DunningStepMonth], currency: str) -> Table:
    """One row per month, campaign and step: accounts reached, recovered (and
    the amount), suspended and reconnected."""
    return Table(
        headings=[
            _("Month"),
            _("Campaign"),
            _("Step"),
            _("Accounts reached"),
            _("Paid before the next step"),
            _money(_("Amount recovered"), currency),
            _("Suspended"),
            _("Reconnected"),
        ],
        money=[False, False, False, False, False, True, False, False],
        rows=[
            [
                r.month.strftime("%Y-%m"),
                r.campaign,
                step_name(r.position, r.action),
                r.reached,
                r.recovered,
                r.recovered_amount,
                r.suspended,
                r.reconnected,
            ]
            for r in rows
        ],
    )


def revenue_by_service_table(rows: Sequence[revenue.RevenueMonth], currency: str) -> Table:
    """One row per month, kind of line and service type: invoiced, credited
    and net revenue, net of tax."""
    return Table(
        headings=[
            _("Month"),
            _("Kind of line"),
            _("Service type"),
            _money(_("Invoiced net"), currency),
            _money(_("Credited net"), currency),
            _money(_("Net revenue"), currency),
        ],
        money=[False, False, False, True, True, True],
        rows=[
            [
                r.month.strftime("%Y-%m"),
                str(LINE_TYPE_NAMES.get(r.line_type, r.line_type)),
                r.service or _("unspecified"),
                r.invoiced,
                r.credited,
                r.net,
            ]
            for r in rows
        ],
    )


def payment_methods_table(rows: Sequence[money.MethodMonth], currency: str) -> Table:
    """One row per month and method: payments, their amount and its share of
    the month's amount."""
    totals: dict[Any, Decimal] = {}
    for r in rows:
        totals[r.month] = totals.get(r.month, money.ZERO) + r.amount
    return Table(
        headings=[
            _("Month"),
            _("Method"),
            _("Payments"),
            _money(_("Amount"), currency),
            _("Share of amount %"),
        ],
        money=[False, False, False, True, False],
        rows=[
            [
                r.month.strftime("%Y-%m"),
                method_name(r.method),
                r.payments,
                r.amount,
                _percent(money.rate_percent(r.amount, totals[r.month])),
            ]
            for r in rows
        ],
    )


def credit_notes_refunds_table(rows: Sequence[money.CreditMonth], currency: str) -> Table:
    """One row per month, kind (credit note or refund) and reason."""
    return Table(
        headings=[
            _("Month"),
            _("Kind"),
            _("Reason"),
            _("Count"),
            _money(_("Net"), currency),
            _money(_("Total"), currency),
        ],
        money=[False, False, False, False, True, True],
        rows=[
            [
                r.month.strftime("%Y-%m"),
                str(KIND_NAMES.get(r.kind, r.kind)),
                r.reason or _("(no reason given)"),
                r.count,
                r.net,
                r.total,
            ]
            for r in rows
        ],
    )


def build_payment_success_table(tenant: Tenant, query: Mapping[str, Any]) -> Table:
    """Payment success and failure by month and method (filters: start, end, tag)."""
    rows = money.payment_outcomes(tenant, filters(tenant, query))
    return payment_success_table(rows, tenant.currency)


def build_dunning_effectiveness_table(tenant: Tenant, query: Mapping[str, Any]) -> Table:
    """Dunning effectiveness by month, campaign and step (filters: start, end, tag)."""
    rows = money.dunning_effectiveness(tenant, filters(tenant, query))
    return dunning_effectiveness_table(rows, tenant.currency)


def build_revenue_by_service_table(tenant: Tenant, query: Mapping[str, Any]) -> Table:
    """Net revenue by month, kind of line and service type (filters: start,
    end, plan, tag)."""
    rows = revenue.revenue_by_service(tenant, filters(tenant, query, plan=True))
    return revenue_by_service_table(rows, tenant.currency)


def build_payment_methods_table(tenant: Tenant, query: Mapping[str, Any]) -> Table:
    """Payment method mix by month (filters: start, end, tag)."""
    rows = money.payment_method_mix(tenant, filters(tenant, query))
    return payment_methods_table(rows, tenant.currency)


def build_credit_notes_refunds_table(tenant: Tenant, query: Mapping[str, Any]) -> Table:
    """Credit notes and refunds by month, kind and reason (filters: start, end, tag)."""
    rows = money.credit_notes_and_refunds(tenant, filters(tenant, query))
    return credit_notes_refunds_table(rows, tenant.currency)
