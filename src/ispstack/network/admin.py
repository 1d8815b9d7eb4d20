"""Back-office screens for IPAM and the NAS registry (NAS secrets never
appear in lists, nor in forms)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest

from ispstack.core.admin_base import (
    ReadOnlyTenantAdmin,
    ServiceModelForm,
    TenantScopedAdmin,
    is_platform,
    reveal_action,
)
from ispstack.core.errors import ServiceError
from ispstack.network import prefixes, services
from ispstack.network.models import IPAddress, IPPool, Nas, PrefixPool
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
        fields = ["nasname", "shortname", "type", "coa_port", "description"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.instance.pk and not data.get("secret"):
            self.add_error("replace_secret", "A shared secret is required for a new NAS.")
            return data
        changed = {f: data.get(f) for f in self.changed_data if f in NAS_FIELDS}
        if data.get("secret") and "replace_secret" in self.changed_data:
            changed["secret"] = data["secret"]
        try:
            validate_nas(changed, instance=self.instance if self.instance.pk else None)
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
