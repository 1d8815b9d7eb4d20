"""Keep the FreeRADIUS tables in step with plans and subscriptions.

Plans are RADIUS groups: each plan has one group per NAS
vendor family, ``<tenant>/<plan code>/<nas type>``, whose radgroupreply
rows carry ``Acct-Interim-Interval``, ``Session-Timeout``, ``Idle-Timeout``
and the vendor's rate attributes, all with op ``=`` so that a per-user
radreply value (op ``:=``) wins (FreeRADIUS rlm_sql reads radreply first;
``=`` adds an attribute only when it is not already in the reply). A plan
change rewrites its groups, not its subscribers. A plan's ``max_sessions``
is a ``Simultaneous-Use`` check item in radgroupcheck (check items never go
in a reply table), counted by FreeRADIUS's session section over radacct.

The rows a subscription needs, by status:

- active: radcheck ``Cleartext-Password`` (and ``Calling-Station-Id ==``
  the username when the username is a MAC address: a device onboarded by
  its MAC logs in from that MAC only, as the hotspot's MAC logins do);
  radusergroup: the plan group of
  the subscriber's NAS type (priority 1); radreply: ``Framed-IP-Address``,
  ``Framed-IPv6-Prefix``, ``Delegated-IPv6-Prefix`` when assigned, and the
  rate of a ``RateOverride`` (fair-use throttle) in the NAS's attributes;
- blocked (``AccessBlock``, e.g. data cap policy "block") or suspended in
  tenant mode ``reject``: the password plus ``Auth-Type := Reject`` (check
  items belong in radcheck) and a ``Reply-Message`` saying why;
- suspended in mode ``walled_garden``: the login is accepted with its
  addresses, in the tenant's walled-garden group (priority 0), whose
  ``Mikrotik-Address-List`` the router redirects to the payment page;
- pending and terminated: no rows at all.

``sync_subscription`` runs inside the transaction that changed the
subscription, so FreeRADIUS never sees one without the other. Rewrites of
one username wait for each other, and a tenant's full rewrite (``sync_all``)
waits for and excludes them: each deletes what the one before it wrote,
never leaving two sets of rows (radcheck holds each item once per username).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from ispstack.catalog.events import PlanChanged
from ispstack.catalog.models import Plan
from ispstack.core import audit, events
from ispstack.core.bulk import copy_rows
from ispstack.core.locks import name_lock, tenant_lock
from ispstack.core.models import Tenant
from ispstack.network.events import NasTypeChanged
from ispstack.radius.attributes import NasType, rate_attributes
from ispstack.radius.coa import queue_coa, queue_disconnect
from ispstack.radius.events import RadiusRowsRebuilt
from ispstack.radius.models import (
    AccessBlock,
    RadCheck,
    RadGroupCheck,
    RadGroupReply,
    RadReply,
    RadUserGroup,
    RateOverride,
)
from ispstack.radius.selectors import settings_for
from ispstack.subscriptions import events as sub_events
from ispstack.subscriptions.models import MAC_USERNAME, Subscription, SubscriptionStatus

Row = tuple[str, str, str]
PLAN_GROUP_PRIORITY = 1
MAC_LOGIN = re.compile(MAC_USERNAME)
RADIUS_ROWS = "radius.rows"  # advisory lock purpose of the per-user rows
SUSPENDED_MESSAGE = "Account suspended"
# Apps above this floor that write per-user rows of their own (hotspot
# vouchers) register a function giving, for a tenant id, a query of the user
# names they own: ``sync_all`` neither deletes nor counts those rows.
ROW_OWNERS: list[Callable[[int], Any]] = []


def register_row_owner(usernames: Callable[[int], Any]) -> None:
    """Let ``sync_all`` leave the rows of ``usernames(tenant_id)`` (a query of
    one column of user names) to the app that registers it."""
    if usernames not in ROW_OWNERS:
        ROW_OWNERS.append(usernames)


@dataclass
class RadiusRows:
    """What one username needs in radcheck, radreply and radusergroup."""

    check: list[Row] = field(default_factory=list)
    reply: list[Row] = field(default_factory=list)
    groups: list[tuple[str, int]] = field(default_factory=list)


def nas_type_of(sub: Subscription) -> str:
    """The vendor family whose attributes ``sub`` gets: its NAS's type, else the tenant's."""
    kind = sub.nas.type if sub.nas_id else settings_for(sub.tenant).default_nas_type  # type: ignore[union-attr]
    return kind if kind in NasType.values else NasType.OTHER


def plan_group(tenant: Tenant, plan_code: str, nas_type: str) -> str:
    """The radusergroup / radgroupreply group name of a plan for one NAS type."""
    return f"{tenant.slug}/{plan_code}/{nas_type}"


def plan_group_rows(plan: Plan, nas_type: str) -> list[Row]:
    """The radgroupreply (attribute, op, value) rows of ``plan`` for ``nas_type``."""
    rows: list[Row] = [("Acct-Interim-Interval", "=", str(plan.acct_interim_interval))]
    if plan.session_timeout:
        rows.append(("Session-Timeout", "=", str(plan.session_timeout)))
    if plan.idle_timeout:
        rows.append(("Idle-Timeout", "=", str(plan.idle_timeout)))
    rates = rate_attributes(nas_type, plan.upload_kbps, plan.download_kbps)
    rows.extend((attribute, "=", value) for attribute, value in rates)
    return rows


def desired_rows(
    sub: Subscription,
    *,
    override: RateOverride | None = None,
    block: AccessBlock | None = None,
) -> RadiusRows:
    """The rows ``sub`` needs (see the module docstring); pure given its
    ``plan``, ``tenant``, ``nas`` and ``ip_address`` and the user's override / block."""
    rows = RadiusRows()
    if sub.status not in (SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED):
        return rows
    rows.check.append(("Cleartext-Password", ":=", sub.password))
    if MAC_LOGIN.fullmatch(sub.username):
        rows.check.append(("Calling-Station-Id", "==", sub.username))
    suspended = sub.status == SubscriptionStatus.SUSPENDED
    walled = suspended and settings_for(sub.tenant).suspension_mode == "walled_garden"
    if block is not None or (suspended and not walled):
        rows.check.append(("Auth-Type", ":=", "Reject"))
        message = block.reason if block is not None else SUSPENDED_MESSAGE
        rows.reply.append(("Reply-Message", ":=", message))
        return rows
    if sub.ip_address_id:
        rows.reply.append(("Framed-IP-Address", ":=", sub.ip_address.address))  # type: ignore[union-attr]
    if sub.framed_ipv6_prefix:
        rows.reply.append(("Framed-IPv6-Prefix", ":=", sub.framed_ipv6_prefix))
    if sub.delegated_ipv6_prefix:
        rows.reply.append(("Delegated-IPv6-Prefix", ":=", sub.delegated_ipv6_prefix))
    if walled:
        rows.groups.append((walled_garden_group(sub.tenant), 0))
        return rows
    nas_type = nas_type_of(sub)
    if override is not None:
        rates = rate_attributes(nas_type, override.upload_kbps, override.download_kbps)
        rows.reply.extend((attribute, ":=", value) for attribute, value in rates)
    rows.groups.append((plan_group(sub.tenant, sub.plan.code, nas_type), PLAN_GROUP_PRIORITY))
    return rows


