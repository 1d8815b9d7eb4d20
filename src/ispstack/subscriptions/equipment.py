"""A subscription's installation and equipment: the installation record
(status, date, technician, notes), how the line is built (connection type,
last-mile technology, sector, CPE), and ONUs assigned from the stock and
taken back, with their assignment history (``OnuAssignment``).

An ONU has one open assignment at most: the ONU row is locked while it is
assigned, and a partial unique index refuses a second open assignment
should two transactions ever pass the state check together.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django_fsm import TransitionNotAllowed

from ispstack.core import audit, clock, inputs
from ispstack.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from ispstack.core.integrity import integrity_conflicts
from ispstack.core.models import User
from ispstack.network.models import RELEASE_STATES, Device, DeviceRole, Onu, OnuState, Sector
from ispstack.network.sites import optional_owned
from ispstack.subscriptions.models import (
    ConnectionType,
    InstallationStatus,
    LastMileTechnology,
    OnuAssignment,
    Subscription,
    SubscriptionStatus,
)

INSTALLATION_FIELDS = (
    "installation_status",
    "installation_date",
    "technician",
    "installation_notes",
    "connection_type",
    "last_mile_technology",
    "sector",
    "cpe",
)
_CHOICES = {
    "installation_status": InstallationStatus,
    "connection_type": ConnectionType,
    "last_mile_technology": LastMileTechnology,
}


def _technician(subscription: Subscription, value: Any) -> User | None:
    if value in (None, ""):
        return None
    user = value
    if not isinstance(value, User):
        user = User.objects.filter(pk=inputs.whole_number(value, "technician")).first()
    if user is None or user.tenant_id != subscription.tenant_id or not user.is_active:
        raise NotFound("no such active staff member in this ISP", field="technician")
    return user


def _clean_installation(subscription: Subscription, data: dict[str, Any]) -> dict[str, Any]:
    inputs.unknown_fields(data, INSTALLATION_FIELDS)
    tenant = subscription.tenant
    values: dict[str, Any] = {}
    for field, choices in _CHOICES.items():
        if field in data:
            value = "" if data[field] is None else data[field]
            allowed = choices.values if field == "installation_status" else ["", *choices.values]
            if value not in allowed:
                raise InvalidInput(f"must be one of {', '.join(choices.values)}", field=field)
            values[field] = value
    if "installation_date" in data:
        raw = data["installation_date"]
        values["installation_date"] = (
            None if raw in (None, "") else inputs.day(raw, "installation_date")
        )
    if "technician" in data:
        values["technician"] = _technician(subscription, data["technician"])
    if "installation_notes" in data:
        values["installation_notes"] = inputs.text(
            data["installation_notes"], "installation_notes", max_length=inputs.TEXT_MAX_LENGTH
        )
    if "sector" in data:
        values["sector"] = optional_owned(tenant, Sector, data["sector"], "sector")
    if "cpe" in data:
        cpe = optional_owned(tenant, Device, data["cpe"], "cpe")
        if cpe is not None and cpe.role != DeviceRole.CPE:
            raise InvalidInput("must be a device of role CPE", field="cpe")
        held = (
            Subscription.objects.filter(cpe=cpe).exclude(pk=subscription.pk).first()
            if cpe is not None
            else None
        )
        if held is not None:
            raise Conflict(f"is installed for subscription {held.username}", field="cpe")
        values["cpe"] = cpe
    inputs.check_values(Subscription, values)
    return values


def require_service_gps(subscription: Subscription) -> None:
    """Raise InvalidInput (field ``service_latitude``) when the customer's
    service address has no GPS position: an installation is located on the
    map (coverage, sector planning, field visits). Product default: GPS is
    required for completed installations."""
    customer = subscription.customer
    for field in ("service_latitude", "service_longitude"):
        if getattr(customer, field) is None:
            raise InvalidInput(
                f"customer {customer.account_number} has no GPS position of the service "
                "address: set the service address's latitude and longitude before "
                "completing the installation",
                field=field,
            )


def validate_installation(subscription: Subscription, data: dict[str, Any]) -> dict[str, Any]:
    """The cleaned installation fields of ``data`` for ``subscription``, with
    the GPS rule of a completion checked; writes nothing. Raises as
    ``update_installation``."""
    values = _clean_installation(subscription, data)
    if (
        values.get("installation_status") == InstallationStatus.COMPLETED
        and subscription.installation_status != InstallationStatus.COMPLETED
    ):
        require_service_gps(subscription)
    return values


@integrity_conflicts()
@transaction.atomic
def update_installation(
    *, subscription: Subscription, actor: Any = None, **data: Any
) -> Subscription:
    """Change the installation record of a subscription: ``installation_status``
    (pending, scheduled, completed, failed), ``installation_date`` (tenant-local
    date), ``technician`` (a staff user of the ISP), ``installation_notes``,
    ``connection_type`` (ftth, wireless, dsl, cable), ``last_mile_technology``,
    ``sector`` and ``cpe`` (a device of role CPE, installed for one
    subscription at a time). Audited.

    Marking it completed needs the GPS position of the customer's service
    address (``require_service_gps``) and, without a date given, records
    today's. Raises InvalidInput, NotFound (another tenant's sector, CPE or
    technician) or Conflict (``cpe`` installed elsewhere).
    """
    locked = (
        Subscription.objects.select_related("customer", "tenant")
        .select_for_update(of=("self",))
        .get(pk=subscription.pk)
    )
    completing = (
        data.get("installation_status") == InstallationStatus.COMPLETED
        and locked.installation_status != InstallationStatus.COMPLETED
    )
    values = validate_installation(locked, data)
    if completing and values.get("installation_date", locked.installation_date) is None:
        values["installation_date"] = clock.today(locked.tenant)
    fields = list(INSTALLATION_FIELDS)
    before = audit.snapshot(locked, fields)
    for field, value in values.items():
        setattr(locked, field, value)
    locked.save(update_fields=[*values, "updated_at"])
    audit.record(
        tenant=locked.tenant,
        actor=actor,
        action="subscription.installation",
        obj=locked,
        before=before,
        after=audit.snapshot(locked, fields),
    )
    return locked


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
