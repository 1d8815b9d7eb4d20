"""The console's network inventory: sites (list and a page per site), devices
(with an audited reveal of the management password) and the ONU stock (assign,
release and stock moves). Lists use ``console.lists``; writes call the
network and subscriptions services.

Sites, devices and ONUs read with ``network.view_*`` (admin, noc, support);
writes need the change permissions (admin, noc); the password reveal needs
``network.reveal_credentials`` (admin, noc).
"""

from __future__ import annotations

from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.db import models
from django.db.models import Count, OuterRef
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from ispstack.console.access import StaffView
from ispstack.console.lists import (
    ANY,
    BulkAction,
    ExportColumn,
    ListView,
    StatusColumn,
    TenantFilterSet,
)
from ispstack.core.errors import ServiceError
from ispstack.network import devices, selectors
from ispstack.network.models import Device, DeviceRole, Onu, OnuState, Site, SiteKind
from ispstack.subscriptions import equipment
from ispstack.subscriptions.models import OnuAssignment, Subscription


def site_url(pk: int) -> str:
    return reverse("console:network-site", args=[pk])


# --------------------------------------------------------------------------
# Sites


class SiteFilter(TenantFilterSet):
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=SiteKind.choices, empty_label=ANY)
    q = django_filters.CharFilter(label=_("Search"), method="search")

    class Meta:
        model = Site
        fields: list[str] = []

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()[:200]
        return queryset.filter(models.Q(name__icontains=value) | models.Q(address__icontains=value))


class SiteTable(tables.Table):
    name = tables.Column(verbose_name=_("Name"))
    kind = tables.Column(verbose_name=_("Kind"))
    address = tables.Column(verbose_name=_("Address"))
    latitude = tables.Column(verbose_name=_("Latitude"), attrs={"td": {"class": "num"}})
    longitude = tables.Column(verbose_name=_("Longitude"), attrs={"td": {"class": "num"}})
    sector_count = tables.Column(verbose_name=_("Sectors"), attrs={"td": {"class": "num"}})
    device_count = tables.Column(verbose_name=_("Devices"), attrs={"td": {"class": "num"}})

    def render_name(self, record: Site) -> str:
        return format_html('<a href="{}">{}</a>', site_url(record.pk), record.name)


class SiteListView(ListView):
    """``/staff/network/sites/``: POPs, towers and cabinets."""

    list_name = "network-sites"
    title = _("Sites")
    model = Site
    required_perms = ("network.view_site",)
    table_class = SiteTable
    filterset_class = SiteFilter
    sorts = {"name": ("name",), "kind": ("kind",)}
    default_sort = "name"
    keyset_sorts = ("id", "name")
    export_columns = [
        ExportColumn(_("Name"), lambda r: r.name),
        ExportColumn(_("Kind"), lambda r: r.get_kind_display()),
        ExportColumn(_("Address"), lambda r: r.address),
        ExportColumn(_("Latitude"), lambda r: r.latitude),
        ExportColumn(_("Longitude"), lambda r: r.longitude),
    ]

    def get_queryset(self) -> Any:
        return Site.objects.annotate(
            sector_count=Count("sectors", distinct=True),
            device_count=Count("devices", distinct=True),
        )


class SiteView(StaffView):
    """``/staff/network/sites/<id>/``: a site's sectors (with their
    subscribers), devices, VLANs and how full its IPv4 pools are."""

    required_perms = ("network.view_site",)

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        site = self.get_scoped(Site.objects.all(), pk=pk)
        user = request.user
        sees_subscribers = user.has_perm("subscriptions.view_subscription")
        sectors = site.sectors.select_related("access_point").order_by("name")
        if sees_subscribers:
            sectors = sectors.annotate(subscribers=Count("subscriptions"))
        pools = selectors.site_pool_utilisation(site.tenant, site)
        context = {
            "title": site.name,
            "site": site,
            "sectors": list(sectors),
            "devices": list(site.devices.order_by("role", "name"))
            if user.has_perm("network.view_device")
            else None,
            "vlans": list(site.vlans.order_by("vid"))
            if user.has_perm("network.view_vlan")
            else None,
            "pools": pools[0] if pools else None,
            "subscribers": Subscription.objects.filter(sector__site=site).count()
            if sees_subscribers
            else None,
        }
        return render(request, "console/network/site.html", context)


# --------------------------------------------------------------------------
# Devices