def set_rate_override(
    *,
    subscription: Subscription,
    upload_kbps: int | None,
    download_kbps: int | None,
    reason: str = "",
) -> None:
    """Throttle a subscriber to a rate (kbit/s), or lift it (``None``): the
    radreply rate changes now and the open session gets a CoA after commit
    with the override's rate, or the plan's when lifted."""
    if upload_kbps is None or download_kbps is None:
        RateOverride.objects.filter(username=subscription.username).delete()
        upload_kbps, download_kbps = subscription.plan.upload_kbps, subscription.plan.download_kbps
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
    if subscription.status == SubscriptionStatus.ACTIVE:
        queue_coa(
            tenant=subscription.tenant,
            username=subscription.username,
            upload_kbps=upload_kbps,
            download_kbps=download_kbps,
            reason=reason or "rate override lifted",
        )


def set_access_block(*, subscription: Subscription, reason: str | None) -> None:
    """Refuse the subscriber's logins with ``reason`` as Reply-Message (or lift
    the block with ``None``); a new block disconnects the open session."""
    if reason is None:
        if AccessBlock.objects.filter(username=subscription.username).delete()[0]:
            sync_subscription(subscription)
        return
    AccessBlock.objects.update_or_create(
        username=subscription.username,
        defaults={"tenant": subscription.tenant, "reason": reason[:200]},
    )
    sync_subscription(subscription)
    queue_disconnect(tenant=subscription.tenant, username=subscription.username, reason=reason)


