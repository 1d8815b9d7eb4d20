"""The operational and helpdesk reports as tables (``reports.tables.Table``):
for each report a function from its rows to the table, and a builder
``build_<slug>_table(tenant, query)`` that reads the filters from a query
string, computes the report and returns its table, the one entry point a
caller without a page (a scheduled report) needs.

Data is shown in decimal gigabytes (10^9 bytes, as plans are sold and capped,
``usage.selectors.GB``) with two decimals, rates in percent with two.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from ispstack.core.models import Tenant
from ispstack.reports import helpdesk, operations, ops_params, params, usage
from ispstack.reports.selectors import AGING_BUCKETS
from ispstack.reports.tables import Table
from ispstack.usage.selectors import GB

CENT = Decimal("0.01")


def gigabytes(octets: int | None) -> Decimal | None:
    """Bytes as decimal GB with two decimals (None stays None)."""
    return None if octets is None else (Decimal(octets) / GB).quantize(CENT)


def _rate(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT)


def usage_by_plan_table(rows: Sequence[usage.UsageMonth]) -> Table:
    """One row per month and plan: subscriptions with usage, data in GB, the
    shares that reached 80 % and 100 % of the cap."""
    headings = [
        _("Month"),
        _("Plan"),
        _("Cap (GB)"),
        _("Subscriptions with usage"),
        _("Download (GB)"),
        _("Upload (GB)"),
        _("Average per subscription (GB)"),
        _("95th percentile (GB)"),
        _("Reached 80 % of cap (%)"),
        _("Reached the cap (%)"),
    ]
    return Table(
        headings=headings,
        money=[False] * len(headings),
        rows=[
            [
                r.month.strftime("%Y-%m"),
                r.plan,
                gigabytes(r.cap_bytes),
                r.subscriptions,
                gigabytes(r.download_bytes),
                gigabytes(r.upload_bytes),
                gigabytes(r.average_bytes),
                gigabytes(r.p95_bytes),
                _rate(r.reached_80_percent),
                _rate(r.reached_100_percent),
            ]
            for r in rows
        ],
    )


def top_users_table(rows: Sequence[operations.TopUser]) -> Table:
    """One row per subscription, most bytes first, with rank, customer, plan,
    cap and the share of it used."""
    headings = [
        _("Rank"),
        _("Username"),
        _("Account"),
        _("Customer"),
        _("Plan"),
        _("Cap (GB)"),
        _("Download (GB)"),
        _("Upload (GB)"),
        _("Total (GB)"),
        _("Of cap (%)"),
    ]
    return Table(
        headings=headings,
        money=[False] * len(headings),
        rows=[
            [
                rank,
                r.username,
                r.account_number,
                r.customer,
                r.plan,
                gigabytes(r.cap_bytes),
                gigabytes(r.download_bytes),
                gigabytes(r.upload_bytes),
                gigabytes(r.total_bytes),
                _rate(r.cap_percent),
            ]
            for rank, r in enumerate(rows, start=1)
        ],
    )


def _place(row: operations.SiteOverdue) -> str:
    if not row.site:
        return _("No site")
    return f"{row.site} / {row.sector}" if row.sector else row.site


def overdue_by_site_table(
    rows: Sequence[operations.SiteOverdue], currency: str, by: str = "site"
) -> Table:
    """One row per site (or sector), the largest overdue balance first:
    customers and invoices overdue, the amount in each bucket of days past
    due and in all."""
    buckets = [label for label, _first, _last in AGING_BUCKETS]
    return Table(
        headings=[
            _("Sector") if by == "sector" else _("Site"),
            _("Customers overdue"),
            _("Invoices"),
            *(f"{_('%(days)s days') % {'days': label}} ({currency})" for label in buckets),
            f"{_('Total')} ({currency})",
        ],
        money=[False, False, False, *(True for _label in buckets), True],
        rows=[
            [
                _place(r),
                r.customers,
                r.invoices,
                *(r.buckets[label] for label in buckets),
                r.total,
            ]
            for r in rows
        ],
    )


def resolution_table(rows: Sequence[helpdesk.ResolutionMonth], by: str) -> Table:
    """One row per month and group: tickets resolved, median and 90th
    percentile of their resolution time in business hours."""
    return Table(
        headings=[
            _("Month"),
            _("Team") if by == "team" else _("Priority"),
            _("Resolved"),
            _("Median (business hours)"),
            _("90th percentile (business hours)"),
        ],
        money=[False] * 5,
        rows=[
            [r.month.strftime("%Y-%m"), r.group, r.resolved, r.median_hours, r.p90_hours]
            for r in rows
        ],
    )


def sla_table(rows: Sequence[helpdesk.SlaMonth], by: str) -> Table:
    """One row per month and group: tickets resolved, first responses and
    resolutions measured and the share of each within its target."""
    headings = [
        _("Month"),
        _("Team") if by == "team" else _("Priority"),
        _("Resolved"),
        _("First responses measured"),
        _("First response on time (%)"),
        _("Resolutions measured"),
        _("Resolved on time (%)"),
    ]
    return Table(
        headings=headings,
        money=[False] * len(headings),
        rows=[
            [
                r.month.strftime("%Y-%m"),
                r.group,
                r.resolved,
                r.first_response_measured,
                _rate(r.first_response_percent),
                r.resolution_measured,
                _rate(r.resolution_percent),
            ]
            for r in rows
        ],
    )


def build_usage_by_plan_table(tenant: Tenant, query: Mapping[str, Any]) -> Table:
    """Usage by plan for the filters in ``query`` (``start``, ``end``,
    ``plan``, ``tag``, ``site``). Raises InvalidInput naming the field."""
    filters = params.filters_from(tenant, query)
    site = ops_params.site_param(tenant, query)
    return usage_by_plan_table(usage.usage_by_plan(tenant, filters, site_id=site))


def build_top_users_table(tenant: Tenant, query: Mapping[str, Any]) -> Table:
    """Top users for the filters in ``query`` (``start``, ``end`` days,
    ``limit``, ``plan``, ``site``, ``tag``). Raises InvalidInput naming the field."""
    return top_users_table(top_users_for(tenant, query))


def top_users_for(tenant: Tenant, query: Mapping[str, Any]) -> list[operations.TopUser]:
    """The top users for the filters in ``query`` (see ``build_top_users_table``)."""
    return operations.top_users(
        tenant,
        ops_params.day_range(tenant, query),
        limit=ops_params.limit_param(query),
        plan_id=ops_params.plan_param(query),
        site_id=ops_params.site_param(tenant, query),
        tag=params.tag_param(query),
    )


def build_overdue_by_site_table(tenant: Tenant, query: Mapping[str, Any]) -> Table:
    """Overdue balance by site (``by=sector``: by sector) on ``as_of``
    (default today) for the customers tagged ``tag``. Raises InvalidInput
    naming the field, NotFound (field ``currency``) for a missing exchange
    rate."""
    by = operations.overdue_grouping(query.get("by"))
    rows = operations.overdue_by_site(
        tenant, as_of=params.aging_day(tenant, query), tag=params.tag_param(query), by=by
    )
    return overdue_by_site_table(rows, tenant.currency, by)


def build_ticket_resolution_table(tenant: Tenant, query: Mapping[str, Any]) -> Table:
    """Ticket resolution times for ``start``, ``end`` (months), ``tag`` and
    ``by`` (priority or team). Raises InvalidInput naming the field."""
    by = helpdesk.grouping(query.get("by"))
    filters = ops_params.month_filters(tenant, query)
    return resolution_table(helpdesk.resolution_times(tenant, filters, by=by), by)


def build_ticket_sla_table(tenant: Tenant, query: Mapping[str, Any]) -> Table:
    """SLA compliance for ``start``, ``end`` (months), ``tag`` and ``by``
    (priority or team). Raises InvalidInput naming the field."""
    by = helpdesk.grouping(query.get("by"))
    filters = ops_params.month_filters(tenant, query)
    return sla_table(helpdesk.sla_compliance(tenant, filters, by=by), by)


def check_usage_by_plan(tenant: Tenant, query: Mapping[str, Any]) -> None:
    """Check the filters of usage by plan without running it (a schedule's
    save); raises InvalidInput naming the field."""
    params.filters_from(tenant, query)
    ops_params.site_param(tenant, query)


def check_top_users(tenant: Tenant, query: Mapping[str, Any]) -> None:
    """Check the filters of top users without running it; raises InvalidInput
    naming the field."""
    ops_params.day_range(tenant, query)
    ops_params.limit_param(query)
    ops_params.plan_param(query)
    ops_params.site_param(tenant, query)
    params.tag_param(query)


def check_overdue_by_site(tenant: Tenant, query: Mapping[str, Any]) -> None:
    """Check the filters of overdue balance by site without running it;
    raises InvalidInput naming the field."""
    operations.overdue_grouping(query.get("by"))
    params.aging_day(tenant, query)
    params.tag_param(query)


def check_tickets(tenant: Tenant, query: Mapping[str, Any]) -> None:
    """Check the filters of the ticket reports without running them; raises
    InvalidInput naming the field."""
    helpdesk.grouping(query.get("by"))
    ops_params.month_filters(tenant, query)
