"""Writes on subscriptions: sign-up, lifecycle transitions, password changes.

Each transition runs in one transaction with its log row, its audit row and
its event (``subscriptions.events``), on which the radius app rewrites the
FreeRADIUS rows in the same commit.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower
from django_fsm import TransitionNotAllowed

from ispstack.catalog.models import AddOn, Plan, Promotion
from ispstack.core import audit, clock, events, inputs
from ispstack.core import secrets as secrets_
from ispstack.core.errors import Conflict, InvalidInput, InvalidTransition
from ispstack.core.integrity import integrity_conflicts
from ispstack.core.models import AuditLog, Tenant
from ispstack.customers.models import Customer
from ispstack.network.models import IPPool
from ispstack.network.services import allocate_address, release_address
from ispstack.subscriptions import events as sub_events
from ispstack.subscriptions import guards
from ispstack.subscriptions.access import ACCESS_FIELDS, assign_prefixes, validate_access
from ispstack.subscriptions.models import (
    USERNAME_HELP,
    USERNAME_RULE,
    PlanChange,
    ServiceAction,
    Subscription,
    SubscriptionAddOn,
    SubscriptionEvent,
    SubscriptionPromotion,
    SubscriptionStatus,
    SuspensionCause,
)
from ispstack.subscriptions.selectors import settings_for


def generate_password(length: int = 12) -> str:
    """A random PPPoE password of letters and digits."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _check_realm(username: str) -> None:
    """FreeRADIUS's stock ``filter_username`` policy rejects a User-Name whose
    realm (after ``@``) has no dot, starts or ends with one, or that has two ``@``."""
    if "@" not in username:
        return
    user, _, realm = username.partition("@")
    if (
        not user
        or "@" in realm
        or "." not in realm
        or realm.startswith(".")
        or realm.endswith(".")
        or ".." in realm
    ):
        raise InvalidInput(
            "the realm after '@' must be a domain with a dot, e.g. 'name@isp.example'",
            field="username",
        )


SIGNUP_FIELDS = (
    "customer",
    "plan",
    "username",
    "password",
    "pool",
    "billing_day",
    "start_date",
    *ACCESS_FIELDS,
)


def validate_signup(tenant: Tenant, data: dict[str, Any]) -> dict[str, Any]:
    """Check sign-up input without writing; returns cleaned values.

    Rules: customer, plan and pool belong to the tenant; the plan is active;
    the username matches ``USERNAME_RULE`` and is not used by any tenant in
    any case (the database's rule too, for sign-ups racing this check);
    ``billing_day`` is a whole number 1..31; ``start_date`` is a date.
    Raises InvalidInput, NotFound or Conflict.
    """
    clean: dict[str, Any] = {}
    if data.get("customer") in (None, ""):
        raise InvalidInput("is required", field="customer")
    clean["customer"] = inputs.owned(tenant, Customer, data["customer"], "customer")
    if data.get("plan") in (None, ""):
        raise InvalidInput("is required", field="plan")
    plan = inputs.owned(tenant, Plan, data["plan"], "plan")
    if not plan.is_active:
        raise InvalidInput(f"plan '{plan.code}' is not sold any more", field="plan")
    clean["plan"] = plan
    clean["pool"] = (
        inputs.owned(tenant, IPPool, data["pool"], "pool")
        if data.get("pool") not in (None, "")
        else None
    )
    username = inputs.text(data.get("username"), "username")
    if not re.match(USERNAME_RULE, username):
        raise InvalidInput(f"must be {USERNAME_HELP}", field="username")
    _check_realm(username)
    # lower() as in the unique index, which this query uses.
    if Subscription.objects.alias(key=Lower("username")).filter(key=username.lower()).exists():
        raise Conflict(f"username '{username}' is taken", field="username")
    clean["username"] = username
    password = inputs.text(data.get("password"), "password", strip=False) or generate_password()
    if len(password) < 6 or len(password) > 128:
        raise InvalidInput("must be 6 to 128 characters", field="password")
    clean["password"] = password
    raw_day = data.get("billing_day")
    billing_day = 1 if raw_day in (None, "") else inputs.whole_number(raw_day, "billing_day")
    if not 1 <= billing_day <= 31:
        raise InvalidInput("must be between 1 and 31", field="billing_day")
    allowed = settings_for(tenant).allowed_billing_days
    if allowed and billing_day not in allowed:
        raise InvalidInput(f"must be one of {', '.join(map(str, allowed))}", field="billing_day")
    clean["billing_day"] = billing_day
    start = data.get("start_date")
    clean["start_date"] = (
        clock.today(tenant) if start in (None, "") else inputs.day(start, "start_date")
    )
    clean.update(validate_access(tenant, {f: data[f] for f in ACCESS_FIELDS if f in data}))
    return clean


