"""Service orders: a resumable workflow from a pending subscription to an
active, billed one (the steps are in ``provisioning.steps``).

A step runs in two transactions. The first claims it (status ``running``,
one more attempt, committed), so a process killed mid-step leaves a visible
``running`` step that the next run takes up again. The second locks the
order and the step, does the work and marks it ``done`` (or ``skipped``) in
the same transaction: a crash before that commit rolls the work back, and
the next try finds nothing half-written. Outcomes of a failed try:

- ``DevicePending`` and retryable ``AdapterError``: ``pending`` with
  ``next_attempt_at`` after an exponential backoff (1 min doubling, at most
  6 h, as the outbox);
- non-retryable ``AdapterError`` and service errors (exhausted pool, address
  taken, missing input): ``blocked`` with the reason naming the field, until
  a person retries;
- any other exception (a bug, a lost connection): ``pending`` with backoff.

``advance`` runs the steps in order as far as they go; ``ADVANCE_JOB``
does the same from the outbox and queues itself again for a step waiting
on its backoff.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from ispstack.core import audit, clock, inputs, outbox
from ispstack.core.errors import InvalidTransition, NotFound, ServiceError
from ispstack.core.models import Job, Tenant, User
from ispstack.network.models import IPPool, PrefixPool, Site
from ispstack.network.services import release_address
from ispstack.provisioning import steps
from ispstack.provisioning.adapters.base import AdapterError, Adapters
from ispstack.provisioning.choices import STEP_ORDER, OrderStatus, StepName, StepStatus
from ispstack.provisioning.models import Lead, OrderStep, ServiceOrder
from ispstack.subscriptions.equipment import release_onu
from ispstack.subscriptions.models import OnuAssignment, Subscription, SubscriptionStatus
from ispstack.subscriptions.services import terminate
from ispstack.tickets.field.events import InstallationCompleted

logger = logging.getLogger(__name__)

ADVANCE_JOB = "provisioning.advance_order"
FINISHED = (StepStatus.DONE, StepStatus.SKIPPED)


def _technician(tenant: Tenant, value: Any) -> User | None:
    if value in (None, ""):
        return None
    user = (
        value
        if isinstance(value, User)
        else User.objects.filter(pk=inputs.whole_number(value, "technician")).first()
    )
    if user is None or user.tenant_id != tenant.pk:
        raise NotFound("no such staff user in this ISP", field="technician")
    return user


@transaction.atomic
def create_order(
    *,
    subscription: Subscription,
    lead: Lead | None = None,
    actor: Any = None,
    pool: IPPool | None = None,
    framed_ipv6_pool: PrefixPool | None = None,
    delegated_ipv6_pool: PrefixPool | None = None,
    site: Site | None = None,
    cpe_serial: Any = "",
    technician: Any = None,
    appointment_at: Any = None,
) -> ServiceOrder:
    """The service order of a new (pending) subscription with its steps, all
    ``pending``; ``survey_ok`` is ``skipped`` when there is no lead or the
    lead was converted without a serviceable survey (forced). The CPE's
    Wi-Fi SSID and WPA2 key are chosen here so every try sends the same.
    Raises InvalidInput, NotFound, Conflict (the subscription has an order)."""
    from ispstack.provisioning.services import moment, serviceable_survey

    tenant = subscription.tenant
    if subscription.status != SubscriptionStatus.PENDING:
        raise InvalidTransition("only a pending subscription gets an order", field="subscription")
    for value, field in ((pool, "pool"), (framed_ipv6_pool, "framed_ipv6_pool")):
        if value is not None and value.tenant_id != tenant.pk:
            raise NotFound(f"no such {field} in this ISP", field=field)
    if site is not None and site.tenant_id != tenant.pk:
        raise NotFound("no such site in this ISP", field="site")
    if delegated_ipv6_pool is not None and delegated_ipv6_pool.tenant_id != tenant.pk:
        raise NotFound("no such delegated_ipv6_pool in this ISP", field="delegated_ipv6_pool")
    order = ServiceOrder(
        tenant=tenant,
        subscription=subscription,
        customer_id=subscription.customer_id,
        lead=lead,
        pool=pool,
        framed_ipv6_pool=framed_ipv6_pool,
        delegated_ipv6_pool=delegated_ipv6_pool,
        site=site,
        cpe_serial=inputs.text(cpe_serial, "cpe_serial", max_length=64),
        technician=_technician(tenant, technician),
        appointment_at=(
            None if appointment_at in (None, "") else moment(appointment_at, "appointment_at")
        ),
        wifi_key=steps.wifi_key(),
    )
    order.save()
    order.wifi_ssid = steps.wifi_ssid(order)
    order.save(update_fields=["wifi_ssid"])
    waived = lead is None or serviceable_survey(lead) is None
    OrderStep.objects.bulk_create(
        OrderStep(
            tenant=tenant,
            order=order,
            name=name,
            position=position,
            status=(
                StepStatus.SKIPPED if waived and name == StepName.SURVEY_OK else StepStatus.PENDING
            ),
            result={"waived": True} if waived and name == StepName.SURVEY_OK else {},
        )
        for position, name in enumerate(STEP_ORDER)
    )
    audit.record(
        tenant=tenant, actor=actor, action="order.create", obj=order, after=audit.snapshot(order)
    )
    return order


def _claim(order_id: int, name: str, *, force: bool) -> OrderStep | None:
    now = clock.now()
    with transaction.atomic():
        step = (
            OrderStep.objects.select_for_update(of=("self",))
            .select_related("order")
            .get(order_id=order_id, name=name)
        )
        if step.order.status != OrderStatus.OPEN or step.status in FINISHED:
            return None
        if step.status == StepStatus.BLOCKED and not force:
            return None
        waiting = step.next_attempt_at is not None and step.next_attempt_at > now
        if step.status == StepStatus.PENDING and waiting and not force:
            return None
        step.status = StepStatus.RUNNING
        step.attempts += 1
        step.started_at = now
        step.finished_at = None
        step.save(update_fields=["status", "attempts", "started_at", "finished_at", "updated_at"])
        return step


def _record_failure(step_id: int, exc: Exception) -> str:
    retry = isinstance(exc, AdapterError) and exc.retryable
    if isinstance(exc, ServiceError):
        message = f"{exc.field}: {exc.message}" if exc.field else exc.message
        retry = False
    elif isinstance(exc, AdapterError):
        message = f"{exc.system}: {exc}"
    else:
        message = f"{type(exc).__name__}: {exc}"
        retry = True
    with transaction.atomic():
        step = OrderStep.objects.select_for_update().get(pk=step_id)
        if step.status != StepStatus.RUNNING:
            return step.status
        step.last_error = message[:2000]
        if retry:
            step.status = StepStatus.PENDING
            step.next_attempt_at = clock.now() + outbox.backoff(step.attempts)
        else:
            step.status = StepStatus.BLOCKED
            step.next_attempt_at = None
        step.save(update_fields=["status", "last_error", "next_attempt_at", "updated_at"])
        return step.status


def run_step(
    order_id: int, name: str, *, adapters: Adapters, actor: Any = None, force: bool = False
) -> str:
    """Try one step of an open order if it is due (``force``: also a blocked
    one, or one waiting for its backoff); returns the step's status after."""
    claimed = _claim(order_id, name, force=force)
    if claimed is None:
        return OrderStep.objects.get(order_id=order_id, name=name).status
    try:
        with transaction.atomic():
            order = (
                ServiceOrder.objects.select_for_update(of=("self",))
                .select_related("tenant", "customer", "lead", "pool", "technician", "site")
                .get(pk=order_id)
            )
            step = OrderStep.objects.select_for_update().get(pk=claimed.pk)
            if step.status != StepStatus.RUNNING or order.status != OrderStatus.OPEN:
                return step.status
            order.subscription = (
                Subscription.objects.select_for_update(of=("self",))
                .select_related("tenant", "plan", "ip_address", "nas")
                .get(pk=order.subscription_id)
            )
            try:
                step.result = steps.STEPS[name].run(order, adapters, actor)
                step.status = StepStatus.DONE
            except steps.Skip as skip:
                step.result = {"skipped": str(skip)}
                step.status = StepStatus.SKIPPED
            except steps.Wait as wait:
                step.status = StepStatus.PENDING
                step.last_error = str(wait)[:2000]
                step.next_attempt_at = clock.now() + outbox.backoff(step.attempts)
                step.save()
                return step.status
            step.last_error = ""
            step.next_attempt_at = None
            step.finished_at = clock.now()
            step.save()
            return step.status
    except (AdapterError, ServiceError) as exc:
        return _record_failure(claimed.pk, exc)
    except Exception as exc:
        logger.exception("order %s step %s failed", order_id, name)
        return _record_failure(claimed.pk, exc)