class DeviceFilter(TenantFilterSet):
    role = django_filters.ChoiceFilter(label=_("Role"), choices=DeviceRole.choices, empty_label=ANY)
    vendor = django_filters.CharFilter(label=_("Vendor"), lookup_expr="iexact")
    site = django_filters.ModelChoiceFilter(
        label=_("Site"), queryset=Site.objects.none(), empty_label=ANY
    )
    q = django_filters.CharFilter(label=_("Search"), method="search")

    scoped_choices = {"site": Site}

    class Meta:
        model = Device
        fields: list[str] = []

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()[:200]
        return queryset.filter(
            models.Q(name__icontains=value)
            | models.Q(serial__iexact=value)
            | models.Q(mac__iexact=value)
        )


class DeviceTable(tables.Table):
    name = tables.Column(verbose_name=_("Name"))
    role = tables.Column(verbose_name=_("Role"))
    vendor = tables.Column(verbose_name=_("Vendor"))
    model = tables.Column(verbose_name=_("Model"))
    serial = tables.Column(verbose_name=_("Serial"))
    mac = tables.Column(verbose_name=_("MAC address"))
    site = tables.Column(verbose_name=_("Site"), accessor="site__name")
    management_address = tables.Column(verbose_name=_("Management address"))
    firmware = tables.Column(verbose_name=_("Firmware"))
    credentials = tables.Column(verbose_name=_("Password"), empty_values=(), accessor="id")

    def render_credentials(self, record: Device) -> str:
        shown = _("set") if record.password else _("not set")
        if not record.password or not getattr(record, "_may_reveal", False):
            return format_html("{}", shown)
        url = reverse("console:network-device-reveal", args=[record.pk])
        return format_html('{} · <a href="{}">{}</a>', shown, url, _("Reveal…"))


class DeviceListView(ListView):
    """``/staff/network/devices/``: routers, OLTs, switches, APs and CPEs.
    No password column: whether one is set, and a reveal link for those
    allowed (audited)."""

    list_name = "network-devices"
    title = _("Devices")
    model = Device
    required_perms = ("network.view_device",)
    table_class = DeviceTable
    filterset_class = DeviceFilter
    sorts = {"name": ("name",), "role": ("role",), "vendor": ("vendor",), "serial": ("serial",)}
    default_sort = "name"
    keyset_sorts = ("id", "name")
    export_columns = [
        ExportColumn(_("Name"), lambda r: r.name),
        ExportColumn(_("Role"), lambda r: r.get_role_display()),
        ExportColumn(_("Vendor"), lambda r: r.vendor),
        ExportColumn(_("Model"), lambda r: r.model),
        ExportColumn(_("Serial"), lambda r: r.serial),
        ExportColumn(_("MAC address"), lambda r: r.mac),
        ExportColumn(_("Site"), lambda r: r.site.name if r.site else ""),
        ExportColumn(_("Management address"), lambda r: r.management_address or ""),
        ExportColumn(_("Firmware"), lambda r: r.firmware),
    ]

    def get_queryset(self) -> Any:
        return Device.objects.select_related("site")

    def paginate(self, queryset: Any, data: Any) -> Any:
        page = super().paginate(queryset, data)
        may_reveal = self.tenant is not None and self.request.user.has_perm(
            "network.reveal_credentials"
        )
        for row in page.rows:
            row._may_reveal = may_reveal
        return page


@method_decorator(never_cache, name="dispatch")
class DeviceRevealView(StaffView):
    """``/staff/network/devices/<id>/reveal/``: GET asks to confirm, POST shows
    the management password once (audited, never cached)."""

    required_perms = ("network.view_device", "network.reveal_credentials")

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        device = self.get_scoped(Device.objects.all(), pk=pk)
        return render(
            request,
            "console/network/reveal.html",
            {"title": _("Reveal a device password"), "device": device},
        )

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.require_tenant()
        device = self.get_scoped(Device.objects.all(), pk=pk)
        password = devices.reveal_password(device=device, actor=request.user)
        return render(
            request,
            "console/network/reveal.html",
            {"title": _("Reveal a device password"), "device": device, "password": password},
        )


# --------------------------------------------------------------------------
# ONUs


class OnuFilter(TenantFilterSet):
    state = django_filters.ChoiceFilter(label=_("State"), choices=OnuState.choices, empty_label=ANY)
    model = django_filters.CharFilter(label=_("Model"), lookup_expr="iexact")
    q = django_filters.CharFilter(label=_("Serial"), method="search")

    class Meta:
        model = Onu
        fields: list[str] = []

    def search(self, queryset: Any, name: str, value: str) -> Any:
        return queryset.filter(serial__icontains=value.strip()[:40])


