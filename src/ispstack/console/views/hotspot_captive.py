"""The hotspot's captive screens (menu "Hotspot"): guests, MAC profiles, the
walled garden (add, remove, download the RouterOS script), routers'
onboarding secrets (create, rotate: shown once) and hotspot sessions.

Each page needs what the API needs for the same data (``hotspot`` model
permissions; sessions also ``radius.view_radacct``): admin and noc run it,
support reads it (``core.roles``).
"""

from __future__ import annotations

import contextlib
import ipaddress
from typing import Any

import django_filters
import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from ispstack.console.access import StaffView
from ispstack.console.lists import (
    ANY,
    BulkAction,
    CustomerColumn,
    ExportColumn,
    ListView,
    LocalTimeColumn,
    StatusColumn,
    TenantFilterSet,
    date_range,
    search_filter,
)
from ispstack.core import clock
from ispstack.core.errors import InvalidInput, ServiceError
from ispstack.hotspot.captive import services, sessions
from ispstack.hotspot.captive.walled_garden import entries_for, routeros_script
from ispstack.hotspot.models import (
    CaptiveUser,
    CaptiveUserStatus,
    MacProfile,
    RouterSecret,
    WalledGardenEntry,
    WalledGardenKind,
)
from ispstack.hotspot.onboarding import services as onboarding
from ispstack.hotspot.onboarding.mac import normalise_mac
from ispstack.network.inventory import Site
from ispstack.network.models import Nas

# --------------------------------------------------------------------------
# Guests


class CaptiveUserFilter(TenantFilterSet):
    q = search_filter(gettext_lazy("Email, phone, MAC, RADIUS username"))
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=CaptiveUserStatus.choices, empty_label=ANY
    )
    created_at = date_range(gettext_lazy("Registered between"), field_name="created_at__date")

    class Meta:
        model = CaptiveUser
        fields: list[str] = []

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()[:200]
        return queryset.filter(
            models.Q(email__icontains=value)
            | models.Q(phone__icontains=value)
            | models.Q(mac_address__icontains=value)
            | models.Q(username__iexact=value)
        )


class CaptiveUserTable(tables.Table):
    email = tables.Column(verbose_name=gettext_lazy("Email"))
    phone = tables.Column(verbose_name=gettext_lazy("Phone"))
    mac_address = tables.Column(verbose_name=gettext_lazy("MAC address"))
    username = tables.Column(verbose_name=gettext_lazy("RADIUS username"))
    status = StatusColumn(verbose_name=gettext_lazy("Status"))
    terms_version = tables.Column(verbose_name=gettext_lazy("Terms accepted"))
    created_at = LocalTimeColumn(verbose_name=gettext_lazy("Registered"))
    last_login_at = LocalTimeColumn(verbose_name=gettext_lazy("Last code login"))


def _switch(status: str) -> Any:
    def run(row: CaptiveUser, actor: Any, reason: str) -> None:
        services.set_status(user=row, status=status, actor=actor)

    return run


class CaptiveUserListView(ListView):
    """``/staff/hotspot/guests/``: the hotspot's guests, switched off or on in bulk."""

    list_name = "hotspot-guests"
    title = gettext_lazy("Hotspot guests")
    model = CaptiveUser
    required_perms = ("hotspot.view_captiveuser",)
    table_class = CaptiveUserTable
    filterset_class = CaptiveUserFilter
    sorts = {"created_at": ("created_at",), "email": ("email",), "status": ("status",)}
    default_sort = "-created_at"
    keyset_sorts = ("id", "created_at")
    export_columns = [
        ExportColumn(gettext_lazy("Email"), lambda r: r.email),
        ExportColumn(gettext_lazy("Phone"), lambda r: r.phone),
        ExportColumn(gettext_lazy("MAC address"), lambda r: r.mac_address),
        ExportColumn(gettext_lazy("RADIUS username"), lambda r: r.username),
        ExportColumn(gettext_lazy("Status"), lambda r: r.get_status_display()),
        ExportColumn(gettext_lazy("Terms version"), lambda r: r.terms_version),
        ExportColumn(gettext_lazy("Terms accepted"), lambda r: r.terms_accepted_at),
        ExportColumn(gettext_lazy("Accepted from"), lambda r: r.terms_accepted_ip or ""),
    ]
    actions = [
        BulkAction(
            "disable",
            gettext_lazy("Switch off"),
            "hotspot.change_captiveuser",
            _switch(CaptiveUserStatus.DISABLED),
            confirm=gettext_lazy("The guests can no longer log in (RADIUS rows removed)."),
        ),
        BulkAction(
            "enable",
            gettext_lazy("Switch on"),
            "hotspot.change_captiveuser",
            _switch(CaptiveUserStatus.ACTIVE),
        ),
    ]


