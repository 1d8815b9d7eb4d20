"""Back-office screens for IPAM, the NAS registry and the network inventory
(NAS secrets and device passwords never appear in lists, nor in forms)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.db import transaction
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from ispstack.core.admin_base import (
    ReadOnlyTenantAdmin,
    ServiceModelForm,
    TenantScopedAdmin,
    is_platform,
    reveal_action,
)
from ispstack.core.errors import ServiceError
from ispstack.network import devices, prefixes, removal, services, sites
from ispstack.network.models import (
    Device,
    IPAddress,
    IPPool,
    Nas,
    Onu,
    PlanVlan,
    PonPort,
    PrefixPool,
    Sector,
    Site,
    Vlan,
)
from ispstack.network.nas import (
    NAS_FIELDS,
    create_nas,
    reveal_secret,
    update_nas,
    validate_nas,
)


class IPPoolForm(ServiceModelForm):
    class Meta:
        model = IPPool
        fields = "__all__"

    def validate_with_service(self, tenant: Any, data: dict[str, Any]) -> None:
        services.validate_pool(tenant, data, instance=self.instance if self.instance.pk else None)


@admin.register(IPPool)
class IPPoolAdmin(TenantScopedAdmin):
    form = IPPoolForm
    list_display = ["name", "cidr", "gateway", "used", "capacity"]

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).annotate(used_count=Count("addresses"))

    @admin.display(description="Used")
    def used(self, obj: Any) -> int:
        return obj.used_count

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = services.validate_pool(
            form.form_tenant(), form.cleaned_data, instance=obj if change else None
        )
        if change:
            services.update_pool(pool=obj, actor=request.user, **data)
        else:
            obj.pk = services.create_pool(tenant=form.form_tenant(), actor=request.user, **data).pk


@admin.register(IPAddress)
class IPAddressAdmin(ReadOnlyTenantAdmin):
    list_display = ["address", "pool", "assigned_to", "created_at"]
    list_filter = ["pool"]
    search_fields = ["address", "assigned_to"]


class PrefixPoolForm(ServiceModelForm):
    class Meta:
        model = PrefixPool
        fields = "__all__"

    def validate_with_service(self, tenant: Any, data: dict[str, Any]) -> None:
        if not self.instance.pk:
            prefixes.validate_prefix_pool(tenant, data)


@admin.register(PrefixPool)
class PrefixPoolAdmin(TenantScopedAdmin):
    """IPv6 pools; once created only the description changes (prefixes are handed out)."""

    form = PrefixPoolForm
    list_display = ["name", "prefix", "assign_length", "kind", "description"]
    list_filter = ["kind"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ["name", "prefix", "assign_length", "kind"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=["description", "updated_at"])
            return
        obj.pk = prefixes.create_prefix_pool(
            tenant=form.form_tenant(), actor=request.user, **form.cleaned_data
        ).pk


class NasForm(forms.ModelForm):
    """The NAS; its secret is typed in ``replace_secret`` (``TenantAdminMixin``)."""

    class Meta:
        model = Nas
        fields = ["nasname", "shortname", "type", "coa_port", "description", "site", "device"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.instance.pk and not data.get("secret"):
            self.add_error("replace_secret", "A shared secret is required for a new NAS.")
            return data
        changed = {f: data.get(f) for f in self.changed_data if f in NAS_FIELDS}
        if data.get("secret") and "replace_secret" in self.changed_data:
            changed["secret"] = data["secret"]
        try:
            validate_nas(
                changed,
                instance=self.instance if self.instance.pk else None,
                tenant=data.get("tenant") or getattr(self, "request_tenant", None),
            )
        except ServiceError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


@admin.register(Nas)
class NasAdmin(TenantScopedAdmin):
    form = NasForm
    list_display = ["shortname", "nasname", "type", "coa_port", "description"]
    search_fields = ["shortname", "nasname"]
    secret_fields = ("secret",)
    actions = [
        reveal_action(
            "secret",
            "network.reveal_secret",
            lambda nas, actor: reveal_secret(nas=nas, actor=actor),
            "shared secret",
        )
    ]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = {f: form.cleaned_data.get(f) for f in NAS_FIELDS if f in form.cleaned_data}
        if change:
            changed = {f: v for f, v in data.items() if f in form.changed_data}
            changed.update({f: v for f, v in form.replaced_secrets().items() if f in NAS_FIELDS})
            form.instance = update_nas(nas=obj, actor=request.user, **changed)
        elif is_platform(request):
            super().save_model(request, obj, form, change)
        else:
            form.instance = create_nas(tenant=request.user.tenant, actor=request.user, **data)  # type: ignore[union-attr,arg-type]


# --- inventory ---------------------------------------------------------------


class _DryRun(Exception):
    """Rolls back a service call made only to validate a form."""


class InventoryForm(ServiceModelForm):
    """A form whose input is checked by running the admin's service in a
    transaction that is rolled back: the clerk sees exactly the service's
    error, on its field. Secrets come from ``replace_<name>`` boxes
    (``TenantAdminMixin`` adds them and ``SecretFormMixin``)."""

    admin_class: Any = None

    def validate_with_service(self, tenant: Any, data: dict[str, Any]) -> None:
        if self.errors or self.admin_class is None:
            return
        try:
            with transaction.atomic():
                self.admin_class.call_service(self, tenant, actor=None)
                raise _DryRun
        except _DryRun:
            pass


class InventoryAdmin(TenantScopedAdmin):
    """Writes through the app's services: ``create(tenant=, actor=, **fields)``
    and ``update(<instance_kw>=, actor=, **changed fields)``."""

    form = InventoryForm
    service_fields: tuple[str, ...] = ()
    instance_kw = ""

    # The services, as staticmethods of each admin.
    create: Any = None
    update: Any = None

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        form.admin_class = type(self)
        return form

    @classmethod
    def call_service(cls, form: Any, tenant: Any, actor: Any) -> Any:
        data = {f: form.cleaned_data.get(f) for f in cls.service_fields if f in form.cleaned_data}
        data = {f: ("" if v is None and f in cls.blank_text else v) for f, v in data.items()}
        secrets: dict[str, Any] = getattr(form, "replaced_secrets", dict)()
        if form.instance.pk:
            changed = {f: v for f, v in data.items() if f in form.changed_data}
            changed.update({f: v for f, v in secrets.items() if f in cls.service_fields})
            return cls.update(**{cls.instance_kw: form.instance}, actor=actor, **changed)
        data.update(secrets)
        return cls.create(tenant=tenant, actor=actor, **data)

    blank_text: tuple[str, ...] = ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        form.instance = self.call_service(form, form.form_tenant(), actor=request.user)
        obj.pk = form.instance.pk

    # The delete service (``removal``), as a staticmethod; None: Django's delete.
    remove: Any = None

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        """A delete the service refuses (the row is in use) goes back to the
        row's page with the service's reason, before anything is deleted."""
        if request.method == "POST" and self.remove is not None:
            obj = self.get_object(request, unquote(object_id))
            if obj is not None and self.has_delete_permission(request, obj):
                try:
                    with transaction.atomic():
                        self.remove(**{self.instance_kw: obj}, actor=None)
                        raise _DryRun
                except _DryRun:
                    pass
                except ServiceError as exc:
                    self.message_user(request, str(exc), messages.ERROR)
                    opts = self.opts
                    return HttpResponseRedirect(
                        reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
                    )
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        if self.remove is None:
            super().delete_model(request, obj)
        else:
            self.remove(**{self.instance_kw: obj}, actor=request.user)

    def get_actions(self, request: HttpRequest) -> Any:
        # One row at a time: each delete is checked and explained by the service.
        actions = super().get_actions(request)
        if self.remove is not None:
            actions.pop("delete_selected", None)
        return actions


@admin.register(Site)
class SiteAdmin(InventoryAdmin):
    list_display = ["name", "kind", "latitude", "longitude", "coverage_radius_m"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "address"]
    service_fields = sites.SITE_FIELDS
    instance_kw = "site"
    remove = staticmethod(removal.delete_site)
    create = staticmethod(sites.create_site)
    update = staticmethod(sites.update_site)


@admin.register(Sector)
class SectorAdmin(InventoryAdmin):
    list_display = ["name", "site", "band", "azimuth", "beamwidth", "capacity_subscribers"]
    list_filter = ["site"]
    search_fields = ["name", "site__name"]
    service_fields = sites.SECTOR_FIELDS
    instance_kw = "sector"
    remove = staticmethod(removal.delete_sector)
    create = staticmethod(sites.create_sector)
    update = staticmethod(sites.update_sector)


@admin.register(Device)
class DeviceAdmin(InventoryAdmin):
    """Devices; the management password is write-only (``replace_password``)
    and revealed by an audited action to staff allowed to."""

    list_display = ["name", "role", "vendor", "model", "serial", "mac", "site"]
    list_select_related = ["site"]
    list_filter = ["role", "site"]
    search_fields = ["name", "serial", "mac", "vendor"]
    secret_fields = ("password",)
    service_fields = devices.DEVICE_FIELDS
    blank_text = ("management_address",)
    instance_kw = "device"
    remove = staticmethod(removal.delete_device)
    create = staticmethod(devices.create_device)
    update = staticmethod(devices.update_device)
    actions = [
        reveal_action(
            "password",
            "network.reveal_credentials",
            lambda device, actor: devices.reveal_password(device=device, actor=actor),
            "management password",
        )
    ]


@admin.register(PonPort)
class PonPortAdmin(InventoryAdmin):
    list_display = ["__str__", "olt", "slot", "port", "max_onus"]
    list_filter = ["olt"]
    service_fields = devices.PON_PORT_FIELDS
    instance_kw = "pon_port"
    create = staticmethod(devices.create_pon_port)
    update = staticmethod(devices.update_pon_port)


@admin.register(Onu)
class OnuAdmin(InventoryAdmin):
    """The ONU stock; the state changes through the console and the API."""

    list_display = ["serial", "model", "state", "pon_port"]
    list_select_related = ["pon_port__olt"]
    list_filter = ["state", "model"]
    search_fields = ["serial"]
    readonly_fields = ["state"]
    service_fields = devices.ONU_FIELDS
    instance_kw = "onu"
    remove = staticmethod(removal.delete_onu)
    create = staticmethod(devices.create_onu)
    update = staticmethod(devices.update_onu)


@admin.register(Vlan)
class VlanAdmin(InventoryAdmin):
    list_display = ["vid", "name", "site"]
    list_filter = ["site"]
    search_fields = ["name"]
    service_fields = sites.VLAN_FIELDS
    instance_kw = "vlan"
    create = staticmethod(sites.create_vlan)
    update = staticmethod(sites.update_vlan)


@admin.register(PlanVlan)
class PlanVlanAdmin(InventoryAdmin):
    list_display = ["site", "plan", "vlan"]
    list_select_related = ["site", "plan", "vlan"]
    list_filter = ["site"]
    service_fields = ("site", "plan", "vlan")

    @classmethod
    def call_service(cls, form: Any, tenant: Any, actor: Any) -> Any:
        data = {f: form.cleaned_data.get(f) for f in cls.service_fields}
        return sites.map_plan_vlan(tenant=tenant, actor=actor, **data)
