"""Writes of MAC onboarding: routers' secrets (create, rotate) and the MAC
profiles their lease scripts report."""

from __future__ import annotations

import ipaddress
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from ispstack.core import audit, clock
from ispstack.core.errors import Conflict, InvalidInput, ServiceError
from ispstack.core.models import Tenant
from ispstack.hotspot.captive.radius_rows import mac_owner, sync_captive_user, sync_mac
from ispstack.hotspot.captive.services import new_username, policy_for
from ispstack.hotspot.models import (
    CaptiveUser,
    CaptiveUserStatus,
    HotspotPolicy,
    MacProfile,
    RouterSecret,
)
from ispstack.hotspot.onboarding.mac import normalise_mac
from ispstack.network.models import Nas
from ispstack.subscriptions import services as subscriptions
from ispstack.subscriptions.models import Subscription

MAX_HOSTNAME = 255
ONBOARDING = "mac onboarding"  # the actor of what a lease-script report makes
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    """One lease-script report, checked: MAC (normalised), IPv4 address,
    host name (may be empty), the router's identity."""

    mac: str
    ip: str
    hostname: str
    identity: str


def read_report(data: dict[str, Any]) -> Report:
    """Check a report's fields (``mac``, ``ip``, ``hostname``, ``identity``);
    raises InvalidInput naming the first field that is missing or wrong."""
    for name in ("mac", "ip", "identity"):
        if not str(data.get(name) or "").strip():
            raise InvalidInput("this field is required", field=name)
    mac = normalise_mac(data["mac"])
    try:
        ip = str(ipaddress.IPv4Address(str(data["ip"]).strip()))
    except ValueError:
        raise InvalidInput("not an IPv4 address", field="ip") from None
    hostname = str(data.get("hostname") or "").strip()
    if len(hostname) > MAX_HOSTNAME or any(ch < " " for ch in hostname):
        raise InvalidInput("at most 255 printable characters", field="hostname")
    identity = str(data["identity"]).strip()
    if len(identity) > MAX_HOSTNAME or any(ch < " " for ch in identity):
        raise InvalidInput("at most 255 printable characters", field="identity")
    return Report(mac=mac, ip=ip, hostname=hostname, identity=identity)


@transaction.atomic
def record_lease(*, router: RouterSecret, report: Report) -> MacProfile:
    """Create or update the MAC profile of ``report.mac`` in the router's
    tenant (last IP, host name, router, first / last seen). By the tenant's
    policy, the device gets a subscription of its own (``subscribe_device``)
    or else MAC authentication as a hotspot device, unless another tenant's
    rows already log that MAC in (RADIUS usernames are one namespace), and a
    captive user of its own."""
    tenant, now = router.tenant, clock.now()
    profile = (
        MacProfile.objects.select_for_update().filter(tenant=tenant, mac_address=report.mac).first()
    )
    if profile is None:
        profile = MacProfile(tenant=tenant, mac_address=report.mac, first_seen=now)
    profile.last_ip, profile.hostname = report.ip, report.hostname
    profile.nas, profile.last_seen = router.nas, now
    policy = policy_for(tenant)
    if profile.subscription_id is None and policy.subscribes_devices:
        profile.subscription = subscribe_device(profile=profile, policy=policy)
    if profile.subscription_id is not None:
        profile.mac_auth = False
    elif policy.mac_auth and not profile.mac_auth:
        owner = mac_owner(report.mac)
        profile.mac_auth = owner in (None, tenant.pk)
    if policy.mac_create_captive_user and profile.captive_user_id is None:
        guest = CaptiveUser.objects.create(
            tenant=tenant,
            username=new_username(),
            password=secrets.token_urlsafe(12),
            mac_address=report.mac,
            status=CaptiveUserStatus.ACTIVE,
            verified_at=now,
        )
        sync_captive_user(guest, policy)
        profile.captive_user = guest
    profile.save()
    if profile.mac_auth:
        sync_mac(tenant=tenant, mac=report.mac, enabled=True, policy=policy)
    return profile


