"""How every change of a subscription respects its contract, whoever makes
it (console, API, portal approvals, the billing run): sales sits above
subscriptions and subscriptions never imports sales, so sales hooks in
(registered in ``SalesConfig.ready``):

- a plan-change guard (``subscriptions.guards``) refuses what the contract
  forbids before anything is written or scheduled;
- in-transaction handlers of ``subscriptions.events`` charge what the
  contract asks for once the change is made, in the same commit: the
  downgrade fee on ``PlanSwitched``, the early termination fee when the
  last subscription of an active contract is terminated
  (``SubscriptionTerminated``); an error rolls the change back with them.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from ispstack.billing.proration import add_charge
from ispstack.catalog.models import Plan
from ispstack.core import audit
from ispstack.core.errors import Conflict
from ispstack.sales.contracts import services
from ispstack.sales.models import (
    Contract,
    ContractStatus,
    ContractSubscription,
    DowngradeFee,
    PlanChangeRule,
)
from ispstack.subscriptions import events as sub_events
from ispstack.subscriptions.models import Subscription, SubscriptionStatus


def _open_link(subscription_id: int) -> ContractSubscription | None:
    return (
        ContractSubscription.objects.select_related("contract")
        .filter(subscription_id=subscription_id, released_on__isnull=True)
        .first()
    )


def _binding(subscription_id: int, effective: dt.date) -> Contract | None:
    """The active contract whose term covers a change on ``effective``: up to
    its end date, or beyond it when it renews by itself."""
    link = _open_link(subscription_id)
    if link is None or link.contract.status != ContractStatus.ACTIVE:
        return None
    contract = link.contract
    if effective > contract.end_date and not contract.auto_renew:
        return None
    return contract


def is_downgrade(old: Plan, new: Plan) -> bool:
    """A move to a plan with a lower monthly price (net, as in the catalogue)."""
    return new.monthly_price < old.monthly_price


def check_plan_change(subscription: Subscription, plan: Plan, effective: dt.date) -> None:
    """The plan-change guard: raises Conflict (field ``plan``) when the
    subscription's contract forbids moving to ``plan`` on ``effective``:
    every change under ``forbidden``, a downgrade under ``upgrade_only``."""
    contract = _binding(subscription.pk, effective)
    if contract is None:
        return
    rule = contract.plan_change_rule
    until = f"{contract.end_date:%Y-%m-%d}"
    if rule == PlanChangeRule.FORBIDDEN:
        raise Conflict(
            f"contract {contract.number} allows no plan change during its term (until {until})",
            field="plan",
        )
    if rule == PlanChangeRule.UPGRADE_ONLY and is_downgrade(subscription.plan, plan):
        raise Conflict(
            f"contract {contract.number} allows only upgrades during its term (until {until})",
            field="plan",
        )


def on_plan_switched(event: sub_events.PlanSwitched) -> None:
    """A downgrade under a ``downgrade_fee`` contract: its ``downgrade_fee``
    becomes a one-time charge from the change's first day, recorded as the
    contract's ``DowngradeFee``."""
    contract = _binding(event.subscription_id, event.effective)
    if contract is None or contract.plan_change_rule != PlanChangeRule.DOWNGRADE_FEE:
        return
    plans = Plan.objects.in_bulk([event.old_plan_id, event.new_plan_id])
    if not is_downgrade(plans[event.old_plan_id], plans[event.new_plan_id]) or not (
        contract.downgrade_fee > 0
    ):
        return
    sub = Subscription.objects.select_related("customer", "tenant").get(pk=event.subscription_id)
    with transaction.atomic():
        charge = add_charge(
            subscription=sub,
            description=f"Downgrade fee, contract {contract.number}",
            amount=contract.downgrade_fee,
            charge_date=event.effective,
        )
        DowngradeFee.objects.create(
            tenant_id=contract.tenant_id,
            contract=contract,
            subscription=sub,
            old_plan_id=event.old_plan_id,
            new_plan_id=event.new_plan_id,
            effective=event.effective,
            amount=contract.downgrade_fee,
            charge=charge,
        )


def on_terminated(event: sub_events.SubscriptionTerminated) -> None:
    """A terminated subscription leaves its contract. The last live one of an
    active contract ends it early (``services.end_early``: the fee charged to
    it); one of several just leaves, the commitment staying with the rest."""
    link = _open_link(event.subscription_id)
    if link is None:
        return
    contract = services._locked(link.contract)
    sub = Subscription.objects.select_related("customer", "tenant").get(pk=event.subscription_id)
    others = (
        ContractSubscription.objects.filter(contract=contract, released_on__isnull=True)
        .exclude(subscription_id=sub.pk)
        .exclude(subscription__status=SubscriptionStatus.TERMINATED)
    )
    if contract.status == ContractStatus.ACTIVE and not others.exists():
        services.end_early(
            contract=contract,
            on=event.effective,
            reason=f"subscription {sub.username} terminated",
            charged=sub,
        )
        return
    link.released_on = event.effective
    link.save(update_fields=["released_on", "updated_at"])
    audit.record(
        tenant=contract.tenant,
        actor=None,
        action="contract.release",
        obj=contract,
        before={"subscription": sub.username},
        reason="subscription terminated",
    )
