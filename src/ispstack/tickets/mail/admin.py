"""Admin page of the support mailboxes: the IMAP login (password write-only),
the poll state, and a "poll now" action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from ispstack.core.admin_base import ReadOnlyTenantAdmin, TenantScopedAdmin, is_platform
from ispstack.core.errors import ServiceError
from ispstack.tickets.mail import inbound
from ispstack.tickets.mail.mailboxes import (
    MAILBOX_FIELDS,
    create_mailbox,
    update_mailbox,
    validate_mailbox,
)
from ispstack.tickets.models.mail import SupportMailbox, TicketEmail


class SupportMailboxForm(forms.ModelForm):
    """The mailbox; its password is typed in ``replace_password``
    (``TenantAdminMixin``) and checked by ``validate_mailbox``."""

    request_tenant: Any = None

    class Meta:
        model = SupportMailbox
        fields = [f for f in MAILBOX_FIELDS if f != "password"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        tenant = (
            self.instance.tenant
            if self.instance.pk
            else (data.get("tenant") or self.request_tenant)
        )
        if tenant is None:
            raise forms.ValidationError("Choose the tenant this row belongs to.")
        values = {f: data.get(f) for f in MAILBOX_FIELDS if f in data}
        try:
            validate_mailbox(tenant, values, instance=self.instance if self.instance.pk else None)
        except ServiceError as exc:
            name = "replace_password" if exc.field == "password" else exc.field
            self.add_error(name if name in self.fields else None, exc.message)
        return data


@admin.register(SupportMailbox)
class SupportMailboxAdmin(TenantScopedAdmin):
    form = SupportMailboxForm
    list_display = [
        "name",
        "support_address",
        "host",
        "folder",
        "poll_enabled",
        "last_success_at",
        "last_error",
    ]
    list_filter = ["poll_enabled"]
    secret_fields = ("password",)
    readonly_fields = [
        "uidvalidity",
        "last_uid",
        "last_polled_at",
        "last_success_at",
        "last_error",
        "consecutive_failures",
    ]
    actions = ["poll_now"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = {f: form.cleaned_data.get(f) for f in MAILBOX_FIELDS if f in form.cleaned_data}
        data.update(form.replaced_secrets())
        if change:
            changed = {f: v for f, v in data.items() if f in form.changed_data}
            changed.update(form.replaced_secrets())
            form.instance = update_mailbox(mailbox=obj, actor=request.user, **changed)
        else:
            tenant = form.cleaned_data.get("tenant") if is_platform(request) else None
            form.instance = create_mailbox(
                tenant=tenant or request.user.tenant,  # type: ignore[union-attr,arg-type]
                actor=request.user,
                **data,
            )
        obj.pk = form.instance.pk

    @admin.action(description="Poll the selected mailboxes now", permissions=["change"])
    def poll_now(self, request: HttpRequest, queryset: Any) -> None:
        for mailbox in queryset:
            result = inbound.poll_mailbox(mailbox=mailbox)
            if result.error:
                self.message_user(request, f"{mailbox}: {result.error}", level=messages.ERROR)
            else:
                self.message_user(
                    request,
                    f"{mailbox}: {result.imported} imported, {result.duplicates} already there.",
                )


@admin.register(TicketEmail)
class TicketEmailAdmin(ReadOnlyTenantAdmin):
    """Every mail in or out of a ticket, by Message-ID (read-only)."""

    list_display = ["created_at", "direction", "ticket", "sender", "recipient", "subject"]
    list_filter = ["direction"]
    search_fields = ["message_id", "sender", "recipient", "subject"]
    list_select_related = ["ticket"]