def disconnect(*, subscription: Subscription, actor: Any, reason: str = "") -> None:
    """Staff asked to end the subscriber's sessions: after commit, a
    Disconnect-Request goes to the NAS of each open session (``queue_disconnect``;
    the answers land in the CoA log). Audited as ``subscription.disconnect``
    with ``reason``. The subscriber may log in again at once: to keep them
    out, suspend the subscription instead."""
    with transaction.atomic():
        audit.record(
            tenant=subscription.tenant,
            actor=actor,
            action="subscription.disconnect",
            obj=subscription,
            reason=reason[:200],
        )
        queue_disconnect(
            tenant=subscription.tenant,
            username=subscription.username,
            reason=reason or "staff",
            actor=actor,
        )


def _write(tenant_id: int, items: Iterable[tuple[str, RadiusRows]]) -> None:
    check: list[tuple[int, str, str, str, str]] = []
    reply: list[tuple[int, str, str, str, str]] = []
    groups: list[tuple[int, str, str, int]] = []
    for username, rows in items:
        check.extend((tenant_id, username, a, op, v) for a, op, v in rows.check)
        reply.extend((tenant_id, username, a, op, v) for a, op, v in rows.reply)
        groups.extend((tenant_id, username, g, p) for g, p in rows.groups)
    names = ("tenant", "username", "attribute", "op", "value")
    copy_rows(RadCheck, names, check)
    copy_rows(RadReply, names, reply)
    copy_rows(RadUserGroup, ("tenant", "username", "groupname", "priority"), groups)


@transaction.atomic
def sync_subscription(subscription: Subscription) -> None:
    """Rewrite the radcheck / radreply / radusergroup rows of one subscription's username."""
    username = subscription.username
    tenant_lock(subscription.tenant_id, RADIUS_ROWS, shared=True)
    name_lock(RADIUS_ROWS, username)
    rows = desired_rows(
        subscription,
        override=RateOverride.objects.filter(username=username).first(),
        block=AccessBlock.objects.filter(username=username).first(),
    )
    RadCheck.objects.filter(username=username).delete()
    RadReply.objects.filter(username=username).delete()
    RadUserGroup.objects.filter(username=username).delete()
    if any(group == walled_garden_group(subscription.tenant) for group, _ in rows.groups):
        ensure_walled_garden(subscription.tenant)
    _write(subscription.tenant_id, [(username, rows)])


