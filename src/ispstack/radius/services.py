"""Keep the FreeRADIUS tables in step with subscriptions.

The rows a subscription needs, by status (issue 2, ARCHITECTURE "RADIUS"):

- active: radcheck ``Cleartext-Password := <password>``; radreply
  ``Framed-IP-Address := <address>`` (when it has one) and
  ``Mikrotik-Rate-Limit := <upload>/<download>``;
- suspended, tenant mode ``reject``: the same radcheck password plus
  ``Auth-Type := Reject``, so FreeRADIUS refuses the login (check items
  belong in radcheck); mode ``walled_garden``: the login is accepted with
  the address in radreply, and radusergroup puts the user in the tenant's
  walled-garden group, whose radgroupreply ``Mikrotik-Address-List`` the
  router redirects to the payment page;
- pending and terminated: no rows at all.

``sync_subscription`` runs inside the transaction that changed the
subscription, so FreeRADIUS never sees one without the other.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ispstack.catalog.models import Plan
from ispstack.core.models import Tenant
from ispstack.radius.attributes import mikrotik_rate_limit
from ispstack.radius.coa import queue_coa, queue_disconnect
from ispstack.radius.models import (
    RadCheck,
    RadGroupReply,
    RadReply,
    RadUserGroup,
    RateOverride,
)
from ispstack.subscriptions.models import Subscription, SubscriptionStatus


def desired_rows(
    sub: Subscription,
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """The (attribute, op, value) triples for radcheck and radreply of ``sub``."""
    if sub.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED):
        return [], []
    check = [("Cleartext-Password", ":=", sub.password)]
    walled = sub.status == SubscriptionStatus.SUSPENDED
    if walled and sub.tenant.suspension_mode != "walled_garden":
        return [*check, ("Auth-Type", ":=", "Reject")], []
    reply = []
    if sub.ip_address_id:
        reply.append(("Framed-IP-Address", ":=", sub.ip_address.address))  # type: ignore[union-attr]
    if walled:
        return check, reply
    plan = sub.plan
    override = RateOverride.objects.filter(username=sub.username).first()
    up, down = (
        (override.upload_kbps, override.download_kbps)
        if override
        else (plan.upload_kbps, plan.download_kbps)
    )
    reply.append(("Mikrotik-Rate-Limit", ":=", mikrotik_rate_limit(up, down)))
    return check, reply


def set_rate_override(
    *,
    subscription: Subscription,
    upload_kbps: int | None,
    download_kbps: int | None,
    reason: str = "",
) -> None:
    """Throttle a subscriber to a rate (kbit/s), or lift it (``None``): the
    radreply rate changes now and the open session gets a CoA after commit."""
    if upload_kbps is None or download_kbps is None:
        RateOverride.objects.filter(username=subscription.username).delete()
    else:
        RateOverride.objects.update_or_create(
            username=subscription.username,
            defaults={
                "tenant": subscription.tenant,
                "upload_kbps": upload_kbps,
                "download_kbps": download_kbps,
                "reason": reason[:200],
            },
        )
    sync_subscription(subscription)
    _, reply = desired_rows(subscription)
    rate = dict((a, v) for a, _, v in reply).get("Mikrotik-Rate-Limit")
    if rate and subscription.status == SubscriptionStatus.ACTIVE:
        queue_coa(
            tenant=subscription.tenant,
            username=subscription.username,
            attributes={"Mikrotik-Rate-Limit": rate},
        )


@transaction.atomic
def sync_subscription(subscription: Subscription) -> None:
    """Rewrite the radcheck / radreply rows of one subscription's username."""
    check, reply = desired_rows(subscription)
    username = subscription.username
    RadCheck.objects.filter(username=username).delete()
    RadReply.objects.filter(username=username).delete()
    RadUserGroup.objects.filter(username=username).delete()
    tenant = subscription.tenant
    RadCheck.objects.bulk_create(
        RadCheck(tenant=tenant, username=username, attribute=a, op=op, value=v)
        for a, op, v in check
    )
    RadReply.objects.bulk_create(
        RadReply(tenant=tenant, username=username, attribute=a, op=op, value=v)
        for a, op, v in reply
    )
    if (
        subscription.status == SubscriptionStatus.SUSPENDED
        and tenant.suspension_mode == "walled_garden"
    ):
        RadUserGroup.objects.create(
            tenant=tenant, username=username, groupname=ensure_walled_garden(tenant), priority=0
        )


def walled_garden_group(tenant: Tenant) -> str:
    """The radusergroup group name of a tenant's walled garden."""
    return f"walled-garden-{tenant.slug}"


def ensure_walled_garden(tenant: Tenant) -> str:
    """Keep the walled-garden group's radgroupreply in step with the tenant; returns its name."""
    group = walled_garden_group(tenant)
    RadGroupReply.objects.update_or_create(
        groupname=group,
        attribute="Mikrotik-Address-List",
        defaults={"tenant": tenant, "op": ":=", "value": tenant.walled_garden_address_list},
    )
    return group


def sync_all(tenant_id: int | None = None) -> dict[str, int]:
    """Rebuild the rows of every subscription (``ispstack radius sync``).

    Also removes rows we wrote for usernames no subscription has any more.
    Returns counts ``{"subscriptions": n, "orphans_removed": m}``.
    """
    subs = Subscription.objects.select_related("plan", "ip_address", "tenant")
    if tenant_id is not None:
        subs = subs.filter(tenant_id=tenant_id)
    count = 0
    for sub in subs.iterator(chunk_size=1000):
        sync_subscription(sub)
        count += 1
    orphans = 0
    known = Subscription.objects.values("username")
    for model in (RadCheck, RadReply, RadUserGroup):
        rows = model.objects.filter(tenant__isnull=False).exclude(username__in=known)
        if tenant_id is not None:
            rows = rows.filter(tenant_id=tenant_id)
        orphans += rows.delete()[0]
    return {"subscriptions": count, "orphans_removed": orphans}


DISCONNECT_ON = {"suspend", "reconnect", "terminate", "change_password"}


def on_subscription_changed(*, subscription: Subscription, transition: str = "", **_: Any) -> None:
    """Event handler for ``subscription.changed``: rewrite the rows now, and
    after commit tell the NAS (Disconnect on a lifecycle change so the
    subscriber comes back under the new rows; CoA with the new rate on a
    plan change)."""
    sync_subscription(subscription)
    if transition in DISCONNECT_ON:
        queue_disconnect(
            tenant=subscription.tenant, username=subscription.username, reason=transition
        )
    elif transition == "change_plan" and subscription.status == SubscriptionStatus.ACTIVE:
        plan = subscription.plan
        if RateOverride.objects.filter(username=subscription.username).exists():
            return
        queue_coa(
            tenant=subscription.tenant,
            username=subscription.username,
            attributes={
                "Mikrotik-Rate-Limit": mikrotik_rate_limit(plan.upload_kbps, plan.download_kbps)
            },
        )


def on_plan_changed(*, plan: Plan) -> None:
    """Event handler for ``plan.changed``: new speeds reach every subscriber's radreply."""
    subs = Subscription.objects.filter(plan=plan).select_related("plan", "ip_address", "tenant")
    for sub in subs.iterator(chunk_size=1000):
        sync_subscription(sub)
