"""Back-office screens of core: tenants, staff users, audit log, outbox jobs."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from ispstack.core import outbox
from ispstack.core.admin_base import (
    ReadOnlyTenantAdmin,
    TenantAdminMixin,
    TenantSettingsInline,
    is_platform,
)
from ispstack.core.models import AuditLog, ExchangeRate, Job, JobExecution, Tenant, User

admin.site.site_header = "ispstack back office"
admin.site.site_title = "ispstack"
admin.site.index_title = "Subscribers, billing and network"


@admin.register(Tenant)
class TenantAdmin(TenantAdminMixin, admin.ModelAdmin):
    """The tenant's identity, with each app's settings as an inline below it
    (``register_settings_inline``)."""

    list_display = ["name", "slug", "currency", "timezone", "country"]
    search_fields = ["name", "slug"]
    # Filled by the apps' admin modules (``register_settings_inline``).
    inlines = []

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_platform(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform(request)


def register_settings_inline(inline: type[TenantSettingsInline]) -> None:
    """Show ``inline`` (an app's settings of the tenant) on the tenant's page.

    Apps above core call it from their ``admin.py``: core never imports them.
    Registering the same inline twice shows it once.
    """
    if inline not in TenantAdmin.inlines:
        TenantAdmin.inlines = [*TenantAdmin.inlines, inline]


@admin.register(User)
class StaffUserAdmin(TenantAdminMixin, UserAdmin):
    list_display = ["username", "email", "tenant", "is_staff", "is_superuser"]
    list_filter = ["tenant", "is_staff", "groups"]
    fieldsets = (*UserAdmin.fieldsets, ("Tenant", {"fields": ("tenant",)}))  # type: ignore[misc]
    add_fieldsets = (*UserAdmin.add_fieldsets, ("Tenant", {"fields": ("tenant",)}))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not is_platform(request):
            obj.tenant_id = request.user.tenant_id  # type: ignore[union-attr]
            obj.is_superuser = False
        super().save_model(request, obj, form, change)


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyTenantAdmin):
    list_display = ["created_at", "actor_label", "action", "object_type", "object_repr", "reason"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "object_id", "reason"]
    date_hierarchy = "created_at"


@admin.register(Job)
class JobAdmin(ReadOnlyTenantAdmin):
    list_display = ["id", "kind", "status", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["status", "kind"]
    actions = ["retry_now"]

    @admin.action(description="Retry the selected jobs now")
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        from ispstack.core import clock

        ids = list(queryset.exclude(status=Job.Status.DONE).values_list("pk", flat=True))
        Job.objects.filter(pk__in=ids).update(
            status=Job.Status.PENDING, next_attempt_at=clock.now()
        )
        done = sum(1 for job_id in ids if outbox.run_job(job_id))
        self.message_user(request, f"{done} of {len(ids)} jobs succeeded.")


@admin.register(JobExecution)
class JobExecutionAdmin(ReadOnlyTenantAdmin):
    """The job log (``core.job_log``): periodic runs, written by the jobs only."""

    list_display = ["started_at", "job", "tenant", "status", "duration_ms", "counts", "error"]
    list_filter = ["status", "job"]
    search_fields = ["job", "error"]
    date_hierarchy = "started_at"


@admin.register(ExchangeRate)
class ExchangeRateAdmin(TenantAdminMixin, admin.ModelAdmin):
    list_display = ["currency", "day", "rate"]
    shown_fields = {"rate": "quantity"}
    list_filter = ["currency"]

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if is_platform(request) else ["tenant"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not is_platform(request):
            obj.tenant_id = request.user.tenant_id  # type: ignore[union-attr]
        super().save_model(request, obj, form, change)