@transaction.atomic
def sync_plan_groups(plan: Plan) -> None:
    """Rewrite the radgroupreply (and radgroupcheck: ``Simultaneous-Use``, a
    check item) rows of ``plan``'s groups, one per NAS type."""
    names = [plan_group(plan.tenant, plan.code, kind) for kind in NasType.values]
    RadGroupReply.objects.filter(groupname__in=names).delete()
    RadGroupCheck.objects.filter(groupname__in=names).delete()
    if plan.max_sessions:
        RadGroupCheck.objects.bulk_create(
            RadGroupCheck(
                tenant=plan.tenant,
                groupname=name,
                attribute="Simultaneous-Use",
                op=":=",
                value=str(plan.max_sessions),
            )
            for name in names
        )
    copy_rows(
        RadGroupReply,
        ("tenant", "groupname", "attribute", "op", "value"),
        (
            (plan.tenant_id, plan_group(plan.tenant, plan.code, kind), a, op, v)
            for kind in NasType.values
            for a, op, v in plan_group_rows(plan, kind)
        ),
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
        defaults={
            "tenant": tenant,
            "op": ":=",
            "value": settings_for(tenant).walled_garden_address_list,
        },
    )
    return group


@transaction.atomic
def sync_all(tenant_id: int) -> dict[str, int]:
    """Rebuild every RADIUS row of one tenant (``ispstack radius sync``).

    Plan groups, the walled garden, and each subscription's rows, written
    with COPY in one transaction: FreeRADIUS sees the old rows or the new
    ones. Rows of usernames no subscription has any more disappear with the
    rest; ``RadiusRowsRebuilt`` then lets the apps above rewrite their own
    users' rows in the same transaction. Returns ``{"subscriptions": n, "orphans_removed": m}``.
    """
    tenant_lock(tenant_id, RADIUS_ROWS)
    tenant = Tenant.objects.get(pk=tenant_id)
    known = Subscription.objects.filter(tenant=tenant).values("username")
    orphans = 0
    mine = {
        model: _not_owned(model.objects.filter(tenant=tenant), tenant.pk)
        for model in (RadCheck, RadReply, RadUserGroup)
    }
    for owned in mine.values():
        orphans += owned.exclude(username__in=known).count()
    for owned in mine.values():
        owned.delete()
    RadGroupReply.objects.filter(tenant=tenant).delete()
    RadGroupCheck.objects.filter(tenant=tenant).delete()
    for plan in Plan.objects.filter(tenant=tenant).select_related("tenant"):
        sync_plan_groups(plan)
    ensure_walled_garden(tenant)
    overrides = {o.username: o for o in RateOverride.objects.filter(tenant=tenant)}
    blocks = {b.username: b for b in AccessBlock.objects.filter(tenant=tenant)}
    # The tenant's RADIUS settings come with each row: no query per subscriber.
    subs = Subscription.objects.filter(tenant=tenant).select_related(
        "plan", "ip_address", "nas", "tenant__radius_settings"
    )
    count = 0

    def rows() -> Iterable[tuple[str, RadiusRows]]:
        nonlocal count
        for sub in subs.iterator(chunk_size=2000):
            count += 1
            yield (
                sub.username,
                desired_rows(
                    sub, override=overrides.get(sub.username), block=blocks.get(sub.username)
                ),
            )

    _write(tenant.pk, rows())
    events.publish(RadiusRowsRebuilt(tenant_id=tenant.pk))
    return {"subscriptions": count, "orphans_removed": orphans}


def _not_owned(rows: Any, tenant_id: int) -> Any:
    for usernames in ROW_OWNERS:
        rows = rows.exclude(username__in=usernames(tenant_id))
    return rows


# The events that change what FreeRADIUS must answer (add-ons change billing
# only), and the Disconnect reason of those that end the open session so the
# subscriber comes back under the new rows.
SYNC_ON: tuple[type[sub_events.SubscriptionChanged], ...] = (
    sub_events.SubscriptionCreated,
    sub_events.SubscriptionActivated,
    sub_events.SubscriptionSuspended,
    sub_events.SubscriptionReconnected,
    sub_events.SubscriptionTerminated,
    sub_events.PasswordChanged,
    sub_events.AccessChanged,
    sub_events.PlanSwitched,
)
DISCONNECT_ON: dict[type[sub_events.SubscriptionChanged], str] = {
    sub_events.SubscriptionSuspended: "suspend",
    sub_events.SubscriptionReconnected: "reconnect",
    sub_events.SubscriptionTerminated: "terminate",
    sub_events.PasswordChanged: "change_password",
    sub_events.AccessChanged: "change_access",
}


