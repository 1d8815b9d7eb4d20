"""Reads of billing shared by views, the API and other apps."""

from __future__ import annotations

from ispstack.billing.models import BillingSettings
from ispstack.core import tenant_settings
from ispstack.core.models import Tenant


def settings_for(tenant: Tenant) -> BillingSettings:
    """The billing settings of ``tenant`` (one row per tenant, created with the defaults
    if missing); cached on the tenant instance, so reading it for every
    invoice of a run costs one query."""
    return tenant_settings.settings_of(tenant, BillingSettings)
