"""Every report by its slug: its title, the function that builds its table
and the query parameters it reads. Scheduled reports (``ReportSchedule``)
name a report by its slug and are built through this registry.

A report is one ``ReportSpec`` line in ``REPORTS``: ``build(tenant, query)``
returns its ``tables.Table`` from a mapping of query parameters (strings,
as in a URL's query); ``filters`` are the parameters a schedule may fix
(``plan``, ``tag``); ``period`` turns a schedule's relative range (first
and last day) into the parameters that carry the dates (``month_range``
for reports over months, ``day_range`` for a report on one day);
``check`` validates parameters without building the table (default:
``build`` itself, which validates them on the way).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant
from ispstack.reports import params
from ispstack.reports.money_tables import (
    build_credit_notes_refunds_table,
    build_dunning_effectiveness_table,
    build_payment_methods_table,
    build_payment_success_table,
    build_revenue_by_service_table,
)
from ispstack.reports.ops_tables import (
    build_overdue_by_site_table,
    build_ticket_resolution_table,
    build_ticket_sla_table,
    build_top_users_table,
    build_usage_by_plan_table,
    check_overdue_by_site,
    check_tickets,
    check_top_users,
    check_usage_by_plan,
)
from ispstack.reports.tables import (
    Table,
    build_aging_table,
    build_mrr_table,
    build_plans_table,
)

Builder = Callable[[Tenant, Mapping[str, Any]], Table]
Period = Callable[[dt.date, dt.date], dict[str, str]]


def month_range(first: dt.date, last: dt.date) -> dict[str, str]:
    """A period as the ``start`` and ``end`` months (``YYYY-MM``) of a monthly report."""
    return {"start": first.strftime("%Y-%m"), "end": last.strftime("%Y-%m")}


def day_range(first: dt.date, last: dt.date) -> dict[str, str]:
    """A period as the ``as_of`` day (its last day) of a report on one day."""
    return {"as_of": last.isoformat()}


def day_span(first: dt.date, last: dt.date) -> dict[str, str]:
    """A period as its ``start`` and ``end`` days (ISO dates) of a report over days."""
    return {"start": first.isoformat(), "end": last.isoformat()}


def _check_aging(tenant: Tenant, query: Mapping[str, Any]) -> Any:
    return params.aging_day(tenant, query), params.tag_param(query)


@dataclass(frozen=True)
class ReportSpec:
    """One report: see the module docstring."""

    slug: str
    title: Any
    build: Builder
    filters: tuple[str, ...] = ()
    period: Period = month_range
    check: Callable[[Tenant, Mapping[str, Any]], Any] | None = None

    def validate(self, tenant: Tenant, query: Mapping[str, Any]) -> None:
        """Raise InvalidInput naming the parameter of ``query`` the report refuses."""
        (self.check or self.build)(tenant, query)


REPORTS: dict[str, ReportSpec] = {
    spec.slug: spec
    for spec in (
        ReportSpec(
            "mrr", _("MRR and churn"), build_mrr_table, ("plan", "tag"), check=params.filters_from
        ),
        ReportSpec(
            "plans",
            _("Subscribers by plan"),
            build_plans_table,
            ("plan", "tag"),
            check=params.filters_from,
        ),
        ReportSpec(
            "aging",
            _("Aging of overdue invoices"),
            build_aging_table,
            ("tag",),
            period=day_range,
            check=_check_aging,
        ),
        ReportSpec(
            "payment-success",
            _("Payment success and failure"),
            build_payment_success_table,
            ("tag",),
            check=params.filters_from,
        ),
        ReportSpec(
            "dunning-effectiveness",
            _("Dunning effectiveness"),
            build_dunning_effectiveness_table,
            ("tag",),
            check=params.filters_from,
        ),
        ReportSpec(
            "revenue-by-service",
            _("Revenue by service type"),
            build_revenue_by_service_table,
            ("plan", "tag"),
            check=params.filters_from,
        ),
        ReportSpec(
            "payment-methods",
            _("Payment method mix"),
            build_payment_methods_table,
            ("tag",),
            check=params.filters_from,
        ),
        ReportSpec(
            "credit-notes-refunds",
            _("Credit notes and refunds"),
            build_credit_notes_refunds_table,
            ("tag",),
            check=params.filters_from,
        ),
        ReportSpec(
            "usage-by-plan",
            _("Usage by plan"),
            build_usage_by_plan_table,
            ("plan", "tag"),
            check=check_usage_by_plan,
        ),
        ReportSpec(
            "top-users",
            _("Top users"),
            build_top_users_table,
            ("plan", "tag"),
            period=day_span,
            check=check_top_users,
        ),
        ReportSpec(
            "overdue-sites",
            _("Overdue balance by site"),
            build_overdue_by_site_table,
            ("tag",),
            period=day_range,
            check=check_overdue_by_site,
        ),
        ReportSpec(
            "ticket-resolution",
            _("Ticket resolution times"),
            build_ticket_resolution_table,
            ("tag",),
            check=check_tickets,
        ),
        ReportSpec(
            "ticket-sla", _("SLA compliance"), build_ticket_sla_table, ("tag",), check=check_tickets
        ),
    )
}


def get(slug: str, field: str = "report") -> ReportSpec:
    """The report named ``slug``; raises InvalidInput (field ``field``) naming the known ones."""
    spec = REPORTS.get(slug)
    if spec is None:
        raise InvalidInput(
            f"'{slug}' is not a report; one of {', '.join(sorted(REPORTS))}", field=field
        )
    return spec


def choices() -> list[tuple[str, str]]:
    """``(slug, title)`` of every report, by title, for a form's choice."""
    return sorted(((s.slug, str(s.title)) for s in REPORTS.values()), key=lambda c: c[1])