@integrity_conflicts()
@transaction.atomic
def create_subscription(*, tenant: Tenant, actor: Any = None, **data: Any) -> Subscription:
    """Sign a customer up for a plan: a pending subscription with its address.

    Input: ``customer``, ``plan``, ``username``, optional ``password``
    (generated when empty), ``pool`` (a static IPv4 is allocated from it),
    ``billing_day`` (1..31, default 1), ``start_date`` (default today) and
    the optional access fields ``nas``, ``framed_ipv6_prefix`` and
    ``delegated_ipv6_prefix`` (see subscriptions.access).

    Two sign-ups at once: pools hand out distinct addresses and prefixes
    (the pool row is locked until commit); for one username, one commits
    and the other gets Conflict (field ``username``) from the unique index.
    """
    clean = assign_prefixes(validate_signup(tenant, data))
    sub = Subscription(tenant=tenant, **clean)
    if clean["pool"] is not None:
        sub.ip_address = allocate_address(pool=clean["pool"], assigned_to=clean["username"])
    sub.save()
    audit.record(
        tenant=tenant, actor=actor, action="subscription.create", obj=sub, after=audit.snapshot(sub)
    )
    events.publish(
        sub_events.SubscriptionCreated(
            tenant_id=sub.tenant_id, subscription_id=sub.pk, effective=sub.start_date
        )
    )
    return sub


def record_action(
    *,
    subscription: Subscription,
    action: str,
    actor: Any = None,
    reason: str = "",
    result: str = ServiceAction.Result.OK,
    message: str = "",
    audit_row: AuditLog | None = None,
) -> ServiceAction:
    """Write one row of the subscription's service action log
    (``ServiceAction``), in the caller's transaction.

    ``actor``: a staff user, ``"portal:<email>"`` for the customer portal, or
    a job's name (``"collections"``, ``"radius.coa"``), None for the system.
    ``action`` an ``Action``, ``result`` a ``Result``; ``message`` (what
    failed) is cut at 500 characters. ``audit_row``: the audit row of the
    same change, holding its before and after.
    """
    user = actor if getattr(actor, "pk", None) else None
    label = getattr(actor, "username", None) or (actor if isinstance(actor, str) else "system")
    if user is not None:
        kind = ServiceAction.ActorKind.STAFF
    elif label.startswith("portal:"):
        kind = ServiceAction.ActorKind.PORTAL
    else:
        kind = ServiceAction.ActorKind.SYSTEM
    return ServiceAction.objects.create(
        tenant_id=subscription.tenant_id,
        subscription=subscription,
        action=action,
        actor=user,
        actor_kind=kind,
        actor_label=label[:150],
        reason=reason,
        result=result,
        message=message[:500],
        audit=audit_row,
    )


TRANSITION_EVENTS: dict[str, type[sub_events.SubscriptionChanged]] = {
    "activate": sub_events.SubscriptionActivated,
    "suspend": sub_events.SubscriptionSuspended,
    "reconnect": sub_events.SubscriptionReconnected,
    "terminate": sub_events.SubscriptionTerminated,
}


