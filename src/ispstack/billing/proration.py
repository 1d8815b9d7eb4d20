"""Proration on every change, the rules in one place (issue 3, seed 004).

All amounts follow the period rule of ``billing.periods`` (by days, against
the real length of the cycle) and the rounding of ``core.money``.

- Plan change effective on day D of a period already billed in advance
  through E: the old plan's days D..E are credited with a credit note on
  the line that billed them (pro rata of what that line charged), and the
  new plan's D..E is charged, on the next invoice or at once as the tenant
  chooses (``Tenant.proration_billing``). In arrears nothing was billed yet:
  the old plan's days up to D-1 become a charge and the new plan's periods
  start on D.
- Suspension: with ``Tenant.bill_suspended_days`` off, reconnection credits
  the suspended days already billed and skips those not yet billed.
- Termination on day T: with ``Tenant.credit_on_termination``, the days
  after T already billed are credited.
- A new billing day needs nothing here: the next period runs from the day
  after the last billed day to the new billing date, prorated like any
  short period.

Every change takes the tenant's billing lock and bumps the billing state's
version, so a billing run that read the old state writes nothing for it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F

from ispstack.billing.credit_notes import CREDITABLE, create_credit_note, creditable
from ispstack.billing.models import (
    AddOnBilling,
    Charge,
    InvoiceLine,
    LineKind,
    SubscriptionBilling,
)
from ispstack.billing.periods import ONE_DAY, periods_due
from ispstack.billing.tax import tax_rate_for
from ispstack.catalog.models import Plan
from ispstack.core import clock
from ispstack.core.errors import InvalidInput
from ispstack.core.locks import tenant_lock
from ispstack.core.money import ZERO, parse_amount, round_money
from ispstack.subscriptions.models import Subscription, SubscriptionAddOn, SubscriptionEvent


def _state(subscription: Subscription) -> SubscriptionBilling:
    tenant_lock(subscription.tenant_id, "billing")
    state, _ = SubscriptionBilling.objects.get_or_create(
        subscription=subscription,
        defaults={"tenant_id": subscription.tenant_id, "next_bill_date": subscription.start_date},
    )
    return state


def _touch(
    state: SubscriptionBilling, *, next_bill: dt.date | None = None, billed_through: Any = ...
) -> None:
    fields: dict[str, Any] = {"version": F("version") + 1}
    if next_bill is not None:
        current = state.next_bill_date
        fields["next_bill_date"] = next_bill if current is None else min(current, next_bill)
    if billed_through is not ...:
        fields["billed_through"] = billed_through
    SubscriptionBilling.objects.filter(pk=state.pk).update(**fields)


def add_charge(
    *,
    subscription: Subscription,
    description: str,
    amount: Any,
    charge_date: dt.date | None = None,
    kind: str = LineKind.ONE_TIME,
    period: tuple[dt.date, dt.date] | None = None,
    plan: Plan | None = None,
) -> Charge:
    """Queue a charge for the subscription's next invoice (installation, router, late fee).

    ``amount`` is net of tax, positive, in the customer's currency;
    ``period`` the service days it bills, if any, of ``plan``. Its tax rate
    is the billing run's (``billing.tax``) for the tax class of ``plan``
    (default the subscription's) on the first day it bills. Raises
    InvalidInput.
    """
    if not (description or "").strip():
        raise InvalidInput("is required", field="description")
    customer = subscription.customer
    value = parse_amount(amount, customer.currency, allow_zero=False)
    with transaction.atomic():
        state = _state(subscription)
        day = charge_date or clock.today(subscription.tenant)
        charge = Charge.objects.create(
            tenant_id=subscription.tenant_id,
            subscription=subscription,
            kind=kind,
            description=description.strip(),
            amount=value,
            tax_rate=tax_rate_for(
                customer=customer,
                product_rate=(plan or subscription.plan).tax_rate,
                on=period[0] if period else day,
            ),
            charge_date=day,
            period_start=period[0] if period else None,
            period_end=period[1] if period else None,
        )
        _touch(state, next_bill=day)
    return charge


def credit_billed_days(
    subscription: Subscription,
    start: dt.date,
    end: dt.date,
    *,
    reason: str,
    on: dt.date,
    addon: SubscriptionAddOn | None = None,
) -> Decimal:
    """Credit the recurring lines (the plan's, or one add-on's) that billed days
    ``start``..``end``, pro rata of what each line charged; returns the net credited."""
    lines = InvoiceLine.objects.filter(
        subscription=subscription,
        kind=LineKind.ADDON if addon else LineKind.RECURRING,
        subscription_addon=addon,
        period_start__lte=end,
        period_end__gte=start,
        invoice__status__in=CREDITABLE,
    ).select_related("invoice")
    total = ZERO
    for line in lines:
        if line.period_start is None or line.period_end is None:
            continue
        first, last = max(start, line.period_start), min(end, line.period_end)
        days = (last - first).days + 1
        line_days = (line.period_end - line.period_start).days + 1
        net_left, _ = creditable(line)
        amount = min(
            round_money(line.net_amount * days / line_days, line.invoice.currency), net_left
        )
        if amount <= ZERO:
            continue
        create_credit_note(
            invoice=line.invoice,
            reason=reason,
            issue_date=on,
            lines=[{"line": line.pk, "amount": amount}],
        )
        total += amount
    return total


def _plan_amount(plan: Plan, start: dt.date, end: dt.date, billing_day: int) -> Decimal:
    """What ``plan`` costs for ``start``..``end`` (net), period by period."""
    amount = ZERO
    for period in periods_due(
        service_start=start,
        billing_day=billing_day,
        as_of=end,
        service_end=end,
        cycle_months=plan.cycle_months,
    ):
        amount += plan.monthly_price * plan.cycle_months * period.fraction
    return amount


def on_plan_switched(
    *, subscription: Subscription, old_plan: Plan, new_plan: Plan, effective: dt.date
) -> None:
    """Event handler: prorate a plan change effective on ``effective``."""
    state = _state(subscription)
    tenant = subscription.tenant
    currency = subscription.customer.currency
    through = state.billed_through
    if old_plan.billing_timing == "advance":
        if through is None or through < effective:
            return
        credit_billed_days(
            subscription,
            effective,
            through,
            on=effective,
            reason=f"plan change to {new_plan.name}: unused days of "
            f"{old_plan.name} from {effective}",
        )
        amount = round_money(
            _plan_amount(new_plan, effective, through, subscription.billing_day), currency
        )
        if amount <= ZERO:
            return
        when = effective if tenant.proration_billing == "immediate" else through + ONE_DAY
        add_charge(
            subscription=subscription,
            kind=LineKind.PRORATION,
            amount=amount,
            description=f"{new_plan.name} {effective:%d %b %Y} - {through:%d %b %Y} (plan change)",
            charge_date=when,
            plan=new_plan,
            period=(effective, through),
        )
        if tenant.proration_billing == "immediate":
            from ispstack.billing.runner import bill_now

            bill_now(subscription, effective)
        return
    first = through + ONE_DAY if through else subscription.start_date
    last = effective - ONE_DAY
    if last < first:
        return
    amount = round_money(_plan_amount(old_plan, first, last, subscription.billing_day), currency)
    add_charge(
        subscription=subscription,
        kind=LineKind.PRORATION,
        amount=amount,
        description=f"{old_plan.name} {first:%d %b %Y} - {last:%d %b %Y} (before plan change)",
        charge_date=effective,
        plan=old_plan,
        period=(first, last),
    )
    _touch(_state(subscription), billed_through=last)


def _suspended_since(subscription: Subscription) -> dt.date | None:
    event = (
        SubscriptionEvent.objects.filter(subscription=subscription, to_status="suspended")
        .order_by("-created_at", "-id")
        .first()
    )
    return event.effective_date if event else None


def on_reconnect(subscription: Subscription, effective: dt.date) -> None:
    """With suspended days unbilled: credit those billed, skip those not yet billed."""
    if subscription.tenant.bill_suspended_days:
        return
    since = _suspended_since(subscription)
    if since is None or since >= effective:
        return
    state = _state(subscription)
    last_suspended = effective - ONE_DAY
    through = state.billed_through
    if through is not None and through >= since:
        credit_billed_days(
            subscription,
            since,
            min(through, last_suspended),
            on=effective,
            reason=f"service suspended {since} - {last_suspended}",
        )
    if through is None or through < last_suspended:
        _touch(state, billed_through=last_suspended, next_bill=effective)


def on_terminate(subscription: Subscription) -> None:
    """With credit on termination: credit the billed days after the last day of service."""
    end = subscription.end_date
    if end is None or not subscription.tenant.credit_on_termination:
        return
    state = _state(subscription)
    if state.billed_through is not None and state.billed_through > end:
        credit_billed_days(
            subscription,
            end + ONE_DAY,
            state.billed_through,
            on=end,
            reason=f"service ended on {end}",
        )
        _touch(state, billed_through=end)


def on_addon_attached(subscription: Subscription, start: dt.date) -> None:
    """A new add-on makes the subscription due on its start date."""
    _touch(_state(subscription), next_bill=start)


def on_addon_detached(subscription: Subscription, attached: SubscriptionAddOn) -> None:
    """With credit on termination: credit the add-on's billed days after its end."""
    end = attached.end_date
    if end is None or not subscription.tenant.credit_on_termination:
        return
    tenant_lock(subscription.tenant_id, "billing")
    state = AddOnBilling.objects.filter(subscription_addon=attached).first()
    if state is not None and state.billed_through > end:
        credit_billed_days(
            subscription,
            end + ONE_DAY,
            state.billed_through,
            on=end,
            reason=f"{attached.addon.name} ended on {end}",
            addon=attached,
        )
        AddOnBilling.objects.filter(pk=state.pk).update(billed_through=end)
