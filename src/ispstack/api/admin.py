"""Back office for API tokens: see them (never their secrets), create one for a
staff user of the tenant (its raw value is shown once), revoke."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from ispstack.api.models import ApiToken
from ispstack.api.scopes import clean_scopes, valid_scopes
from ispstack.api.tokens import create_token, revoke_token
from ispstack.core import clock
from ispstack.core.access import client_ip
from ispstack.core.admin_base import TenantAdminMixin, is_platform
from ispstack.core.errors import ServiceError
from ispstack.core.models import User


class ApiTokenForm(forms.ModelForm):
    """A new token: whose, what for, what it may reach, until when."""

    scopes = forms.MultipleChoiceField(
        choices=[(scope, scope) for scope in valid_scopes()], initial=["*"]
    )

    class Meta:
        model = ApiToken
        fields = ["user", "name", "scopes", "expires"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        user = data.get("user")
        if user is not None and not self.errors:
            # The service's own checks, as form errors; nothing is written here.
            try:
                clean_scopes(data.get("scopes"))
            except ServiceError as exc:
                self.add_error("scopes", exc.message)
            expires = data.get("expires")
            if expires is not None and expires <= clock.now():
                self.add_error("expires", "must be in the future")
        return data


@admin.register(ApiToken)
class ApiTokenAdmin(TenantAdminMixin):
    list_display = [
        "prefix",
        "name",
        "user",
        "scopes",
        "created_at",
        "expires",
        "last_used",
        "revoked",
    ]
    list_filter = ["revoked"]
    search_fields = ["prefix", "name", "user__username"]
    actions = ["revoke"]
    form = ApiTokenForm

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            users = User.objects.filter(is_active=True)
            if not is_platform(request):
                users = users.filter(tenant_id=request.user.tenant_id)  # type: ignore[union-attr,misc]
            kwargs["queryset"] = users
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A token is created and revoked, never edited.
        return False

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        token, raw = create_token(
            user=form.cleaned_data["user"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            expires=form.cleaned_data["expires"],
            actor=request.user,
            ip=client_ip(request),
        )
        obj.pk, obj.prefix = token.pk, token.prefix
        self.message_user(
            request,
            f"Token {token.prefix}: {raw} (copy it now: it is not stored and is not shown again)",
            messages.WARNING,
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Revoked, never deleted: the row stays for the audit trail.
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        """Revoking ends a token: it takes the permission that deleting would."""
        return super().has_delete_permission(request)

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        tokens = list(queryset)
        for token in tokens:
            revoke_token(token=token, actor=request.user, ip=client_ip(request))
        self.message_user(request, f"{len(tokens)} tokens revoked")
