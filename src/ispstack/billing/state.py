"""Billing state of subscriptions, kept by billing itself.

A subscription gets its ``SubscriptionBilling`` row when it is created
(``subscription.changed`` event) with ``next_bill_date`` at its start date;
while nothing is billed yet, a new start date (activation on another day)
moves it too. From then on only the billing run (and, under the same
tenant lock, proration services) move it.
"""

from __future__ import annotations

from ispstack.billing.models import SubscriptionBilling
from ispstack.subscriptions.models import Subscription


def on_subscription_changed(*, subscription: Subscription) -> None:
    """Event handler: make sure the subscription has its billing state row."""
    state, created = SubscriptionBilling.objects.get_or_create(
        subscription=subscription,
        defaults={"tenant_id": subscription.tenant_id, "next_bill_date": subscription.start_date},
    )
    if (
        not created
        and state.billed_through is None
        and state.next_bill_date != subscription.start_date
    ):
        state.next_bill_date = subscription.start_date
        state.save(update_fields=["next_bill_date"])
