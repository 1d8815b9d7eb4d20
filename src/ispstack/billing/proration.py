"""Proration on every change, the rules in one place.

All amounts follow the period rule of ``billing.periods`` (by days, against
the real length of the cycle) and the rounding of ``core.money``. Every
line that bills service days carries them (``period_start``..``period_end``),
and every credit of billed days records which days it takes back, so each
service day is billed once, by one line, whatever happens in a period.

- Plan change effective on day D. Days already billed from D on (in advance,
  D..E) are the old plan's: they are taken back from whichever line billed
  them (the period's line, or an earlier change's proration) by a credit
  note, pro rata of what that line charged, or, while that earlier
  proration is still a pending charge, by shortening the charge. The new
  plan's D..E is charged, one charge per cycle period, on the next invoice
  or at once as the tenant chooses (``BillingSettings.proration_billing``). Days
  before D not billed yet (in arrears) become the old plan's charge, and the
  new plan's periods start on D.
- Suspension: with ``BillingSettings.bill_suspended_days`` off, reconnection takes
  back the suspended days already billed, skips those not yet billed, and
  charges the days of service before the suspension that were not billed.
- Termination on day T: with ``BillingSettings.credit_on_termination``, the days
  after T already billed are taken back.
- A new billing day needs nothing here: the next period runs from the day
  after the last billed day to the new billing date, prorated like any
  short period.

Every change takes the tenant's billing lock and bumps the billing state's
version, so a billing run that read the old state writes nothing for it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F

from ispstack.billing.credit_notes import CREDITABLE, create_credit_note
from ispstack.billing.models import (
    AddOnBilling,
    Charge,
    Invoice,
    InvoiceLine,
    LineKind,
    SubscriptionBilling,
)
from ispstack.billing.periods import ONE_DAY, periods_due
from ispstack.billing.selectors import settings_for
from ispstack.billing.tax import tax_rate_for
from ispstack.catalog.models import Plan
from ispstack.core import audit, clock
from ispstack.core.errors import InvalidInput
from ispstack.core.inputs import check_date, text
from ispstack.core.locks import tenant_lock
from ispstack.core.money import ZERO, parse_amount, round_money
from ispstack.subscriptions.models import Subscription, SubscriptionAddOn, SubscriptionEvent

#: Line kinds that bill a plan's service days.
PLAN_DAYS = (LineKind.RECURRING, LineKind.PRORATION)

Days = tuple[dt.date, dt.date]


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


def _count(days: list[Days]) -> int:
    return sum((last - first).days + 1 for first, last in days)


def _without(days: list[Days], cut: Days) -> list[Days]:
    """``days`` less the days ``cut``, as ranges in order."""
    kept = []
    for first, last in days:
        if cut[1] < first or last < cut[0]:
            kept.append((first, last))
            continue
        if first < cut[0]:
            kept.append((first, cut[0] - ONE_DAY))
        if cut[1] < last:
            kept.append((cut[1] + ONE_DAY, last))
    return kept


def _within(days: list[Days], window: Days) -> list[Days]:
    """The part of ``days`` inside ``window``."""
    return [
        (max(first, window[0]), min(last, window[1]))
        for first, last in days
        if first <= window[1] and window[0] <= last
    ]


def _label(plan: Plan, first: dt.date, last: dt.date) -> str:
    return f"{plan.name} {first:%d %b %Y} - {last:%d %b %Y} (prorated)"


def add_charge(
    *,
    subscription: Subscription,
    description: str,
    amount: Any,
    charge_date: dt.date | None = None,
    kind: str = LineKind.ONE_TIME,
    period: Days | None = None,
    plan: Plan | None = None,
    actor: Any = None,
) -> Charge:
    """Queue a charge for the subscription's next invoice (installation, router, late fee).

    ``amount`` is net of tax, positive, in the customer's currency;
    ``charge_date`` (default today) is the first run that may invoice it;
    ``period`` the service days it bills, if any, of ``plan`` (a proration).
    Its tax rate is the billing run's (``billing.tax``) for the tax class of
    ``plan`` (default the subscription's) on the first day it bills. Writes
    an audit record naming ``actor`` (a staff user; None for the system),
    the amount and the description. Raises InvalidInput.
    """
    description = text(
        description, "description", max_length=Charge._meta.get_field("description").max_length
    )
    if charge_date is not None:
        check_date(charge_date, "charge_date")
    if not description:
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
            plan=plan,
        )
        audit.record(
            tenant=subscription.tenant,
            actor=actor,
            action="charge.add",
            obj=charge,
            after={
                "subscription": subscription.username,
                "kind": charge.kind,
                "description": charge.description,
                "amount": str(charge.amount),
                "currency": customer.currency,
                "tax_rate": str(charge.tax_rate),
                "charge_date": str(day),
            },
        )
        _touch(state, next_bill=day)
    return charge


def _charge_plan_days(
    subscription: Subscription, plan: Plan, first: dt.date, last: dt.date, on: dt.date
) -> None:
    """Charge ``plan``'s days ``first``..``last``, one charge per cycle period, from ``on``."""
    currency = subscription.customer.currency
    for period in periods_due(
        service_start=first,
        billing_day=subscription.billing_day,
        as_of=last,
        service_end=last,
        cycle_months=plan.cycle_months,
    ):
        amount = round_money(plan.monthly_price * plan.cycle_months * period.fraction, currency)
        if amount <= ZERO:
            continue
        add_charge(
            subscription=subscription,
            kind=LineKind.PRORATION,
            amount=amount,
            description=_label(plan, period.start, period.end),
            charge_date=on,
            period=(period.start, period.end),
            plan=plan,
        )


def _shorten_pending(subscription: Subscription, days: Days) -> bool:
    """Take ``days`` out of the still pending prorations: each keeps the
    rest of its days, pro rata of its amount, or goes when none is left.
    Returns whether any changed."""
    currency = subscription.customer.currency
    pending = Charge.objects.filter(
        subscription=subscription,
        invoice__isnull=True,
        kind=LineKind.PRORATION,
        period_start__lte=days[1],
        period_end__gte=days[0],
    )
    changed = False
    for charge in pending.select_related("plan"):
        billed: Days = (charge.period_start, charge.period_end)  # type: ignore[assignment]
        kept = [
            (piece, round_money(charge.amount * _count([piece]) / _count([billed]), currency))
            for piece in _without([billed], days)
        ]
        kept = [(piece, amount) for piece, amount in kept if amount > ZERO]
        changed = True
        if not kept:
            charge.delete()
            continue
        # Days kept on both sides of ``days`` (a suspension) make two charges.
        parts = [charge] + [Charge(**_copied(charge)) for _ in kept[1:]]
        for part, ((first, last), amount) in zip(parts, kept, strict=True):
            part.amount = amount
            part.period_start, part.period_end = first, last
            if part.plan is not None:  # else queued before charges named their plan
                part.description = _label(part.plan, first, last)
            part.save()
    return changed


def _copied(charge: Charge) -> dict[str, Any]:
    fields = ("tenant_id", "subscription_id", "kind", "description", "tax_rate", "charge_date")
    return {name: getattr(charge, name) for name in fields} | {"plan": charge.plan}


def credit_billed_days(
    subscription: Subscription,
    start: dt.date,
    end: dt.date,
    *,
    reason: str,
    on: dt.date,
    addon: SubscriptionAddOn | None = None,
) -> Decimal:
    """Take back the billed days ``start``..``end`` of the plan (or of one
    add-on), from whichever line billed each day: a credit note per invoice
    (issued ``on``, with ``reason``), each credit line naming its days and
    worth the line's net x days / the line's days (its whole remainder when
    that completes the line); a still pending proration is shortened
    instead. Returns the net credited."""
    if addon is None:
        state = _state(subscription)
        if _shorten_pending(subscription, (start, end)):
            _touch(state)
    lines = (
        InvoiceLine.objects.filter(
            subscription=subscription,
            kind__in=[LineKind.ADDON] if addon else PLAN_DAYS,
            subscription_addon=addon,
            period_start__lte=end,
            period_end__gte=start,
            invoice__status__in=CREDITABLE,
        )
        .select_related("invoice")
        .prefetch_related("credit_lines")
        .order_by("invoice_id", "id")
    )
    wanted: dict[Invoice, list[dict[str, Any]]] = defaultdict(list)
    total = ZERO
    for line in lines:
        billed: Days = (line.period_start, line.period_end)  # type: ignore[assignment]
        credits = list(line.credit_lines.all())
        open_days = [billed]
        for credit in credits:
            if credit.period_start is not None and credit.period_end is not None:
                open_days = _without(open_days, (credit.period_start, credit.period_end))
        net_left = line.net_amount - sum((c.net_amount for c in credits), ZERO)
        taken = _within(open_days, (start, end))
        completes = _count(taken) == _count(open_days)
        for n, piece in enumerate(taken):
            if completes and n == len(taken) - 1:
                amount = net_left
            else:
                share = line.net_amount * _count([piece]) / _count([billed])
                amount = min(round_money(share, line.invoice.currency), net_left)
            if amount <= ZERO:
                continue
            wanted[line.invoice].append({"line": line.pk, "amount": amount, "period": piece})
            net_left -= amount
            total += amount
    for invoice, items in wanted.items():
        create_credit_note(invoice=invoice, reason=reason, issue_date=on, lines=items)
    return total


def on_plan_switched(
    *, subscription: Subscription, old_plan: Plan, new_plan: Plan, effective: dt.date
) -> None:
    """Event handler: prorate a plan change effective on ``effective`` (the
    new plan's first day), in advance or in arrears (see the module)."""
    state = _state(subscription)
    through = state.billed_through
    if through is None or through < effective:
        first = through + ONE_DAY if through else subscription.start_date
        last = effective - ONE_DAY
        if first <= last:
            _charge_plan_days(subscription, old_plan, first, last, effective)
            _touch(_state(subscription), billed_through=last)
        return
    credit_billed_days(
        subscription,
        effective,
        through,
        on=effective,
        reason=f"plan change to {new_plan.name}: unused days of {old_plan.name} from {effective}",
    )
    immediate = settings_for(subscription.tenant).proration_billing == "immediate"
    _charge_plan_days(
        subscription, new_plan, effective, through, effective if immediate else through + ONE_DAY
    )
    if immediate:
        from ispstack.billing.runner import bill_now

        bill_now(subscription, effective)


def _suspended_since(subscription: Subscription) -> dt.date | None:
    event = (
        SubscriptionEvent.objects.filter(subscription=subscription, to_status="suspended")
        .order_by("-created_at", "-id")
        .first()
    )
    return event.effective_date if event else None


def on_reconnect(subscription: Subscription, effective: dt.date) -> None:
    """With suspended days unbilled: charge the days of service before the
    suspension not billed yet (in arrears), take back the suspended days
    billed, skip those not yet billed."""
    if settings_for(subscription.tenant).bill_suspended_days:
        return
    since = _suspended_since(subscription)
    if since is None or since >= effective:
        return
    state = _state(subscription)
    last_suspended = effective - ONE_DAY
    through = state.billed_through
    first = through + ONE_DAY if through else subscription.start_date
    if first < since:
        _charge_plan_days(subscription, subscription.plan, first, since - ONE_DAY, effective)
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
    if end is None or not settings_for(subscription.tenant).credit_on_termination:
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
    if end is None or not settings_for(subscription.tenant).credit_on_termination:
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
