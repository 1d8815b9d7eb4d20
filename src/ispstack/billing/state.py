"""Billing state of subscriptions, kept by billing itself.

A subscription gets its ``SubscriptionBilling`` row when it is created
(``subscription.changed`` event) with ``next_bill_date`` at its start date;
while nothing is billed yet, a new start date (activation on another day)
moves it too. From then on the billing run and the proration rules
(``billing.proration``) move it, under the tenant's billing lock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ispstack.billing import proration
from ispstack.billing.models import SubscriptionBilling
from ispstack.subscriptions.models import Subscription


def on_subscription_changed(
    *, subscription: Subscription, transition: str = "", effective: dt.date | None = None, **_: Any
) -> None:
    """Event handler: keep the billing state row, prorate reconnection and termination."""
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
    if transition == "reconnect" and effective is not None:
        proration.on_reconnect(subscription, effective)
    elif transition == "terminate":
        proration.on_terminate(subscription)
    elif transition == "attach_addon" and effective is not None:
        proration.on_addon_attached(subscription, effective)
    elif transition == "detach_addon" and "attached" in _:
        proration.on_addon_detached(subscription, _["attached"])
