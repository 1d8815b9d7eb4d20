"""The demo's customer portal login: one subscriber of the demo ISP who can
sign in at ``/my/<tenant>/`` with a known password."""

from __future__ import annotations

import secrets

from django.db.models import Count, F

from ispstack.core.models import Tenant
from ispstack.customers.models import Customer
from ispstack.portal.models import PortalRole
from ispstack.portal.services import create_login
from ispstack.subscriptions.models import SubscriptionStatus


def create_portal_login(tenant: Tenant) -> tuple[Customer, str, str] | None:
    """A portal login (owner) for the demo customer with an active service and
    the most invoices (a capped plan preferred, so the usage bar shows).
    Returns (customer, email, password); None when the demo has no customer
    with an active service."""
    customer = (
        Customer.objects.filter(tenant=tenant, subscriptions__status=SubscriptionStatus.ACTIVE)
        .annotate(documents=Count("invoices", distinct=True))
        .order_by(
            F("subscriptions__plan__data_cap_bytes").desc(nulls_last=True), "-documents", "pk"
        )
        .first()
    )
    if customer is None:
        return None
    password = secrets.token_urlsafe(9)
    email = f"portal-{customer.account_number.lower()}@demofibre.example"
    create_login(customer=customer, email=email, password=password, role=PortalRole.OWNER)
    return customer, email, password
