"""Back-office screens for RADIUS: NAS registry, per-user rows, sessions, auth log.

The per-user rows are written by services from the subscription; they are
shown read-only so support can see exactly what FreeRADIUS reads. NAS
secrets never appear in lists.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ispstack.core.admin_base import is_platform
from ispstack.core.errors import ServiceError
from ispstack.radius.models import (
    CoaRequest,
    Nas,
    RadAcct,
    RadAcctArchive,
    RadCheck,
    RadGroupReply,
    RadPostAuth,
    RadReply,
    RadUserGroup,
)
from ispstack.radius.nas import NAS_FIELDS, create_nas, update_nas, validate_nas
from ispstack.subscriptions.models import Subscription


class _TenantRowsAdmin(admin.ModelAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        return qs if is_platform(request) else qs.filter(tenant_id=request.user.tenant_id)  # type: ignore[union-attr]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RadCheck)
class RadCheckAdmin(_TenantRowsAdmin):
    list_display = ["username", "attribute", "op", "shown_value"]
    search_fields = ["username"]

    @admin.display(description="Value")
    def shown_value(self, obj: RadCheck) -> str:
        return "********" if obj.attribute.endswith("Password") else obj.value


@admin.register(RadReply)
class RadReplyAdmin(_TenantRowsAdmin):
    list_display = ["username", "attribute", "op", "value"]
    search_fields = ["username"]


class _ByUsernameAdmin(_TenantRowsAdmin):
    """Rows FreeRADIUS writes carry no tenant: scope them by the tenant's usernames."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = admin.ModelAdmin.get_queryset(self, request)
        if is_platform(request):
            return qs
        names = Subscription.objects.for_user(request.user).values("username")
        return qs.filter(username__in=names)


@admin.register(RadAcct)
class RadAcctAdmin(_ByUsernameAdmin):
    list_display = [
        "username",
        "acctsessionid",
        "nasipaddress",
        "framedipaddress",
        "acctstarttime",
        "acctstoptime",
        "acctinputoctets",
        "acctoutputoctets",
        "acctterminatecause",
    ]
    search_fields = ["username", "acctsessionid"]
    date_hierarchy = "acctstarttime"


@admin.register(RadAcctArchive)
class RadAcctArchiveAdmin(RadAcctAdmin):
    """Sessions closed before the hot window (radius.retention)."""


@admin.register(RadGroupReply)
class RadGroupReplyAdmin(_TenantRowsAdmin):
    """Plan groups and the walled garden, as FreeRADIUS reads them."""

    list_display = ["groupname", "attribute", "op", "value"]
    search_fields = ["groupname", "attribute"]


@admin.register(RadUserGroup)
class RadUserGroupAdmin(_TenantRowsAdmin):
    list_display = ["username", "groupname", "priority"]
    search_fields = ["username", "groupname"]


@admin.register(RadPostAuth)
class RadPostAuthAdmin(_ByUsernameAdmin):
    list_display = ["authdate", "username", "reply", "callingstationid"]
    search_fields = ["username"]
    exclude = ["password"]


class NasForm(forms.ModelForm):
    secret = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="Leave empty to keep the current secret.",
    )

    class Meta:
        model = Nas
        fields = ["nasname", "shortname", "type", "secret", "coa_port", "description"]

    def clean_secret(self) -> str:
        secret = self.cleaned_data.get("secret") or ""
        if not secret and not self.instance.pk:
            raise forms.ValidationError("A shared secret is required for a new NAS.")
        return secret or self.instance.secret

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            validate_nas(
                {f: data.get(f) for f in self.changed_data if f in NAS_FIELDS},
                instance=self.instance if self.instance.pk else None,
            )
        except ServiceError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        return data


@admin.register(Nas)
class NasAdmin(admin.ModelAdmin):
    form = NasForm
    list_display = ["shortname", "nasname", "type", "coa_port", "description"]
    search_fields = ["shortname", "nasname"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Nas]:
        qs = super().get_queryset(request)
        return qs if is_platform(request) else qs.filter(tenant_id=request.user.tenant_id)  # type: ignore[union-attr]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = {f: form.cleaned_data.get(f) for f in NAS_FIELDS if f in form.cleaned_data}
        if change:
            changed = {f: v for f, v in data.items() if f in form.changed_data}
            form.instance = update_nas(nas=obj, actor=request.user, **changed)
        elif is_platform(request):
            super().save_model(request, obj, form, change)
        else:
            form.instance = create_nas(tenant=request.user.tenant, actor=request.user, **data)  # type: ignore[union-attr,arg-type]


@admin.register(CoaRequest)
class CoaRequestAdmin(_TenantRowsAdmin):
    """CoA and Disconnect requests sent to NAS, with their answers."""

    list_display = [
        "created_at",
        "kind",
        "username",
        "nas",
        "acct_session_id",
        "status",
        "session_closed",
        "error",
    ]
    list_filter = ["kind", "status", "session_closed"]
    list_select_related = ["nas"]
    search_fields = ["username", "acct_session_id"]
