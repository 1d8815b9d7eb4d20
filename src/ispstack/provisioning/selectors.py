"""Reads of the provisioning app shared by the admin, the API and the order steps."""

from __future__ import annotations

from ispstack.core import tenant_settings
from ispstack.core.models import Tenant
from ispstack.provisioning.models import ProvisioningSettings


def settings_for(tenant: Tenant) -> ProvisioningSettings:
    """The provisioning settings of ``tenant`` (one row per tenant, created
    with the defaults if missing); cached on the tenant instance."""
    return tenant_settings.settings_of(tenant, ProvisioningSettings)
