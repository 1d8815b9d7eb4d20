"""Back-office screens for RADIUS: NAS registry, per-user rows, sessions, auth log.

The per-user rows are written by services from the subscription; they are
shown read-only so support can see exactly what FreeRADIUS reads. NAS
secrets never appear in lists.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from ispstack.core import tenancy
from ispstack.core.admin_base import (
    ReadOnlyTenantAdmin,
    TenantScopedAdmin,
    is_platform,
    reveal_action,
)
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
from ispstack.radius.nas import NAS_FIELDS, create_nas, reveal_secret, update_nas, validate_nas
from ispstack.subscriptions.models import Subscription


@admin.register(RadCheck)
class RadCheckAdmin(ReadOnlyTenantAdmin):
    """Check items; a password's value is never shown (reveal it from the
    subscription, audited)."""

    list_display = ["username", "attribute", "op", "shown_value"]
    fields = readonly_fields = ("username", "attribute", "op", "shown_value")
    search_fields = ["username"]

    @admin.display(description="Value")
    def shown_value(self, obj: RadCheck) -> str:
        return "(set)" if obj.attribute.endswith("Password") else obj.value


@admin.register(RadReply)
class RadReplyAdmin(ReadOnlyTenantAdmin):
    list_display = ["username", "attribute", "op", "value"]
    search_fields = ["username"]


class _ByUsernameAdmin(ReadOnlyTenantAdmin):
    """Rows FreeRADIUS writes carry no tenant: scope them by the tenant's usernames."""

    def scope_queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if is_platform(request):
            return queryset
        names = tenancy.scope(Subscription.objects.all(), request.user).values("username")
        return queryset.filter(username__in=names)


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
class RadGroupReplyAdmin(ReadOnlyTenantAdmin):
    """Plan groups and the walled garden, as FreeRADIUS reads them."""

    list_display = ["groupname", "attribute", "op", "value"]
    search_fields = ["groupname", "attribute"]


@admin.register(RadUserGroup)
class RadUserGroupAdmin(ReadOnlyTenantAdmin):
    list_display = ["username", "groupname", "priority"]
    search_fields = ["username", "groupname"]


@admin.register(RadPostAuth)
class RadPostAuthAdmin(_ByUsernameAdmin):
    list_display = ["authdate", "username", "reply", "callingstationid"]
    search_fields = ["username"]
    exclude = ["password"]


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
            "radius.reveal_secret",
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


@admin.register(CoaRequest)
class CoaRequestAdmin(ReadOnlyTenantAdmin):
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