class OnuTable(tables.Table):
    serial = tables.Column(verbose_name=_("Serial"))
    model = tables.Column(verbose_name=_("Model"))
    state = StatusColumn(verbose_name=_("State"))
    pon_port = tables.Column(verbose_name=_("PON port"), accessor="pon_port")
    holder = tables.Column(verbose_name=_("Subscription"), empty_values=(), accessor="id")

    def render_holder(self, record: Onu) -> str:
        if record.state == OnuState.ASSIGNED:
            return format_html("{}", getattr(record, "holder", "") or "")
        if record.state != OnuState.IN_STOCK:
            return ""
        url = reverse("console:network-onu-assign", args=[record.pk])
        return format_html('<a href="{}">{}</a>', url, _("Assign…"))


def _release(onu: Onu, user: Any, reason: str) -> Any:
    return equipment.release_onu(onu=onu, reason=reason, actor=user)


def _release_faulty(onu: Onu, user: Any, reason: str) -> Any:
    return equipment.release_onu(onu=onu, reason=reason, to_state=OnuState.FAULTY, actor=user)


def _stock(transition: str) -> Any:
    def run(onu: Onu, user: Any, reason: str) -> Any:
        return devices.change_onu_state(onu=onu, transition=transition, reason=reason, actor=user)

    return run


class OnuListView(ListView):
    """``/staff/network/onus/``: the ONU stock; release, mark faulty and
    restock in bulk, assign one at a time."""

    list_name = "network-onus"
    title = _("ONUs")
    model = Onu
    required_perms = ("network.view_onu",)
    table_class = OnuTable
    filterset_class = OnuFilter
    sorts = {"serial": ("serial",), "state": ("state",), "model": ("model",)}
    default_sort = "serial"
    keyset_sorts = ("id", "serial")
    export_columns = [
        ExportColumn(_("Serial"), lambda r: r.serial),
        ExportColumn(_("Model"), lambda r: r.model),
        ExportColumn(_("State"), lambda r: r.get_state_display()),
    ]
    actions = [
        BulkAction(
            "release",
            _("Release to stock"),
            "subscriptions.change_onuassignment",
            _release,
            confirm=_("The ONUs are taken back from their subscriptions into stock."),
            needs_reason=True,
        ),
        BulkAction(
            "release_faulty",
            _("Release as faulty"),
            "subscriptions.change_onuassignment",
            _release_faulty,
            confirm=_("The ONUs are taken back from their subscriptions as faulty."),
            needs_reason=True,
            danger=True,
        ),
        BulkAction(
            "mark_faulty",
            _("Mark faulty"),
            "network.change_onu",
            _stock("mark_faulty"),
            needs_reason=True,
        ),
        BulkAction("restock", _("Restock (repaired)"), "network.change_onu", _stock("restock")),
    ]

    def get_queryset(self) -> Any:
        open_assignment = OnuAssignment.objects.filter(onu=OuterRef("pk"), released_at=None)
        return Onu.objects.select_related("pon_port__olt").annotate(
            holder=models.Subquery(open_assignment.values("subscription__username")[:1])
        )


class AssignOnuForm(forms.Form):
    username = forms.CharField(
        label=_("Subscription username"),
        max_length=64,
        help_text=_("The PPPoE username of the subscription the ONU is installed for."),
    )


class OnuAssignView(StaffView):
    """``/staff/network/onus/<id>/assign/``: assign an in-stock ONU to a
    subscription named by its username."""

    required_perms = ("network.change_onu", "subscriptions.add_onuassignment")

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        onu = self.get_scoped(Onu.objects.all(), pk=pk)
        return self._page(request, onu, AssignOnuForm())

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        self.require_tenant()
        onu = self.get_scoped(Onu.objects.all(), pk=pk)
        form = AssignOnuForm(request.POST)
        if form.is_valid():
            sub = (
                self.scoped(Subscription.objects.all())
                .filter(username__iexact=form.cleaned_data["username"].strip())
                .first()
            )
            if sub is None:
                form.add_error("username", _("No subscription with this username."))
            else:
                try:
                    equipment.assign_onu(onu=onu, subscription=sub, actor=request.user)
                except ServiceError as exc:
                    form.add_error("username" if exc.field != "onu" else None, exc.message)
                else:
                    messages.success(request, _("%(onu)s assigned.") % {"onu": onu.serial})
                    return HttpResponseRedirect(reverse("console:network-onus-list"))
        return self._page(request, onu, form)

    def _page(self, request: HttpRequest, onu: Onu, form: forms.Form) -> HttpResponse:
        return render(
            request,
            "console/network/assign.html",
            {
                "title": _("Assign ONU %(serial)s") % {"serial": onu.serial},
                "onu": onu,
                "form": form,
            },
        )
