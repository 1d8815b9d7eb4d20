"""The console's lead and service order lists, through ``console.lists``:
filters, sorting, keyset pages and CSV / Excel export. A lead's and an
order's own pages are in ``console.views.sales``; the orders pipeline
(counts per step) stays there too.

Leads read with ``provisioning.view_lead`` (admin, noc, support, billing),
orders with ``provisioning.view_serviceorder``.
"""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ispstack.catalog.models import Plan
from ispstack.console.lists import (
    ANY,
    CustomerColumn,
    ExportColumn,
    ListView,
    LocalTimeColumn,
    StatusColumn,
    TenantFilterSet,
    date_range,
    search_filter,
)
from ispstack.network.models import Site
from ispstack.provisioning.choices import Coverage, LeadSource, LeadStatus, OrderStatus
from ispstack.provisioning.models import Lead, ServiceOrder


class LeadFilter(TenantFilterSet):
    q = search_filter(_("Name, email, phone, address"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=LeadStatus.choices, empty_label=ANY
    )
    coverage = django_filters.ChoiceFilter(
        label=_("Coverage"), choices=Coverage.choices, empty_label=ANY
    )
    source = django_filters.ChoiceFilter(
        label=_("Source"), choices=LeadSource.choices, empty_label=ANY
    )
    plan = django_filters.ModelChoiceFilter(
        label=_("Plan of interest"), queryset=Plan.objects.none(), empty_label=ANY
    )
    site = django_filters.ModelChoiceFilter(
        label=_("Site"), queryset=Site.objects.none(), empty_label=ANY
    )
    created_at = date_range(_("Created between"), field_name="created_at__date")

    scoped_choices = {"plan": Plan, "site": Site}

    class Meta:
        model = Lead
        fields: list[str] = []

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()[:200]
        return queryset.filter(
            models.Q(name__icontains=value)
            | models.Q(email__icontains=value)
            | models.Q(phone__icontains=value)
            | models.Q(address__icontains=value)
        )


class LeadTable(tables.Table):
    name = tables.Column(verbose_name=_("Name"))
    status = StatusColumn(verbose_name=_("Status"))
    coverage = tables.Column(verbose_name=_("Coverage"))
    site = tables.Column(verbose_name=_("Site"), accessor="site__name")
    source = tables.Column(verbose_name=_("Source"))
    plan = tables.Column(verbose_name=_("Plan of interest"), accessor="plan__name")
    created_at = LocalTimeColumn(verbose_name=_("Created"))

    def render_name(self, record: Lead) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("console:lead", args=[record.pk]), record.name
        )


class LeadListView(ListView):
    """``/staff/leads/``: prospects, newest first, by status, coverage,
    source, plan, site and date."""

    list_name = "leads"
    title = _("Leads")
    model = Lead
    required_perms = ("provisioning.view_lead",)
    table_class = LeadTable
    filterset_class = LeadFilter
    sorts = {"created_at": ("created_at",), "name": ("name",), "status": ("status",)}
    default_sort = "-created_at"
    keyset_sorts = ("id", "created_at", "name")
    export_columns = [
        ExportColumn(_("Name"), lambda r: r.name),
        ExportColumn(_("Email"), lambda r: r.email),
        ExportColumn(_("Phone"), lambda r: r.phone),
        ExportColumn(_("Address"), lambda r: r.address),
        ExportColumn(_("Latitude"), lambda r: r.latitude),
        ExportColumn(_("Longitude"), lambda r: r.longitude),
        ExportColumn(_("Status"), lambda r: r.get_status_display()),
        ExportColumn(_("Coverage"), lambda r: r.get_coverage_display()),
        ExportColumn(_("Site"), lambda r: r.site.name if r.site_id else ""),
        ExportColumn(_("Source"), lambda r: r.get_source_display()),
        ExportColumn(_("Plan of interest"), lambda r: r.plan.name if r.plan_id else ""),
        ExportColumn(_("Created"), lambda r: r.created_at),
    ]

    def get_queryset(self) -> Any:
        return Lead.objects.select_related("plan", "site")


class OrderFilter(TenantFilterSet):
    q = search_filter(_("Username, account number, customer name, CPE serial"))
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=OrderStatus.choices, empty_label=ANY
    )
    site = django_filters.ModelChoiceFilter(
        label=_("Site"), queryset=Site.objects.none(), empty_label=ANY
    )
    created_at = date_range(_("Ordered between"), field_name="created_at__date")
    activated_on = date_range(_("Activated between"))

    scoped_choices = {"site": Site}

    class Meta:
        model = ServiceOrder
        fields: list[str] = []

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()[:200]
        return queryset.filter(
            models.Q(subscription__username__icontains=value)
            | models.Q(customer__account_number__iexact=value)
            | models.Q(customer__name__icontains=value)
            | models.Q(cpe_serial__iexact=value)
        )


class OrderTable(tables.Table):
    id = tables.Column(verbose_name=_("Order"))
    customer = CustomerColumn()
    username = tables.Column(verbose_name=_("Username"), accessor="subscription__username")
    status = StatusColumn(verbose_name=_("Status"))
    site = tables.Column(verbose_name=_("Site"), accessor="site__name")
    appointment_at = LocalTimeColumn(verbose_name=_("Installation"))
    activated_on = tables.DateColumn(verbose_name=_("Activated"), format="Y-m-d")
    created_at = LocalTimeColumn(verbose_name=_("Ordered"))

    def render_id(self, record: ServiceOrder) -> str:
        return format_html(
            '<a href="{}">#{}</a>', reverse("console:order", args=[record.pk]), record.pk
        )


class OrderListView(ListView):
    """``/staff/orders/all/``: every service order, by status, site and dates."""

    list_name = "service-orders"
    title = _("Service orders")
    model = ServiceOrder
    required_perms = ("provisioning.view_serviceorder",)
    table_class = OrderTable
    filterset_class = OrderFilter
    sorts = {"created_at": ("created_at",), "status": ("status",)}
    default_sort = "-created_at"
    keyset_sorts = ("id", "created_at")
    export_columns = [
        ExportColumn(_("Order"), lambda r: r.pk),
        ExportColumn(_("Account number"), lambda r: r.customer.account_number),
        ExportColumn(_("Customer"), lambda r: r.customer.name),
        ExportColumn(_("Username"), lambda r: r.subscription.username),
        ExportColumn(_("Status"), lambda r: r.get_status_display()),
        ExportColumn(_("Site"), lambda r: r.site.name if r.site_id else ""),
        ExportColumn(_("CPE serial"), lambda r: r.cpe_serial),
        ExportColumn(_("Installation"), lambda r: r.appointment_at),
        ExportColumn(_("Activated"), lambda r: r.activated_on),
        ExportColumn(_("Ordered"), lambda r: r.created_at),
    ]

    def get_queryset(self) -> Any:
        return ServiceOrder.objects.select_related("customer", "subscription", "site")
