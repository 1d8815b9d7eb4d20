"""Back-office screen for the email log."""

from django.contrib import admin

from ispstack.core.admin_base import ReadOnlyTenantAdmin
from ispstack.notifications.models import EmailLog, SmsLog


@admin.register(EmailLog)
class EmailLogAdmin(ReadOnlyTenantAdmin):
    list_display = ["created_at", "to", "subject", "status", "reference"]
    list_filter = ["status"]
    search_fields = ["to", "subject", "reference"]


@admin.register(SmsLog)
class SmsLogAdmin(ReadOnlyTenantAdmin):
    list_display = ["created_at", "to", "text", "status", "message_id", "reference"]
    list_filter = ["status"]
    search_fields = ["to", "reference"]