def on_subscription_changed(event: sub_events.SubscriptionChanged) -> None:
    """Event handler (in the transaction) for the ``SYNC_ON`` events: rewrite
    the rows now, and after commit tell the NAS (Disconnect on a lifecycle or
    access change so the subscriber comes back under the new rows; CoA with
    the new plan's rate on a plan change, unless a fair-use override holds
    the rate)."""
    subscription = Subscription.objects.select_related("tenant__radius_settings", "plan").get(
        pk=event.subscription_id
    )
    sync_subscription(subscription)
    reason = DISCONNECT_ON.get(type(event))
    if reason:
        queue_disconnect(tenant=subscription.tenant, username=subscription.username, reason=reason)
    elif (
        isinstance(event, sub_events.PlanSwitched)
        and subscription.status == SubscriptionStatus.ACTIVE
    ):
        if RateOverride.objects.filter(username=subscription.username).exists():
            return
        plan = subscription.plan
        queue_coa(
            tenant=subscription.tenant,
            username=subscription.username,
            upload_kbps=plan.upload_kbps,
            download_kbps=plan.download_kbps,
            reason="plan change",
        )


def on_plan_changed(event: PlanChanged) -> None:
    """Event handler (in the transaction) for ``PlanChanged``: rewrite the
    plan's groups; when its code changed, rename its subscribers' group
    memberships and drop the old groups (one UPDATE and one DELETE, whatever
    the number of subscribers)."""
    plan = Plan.objects.select_related("tenant").get(pk=event.plan_id)
    old_code = event.old_code
    sync_plan_groups(plan)
    if old_code is None or old_code == plan.code:
        return
    old_prefix = f"{plan.tenant.slug}/{old_code}/"
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE radusergroup SET groupname = %s || substr(groupname, %s)"
            " WHERE tenant_id = %s AND left(groupname, %s) = %s",
            [
                f"{plan.tenant.slug}/{plan.code}/",
                len(old_prefix) + 1,
                plan.tenant_id,
                len(old_prefix),
                old_prefix,
            ],
        )
    for model in (RadGroupReply, RadGroupCheck):
        model.objects.filter(groupname__startswith=old_prefix).delete()


def on_nas_type_changed(event: NasTypeChanged) -> None:
    """Event handler (in the transaction) for ``NasTypeChanged``: the
    subscribers on the NAS get the new vendor's rate attributes (their rows
    are rewritten)."""
    subs = Subscription.objects.filter(nas_id=event.nas_id).select_related(
        "plan", "ip_address", "tenant__radius_settings", "nas"
    )
    for sub in subs.iterator(chunk_size=1000):
        sync_subscription(sub)


def sync_tenants_missing_groups(using: str = "default") -> list[int]:
    """Run ``sync_all`` for every tenant with an active subscriber in no RADIUS
    group: a database upgraded from per-user rate rows (before plans were
    groups) moves to plan groups on its next ``migrate``. Returns the tenant ids."""
    from django.db import connections

    if "subscriptions_subscription" not in connections[using].introspection.table_names():
        return []
    tenant_ids = sorted(
        set(
            Subscription.objects.using(using)
            .filter(status=SubscriptionStatus.ACTIVE)
            .exclude(username__in=RadUserGroup.objects.using(using).values("username"))
            .exclude(username__in=AccessBlock.objects.using(using).values("username"))
            .values_list("tenant_id", flat=True)
        )
    )
    for tenant_id in tenant_ids:
        sync_all(tenant_id)
    return tenant_ids
