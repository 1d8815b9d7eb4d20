"""A subscription's equipment: ONUs assigned from the stock and taken back,
with their assignment history (``OnuAssignment``).

An ONU has one open assignment at most: the ONU row is locked while it is
assigned, and a partial unique index refuses a second open assignment
should two transactions ever pass the state check together.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_fsm import TransitionNotAllowed

from ispstack.core import audit, clock, inputs
from ispstack.core.errors import InvalidInput, InvalidTransition
from ispstack.core.integrity import integrity_conflicts
from ispstack.network.models import RELEASE_STATES, Onu, OnuState
from ispstack.subscriptions.models import OnuAssignment, Subscription, SubscriptionStatus


def _same_tenant(onu: Onu, subscription: Subscription) -> None:
    if onu.tenant_id != subscription.tenant_id:
        raise InvalidInput("belongs to another ISP than the subscription", field="onu")


@integrity_conflicts()
@transaction.atomic
def assign_onu(*, onu: Onu, subscription: Subscription, actor: Any = None) -> OnuAssignment:
    """Assign an in-stock ONU to ``subscription``: the ONU becomes
    ``assigned`` and an open ``OnuAssignment`` is written (audited).

    Raises InvalidTransition (field ``onu``) when the ONU is not in stock
    (assigned elsewhere, faulty, returned), also when a concurrent
    assignment of the same ONU committed first; InvalidInput (field
    ``subscription``) for a terminated subscription or another tenant's.
    """
    _same_tenant(onu, subscription)
    if subscription.status == SubscriptionStatus.TERMINATED:
        raise InvalidInput("is terminated: it takes no equipment", field="subscription")
    locked = Onu.objects.select_for_update().get(pk=onu.pk)
    if locked.state != OnuState.IN_STOCK:
        raise InvalidTransition(
            f"ONU {locked.serial} is not in stock (it is {locked.get_state_display().lower()})",
            field="onu",
        )
    before = audit.snapshot(locked)
    locked.assign()
    locked.save()
    assignment = OnuAssignment.objects.create(
        tenant=subscription.tenant,
        onu=locked,
        subscription=subscription,
        assigned_at=clock.now(),
        actor=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        tenant=subscription.tenant,
        actor=actor,
        action="onu.assign",
        obj=locked,
        before=before,
        after={**audit.snapshot(locked), "subscription": subscription.username},
    )
    return assignment


@transaction.atomic
def release_onu(
    *, onu: Onu, reason: str, to_state: str = OnuState.IN_STOCK, actor: Any = None
) -> OnuAssignment:
    """Take an assigned ONU back from its subscription into ``to_state``
    (``in_stock`` when it works, ``faulty``, or ``returned`` to the
    supplier); closes its open assignment with ``reason`` (required).

    Raises InvalidInput (``reason``, ``to_state``), InvalidTransition
    (field ``onu``) when the ONU is not assigned.
    """
    reason = inputs.text(reason, "reason", required=True, max_length=inputs.TEXT_MAX_LENGTH)
    if not isinstance(to_state, str) or to_state not in RELEASE_STATES:
        raise InvalidInput(
            f"must be one of {', '.join(str(s) for s in RELEASE_STATES)}", field="to_state"
        )
    locked = Onu.objects.select_for_update().get(pk=onu.pk)
    assignment = (
        OnuAssignment.objects.select_for_update()
        .filter(onu=locked, released_at__isnull=True)
        .first()
    )
    if assignment is None:
        raise InvalidTransition(f"ONU {locked.serial} is not assigned", field="onu")
    before = audit.snapshot(locked)
    try:
        locked.release(to_state)
    except TransitionNotAllowed:
        raise InvalidTransition(f"ONU {locked.serial} is not assigned", field="onu") from None
    locked.save()
    assignment.released_at = clock.now()
    assignment.reason = reason
    assignment.save(update_fields=["released_at", "reason", "updated_at"])
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="onu.release",
        obj=locked,
        before=before,
        after=audit.snapshot(locked),
        reason=reason,
    )
    return assignment