# --------------------------------------------------------------------------
# MAC profiles


class MacProfileFilter(TenantFilterSet):
    q = search_filter(gettext_lazy("MAC address, host name"))
    mac_auth = django_filters.BooleanFilter(label=gettext_lazy("MAC login"))
    last_seen = date_range(gettext_lazy("Last seen between"), field_name="last_seen__date")

    class Meta:
        model = MacProfile
        fields: list[str] = []

    def search(self, queryset: Any, name: str, value: str) -> Any:
        value = value.strip()[:200]
        with contextlib.suppress(InvalidInput):
            value = normalise_mac(value)
        return queryset.filter(
            models.Q(mac_address__icontains=value) | models.Q(hostname__icontains=value)
        )


class MacProfileTable(tables.Table):
    mac_address = tables.Column(verbose_name=gettext_lazy("MAC address"))
    last_ip = tables.Column(verbose_name=gettext_lazy("Last IP"))
    hostname = tables.Column(verbose_name=gettext_lazy("Host name"))
    nas = tables.Column(verbose_name="NAS", accessor="nas__shortname")
    mac_auth = tables.BooleanColumn(verbose_name=gettext_lazy("MAC login"))
    billed_to = CustomerColumn(
        verbose_name=gettext_lazy("Subscription of"), accessor="subscription__customer"
    )
    first_seen = LocalTimeColumn(verbose_name=gettext_lazy("First seen"))
    last_seen = LocalTimeColumn(verbose_name=gettext_lazy("Last seen"))


def _mac_auth(enabled: bool) -> Any:
    def run(row: MacProfile, actor: Any, reason: str) -> None:
        onboarding.set_mac_auth(profile=row, enabled=enabled, actor=actor)

    return run


class MacProfileListView(ListView):
    """``/staff/hotspot/devices/``: devices routers reported; MAC login on or off in bulk."""

    list_name = "hotspot-devices"
    title = gettext_lazy("Hotspot devices")
    model = MacProfile
    required_perms = ("hotspot.view_macprofile",)
    table_class = MacProfileTable
    filterset_class = MacProfileFilter
    sorts = {"last_seen": ("last_seen",), "mac_address": ("mac_address",)}
    default_sort = "-last_seen"
    keyset_sorts = ("id", "last_seen", "mac_address")
    export_columns = [
        ExportColumn(gettext_lazy("MAC address"), lambda r: r.mac_address),
        ExportColumn(gettext_lazy("Last IP"), lambda r: r.last_ip or ""),
        ExportColumn(gettext_lazy("Host name"), lambda r: r.hostname),
        ExportColumn("NAS", lambda r: r.nas.shortname if r.nas_id else ""),
        ExportColumn(gettext_lazy("MAC login"), lambda r: r.mac_auth),
        ExportColumn(
            gettext_lazy("Subscription of"),
            lambda r: r.subscription.customer.name if r.subscription_id else "",
        ),
        ExportColumn(gettext_lazy("First seen"), lambda r: r.first_seen),
        ExportColumn(gettext_lazy("Last seen"), lambda r: r.last_seen),
    ]
    actions = [
        BulkAction(
            "mac_on",
            gettext_lazy("Allow MAC login"),
            "hotspot.change_macprofile",
            _mac_auth(True),
        ),
        BulkAction(
            "mac_off",
            gettext_lazy("Stop MAC login"),
            "hotspot.change_macprofile",
            _mac_auth(False),
        ),
    ]

    def get_queryset(self) -> Any:
        return MacProfile.objects.select_related("nas", "subscription__customer")


# --------------------------------------------------------------------------
# Walled garden


class WalledGardenForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=WalledGardenKind.choices)
    value = forms.CharField(label=gettext_lazy("Domain or network"), max_length=253)
    comment = forms.CharField(label=gettext_lazy("Comment"), max_length=200, required=False)
    nas = forms.ModelChoiceField(label="NAS", queryset=Nas.objects.none(), required=False)
    site = forms.ModelChoiceField(
        label=gettext_lazy("Site"), queryset=Site.objects.none(), required=False
    )

    def __init__(self, *args: Any, tenant: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        nas_field = self.fields["nas"]
        site_field = self.fields["site"]
        assert isinstance(nas_field, forms.ModelChoiceField)
        assert isinstance(site_field, forms.ModelChoiceField)
        nas_field.queryset = Nas.objects.filter(tenant=tenant).order_by("shortname")
        site_field.queryset = Site.objects.filter(tenant=tenant).order_by("name")


@method_decorator(never_cache, name="dispatch")
class WalledGardenView(StaffView):
    """``/staff/hotspot/walled-garden/``: the entries, a form to add one,
    removal, and the RouterOS script for every router or one NAS."""

    required_perms = ("hotspot.view_walledgardenentry",)

    def _page(
        self, request: HttpRequest, form: WalledGardenForm, status: int = 200
    ) -> HttpResponse:
        rows = self.scoped(WalledGardenEntry.objects.select_related("nas", "site")).order_by(
            "kind", "value"
        )
        nas_list = self.scoped(Nas.objects.all()).order_by("shortname")
        return render(
            request,
            "console/hotspot/walled_garden.html",
            {
                "title": _("Walled garden"),
                "rows": rows,
                "form": form,
                "nas_list": nas_list,
                "may_edit": request.user.has_perm("hotspot.add_walledgardenentry"),
                "may_delete": request.user.has_perm("hotspot.delete_walledgardenentry"),
            },
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request, WalledGardenForm(tenant=self.tenant))

    def post(self, request: HttpRequest) -> HttpResponse:
        tenant = self.require_tenant()
        if "remove" in request.POST:
            if not request.user.has_perm("hotspot.delete_walledgardenentry"):
                return HttpResponse(status=403)
            raw = str(request.POST.get("remove", ""))
            entry = self.get_scoped(
                WalledGardenEntry.objects.all(),
                pk=int(raw) if raw.isdigit() and len(raw) < 10 else 0,
            )
            services.remove_walled_garden(entry=entry, actor=request.user)
            messages.success(request, _("Removed %(value)s.") % {"value": entry.value})
            return HttpResponseRedirect(reverse("console:hotspot-walled-garden"))
        if not request.user.has_perm("hotspot.add_walledgardenentry"):
            return HttpResponse(status=403)
        form = WalledGardenForm(request.POST, tenant=tenant)
        if not form.is_valid():
            return self._page(request, form, status=400)
        try:
            entry = services.add_walled_garden(
                tenant=tenant, actor=request.user, **form.cleaned_data
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            return self._page(request, form, status=exc.status_code)
        messages.success(request, _("Added %(value)s.") % {"value": entry.value})
        return HttpResponseRedirect(reverse("console:hotspot-walled-garden"))


class WalledGardenExportView(StaffView):
    """``/staff/hotspot/walled-garden/export/?nas=<id>``: the RouterOS script (a download)."""

    required_perms = ("hotspot.view_walledgardenentry",)

    def get(self, request: HttpRequest) -> HttpResponse:
        tenant = self.require_tenant()
        raw = str(request.GET.get("nas", ""))
        nas = None
        if raw:
            nas = self.get_scoped(
                Nas.objects.all(), pk=int(raw) if raw.isdigit() and len(raw) < 10 else 0
            )
        response = HttpResponse(
            routeros_script(entries_for(tenant, nas)), content_type="text/plain"
        )
        name = f"walled-garden-{nas.shortname if nas else 'all'}.rsc"
        response["Content-Disposition"] = (
            f'attachment; filename="{"".join(c for c in name if c.isalnum() or c in ".-_")}"'
        )
        return response


# --------------------------------------------------------------------------
# Routers' onboarding secrets


@method_decorator(never_cache, name="dispatch")
class RouterSecretsView(StaffView):
    """``/staff/hotspot/routers/``: each NAS's lease-script key; POST ``nas``
    makes a secret, POST ``rotate`` replaces one; the secret shows once."""

    required_perms = ("hotspot.view_routersecret",)

    def _page(
        self, request: HttpRequest, shown: RouterSecret | None = None, status: int = 200
    ) -> HttpResponse:
        rows = self.scoped(RouterSecret.objects.select_related("nas")).order_by("nas__shortname")
        have = rows.values("nas_id")
        return render(
            request,
            "console/hotspot/routers.html",
            {
                "title": _("Router onboarding secrets"),
                "rows": rows,
                "without": self.scoped(Nas.objects.all())
                .exclude(pk__in=have)
                .order_by("shortname"),
                "shown": shown,
                "may_add": request.user.has_perm("hotspot.add_routersecret"),
                "may_rotate": request.user.has_perm("hotspot.change_routersecret"),
                "onboarding_url": request.build_absolute_uri(reverse("hotspot-mac-onboarding")),
            },
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._page(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        tenant = self.require_tenant()
        raw = str(request.POST.get("rotate") or request.POST.get("nas") or "")
        pk = int(raw) if raw.isdigit() and len(raw) < 10 else 0
        try:
            if "rotate" in request.POST:
                if not request.user.has_perm("hotspot.change_routersecret"):
                    return HttpResponse(status=403)
                row = self.get_scoped(RouterSecret.objects.all(), pk=pk)
                return self._page(request, onboarding.rotate_secret(row=row, actor=request.user))
            if not request.user.has_perm("hotspot.add_routersecret"):
                return HttpResponse(status=403)
            nas = self.get_scoped(Nas.objects.all(), pk=pk)
            made = onboarding.create_secret(
                tenant=tenant,
                nas=nas,
                allow_token=request.POST.get("allow_token") == "yes",
                actor=request.user,
            )
            return self._page(request, made)
        except ServiceError as exc:
            messages.error(request, exc.message)
            return self._page(request, status=exc.status_code)


# --------------------------------------------------------------------------
# Sessions


class SessionFilterForm(forms.Form):
    open = forms.BooleanField(label=gettext_lazy("Open only"), required=False)
    username = forms.CharField(label=gettext_lazy("Username"), max_length=64, required=False)
    mac = forms.CharField(label=gettext_lazy("MAC address"), max_length=17, required=False)
    nas = forms.ModelChoiceField(label="NAS", queryset=Nas.objects.none(), required=False)
    started_from = forms.DateField(label=gettext_lazy("Started from"), required=False)
    started_to = forms.DateField(label=gettext_lazy("Started before"), required=False)

    def __init__(self, *args: Any, tenant: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["nas"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Nas.objects.filter(tenant=tenant).order_by("shortname")

    def clean_mac(self) -> str:
        value = self.cleaned_data.get("mac") or ""
        if not value:
            return ""
        try:
            return normalise_mac(value)
        except InvalidInput as exc:
            raise forms.ValidationError(exc.message) from None


class SessionsView(StaffView):
    """``/staff/hotspot/sessions/``: guests', devices' and vouchers' sessions
    (radacct) with MAC, IP, NAS, start, stop, duration and GB, newest first,
    100 at most; filters by open, username, MAC, NAS and start date."""

    required_perms = ("hotspot.view_captiveuser", "radius.view_radacct")
    limit = 100

    def get(self, request: HttpRequest) -> HttpResponse:
        tenant = self.require_tenant()
        form = SessionFilterForm(request.GET or None, tenant=tenant)
        rows: list[dict[str, Any]] = []
        status = 200
        if form.is_bound and not form.is_valid():
            status = 400
        else:
            data = form.cleaned_data if form.is_bound else {}
            nas = data.get("nas")
            start_from, start_to = data.get("started_from"), data.get("started_to")
            query = sessions.sessions_of(
                tenant,
                open_only=bool(data.get("open")),
                username=data.get("username") or "",
                mac=data.get("mac") or "",
                nas_ip=str(ipaddress.ip_address(nas.nasname))
                if nas and _is_ip(nas.nasname)
                else "",
                started_from=clock.start_of_day(tenant, start_from) if start_from else None,
                started_to=clock.start_of_day(tenant, start_to) if start_to else None,
            )
            now = clock.now()
            rows = [sessions.as_row(s, now=now) for s in query[: self.limit]]
            names = dict(self.scoped(Nas.objects.all()).values_list("nasname", "shortname"))
            for row in rows:
                row["nas"] = names.get(str(row["nas_ip_address"]), row["nas_ip_address"])
        return render(
            request,
            "console/hotspot/sessions.html",
            {"title": _("Hotspot sessions"), "form": form, "rows": rows, "limit": self.limit},
            status=status,
        )


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
