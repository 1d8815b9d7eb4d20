"""``/staff/job-runs/``: the job log, every run of the periodic jobs (billing,
collections, usage rollup, RADIUS retention and stale sessions, the outbox,
the helpdesk's scans), with its duration, counts and error (``core.job_log``).

A tenant's staff see their tenant's runs; the platform operator also sees
the platform-wide runs (tenant "All tenants").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from ispstack.console.lists import (
    ANY,
    ExportColumn,
    ListView,
    LocalTimeColumn,
    StatusColumn,
    TenantFilterSet,
    date_range,
    export_time,
)
from ispstack.core import clock
from ispstack.core.models import JobExecution

PERIODS = {"24h": dt.timedelta(hours=24), "7d": dt.timedelta(days=7)}


def _counts(counts: dict[str, Any]) -> str:
    return ", ".join(f"{name}: {value}" for name, value in counts.items())


def _duration(ms: int | None) -> str:
    if ms is None:
        return ""
    return f"{ms / 1000:.1f} s" if ms >= 1000 else f"{ms} ms"


class JobRunFilter(TenantFilterSet):
    job = django_filters.CharFilter(label=_("Job"), lookup_expr="icontains")
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=JobExecution.Status.choices, empty_label=ANY
    )
    period = django_filters.ChoiceFilter(
        label=_("Started"),
        choices=[("24h", _("In the last 24 hours")), ("7d", _("In the last 7 days"))],
        empty_label=ANY,
        method="filter_period",
    )
    started = date_range(_("Started between"), field_name="started_at__date")

    class Meta:
        model = JobExecution
        fields: list[str] = []

    def filter_period(self, queryset: Any, name: str, value: str) -> Any:
        if value not in PERIODS:
            return queryset
        return queryset.filter(started_at__gte=clock.now() - PERIODS[value])


class JobRunTable(tables.Table):
    job = tables.Column(verbose_name=_("Job"))
    tenant = tables.Column(verbose_name=_("Tenant"), default=_("All tenants"))
    status = StatusColumn(verbose_name=_("Status"))
    started_at = LocalTimeColumn(verbose_name=_("Started"))
    duration_ms = tables.Column(
        verbose_name=_("Duration"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    counts = tables.Column(verbose_name=_("Counts"), attrs={"td": {"class": "wrap"}})
    arguments = tables.Column(verbose_name=_("Arguments"), attrs={"td": {"class": "wrap"}})
    error = tables.Column(verbose_name=_("Error"), attrs={"td": {"class": "wrap"}})

    def render_duration_ms(self, value: int | None) -> str:
        return _duration(value)

    def render_counts(self, value: dict[str, Any]) -> str:
        return _counts(value)

    def render_arguments(self, value: dict[str, Any]) -> str:
        return _counts(value)


class JobRunListView(ListView):
    """The job log as a console list: filters job, status, period and dates."""

    list_name = "job-runs"
    title = _("Job log")
    model = JobExecution
    required_perms = ("core.view_jobexecution",)
    table_class = JobRunTable
    filterset_class = JobRunFilter
    sorts = {
        "job": ("job",),
        "status": ("status",),
        "started_at": ("started_at",),
        "duration_ms": ("duration_ms",),
    }
    default_sort = "-started_at"
    keyset_sorts = ("id", "started_at")
    export_columns = [
        ExportColumn(_("Job"), lambda r: r.job),
        ExportColumn(_("Tenant"), lambda r: r.tenant.name if r.tenant else ""),
        ExportColumn(_("Status"), lambda r: r.get_status_display()),
        ExportColumn(_("Started"), lambda r: export_time(r.started_at, r._list_tenant)),
        ExportColumn(_("Finished"), lambda r: export_time(r.finished_at, r._list_tenant)),
        ExportColumn(_("Duration (ms)"), lambda r: r.duration_ms),
        ExportColumn(_("Counts"), lambda r: _counts(r.counts)),
        ExportColumn(_("Arguments"), lambda r: _counts(r.arguments)),
        ExportColumn(_("Error"), lambda r: r.error),
    ]

    def get_queryset(self) -> Any:
        return JobExecution.objects.select_related("tenant")