def _transition(
    subscription: Subscription,
    name: str,
    *,
    actor: Any,
    reason: str,
    on: dt.date | None,
    before_save: Callable[[Subscription], None] | None = None,
) -> Subscription:
    reason = inputs.text(reason, "reason")
    inputs.check_values(SubscriptionEvent, {"reason": reason})
    if on is not None:
        on = inputs.day(on, "on")
    sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
    before = audit.snapshot(sub)
    from_status = sub.status
    try:
        getattr(sub, name)()
    except TransitionNotAllowed:
        raise InvalidTransition(
            f"cannot {name} a subscription that is {from_status}", field="status"
        ) from None
    if before_save:
        before_save(sub)
    sub.save()
    effective = on or clock.today(sub.tenant)
    SubscriptionEvent.objects.create(
        tenant=sub.tenant,
        subscription=sub,
        from_status=from_status,
        to_status=sub.status,
        reason=reason,
        effective_date=effective,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=getattr(actor, "username", None) or str(actor or "system"),
    )
    audit_row = audit.record(
        tenant=sub.tenant,
        actor=actor,
        action=f"subscription.{name}",
        obj=sub,
        before=before,
        after=audit.snapshot(sub),
        reason=reason,
    )
    record_action(subscription=sub, action=name, actor=actor, reason=reason, audit_row=audit_row)
    kwargs: dict[str, Any] = {"cause": sub.suspension_cause} if name == "suspend" else {}
    events.publish(
        TRANSITION_EVENTS[name](
            tenant_id=sub.tenant_id, subscription_id=sub.pk, effective=effective, **kwargs
        )
    )
    return sub


@transaction.atomic
def activate(
    *, subscription: Subscription, actor: Any = None, reason: str = "", on: dt.date | None = None
) -> Subscription:
    """Activate a pending subscription.

    ``on`` (default: ``start_date``) becomes the start date, where billing begins.
    """

    def set_start(sub: Subscription) -> None:
        if on is not None:
            sub.start_date = on

    return _transition(
        subscription,
        "activate",
        actor=actor,
        reason=reason or "activated",
        on=on or subscription.start_date,
        before_save=set_start,
    )


@transaction.atomic
def suspend(
    *,
    subscription: Subscription,
    actor: Any = None,
    reason: str,
    cause: str = SuspensionCause.ADMINISTRATIVE,
    on: dt.date | None = None,
) -> Subscription:
    """Suspend an active subscription; ``cause`` is a SuspensionCause. Reason required."""
    if not inputs.text(reason, "reason"):
        raise InvalidInput("a reason is required to suspend", field="reason")
    if not isinstance(cause, str) or cause not in SuspensionCause.values:
        raise InvalidInput(f"must be one of {', '.join(SuspensionCause.values)}", field="cause")

    def mark(sub: Subscription) -> None:
        sub.suspension_cause = cause
        sub.suspended_at = clock.now()

    return _transition(subscription, "suspend", actor=actor, reason=reason, on=on, before_save=mark)


@transaction.atomic
def reconnect(
    *, subscription: Subscription, actor: Any = None, reason: str = "", on: dt.date | None = None
) -> Subscription:
    """Reconnect a suspended subscription."""

    def clear(sub: Subscription) -> None:
        sub.suspension_cause = ""
        sub.suspended_at = None

    return _transition(
        subscription,
        "reconnect",
        actor=actor,
        reason=reason or "reconnected",
        on=on,
        before_save=clear,
    )


@transaction.atomic
def terminate(
    *, subscription: Subscription, actor: Any = None, reason: str, on: dt.date | None = None
) -> Subscription:
    """End a subscription; its address goes back to the pool.

    ``on`` (default today) is the last day of service. Reason required.
    """
    if not inputs.text(reason, "reason"):
        raise InvalidInput("a reason is required to terminate", field="reason")

    def finish(sub: Subscription) -> None:
        sub.end_date = on or clock.today(sub.tenant)
        sub.suspension_cause = ""
        # The IPv6 prefixes go back to their pools with the address.
        sub.framed_ipv6_prefix = sub.delegated_ipv6_prefix = None
        if sub.ip_address is not None:
            address = sub.ip_address
            sub.ip_address = None
            sub.save(update_fields=["ip_address"])
            release_address(address=address)

    return _transition(
        subscription, "terminate", actor=actor, reason=reason, on=on, before_save=finish
    )


