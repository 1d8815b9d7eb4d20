"""Back-office screens for collections."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ispstack.collections import services
from ispstack.collections.models import CollectionRun, Reminder
from ispstack.core.admin_base import ReadOnlyTenantAdmin
from ispstack.core.admin_run import RunNowAdmin
from ispstack.core.tenancy import tenant_of


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyTenantAdmin):
    list_display = ["sent_on", "invoice", "level", "days_past_due"]


@admin.register(CollectionRun)
class CollectionRunAdmin(RunNowAdmin):
    list_display = ["as_of", "reminders_sent", "suspended", "reconnected", "created_at"]
    run_label = "Run collections now"
    run_permission = "collections.add_collectionrun"

    def run(self, request: HttpRequest, as_of: Any) -> str:
        run = services.run_collections(tenant=tenant_of(request.user), as_of=as_of)
        return (
            f"Collections for {as_of}: {run.reminders_sent} reminders, "
            f"{run.suspended} suspended, {run.reconnected} reconnected."
        )