def advance(
    *, order: ServiceOrder, adapters: Adapters | None = None, actor: Any = None, force: bool = False
) -> ServiceOrder:
    """Run the order's steps in order as far as they go: stops at the first
    step that is not done (pending on its backoff, blocked). ``force`` tries
    that first unfinished step even when blocked or waiting. When every
    step is done or skipped the order is ``completed``. Returns the order
    as it is after."""
    if adapters is None:
        adapters = steps.adapters_for(order.tenant)
    # Finished steps stay finished: read them once rather than lock each.
    statuses = dict(order.steps.values_list("name", "status"))
    first_open = next((n for n in STEP_ORDER if statuses.get(n) not in FINISHED), None)
    for name in STEP_ORDER:
        if statuses.get(name) in FINISHED:
            continue
        forced = force and name == first_open
        status = run_step(order.pk, name, adapters=adapters, actor=actor, force=forced)
        if status not in FINISHED:
            break
    else:
        with transaction.atomic():
            locked = ServiceOrder.objects.select_for_update().get(pk=order.pk)
            if locked.status == OrderStatus.OPEN:
                locked.status = OrderStatus.COMPLETED
                locked.save(update_fields=["status", "updated_at"])
                audit.record(tenant=locked.tenant, actor=actor, action="order.complete", obj=locked)
    return ServiceOrder.objects.get(pk=order.pk)


