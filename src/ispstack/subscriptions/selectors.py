"""Reads of subscriptions shared by views, the API and other apps."""

from __future__ import annotations

from ispstack.core import tenant_settings
from ispstack.core.models import Tenant
from ispstack.subscriptions.models import SubscriptionSettings


def settings_for(tenant: Tenant) -> SubscriptionSettings:
    """The subscription settings of ``tenant`` (one row per tenant, created with the defaults
    if missing); cached on the tenant instance, so reading it for every
    subscription of a run costs one query."""
    return tenant_settings.settings_of(tenant, SubscriptionSettings)