@transaction.atomic
def change_password(
    *, subscription: Subscription, password: str, actor: Any = None
) -> Subscription:
    """Set a new PPPoE password (6-128 characters)."""
    password = inputs.text(password, "password", strip=False)
    if len(password) < 6 or len(password) > 128:
        raise InvalidInput("must be 6 to 128 characters", field="password")
    sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if sub.status == SubscriptionStatus.TERMINATED:
        raise InvalidTransition("the subscription is terminated", field="status")
    sub.password = password
    sub.save(update_fields=["password", "updated_at"])
    audit.record(tenant=sub.tenant, actor=actor, action="subscription.change_password", obj=sub)
    events.publish(
        sub_events.PasswordChanged(
            tenant_id=sub.tenant_id, subscription_id=sub.pk, effective=clock.today(sub.tenant)
        )
    )
    return sub


def reveal_password(*, subscription: Subscription, actor: Any) -> str:
    """The subscription's PPPoE password (its radcheck ``Cleartext-Password``),
    for staff holding ``subscriptions.reveal_password`` (admin, noc: they set
    up the subscriber's router). Audited, without the value
    (``core.secrets.reveal``); raises PermissionDenied otherwise."""
    return secrets_.reveal(
        obj=subscription,
        field="password",
        permission="subscriptions.reveal_password",
        tenant=subscription.tenant,
        actor=actor,
    )


def _plan_of(subscription: Subscription, plan: Any) -> Plan:
    new_plan = inputs.owned(subscription.tenant, Plan, plan, "plan")
    if not new_plan.is_active:
        raise InvalidInput(f"plan '{new_plan.code}' is not sold any more", field="plan")
    if new_plan.pk == subscription.plan_id:
        raise InvalidInput("the subscription is already on this plan", field="plan")
    return new_plan


@transaction.atomic
def apply_plan(
    *,
    subscription: Subscription,
    plan: Any,
    effective: dt.date,
    actor: Any = None,
    reason: str = "",
    change: PlanChange | None = None,
) -> Subscription:
    """Move a subscription to ``plan`` from ``effective`` on (its first day on it).

    Publishes ``PlanSwitched`` (RADIUS gets the new rate, billing prorates). Raises InvalidInput,
    NotFound, InvalidTransition (terminated), and what a plan-change guard
    raises (``subscriptions.guards``: a contract that forbids it, Conflict).
    """
    sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if sub.status == SubscriptionStatus.TERMINATED:
        raise InvalidTransition("the subscription is terminated", field="status")
    new_plan = _plan_of(sub, plan)
    guards.check_plan_change(sub, new_plan, effective)
    old_plan = sub.plan
    before = audit.snapshot(sub, ["plan"])
    sub.plan = new_plan
    sub.save(update_fields=["plan", "updated_at"])
    if change is None:
        change = PlanChange(
            tenant=sub.tenant,
            subscription=sub,
            from_plan=old_plan,
            to_plan=new_plan,
            effective_date=effective,
            reason=reason,
            requested_by=actor if getattr(actor, "pk", None) else None,
        )
    change.status = PlanChange.Status.APPLIED
    change.save()
    audit_row = audit.record(
        tenant=sub.tenant,
        actor=actor,
        action="subscription.change_plan",
        obj=sub,
        before=before,
        after=audit.snapshot(sub, ["plan"]),
        reason=reason,
    )
    record_action(
        subscription=sub,
        action=ServiceAction.Action.PLAN_CHANGE,
        actor=actor,
        reason=reason or f"{old_plan.code} to {new_plan.code} from {effective}",
        audit_row=audit_row,
    )
    events.publish(
        sub_events.PlanSwitched(
            tenant_id=sub.tenant_id,
            subscription_id=sub.pk,
            effective=effective,
            old_plan_id=old_plan.pk,
            new_plan_id=new_plan.pk,
        )
    )
    return sub


