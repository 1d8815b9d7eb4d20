"""Back-office screens of the captive portal and MAC onboarding: the tenant's
hotspot policy is edited here (its guests' and devices' RADIUS rows are
rewritten on save); guests, devices, the walled garden and routers' secrets
are read here and changed through the console and the API, whose services
audit them. A router's secret is revealed on purpose, audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from ispstack.core.admin_base import ReadOnlyTenantAdmin, TenantScopedAdmin, reveal_action
from ispstack.hotspot.captive.services import resync_tenant
from ispstack.hotspot.models import (
    CaptiveUser,
    HotspotPolicy,
    MacProfile,
    RouterSecret,
    WalledGardenEntry,
)
from ispstack.hotspot.onboarding.services import reveal_secret


@admin.register(HotspotPolicy)
class HotspotPolicyAdmin(TenantScopedAdmin):
    list_display = [
        "session_timeout",
        "idle_timeout",
        "upload_kbps",
        "download_kbps",
        "simultaneous_use",
        "registration_open",
        "terms_version",
    ]
    autocomplete_fields = ["mac_subscription_customer"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        resync_tenant(obj.tenant)


@admin.register(CaptiveUser)
class CaptiveUserAdmin(ReadOnlyTenantAdmin):
    list_display = ["username", "email", "phone", "mac_address", "status", "verified_at"]
    list_filter = ["status"]
    search_fields = ["username", "email", "phone", "mac_address"]
    secret_fields = ("password",)


@admin.register(WalledGardenEntry)
class WalledGardenEntryAdmin(ReadOnlyTenantAdmin):
    list_display = ["kind", "value", "comment", "nas", "site"]
    list_filter = ["kind"]
    search_fields = ["value", "comment"]


@admin.register(MacProfile)
class MacProfileAdmin(ReadOnlyTenantAdmin):
    list_display = ["mac_address", "last_ip", "hostname", "nas", "mac_auth", "last_seen"]
    list_filter = ["mac_auth"]
    search_fields = ["mac_address", "hostname"]


@admin.register(RouterSecret)
class RouterSecretAdmin(ReadOnlyTenantAdmin):
    list_display = ["nas", "key_id", "allow_token", "rotated_at"]
    secret_fields = ("secret",)
    actions = [
        reveal_action(
            "secret",
            "hotspot.reveal_routersecret",
            lambda row, actor: reveal_secret(row=row, actor=actor),
            "onboarding secret",
        )
    ]