def retry(
    *, order: ServiceOrder, actor: Any = None, adapters: Adapters | None = None
) -> ServiceOrder:
    """Try the order's first unfinished step now, blocked or waiting (a
    person fixed the cause), then go on as ``advance``. Raises
    InvalidTransition for an order that is not open."""
    if order.status != OrderStatus.OPEN:
        raise InvalidTransition(f"the order is {order.status}", field="status")
    audit.record(tenant=order.tenant, actor=actor, action="order.retry", obj=order)
    return advance(order=order, adapters=adapters, actor=actor, force=True)


def queue_advance(order: ServiceOrder, *, not_before: Any = None) -> Job:
    """Queue ``advance`` of ``order`` in the outbox: a worker takes it after
    commit when a broker is set; without one it waits for ``outbox.drain``
    (the periodic run), never inside the request that queued it."""
    return outbox.enqueue(
        tenant=order.tenant_id,
        kind=ADVANCE_JOB,
        payload={"order_id": order.pk},
        not_before=not_before,
        defer_inline=True,
    )


def dry_run(*, order: ServiceOrder, adapters: Adapters | None = None) -> list[dict[str, Any]]:
    """What each unfinished step would do, without doing it: a list of
    ``{"step", "status", "actions": [text, ...]}`` in step order. Reads only
    (no row written, no adapter called)."""
    if adapters is None:
        adapters = steps.adapters_for(order.tenant)
    order = (
        ServiceOrder.objects.select_related(
            "tenant", "customer", "lead", "pool", "technician", "subscription__plan"
        )
        .select_related("subscription__ip_address", "subscription__tenant", "subscription__nas")
        .get(pk=order.pk)
    )
    plan = []
    for step in order.steps.order_by("position"):
        finished = step.status in FINISHED or order.status != OrderStatus.OPEN
        plan.append(
            {
                "step": step.name,
                "status": step.status,
                "actions": [] if finished else steps.STEPS[step.name].plan(order, adapters),
            }
        )
    return plan


@transaction.atomic
def cancel(
    *, order: ServiceOrder, actor: Any = None, reason: str, adapters: Adapters | None = None
) -> ServiceOrder:
    """Cancel an open order and give back what it holds: the CPE's tag in
    the ACS, the ONU (back in stock), the router's subscriber, the IPAM's address, and the
    subscription terminated (its IPv4 address back to the pool, IPv6
    prefixes freed, RADIUS rows removed). Raises InvalidInput (``reason``
    required), InvalidTransition (order not open); an adapter failing
    leaves everything as it was (AdapterError)."""
    reason = inputs.text(reason, "reason", required=True)
    locked = (
        ServiceOrder.objects.select_for_update(of=("self",))
        .select_related("tenant")
        .get(pk=order.pk)
    )
    if locked.status != OrderStatus.OPEN:
        raise InvalidTransition(f"the order is {locked.status}", field="status")
    if adapters is None:
        adapters = steps.adapters_for(locked.tenant)
    sub = (
        Subscription.objects.select_for_update(of=("self",))
        .select_related("plan")
        .get(pk=locked.subscription_id)
    )
    done = set(
        locked.steps.filter(status__in=[StepStatus.DONE, StepStatus.RUNNING]).values_list(
            "name", flat=True
        )
    )
    if adapters.acs is not None and locked.cpe_serial and StepName.CPE in done:
        adapters.acs.deprovision_cpe(serial=locked.cpe_serial, tag=sub.plan.code)
    assignment = (
        OnuAssignment.objects.filter(subscription=sub, released_at__isnull=True)
        .select_related("onu")
        .first()
    )
    if assignment is not None:
        release_onu(onu=assignment.onu, reason=f"order {locked.pk} cancelled", actor=actor)
    if adapters.router is not None and StepName.RADIUS in done:
        adapters.router.remove_subscriber(username=sub.username)
    if adapters.ipam is not None and locked.pool_id:
        adapters.ipam.release_address(reference=locked.reference)
    if sub.status in (
        SubscriptionStatus.PENDING,
        SubscriptionStatus.ACTIVE,
        SubscriptionStatus.SUSPENDED,
    ):
        terminate(subscription=sub, actor=actor, reason=f"order cancelled: {reason}")
    elif sub.ip_address_id:
        address = sub.ip_address
        sub.ip_address = None
        sub.save(update_fields=["ip_address"])
        release_address(address=address)  # type: ignore[arg-type]
    before = audit.snapshot(locked)
    locked.status = OrderStatus.CANCELLED
    locked.cancel_reason = reason
    locked.save(update_fields=["status", "cancel_reason", "updated_at"])
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="order.cancel",
        obj=locked,
        before=before,
        after=audit.snapshot(locked),
        reason=reason,
    )
    return locked


def on_installation_completed(event: InstallationCompleted) -> None:
    """A technician completed an installation visit (field service): the
    open orders of its subscription go on at once, past the installation
    step's backoff, to CPE provisioning and activation. Runs after commit
    through the outbox."""
    if event.subscription_id is None:
        return
    for order in ServiceOrder.objects.filter(
        subscription_id=event.subscription_id, status=OrderStatus.OPEN
    ):
        advance(order=order, force=True)