@transaction.atomic
def schedule_plan(
    *,
    subscription: Subscription,
    plan: Any,
    effective: dt.date,
    actor: Any = None,
    reason: str = "",
) -> PlanChange:
    """Schedule a plan change for ``effective``; the billing run applies it that day.

    A newer schedule replaces an older one still waiting (publishes
    ``ScheduledPlanChangesCancelled`` naming the replaced ones). The
    plan-change guards (``subscriptions.guards``) answer now, not on the day.
    """
    sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if sub.status == SubscriptionStatus.TERMINATED:
        raise InvalidTransition("the subscription is terminated", field="status")
    new_plan = _plan_of(sub, plan)
    guards.check_plan_change(sub, new_plan, effective)
    replaced = list(
        PlanChange.objects.filter(subscription=sub, status=PlanChange.Status.SCHEDULED).values_list(
            "pk", flat=True
        )
    )
    if replaced:
        PlanChange.objects.filter(pk__in=replaced).update(status=PlanChange.Status.CANCELLED)
        events.publish(
            sub_events.ScheduledPlanChangesCancelled(
                tenant_id=sub.tenant_id, subscription_id=sub.pk, plan_change_ids=tuple(replaced)
            )
        )
    change = PlanChange.objects.create(
        tenant=sub.tenant,
        subscription=sub,
        from_plan=sub.plan,
        to_plan=new_plan,
        effective_date=effective,
        status=PlanChange.Status.SCHEDULED,
        reason=reason,
        requested_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        tenant=sub.tenant,
        actor=actor,
        action="subscription.schedule_plan",
        obj=sub,
        after={"plan": new_plan.code, "effective": str(effective)},
        reason=reason,
    )
    return change


def apply_scheduled_plans(*, tenant: Tenant, as_of: dt.date) -> int:
    """Apply every scheduled plan change effective on or before ``as_of``; returns how many.

    Safe to run twice at once (two billing runs): each change is applied by
    the first run that gets to it; the other finds it applied and skips it.
    """
    due = (
        PlanChange.objects.for_tenant(tenant)
        .filter(status=PlanChange.Status.SCHEDULED, effective_date__lte=as_of)
        .order_by("effective_date", "pk")
        .values_list("pk", flat=True)
    )
    return sum(_apply_scheduled(change_id) for change_id in list(due))


@transaction.atomic
def _apply_scheduled(change_id: int) -> bool:
    """Apply one scheduled change unless it was applied or cancelled since it
    was listed; True when applied."""
    subscription_id = PlanChange.objects.values_list("subscription_id", flat=True).get(pk=change_id)
    # The subscription's lock first, as schedule_plan takes it before it
    # cancels a change: the change's status read under it is final.
    sub = Subscription.objects.select_for_update().get(pk=subscription_id)
    change = PlanChange.objects.select_related("to_plan").get(pk=change_id)
    if change.status != PlanChange.Status.SCHEDULED:
        return False
    apply_plan(
        subscription=sub,
        plan=change.to_plan,
        effective=change.effective_date,
        reason=change.reason or "scheduled change",
        change=change,
    )
    return True


@transaction.atomic
def change_billing_day(
    *, subscription: Subscription, billing_day: Any, actor: Any = None
) -> Subscription:
    """Set a new billing day: a whole number 1..31, and one of the tenant's
    allowed billing days (``SubscriptionSettings``) when it restricts them.

    The days between the last billed day and the new billing date form a
    bridge period that the next run bills prorated.
    """
    sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
    day = inputs.whole_number(billing_day, "billing_day")
    if not 1 <= day <= 31:
        raise InvalidInput("must be between 1 and 31", field="billing_day")
    allowed = settings_for(sub.tenant).allowed_billing_days
    if allowed and day not in allowed:
        raise InvalidInput(f"must be one of {', '.join(map(str, allowed))}", field="billing_day")
    before = audit.snapshot(sub, ["billing_day"])
    sub.billing_day = day
    sub.save(update_fields=["billing_day", "updated_at"])
    audit.record(
        tenant=sub.tenant,
        actor=actor,
        action="subscription.change_billing_day",
        obj=sub,
        before=before,
        after=audit.snapshot(sub, ["billing_day"]),
    )
    return sub


