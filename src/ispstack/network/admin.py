"""Back-office screens for IPAM."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest

from ispstack.core.admin_base import ReadOnlyTenantAdmin, ServiceModelForm, TenantScopedAdmin
from ispstack.network import prefixes, services
from ispstack.network.models import IPAddress, IPPool, PrefixPool


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