def subscribe_device(*, profile: MacProfile, policy: HotspotPolicy) -> Subscription | None:
    """An active subscription of the policy's plan for the device of
    ``profile``, billed to the policy's account from today: username and
    password its MAC (RouterOS's ``mac-as-username-and-password``), tied to
    that MAC by ``Calling-Station-Id`` (``radius.services``). Its hotspot MAC
    login, if any, gives way to it.

    None, and nothing written, when a subscription of any tenant already has
    that MAC as its username, or when the sign-up is refused (the plan is no
    longer sold): the router's report is kept all the same, and the refusal
    is logged with its reason for the NOC.
    """
    tenant, mac = profile.tenant, profile.mac_address
    try:
        with transaction.atomic():
            if profile.mac_auth:
                sync_mac(tenant=tenant, mac=mac, enabled=False, policy=policy)
            sub = subscriptions.create_subscription(
                tenant=tenant,
                actor=ONBOARDING,
                customer=policy.mac_subscription_customer_id,
                plan=policy.mac_subscription_plan_id,
                username=mac,
                password=mac,
            )
            return subscriptions.activate(
                subscription=sub, actor=ONBOARDING, reason="device onboarded"
            )
    except ServiceError as exc:
        if isinstance(exc, Conflict) and exc.field == "username":
            return None  # the sign-up's own rule: the MAC is some subscription's already
        log.warning("tenant %s: no subscription for device %s: %s", tenant.pk, mac, exc)
        return None


@transaction.atomic
def set_mac_auth(*, profile: MacProfile, enabled: bool, actor: Any) -> MacProfile:
    """Staff switch MAC authentication of a device on or off. Raises Conflict
    (field ``mac_auth``) when the device logs in through a subscription of
    its own, or another tenant's rows log that MAC in."""
    if enabled and profile.subscription_id is not None:
        raise Conflict("this device logs in through its subscription", field="mac_auth")
    owner = mac_owner(profile.mac_address)
    if enabled and owner not in (None, profile.tenant_id):
        raise Conflict("another tenant's device logs in with this MAC", field="mac_auth")
    profile.mac_auth = enabled
    profile.save(update_fields=["mac_auth", "updated_at"])
    sync_mac(
        tenant=profile.tenant,
        mac=profile.mac_address,
        enabled=enabled,
        policy=policy_for(profile.tenant),
    )
    audit.record(
        tenant=profile.tenant,
        actor=actor,
        action="macprofile.mac_auth",
        obj=profile,
        after={"mac_auth": enabled},
    )
    return profile


def _new_secret() -> str:
    # 256 bits, URL-safe: fits a RouterOS string without escaping.
    return secrets.token_urlsafe(32)


@transaction.atomic
def create_secret(
    *, tenant: Tenant, nas: Nas, allow_token: bool = False, actor: Any
) -> RouterSecret:
    """A lease-script secret for ``nas``. Raises InvalidInput (field ``nas``)
    for a NAS of another tenant, Conflict when it already has one (rotate it)."""
    if nas.tenant_id != tenant.pk:
        raise InvalidInput("no such NAS", field="nas")
    if RouterSecret.objects.filter(nas=nas).exists():
        raise Conflict("this NAS has a secret already: rotate it", field="nas")
    row = RouterSecret.objects.create(
        tenant=tenant,
        nas=nas,
        key_id=secrets.token_hex(8),
        secret=_new_secret(),
        allow_token=allow_token,
    )
    audit.record(tenant=tenant, actor=actor, action="routersecret.create", obj=row)
    return row


@transaction.atomic
def rotate_secret(*, row: RouterSecret, actor: Any) -> RouterSecret:
    """A new secret for the router (the old one stops working at once)."""
    row.secret = _new_secret()
    row.rotated_at = clock.now()
    row.save(update_fields=["secret", "rotated_at", "updated_at"])
    audit.record(tenant=row.tenant, actor=actor, action="routersecret.rotate", obj=row)
    return row


def reveal_secret(*, row: RouterSecret, actor: Any) -> str:
    """The router's onboarding secret, for staff holding
    ``hotspot.reveal_routersecret`` (admin, noc: they put it in the lease
    script). Audited without the value (``core.secrets.reveal``); raises
    PermissionDenied otherwise."""
    from ispstack.core import secrets as stored

    return stored.reveal(
        obj=row,
        field="secret",
        permission="hotspot.reveal_routersecret",
        tenant=row.tenant,
        actor=actor,
    )