@transaction.atomic
def attach_addon(
    *,
    subscription: Subscription,
    addon: Any,
    quantity: Any = 1,
    start_date: dt.date | None = None,
    actor: Any = None,
) -> SubscriptionAddOn:
    """Attach ``quantity`` units of an add-on from ``start_date`` (default today).

    Billed from its start with its own price and cycle; raises InvalidInput,
    NotFound, InvalidTransition (terminated subscription).
    """
    sub = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if sub.status == SubscriptionStatus.TERMINATED:
        raise InvalidTransition("the subscription is terminated", field="status")
    product = inputs.owned(sub.tenant, AddOn, addon, "addon")
    if not product.is_active:
        raise InvalidInput(f"add-on '{product.code}' is not sold any more", field="addon")
    units = inputs.whole_number(quantity, "quantity")
    if units < 1:
        raise InvalidInput("must be a whole number of at least 1", field="quantity")
    inputs.check_values(SubscriptionAddOn, {"quantity": units})
    start = clock.today(sub.tenant) if start_date is None else inputs.day(start_date, "start_date")
    attached = SubscriptionAddOn.objects.create(
        tenant=sub.tenant, subscription=sub, addon=product, quantity=units, start_date=start
    )
    audit.record(
        tenant=sub.tenant,
        actor=actor,
        action="subscription.attach_addon",
        obj=sub,
        after={"addon": product.code, "quantity": units, "start": str(start)},
    )
    events.publish(
        sub_events.AddOnAttached(
            tenant_id=sub.tenant_id,
            subscription_id=sub.pk,
            effective=start,
            subscription_addon_id=attached.pk,
        )
    )
    return attached


@transaction.atomic
def detach_addon(
    *, attached: SubscriptionAddOn, end_date: dt.date | None = None, actor: Any = None
) -> SubscriptionAddOn:
    """End an add-on; ``end_date`` (default today) is its last day."""
    item = SubscriptionAddOn.objects.select_for_update().get(pk=attached.pk)
    if item.end_date is not None:
        raise InvalidTransition("the add-on has already ended", field="end_date")
    end = end_date or clock.today(item.tenant)
    if end < item.start_date:
        raise InvalidInput("must not be before the add-on's start", field="end_date")
    item.end_date = end
    item.save(update_fields=["end_date", "updated_at"])
    audit.record(
        tenant=item.tenant,
        actor=actor,
        action="subscription.detach_addon",
        obj=item.subscription,
        after={"addon": item.addon.code, "end": str(end)},
    )
    events.publish(
        sub_events.AddOnDetached(
            tenant_id=item.tenant_id,
            subscription_id=item.subscription_id,
            effective=end,
            subscription_addon_id=item.pk,
        )
    )
    return item


@transaction.atomic
def grant_promotion(
    *,
    subscription: Subscription,
    promotion: Any,
    start_date: dt.date | None = None,
    actor: Any = None,
) -> SubscriptionPromotion:
    """Give a subscription a promotion, discounting plan periods from ``start_date``."""
    promo = inputs.owned(subscription.tenant, Promotion, promotion, "promotion")
    if not promo.is_active:
        raise InvalidInput(f"promotion '{promo.code}' has ended", field="promotion")
    start = (
        clock.today(subscription.tenant)
        if start_date is None
        else inputs.day(start_date, "start_date")
    )
    granted = SubscriptionPromotion.objects.create(
        tenant=subscription.tenant, subscription=subscription, promotion=promo, start_date=start
    )
    audit.record(
        tenant=subscription.tenant,
        actor=actor,
        action="subscription.grant_promotion",
        obj=subscription,
        after={"promotion": promo.code},
    )
    return granted


def count_promotion_cycles(used: Iterable[tuple[int, int]]) -> None:
    """Add ``n`` discounted cycles to each granted promotion ``(id, n)``: the
    billing run's count, so a promotion for N cycles ends after N. One UPDATE
    per distinct ``n`` (almost always one), inside the caller's transaction.
    """
    by_count: dict[int, list[int]] = {}
    for granted_id, n in used:
        by_count.setdefault(n, []).append(granted_id)
    for n, ids in by_count.items():
        SubscriptionPromotion.objects.filter(pk__in=ids).update(cycles_used=F("cycles_used") + n)
