"""Writes on plan change requests: submit and cancel (the customer, in the
portal), approve and reject (the back office, in the console or the staff
API), and marking a request applied when billing applies its plan change.

Each operation is one transaction with the request's row locked; the
customer's email leaves through the outbox after commit; each step is
audited. Errors: InvalidInput naming the field (``plan``, ``timing``,
``reason``), NotFound for a subscription that is not the customer's,
Conflict on ``subscription`` when it has an open request already,
InvalidTransition when the request's state does not allow the step.
"""

from __future__ import annotations

from typing import Any, Literal

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ispstack.billing import services as billing
from ispstack.catalog.models import Plan
from ispstack.core import audit, clock, inputs, outbox
from ispstack.core.display import tenant_money
from ispstack.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from ispstack.core.integrity import integrity_conflicts
from ispstack.core.models import Job
from ispstack.notifications.models import NotificationKind
from ispstack.notifications.services import render_text, send_email
from ispstack.portal.language import customer_language, mail_language
from ispstack.portal.models import (
    OPEN_PLAN_CHANGE_STATES,
    PlanChangeRequest,
    PlanChangeState,
    PlanChangeTiming,
    PortalUser,
)
from ispstack.portal.plan_changes import selectors
from ispstack.subscriptions import events as sub_events
from ispstack.subscriptions import guards
from ispstack.subscriptions.models import PlanChange, Subscription, SubscriptionStatus
from ispstack.subscriptions.selectors import settings_for

NOTICE_JOB = "portal.plan_change_notice"
Step = Literal["submitted", "approved", "rejected", "applied"]


def _portal_actor(user: PortalUser | None) -> str:
    return f"portal:{user.email}" if user is not None else "system"


def _notify(request: PlanChangeRequest, step: Step) -> None:
    outbox.enqueue(
        tenant=request.tenant_id,
        kind=NOTICE_JOB,
        payload={"request_id": request.pk, "step": step},
    )


def _record(request: PlanChangeRequest, action: str, actor: Any, reason: str = "") -> None:
    audit.record(
        tenant=request.tenant,
        actor=actor,
        action=f"plan_change_request.{action}",
        obj=request,
        after={
            "state": request.state,
            "subscription": request.subscription.username,
            "from_plan": request.from_plan.code,
            "to_plan": request.to_plan.code,
            "effective_date": str(request.effective_date),
        },
        reason=reason,
    )


def _chosen_plan(subscription: Subscription, plan: Any) -> Plan:
    """The plan ``plan`` (an id) names among those the subscription may move to."""
    if plan is None or plan == "":
        raise InvalidInput("choose a plan", field="plan")
    plan_id = plan.pk if isinstance(plan, Plan) else inputs.whole_number(plan, "plan")
    if plan_id == subscription.plan_id:
        raise InvalidInput("is your current plan: choose another one", field="plan")
    chosen = selectors.plans_for(subscription).filter(pk=plan_id).first()
    if chosen is None:
        raise InvalidInput("is not one of the plans you can choose", field="plan")
    return chosen


@transaction.atomic
def submit_request(
    *,
    user: PortalUser,
    subscription: Subscription,
    plan: Any,
    timing: Any = PlanChangeTiming.NEXT_CYCLE,
) -> PlanChangeRequest:
    """The portal user ``user`` asks to move ``subscription`` (their
    customer's) to ``plan`` (a plan id) at ``timing`` (``next_cycle``, or
    ``now`` where the tenant allows it). Returns the request, submitted; with
    the tenant's instant upgrades a dearer plan is approved and applied now
    (prorated) and the request comes back applied.

    Raises NotFound (``subscription``) for another customer's service,
    InvalidTransition (``subscription``) for a terminated one, InvalidInput
    naming ``plan`` (missing, unknown, another tenant's, not sold, another
    currency, the current plan) or ``timing``, Conflict (``subscription``)
    when the service has an open request already, and what a plan-change
    guard raises (``subscriptions.guards``: Conflict naming ``plan`` when
    the service's contract forbids the move).
    """
    sub = (
        Subscription.objects.select_for_update()
        .select_related("tenant", "plan")
        .filter(pk=subscription.pk, customer_id=user.customer_id, tenant_id=user.tenant_id)
        .first()
    )
    if sub is None:
        raise NotFound("no such service", field="subscription")
    if sub.status == SubscriptionStatus.TERMINATED:
        raise InvalidTransition("the service is terminated", field="subscription")
    chosen = _chosen_plan(sub, plan)
    when = inputs.text(timing, "timing") or PlanChangeTiming.NEXT_CYCLE
    allowed = selectors.timings_for(sub.tenant)
    if when not in allowed:
        raise InvalidInput(f"must be one of {', '.join(allowed)}", field="timing")
    effective = selectors.effective_date(sub, when)
    # What the back office could never approve (a contract that forbids the
    # move) is refused now, to the subscriber, not weeks later to a clerk.
    guards.check_plan_change(sub, chosen, effective)
    if PlanChangeRequest.objects.filter(
        subscription=sub, state__in=OPEN_PLAN_CHANGE_STATES
    ).exists():
        raise Conflict(
            "has an open plan change request already: cancel it or wait for the decision",
            field="subscription",
        )
    with integrity_conflicts(), transaction.atomic():
        request = PlanChangeRequest.objects.create(
            tenant=sub.tenant,
            customer_id=sub.customer_id,
            subscription=sub,
            from_plan=sub.plan,
            to_plan=chosen,
            timing=when,
            effective_date=effective,
            monthly_difference=chosen.monthly_price - sub.plan.monthly_price,
            currency=chosen.currency,
            requested_by=user,
        )
    _record(request, "submit", _portal_actor(user))
    _notify(request, "submitted")
    if request.is_upgrade and settings_for(sub.tenant).instant_plan_upgrades:
        request = _approve(request, actor=None, now=True)
    return request


