"""Back-office screens for RADIUS: per-user rows, sessions, auth log, CoA requests.

The per-user rows are written by services from the subscription; they are
shown read-only so support can see exactly what FreeRADIUS reads.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ispstack.core import tenancy
from ispstack.core.admin import register_settings_inline
from ispstack.core.admin_base import (
    ReadOnlyTenantAdmin,
    TenantSettingsInline,
    is_platform,
)
from ispstack.radius.models import (
    CoaRequest,
    RadAcct,
    RadAcctArchive,
    RadCheck,
    RadGroupReply,
    RadiusSettings,
    RadPostAuth,
    RadReply,
    RadUserGroup,
)
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


class RadiusSettingsInline(TenantSettingsInline):
    """What a suspension does in RADIUS and the default NAS type, on the tenant's page."""

    model = RadiusSettings


register_settings_inline(RadiusSettingsInline)
