"""Billing state of subscriptions, kept by billing itself.

A subscription gets its ``SubscriptionBilling`` row when it is created
(``SubscriptionCreated``) with ``next_bill_date`` at its start date; while
nothing is billed yet, a new start date (activation on another day) moves it
too. From then on the billing run and the proration rules
(``billing.proration``) move it, under the tenant's billing lock.

Every handler here runs inside the subscription's transaction: the billing
state and the proration of a change commit with the change itself.
``keep_state`` runs first (order 0) because the proration handlers (order
10) read the row it keeps.
"""

from __future__ import annotations

from ispstack.billing import proration
from ispstack.billing.models import SubscriptionBilling
from ispstack.catalog.models import Plan
from ispstack.subscriptions import events as sub_events
from ispstack.subscriptions.models import Subscription, SubscriptionAddOn


def _subscription(event: sub_events.SubscriptionChanged) -> Subscription:
    return Subscription.objects.select_related("tenant", "plan").get(pk=event.subscription_id)


def keep_state(event: sub_events.SubscriptionChanged) -> None:
    """Event handler for every change: create the billing state row, or move
    its first bill date while nothing is billed yet."""
    subscription = _subscription(event)
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


def on_reconnected(event: sub_events.SubscriptionReconnected) -> None:
    """Prorate the suspended days (``proration.on_reconnect``)."""
    proration.on_reconnect(_subscription(event), event.effective)


def on_terminated(event: sub_events.SubscriptionTerminated) -> None:
    """Credit the billed days after the end (``proration.on_terminate``)."""
    proration.on_terminate(_subscription(event))


def on_plan_switched(event: sub_events.PlanSwitched) -> None:
    """Prorate a plan change (``proration.on_plan_switched``)."""
    proration.on_plan_switched(
        subscription=_subscription(event),
        old_plan=Plan.objects.get(pk=event.old_plan_id),
        new_plan=Plan.objects.get(pk=event.new_plan_id),
        effective=event.effective,
    )


def on_addon_attached(event: sub_events.AddOnAttached) -> None:
    """A new add-on makes the subscription due on its start date."""
    proration.on_addon_attached(_subscription(event), event.effective)


def on_addon_detached(event: sub_events.AddOnDetached) -> None:
    """Credit the add-on's billed days after its end (``proration.on_addon_detached``)."""
    attached = SubscriptionAddOn.objects.select_related("addon").get(pk=event.subscription_addon_id)
    proration.on_addon_detached(_subscription(event), attached)