@transaction.atomic
def cancel_request(*, user: PortalUser, request: PlanChangeRequest) -> PlanChangeRequest:
    """The customer withdraws their submitted request. Raises NotFound for
    another customer's request, InvalidTransition (``state``) once it is
    decided."""
    locked = _locked(request)
    if locked.customer_id != user.customer_id:
        raise NotFound("no such plan change request", field="request")
    if locked.state != PlanChangeState.SUBMITTED:
        raise InvalidTransition(
            f"the request is {locked.get_state_display().lower()}: only a submitted one "
            "can be cancelled",
            field="state",
        )
    locked.state = PlanChangeState.CANCELLED
    locked.cancelled_at = clock.now()
    locked.save(update_fields=["state", "cancelled_at", "updated_at"])
    _record(locked, "cancel", _portal_actor(user))
    return locked


def _locked(request: PlanChangeRequest) -> PlanChangeRequest:
    return (
        PlanChangeRequest.objects.select_for_update(of=("self",))
        .select_related("tenant", "subscription", "from_plan", "to_plan")
        .get(pk=request.pk)
    )


def _approve(request: PlanChangeRequest, *, actor: Any, now: bool) -> PlanChangeRequest:
    """Approve a locked, submitted request: billing's ``change_plan`` applies
    it now (prorated) or schedules it for its effective date (a date already
    past moves to the next cycle's start)."""
    sub = request.subscription
    if now:
        billing.change_plan(
            subscription=sub,
            plan=request.to_plan,
            when="now",
            actor=actor,
            reason=_("plan change request %(id)s") % {"id": request.pk},
        )
        request.plan_change = (
            PlanChange.objects.filter(subscription=sub, status=PlanChange.Status.APPLIED)
            .order_by("-pk")
            .first()
        )
        request.state = PlanChangeState.APPLIED
        request.effective_date = clock.today(request.tenant)
        request.applied_at = clock.now()
    else:
        effective = request.effective_date
        if effective < clock.today(request.tenant):
            effective = selectors.effective_date(sub, PlanChangeTiming.NEXT_CYCLE)
        request.plan_change = billing.change_plan(
            subscription=sub,
            plan=request.to_plan,
            when="date",
            on=effective,
            actor=actor,
            reason=_("plan change request %(id)s") % {"id": request.pk},
        )
        request.effective_date = effective
        request.state = PlanChangeState.APPROVED
    request.decided_by = actor if getattr(actor, "pk", None) else None
    request.decided_at = clock.now()
    request.save()
    _record(request, "approve", actor or "system")
    if request.state == PlanChangeState.APPLIED:
        _record(request, "applied", actor or "system")
        _notify(request, "applied")
    else:
        _notify(request, "approved")
    return request


@transaction.atomic
def approve_request(*, request: PlanChangeRequest, actor: Any = None) -> PlanChangeRequest:
    """The back office approves a submitted request: a ``now`` request is
    applied at once (prorated, through billing's ``change_plan``), a
    ``next_cycle`` one is scheduled as a billing ``PlanChange`` for its
    effective date, which the billing run applies (the request becomes
    ``applied`` then). The customer is emailed.

    Raises InvalidTransition (``state``) for a request that is not submitted,
    and billing's errors (the plan no longer sold, the service terminated).
    """
    locked = _locked(request)
    if locked.state != PlanChangeState.SUBMITTED:
        raise InvalidTransition(
            f"the request is {locked.get_state_display().lower()}, not submitted",
            field="state",
        )
    return _approve(locked, actor=actor, now=locked.timing == PlanChangeTiming.NOW)


