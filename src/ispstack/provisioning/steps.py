"""The steps of a service order, each a ``plan`` (what it would do, read
only: the dry run) and a ``run`` (doing it).

``run`` gets the order and its subscription locked (``SELECT ... FOR
UPDATE``) inside the step's transaction and must be idempotent: it looks at
what an earlier try left (an address on the subscription, an appointment on
the order) and does only what is missing. Adapters record their work under
the order's ``reference``, so a retry after a crash finds it instead of
making it twice. A step raises ``Skip`` when it has nothing to do for this
order, a ``ServiceError`` naming the field when a person must act (the step
is blocked), ``AdapterError`` when an external system failed (retried or
blocked by its ``retryable``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ipaddress
from collections.abc import Callable
from typing import Any

from ispstack.billing.models import SubscriptionBilling
from ispstack.billing.runner import bill_now
from ispstack.core import audit, clock, outbox
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.core.models import Tenant
from ispstack.network.models import IPAddress, Onu
from ispstack.network.prefixes import allocate_prefix
from ispstack.network.selectors import vlan_for
from ispstack.network.services import allocate_address
from ispstack.provisioning.adapters import registry
from ispstack.provisioning.adapters.base import AdapterError, Adapters
from ispstack.provisioning.choices import StepName
from ispstack.provisioning.models import ServiceOrder
from ispstack.radius.models import RadGroupReply
from ispstack.radius.services import nas_type_of, plan_group, sync_plan_groups
from ispstack.subscriptions.equipment import assign_onu
from ispstack.subscriptions.models import OnuAssignment, SubscriptionStatus
from ispstack.subscriptions.services import activate, generate_password
from ispstack.tickets.field.services import book_appointment
from ispstack.tickets.models.field import (
    Appointment,
    AppointmentKind,
    AppointmentState,
    Technician,
)

WELCOME_JOB = "provisioning.welcome_email"
# Product default: an installation three days after the order, at 10:00
# tenant-local, leaves time to plan the technician's round and ship the CPE.
INSTALL_AFTER_DAYS = 3
INSTALL_AT_HOUR = 10


def adapters_for(tenant: Tenant) -> Adapters:
    """The adapters ``tenant``'s orders use, from its provisioning settings
    (``adapters.registry``): NetBox, GenieACS and MikroTik where configured;
    otherwise ispstack does the work itself (addresses from its own pools, no
    ACS, no router to configure).

    Raises Conflict (field ``ipam_backend``) when NetBox is the chosen IPAM
    but its URL, token or prefix is missing: no step can run until a person
    completes the settings.
    """
    try:
        return registry.adapters_for(tenant)
    except AdapterError as exc:
        raise Conflict(str(exc), field="ipam_backend") from exc


class Skip(Exception):  # noqa: N818 - a step outcome, not an error
    """The step has nothing to do for this order (the reason is recorded)."""


class Wait(Exception):  # noqa: N818 - a step outcome, not an error
    """The step did its part and waits for something outside the order (a
    technician's visit): it stays pending with the reason, and what it wrote
    so far is kept."""


def wifi_ssid(order: ServiceOrder) -> str:
    """Product default SSID: the tenant's slug and the subscription id, at
    most 32 octets (IEEE 802.11 SSID length)."""
    return f"{order.tenant.slug}-{order.subscription_id}"[:32]


def wifi_key() -> str:
    """A random WPA2 passphrase: 20 characters of an unambiguous alphabet
    (IEEE 802.11i allows 8..63 printable ASCII; 20 random characters are
    about 114 bits), as PPPoE passwords are made."""
    return generate_password(20)


def installation_slot(tenant: Tenant) -> dt.datetime:
    """The default installation appointment: ``INSTALL_AFTER_DAYS`` after
    today at ``INSTALL_AT_HOUR``:00 tenant-local, as aware UTC."""
    day = clock.today(tenant) + dt.timedelta(days=INSTALL_AFTER_DAYS)
    return clock.start_of_day(tenant, day) + dt.timedelta(hours=INSTALL_AT_HOUR)


# survey_ok ------------------------------------------------------------------


def _survey_plan(order: ServiceOrder, adapters: Adapters) -> list[str]:
    return [f"check lead {order.lead_id} has a completed serviceable survey"]


def _survey_run(order: ServiceOrder, adapters: Adapters, actor: Any) -> dict[str, Any]:
    # services imports the orders engine, which imports these steps.
    from ispstack.provisioning.services import serviceable_survey

    if order.lead is None:
        raise Skip("the order does not come from a lead")
    survey = serviceable_survey(order.lead)
    if survey is None:
        raise InvalidInput("the lead has no completed serviceable survey", field="survey")
    return {"survey": survey.pk}


# allocate -------------------------------------------------------------------


def _allocate_plan(order: ServiceOrder, adapters: Adapters) -> list[str]:
    sub = order.subscription
    actions = []
    if sub.ip_address_id:
        actions.append(f"keep IPv4 address {sub.ip_address.address}")  # type: ignore[union-attr]
    elif order.pool_id and adapters.ipam is not None:
        actions.append(f"ask the IPAM for an address in {order.pool.cidr}")  # type: ignore[union-attr]
    elif order.pool_id:
        actions.append(f"allocate the lowest free address of pool '{order.pool.name}'")  # type: ignore[union-attr]
    for field in ("framed_ipv6", "delegated_ipv6"):
        pool = getattr(order, f"{field}_pool")
        if pool is not None and not getattr(sub, f"{field}_prefix"):
            actions.append(f"allocate a /{pool.assign_length} from prefix pool '{pool.name}'")
    if order.site_id and order.vlan_id is None:
        actions.append(f"take the VLAN of plan '{sub.plan.code}' at site '{order.site}'")
    actions.append(f"RADIUS username '{sub.username}'")
    return actions


def _ipam_address(order: ServiceOrder, adapters: Adapters) -> IPAddress:
    assert adapters.ipam is not None and order.pool is not None
    sub = order.subscription
    got = adapters.ipam.allocate_address(
        prefix=order.pool.cidr,
        reference=order.reference,
        description=f"{sub.username} ({order.customer})",
        dns_name="",
        # Whose address it is, findable from NetBox (the adapter adds the tenant's own tag).
        tags=(f"customer {order.customer.account_number}", f"plan {sub.plan.code}"),
    )
    try:
        address = ipaddress.ip_address(got.address)
    except ValueError:
        raise InvalidInput(f"the IPAM answered '{got.address}'", field="ip_address") from None
    if address not in ipaddress.ip_network(order.pool.cidr):
        raise InvalidInput(f"{address} is outside {order.pool.cidr}", field="ip_address")
    held = IPAddress.objects.filter(pool=order.pool, address=str(address)).first()
    if held is not None and held.assigned_to != sub.username:
        raise Conflict(f"{address} is taken by '{held.assigned_to}'", field="ip_address")
    return held or IPAddress.objects.create(
        tenant=order.tenant, pool=order.pool, address=str(address), assigned_to=sub.username
    )


def _vlan(order: ServiceOrder, adapters: Adapters) -> int | None:
    """The 802.1Q id of the order's site's VLAN for the plan: the plan's row
    of the site's plan-to-VLAN map, else the site's default row; without
    one, the IPAM's VLAN named after the plan's code at the site."""
    sub = order.subscription
    if order.site is None:
        return None
    mapped = vlan_for(order.site, sub.plan)
    if mapped is not None:
        return mapped.vid
    if adapters.ipam is not None:
        return adapters.ipam.vlan_id(site=order.site.slug, name=sub.plan.code)
    return None


def _allocate_run(order: ServiceOrder, adapters: Adapters, actor: Any) -> dict[str, Any]:
    sub = order.subscription
    changed: list[str] = []
    if sub.ip_address_id is None and order.pool_id:
        if adapters.ipam is not None:
            sub.ip_address = _ipam_address(order, adapters)
        else:
            sub.ip_address = allocate_address(pool=order.pool, assigned_to=sub.username)  # type: ignore[arg-type]
        sub.pool = order.pool
        changed += ["ip_address", "pool"]
    for field in ("framed_ipv6", "delegated_ipv6"):
        pool = getattr(order, f"{field}_pool")
        if pool is not None and not getattr(sub, f"{field}_prefix"):
            setattr(sub, f"{field}_prefix", allocate_prefix(pool=pool))
            changed.append(f"{field}_prefix")
    if order.vlan_id is None and order.site_id:
        order.vlan_id = _vlan(order, adapters)
        if order.vlan_id is not None:
            order.save(update_fields=["vlan_id", "updated_at"])
    if changed:
        sub.save(update_fields=[*changed, "updated_at"])
        audit.record(
            tenant=sub.tenant,
            actor=actor,
            action="subscription.allocate",
            obj=sub,
            after={f: str(getattr(sub, f)) for f in changed},
        )
    return {
        "ipv4": sub.ip_address.address if sub.ip_address_id else None,  # type: ignore[union-attr]
        "framed_ipv6_prefix": sub.framed_ipv6_prefix,
        "delegated_ipv6_prefix": sub.delegated_ipv6_prefix,
        "vlan_id": order.vlan_id,
        "username": sub.username,
    }


# radius ---------------------------------------------------------------------


def _group(order: ServiceOrder) -> str:
    sub = order.subscription
    return plan_group(sub.tenant, sub.plan.code, nas_type_of(sub))


def _radius_plan(order: ServiceOrder, adapters: Adapters) -> list[str]:
    actions = [f"make sure RADIUS group '{_group(order)}' exists"]
    sub = order.subscription
    if adapters.router is not None:
        actions.append(f"create the router's PPP secret and queue for '{sub.username}'")
    actions.append("radcheck / radreply / radusergroup rows written at activation")
    return actions


def _radius_run(order: ServiceOrder, adapters: Adapters, actor: Any) -> dict[str, Any]:
    sub = order.subscription
    group = _group(order)
    if not RadGroupReply.objects.filter(groupname=group).exists():
        sync_plan_groups(sub.plan)
    router = None
    if adapters.router is not None:
        # Sent, or only recorded in the router's dry run: kept either way
        # (passwords masked) so the order shows what reached the router.
        commands = adapters.router.apply_subscriber(
            username=sub.username,
            password=sub.password,
            rate_limit=f"{sub.plan.upload_kbps}k/{sub.plan.download_kbps}k",
            address=sub.ip_address.address if sub.ip_address_id else None,  # type: ignore[union-attr]
        )
        router = [str(command) for command in commands]
    # A pending subscription has no per-user RADIUS rows (it must not log in
    # before its installation); activation writes them in its transaction.
    return {"group": group, "router": router}


# installation ---------------------------------------------------------------


def _field_service(order: ServiceOrder) -> bool:
    """Whether the tenant dispatches installations to its technicians (it
    has an active one): then the step books a visit and waits for it."""
    return Technician.objects.filter(tenant_id=order.tenant_id, is_active=True).exists()


def _visit(order: ServiceOrder) -> Appointment | None:
    """The order's installation visit that still counts (not failed or cancelled)."""
    return (
        Appointment.objects.filter(
            tenant_id=order.tenant_id,
            subscription_id=order.subscription_id,
            kind=AppointmentKind.INSTALLATION,
        )
        .exclude(state__in=[AppointmentState.FAILED, AppointmentState.CANCELLED])
        .order_by("-pk")
        .first()
    )


def _installation_plan(order: ServiceOrder, adapters: Adapters) -> list[str]:
    slot = order.appointment_at or installation_slot(order.tenant)
    if _field_service(order):
        visit = _visit(order)
        if visit is not None:
            return [f"wait for installation visit #{visit.pk} ({visit.state})"]
        who = order.technician.get_username() if order.technician else "the best-placed technician"
        return [f"book an installation visit at {slot.isoformat()} with {who}, then wait for it"]
    who = order.technician.get_username() if order.technician else "no technician yet"
    return [f"installation appointment at {slot.isoformat()} ({who})"]


def _book_visit(order: ServiceOrder, actor: Any) -> Appointment:
    technician = None
    if order.technician_id is not None:
        technician = Technician.objects.filter(
            tenant_id=order.tenant_id, user_id=order.technician_id
        ).first()
    return book_appointment(
        tenant=order.tenant,
        actor=actor,
        kind=AppointmentKind.INSTALLATION,
        customer=order.customer,
        subscription=order.subscription,
        starts_at=order.appointment_at or installation_slot(order.tenant),
        technician=technician,
        notes=f"Service order #{order.pk}",
    )


def _installation_run(order: ServiceOrder, adapters: Adapters, actor: Any) -> dict[str, Any]:
    """Without technicians in ispstack, the slot (and technician) is recorded
    and the step is done. With them, a visit is booked through field service
    (the best-placed technician, or the order's); the step waits until the
    technician completes it (``on_installation_completed`` advances the
    order then). Raises NoTechnicianAvailable (409, with the next free
    slots) when nobody fits: the step is blocked for a dispatcher."""
    if _field_service(order):
        visit = _visit(order) or _book_visit(order, actor)
        if order.appointment_at != visit.starts_at:
            order.appointment_at = visit.starts_at
            order.save(update_fields=["appointment_at", "updated_at"])
        if visit.state != AppointmentState.COMPLETED:
            raise InstallationPending(visit)
        return {"appointment": visit.pk, "appointment_at": visit.starts_at.isoformat()}
    if order.appointment_at is None:
        order.appointment_at = installation_slot(order.tenant)
        order.save(update_fields=["appointment_at", "updated_at"])
    return {
        "appointment_at": order.appointment_at.isoformat(),
        "technician": order.technician.get_username() if order.technician else None,
    }


class InstallationPending(Wait):
    """The installation visit is booked but not completed: the step stays
    pending (tried again on its backoff, and at once when the technician
    completes the visit), never failed."""

    def __init__(self, visit: Appointment) -> None:
        super().__init__(
            f"waiting for installation visit #{visit.pk} on {visit.starts_at.isoformat()}"
            f" ({visit.state})"
        )


# cpe ------------------------------------------------------------------------


def _cpe_plan(order: ServiceOrder, adapters: Adapters) -> list[str]:
    if not order.cpe_serial:
        return ["no CPE serial: nothing to configure"]
    actions = []
    if Onu.objects.filter(tenant_id=order.tenant_id, serial=order.cpe_serial).exists():
        actions.append(f"assign ONU {order.cpe_serial} from stock")
    if adapters.acs is not None:
        actions.append(
            f"tag CPE {order.cpe_serial} with '{order.subscription.plan.code}',"
            f" set SSID '{order.wifi_ssid}' and its WPA2 key"
        )
    else:
        actions.append(f"CPE {order.cpe_serial}: no ACS configured, nothing to send")
    return actions


def _cpe_run(order: ServiceOrder, adapters: Adapters, actor: Any) -> dict[str, Any]:
    if not order.cpe_serial:
        raise Skip("the order has no CPE serial")
    sub = order.subscription
    tag = sub.plan.code
    onu = Onu.objects.filter(tenant_id=order.tenant_id, serial=order.cpe_serial).first()
    if (
        onu is not None
        and not OnuAssignment.objects.filter(
            onu=onu, subscription=sub, released_at__isnull=True
        ).exists()
    ):
        assign_onu(onu=onu, subscription=sub, actor=actor)
    acs = None
    if adapters.acs is not None:
        # "queued": the ACS holds the task until the CPE next informs.
        acs = adapters.acs.provision_cpe(
            serial=order.cpe_serial, tag=tag, ssid=order.wifi_ssid, wpa_key=order.wifi_key
        )
    return {
        "serial": order.cpe_serial,
        "acs": acs,
        "onu": onu.pk if onu is not None else None,
        "tag": tag,
        "ssid": order.wifi_ssid,
    }


# activate -------------------------------------------------------------------


def _activate_plan(order: ServiceOrder, adapters: Adapters) -> list[str]:
    today = clock.today(order.tenant)
    return [
        f"activate subscription '{order.subscription.username}' on {today}",
        "write its RADIUS rows and bill the first (prorated) period",
    ]


def _activate_run(order: ServiceOrder, adapters: Adapters, actor: Any) -> dict[str, Any]:
    sub = order.subscription
    today = clock.today(order.tenant)
    if sub.status == SubscriptionStatus.PENDING:
        sub = activate(subscription=sub, actor=actor, reason=f"service order {order.pk}", on=today)
        order.activated_on = today
        order.save(update_fields=["activated_on", "updated_at"])
    elif sub.status != SubscriptionStatus.ACTIVE:
        raise Conflict(f"the subscription is {sub.status}", field="subscription")
    runs = []
    due = SubscriptionBilling.objects.filter(subscription=sub, next_bill_date__lte=today).exists()
    if due:
        runs.append(bill_now(sub, today).pk)
    return {"activated_on": (order.activated_on or today).isoformat(), "billing_runs": runs}


# welcome --------------------------------------------------------------------


def _welcome_plan(order: ServiceOrder, adapters: Adapters) -> list[str]:
    if not order.customer.email:
        return ["the customer has no email: no welcome message"]
    return [f"queue the welcome email with the credentials to {order.customer.email}"]


def _welcome_run(order: ServiceOrder, adapters: Adapters, actor: Any) -> dict[str, Any]:
    if not order.customer.email:
        raise Skip("the customer has no email address")
    job = outbox.enqueue(tenant=order.tenant, kind=WELCOME_JOB, payload={"order_id": order.pk})
    return {"job": job.pk, "to": order.customer.email}


@dataclasses.dataclass(frozen=True)
class Step:
    """One step: ``plan`` lists what it would do, ``run`` does it."""

    plan: Callable[[ServiceOrder, Adapters], list[str]]
    run: Callable[[ServiceOrder, Adapters, Any], dict[str, Any]]


STEPS: dict[str, Step] = {
    StepName.SURVEY_OK: Step(_survey_plan, _survey_run),
    StepName.ALLOCATE: Step(_allocate_plan, _allocate_run),
    StepName.RADIUS: Step(_radius_plan, _radius_run),
    StepName.INSTALLATION: Step(_installation_plan, _installation_run),
    StepName.CPE: Step(_cpe_plan, _cpe_run),
    StepName.ACTIVATE: Step(_activate_plan, _activate_run),
    StepName.WELCOME: Step(_welcome_plan, _welcome_run),
}
