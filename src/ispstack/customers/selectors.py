"""Reads on customers shared by admin, API and services."""

from __future__ import annotations

from ispstack.core import tenant_settings
from ispstack.core.errors import NotFound
from ispstack.core.models import Tenant
from ispstack.customers.models import Customer, CustomerSettings


def get_by_account_number(tenant: Tenant, account_number: str) -> Customer:
    """The tenant's customer with ``account_number``; raises NotFound (field ``account``)."""
    try:
        return Customer.objects.for_tenant(tenant).get(account_number=account_number)
    except Customer.DoesNotExist:
        raise NotFound(
            f"no customer with account number '{account_number}'", field="account"
        ) from None


def settings_for(tenant: Tenant) -> CustomerSettings:
    """The customer settings of ``tenant`` (one row per tenant, created with the defaults
    if missing); cached on the tenant instance, so reading it for every
    customer of a run costs one query."""
    return tenant_settings.settings_of(tenant, CustomerSettings)