@transaction.atomic
def reject_request(
    *, request: PlanChangeRequest, reason: Any, actor: Any = None
) -> PlanChangeRequest:
    """The back office rejects a submitted request with ``reason`` (required,
    shown to the customer). Raises InvalidInput (``reason``) without one,
    InvalidTransition (``state``) for a request that is not submitted."""
    why = inputs.text(reason, "reason", required=True, max_length=inputs.TEXT_MAX_LENGTH)
    locked = _locked(request)
    if locked.state != PlanChangeState.SUBMITTED:
        raise InvalidTransition(
            f"the request is {locked.get_state_display().lower()}, not submitted",
            field="state",
        )
    locked.state = PlanChangeState.REJECTED
    locked.reason = why
    locked.decided_by = actor if getattr(actor, "pk", None) else None
    locked.decided_at = clock.now()
    locked.save(update_fields=["state", "reason", "decided_by", "decided_at", "updated_at"])
    _record(locked, "reject", actor, reason=why)
    _notify(locked, "rejected")
    return locked


def on_plan_switched(event: sub_events.PlanSwitched) -> None:
    """Event handler (in the subscription's transaction): an approved
    request whose scheduled ``PlanChange`` billing has just applied is
    applied too, and the customer is told."""
    approved = (
        PlanChangeRequest.objects.select_for_update(of=("self",))
        .select_related("tenant", "subscription", "from_plan", "to_plan")
        .filter(
            subscription_id=event.subscription_id,
            state=PlanChangeState.APPROVED,
            plan_change__status=PlanChange.Status.APPLIED,
        )
    )
    for request in approved:
        request.state = PlanChangeState.APPLIED
        request.applied_at = clock.now()
        request.save(update_fields=["state", "applied_at", "updated_at"])
        _record(request, "applied", "system")
        _notify(request, "applied")


def on_scheduled_plan_changes_cancelled(event: sub_events.ScheduledPlanChangesCancelled) -> None:
    """Event handler (in the subscription's transaction): an approved request
    whose scheduled ``PlanChange`` the back office replaced with another is
    cancelled, so it no longer counts as the subscription's open request and
    the customer may ask again."""
    replaced = (
        PlanChangeRequest.objects.select_for_update(of=("self",))
        .select_related("tenant", "subscription", "from_plan", "to_plan")
        .filter(
            subscription_id=event.subscription_id,
            state=PlanChangeState.APPROVED,
            plan_change_id__in=event.plan_change_ids,
        )
    )
    why = _("replaced by another plan change made by the back office")
    for request in replaced:
        request.state = PlanChangeState.CANCELLED
        request.reason = why
        request.cancelled_at = clock.now()
        request.save(update_fields=["state", "reason", "cancelled_at", "updated_at"])
        _record(request, "cancel", "system", reason=why)


SUBJECTS = {
    "submitted": gettext_lazy("We received your plan change request"),
    "approved": gettext_lazy("Your plan change is approved"),
    "rejected": gettext_lazy("Your plan change request was declined"),
    "applied": gettext_lazy("Your new plan is active"),
}


@outbox.handler(NOTICE_JOB)
def deliver_notice(job: Job) -> None:
    """Email the customer one step of their request (``submitted``,
    ``approved``, ``rejected``, ``applied``): to the portal user who asked,
    or the customer's email when that login is gone or switched off."""
    request = PlanChangeRequest.objects.select_related(
        "tenant", "customer", "subscription", "from_plan", "to_plan", "requested_by"
    ).get(pk=job.payload["request_id"])
    step: Step = job.payload["step"]
    user = request.requested_by
    to = user.email if user is not None and user.is_active else request.customer.email
    if not to:
        return
    tenant = request.tenant
    context = {
        "request": request,
        "customer": request.customer,
        "tenant": tenant,
        "name": (user.name if user is not None else "") or request.customer.name,
        "difference": selectors.signed_money(request.monthly_difference, tenant, request.currency),
        "new_price": tenant_money(request.to_plan.monthly_price, tenant, request.currency),
    }
    # In the recipient's language: the requester's, else the customer's.
    code = (
        mail_language(user)
        if user is not None and user.is_active
        else customer_language(request.customer)
    )
    with translation.override(code):
        subject = str(SUBJECTS[step])
        body = render_text(f"portal/email/plan_change_{step}.txt", context)
    send_email(
        tenant=tenant,
        to=to,
        subject=subject,
        body=body,
        reference=f"plan-change-request-{request.pk}-{step}",
        customer_id=request.customer_id,
        kind=NotificationKind.PLAN_CHANGE,
    )
