"""Writes of the captive portal: the tenant's policy, a guest's sign-in by
email or phone with a one-time code (``notifications.one_time_codes``), terms
acceptance, switching a guest off, and the walled garden.

A guest types an email address or a mobile number. A new guest (or one whose
accepted terms are older than the policy's version) must accept the terms;
the acceptance is recorded with the version, the time and the client
address. A code goes out by email or SMS; the right code makes the guest
active and writes the RADIUS rows (``captive.radius_rows``), and the login
page then posts the guest's RADIUS credentials to the router.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import secrets
from typing import Any

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from ispstack.core import audit, clock, outbox
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.core.integrity import conflict_from_integrity_error
from ispstack.core.models import Job, Tenant
from ispstack.hotspot.captive.radius_rows import sync_captive_user
from ispstack.hotspot.models import (
    CaptiveCode,
    CaptiveUser,
    CaptiveUserStatus,
    HotspotPolicy,
    WalledGardenEntry,
    WalledGardenKind,
)
from ispstack.network.inventory import Site
from ispstack.network.models import Nas
from ispstack.notifications import one_time_codes as otc
from ispstack.notifications.services import render_text, send_email
from ispstack.notifications.sms import send_sms

SEND_JOB = "hotspot.send_captive_code"
CODE_PURPOSE = "ispstack.hotspot.captive_code"
USERNAME_PREFIX = "hs-"
# RouterOS's dst-host takes a host name with "*" wildcards (RFC 1035 labels).
_HOST = re.compile(
    r"^(\*\.)?(\*|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$"
)


def policy_for(tenant: Tenant) -> HotspotPolicy:
    """The tenant's hotspot policy, made with the defaults on first use."""
    policy, _created = HotspotPolicy.objects.get_or_create(tenant=tenant)
    return policy


def read_identifier(tenant: Tenant, value: str) -> tuple[str, str]:
    """``("email", address)`` (lower case) or ``("phone", E.164)`` for what a
    guest typed. A phone number without ``+`` is read in the tenant's country
    (libphonenumber) and must be able to take an SMS (mobile, or a plan where
    libphonenumber cannot tell). Raises InvalidInput (field ``identifier``)."""
    value = (value or "").strip()
    if not value or len(value) > 254:
        raise InvalidInput("type your email address or mobile number", field="identifier")
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError:
            raise InvalidInput("not a valid email address", field="identifier") from None
        return "email", value.lower()
    try:
        number = phonenumbers.parse(value, tenant.country.upper() or None)
    except phonenumbers.NumberParseException:
        raise InvalidInput(
            "not a valid email address or phone number", field="identifier"
        ) from None
    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in kinds:
        raise InvalidInput("not a mobile number that can receive an SMS", field="identifier")
    return "phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def new_username() -> str:
    """A RADIUS username for a guest: ``hs-`` and 10 random hex digits (the
    prefix lets sessions be told apart from subscribers' at a glance)."""
    return f"{USERNAME_PREFIX}{secrets.token_hex(5)}"


def _client_ip(ip: str | None) -> str | None:
    if not ip:
        return None
    try:
        return str(ipaddress.ip_address(ip))
    except ValueError:
        return None


@transaction.atomic
def start_sign_in(
    *, tenant: Tenant, identifier: str, accept_terms: bool, ip: str | None
) -> CaptiveUser:
    """Find or register the guest known by ``identifier`` and send a code.

    A new guest needs ``registration_open`` (else Conflict, field
    ``identifier``) and, like a guest whose accepted terms are older than the
    policy's, ``accept_terms`` (else InvalidInput, field ``terms``). A guest
    switched off is refused (Conflict). Raises ``TooSoon`` within
    ``RESEND_AFTER`` of the last code."""
    kind, value = read_identifier(tenant, identifier)
    policy = policy_for(tenant)
    lookup = {"email__iexact": value} if kind == "email" else {"phone": value}
    user = CaptiveUser.objects.select_for_update().filter(tenant=tenant, **lookup).first()
    if user is None and not policy.registration_open:
        raise Conflict("this hotspot does not take new registrations", field="identifier")
    if user is not None and user.status == CaptiveUserStatus.DISABLED:
        raise Conflict("this account is switched off; ask the staff", field="identifier")
    needs_terms = user is None or user.terms_version != policy.terms_version
    if needs_terms and not accept_terms:
        raise InvalidInput("accept the terms of use to go on", field="terms")
    if user is None:
        user = CaptiveUser(
            tenant=tenant,
            username=new_username(),
            password=secrets.token_urlsafe(12),
            **{kind: value},
        )
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:
            raise conflict_from_integrity_error(exc) from None
    if needs_terms:
        user.terms_version = policy.terms_version
        user.terms_accepted_at = clock.now()
        user.terms_accepted_ip = _client_ip(ip)
        user.save(
            update_fields=["terms_version", "terms_accepted_at", "terms_accepted_ip", "updated_at"]
        )
        audit.record(
            tenant=tenant,
            actor=f"hotspot:{user.username}",
            action="captiveuser.terms_accepted",
            obj=user,
            after={"version": policy.terms_version, "ip": user.terms_accepted_ip},
        )
    request_code(user=user)
    return user


def request_code(*, user: CaptiveUser) -> CaptiveCode:
    """A new code for ``user``, sent after commit by email or SMS (the job makes
    it, so no job row holds it). Raises ``TooSoon``."""
    now = clock.now()
    row, _created = CaptiveCode.objects.select_for_update().get_or_create(
        user=user, defaults={"tenant_id": user.tenant_id}
    )
    wait = otc.wait_before_resend(row.requested_at, now)
    if wait:
        raise otc.TooSoon(wait)
    row.requested_at, row.sent_at, row.digest, row.tries = now, None, "", 0
    row.save()
    outbox.enqueue(
        tenant=user.tenant,
        kind=SEND_JOB,
        payload={"code_id": row.pk, "requested_at": now.isoformat()},
        max_attempts=3,
    )
    return row


@outbox.handler(SEND_JOB)
def deliver_code(job: Job) -> None:
    """Make the code, store its HMAC and send it to the guest's email address
    or phone. A request superseded by a newer one, or older than
    ``LIFETIME``, sends nothing."""
    row = CaptiveCode.objects.select_related("user__tenant").get(pk=job.payload["code_id"])
    now = clock.now()
    asked = dt.datetime.fromisoformat(job.payload["requested_at"])
    if row.requested_at != asked or now - asked > otc.LIFETIME:
        return
    code = otc.new_code()
    row.sent_at = now
    row.digest = otc.digest(CODE_PURPOSE, row.pk, now, code)
    row.save(update_fields=["sent_at", "digest", "updated_at"])
    user, tenant = row.user, row.user.tenant
    minutes = int(otc.LIFETIME.total_seconds() // 60)
    message = render_text(
        "hotspot/messages/wifi_code.txt", {"code": code, "name": tenant.name, "minutes": minutes}
    )
    reference = f"hotspot-code-{user.pk}"
    if user.phone:
        send_sms(tenant=tenant, to=user.phone, text=message.strip(), reference=reference)
    elif user.email:
        send_email(
            tenant=tenant,
            to=user.email,
            subject=_("%(name)s Wi-Fi code") % {"name": tenant.name},
            body=message,
            reference=reference,
        )


@transaction.atomic
def verify_code(*, user: CaptiveUser, code: str) -> otc.Check:
    """Check ``code`` (spaces ignored) against ``user``'s outstanding code. The
    right code is spent, the guest becomes active and its RADIUS rows are
    written; ``MAX_TRIES`` wrong ones spend the code (``locked``)."""
    row = CaptiveCode.objects.select_for_update().filter(user=user).first()
    now = clock.now()
    if row is None or not row.digest or row.sent_at is None or now - row.sent_at > otc.LIFETIME:
        return otc.Check("expired")
    typed = "".join(str(code).split())[:32]
    if constant_time_compare(otc.digest(CODE_PURPOSE, row.pk, row.sent_at, typed), row.digest):
        row.digest, row.tries = "", 0
        row.save(update_fields=["digest", "tries", "updated_at"])
        user = CaptiveUser.objects.select_for_update().get(pk=user.pk)
        if user.status == CaptiveUserStatus.PENDING:
            user.status = CaptiveUserStatus.ACTIVE
            user.verified_at = now
        user.last_login_at = now
        user.save(update_fields=["status", "verified_at", "last_login_at", "updated_at"])
        sync_captive_user(user, policy_for(user.tenant))
        return otc.Check("ok")
    row.tries += 1
    if row.tries >= otc.MAX_TRIES:
        row.digest = ""
        row.save(update_fields=["digest", "tries", "updated_at"])
        return otc.Check("locked")
    row.save(update_fields=["tries", "updated_at"])
    return otc.Check("wrong", otc.MAX_TRIES - row.tries)


@transaction.atomic
def set_status(*, user: CaptiveUser, status: str, actor: Any) -> CaptiveUser:
    """Switch a guest off (``disabled``: RADIUS rows removed) or on again
    (``active``). Raises InvalidInput (field ``status``) for another value."""
    if status not in (CaptiveUserStatus.ACTIVE, CaptiveUserStatus.DISABLED):
        raise InvalidInput("choose active or disabled", field="status")
    before = user.status
    user.status = status
    user.save(update_fields=["status", "updated_at"])
    sync_captive_user(user, policy_for(user.tenant))
    audit.record(
        tenant=user.tenant,
        actor=actor,
        action="captiveuser.status",
        obj=user,
        before={"status": before},
        after={"status": status},
    )
    return user


def resync_tenant(tenant: Tenant) -> int:
    """Rewrite the RADIUS rows of every active guest and MAC-authenticated
    device of ``tenant`` (after the radius app rebuilt the tenant's rows, or
    the policy changed). Returns how many usernames were written."""
    from ispstack.hotspot.captive.radius_rows import sync_mac
    from ispstack.hotspot.models import MacProfile

    policy = policy_for(tenant)
    count = 0
    active = CaptiveUser.objects.filter(tenant=tenant, status=CaptiveUserStatus.ACTIVE)
    for user in active.select_related("tenant"):
        sync_captive_user(user, policy)
        count += 1
    for mac in MacProfile.objects.filter(tenant=tenant, mac_auth=True).values_list(
        "mac_address", flat=True
    ):
        sync_mac(tenant=tenant, mac=mac, enabled=policy.mac_auth, policy=policy)
        count += 1
    return count


def on_radius_rebuilt(event: Any) -> None:
    """``RadiusRowsRebuilt``: write the guests' and devices' rows again."""
    resync_tenant(Tenant.objects.get(pk=event.tenant_id))


# --------------------------------------------------------------------------
# Walled garden


def clean_destination(kind: str, value: str) -> str:
    """``value`` checked for ``kind``: a host name (lower case, ``*`` wildcards
    as RouterOS's ``dst-host`` takes them) or an IPv4 network in CIDR
    notation (host bits zero; a bare address is a /32; RouterOS's ``/ip
    hotspot`` is IPv4 only). Raises
    InvalidInput (field ``value`` or ``kind``)."""
    value = (value or "").strip()
    if kind == WalledGardenKind.HOST:
        host = value.lower().rstrip(".")
        if not host or len(host) > 253 or not _HOST.match(host):
            raise InvalidInput(
                "not a domain name (letters, digits, hyphens, dots, *.)", field="value"
            )
        return host
    if kind == WalledGardenKind.NETWORK:
        try:
            network = ipaddress.ip_network(value, strict=True)
        except ValueError:
            raise InvalidInput("not an IP network (CIDR, host bits zero)", field="value") from None
        if network.version != 4:
            raise InvalidInput("RouterOS's hotspot walled garden takes IPv4 only", field="value")
        return str(network)
    raise InvalidInput("choose host or network", field="kind")


@transaction.atomic
def add_walled_garden(
    *,
    tenant: Tenant,
    kind: str,
    value: str,
    comment: str = "",
    nas: Nas | None = None,
    site: Site | None = None,
    actor: Any = None,
) -> WalledGardenEntry:
    """Add a destination to the tenant's walled garden, for one NAS, one site
    or every router. Raises InvalidInput (a bad value; a NAS or site of
    another tenant, field ``nas`` / ``site``) or Conflict (already there)."""
    clean = clean_destination(kind, value)
    if nas is not None and nas.tenant_id != tenant.pk:
        raise InvalidInput("no such NAS", field="nas")
    if site is not None and site.tenant_id != tenant.pk:
        raise InvalidInput("no such site", field="site")
    if nas is not None and site is not None:
        raise InvalidInput("scope an entry to a NAS or a site, not both", field="site")
    entry = WalledGardenEntry(
        tenant=tenant, kind=kind, value=clean, comment=(comment or "")[:200], nas=nas, site=site
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError as exc:
        raise conflict_from_integrity_error(exc) from None
    audit.record(
        tenant=tenant,
        actor=actor,
        action="walledgardenentry.add",
        obj=entry,
        after={"value": clean},
    )
    return entry


@transaction.atomic
def remove_walled_garden(*, entry: WalledGardenEntry, actor: Any) -> None:
    """Remove a walled garden entry (audited)."""
    audit.record(
        tenant=entry.tenant,
        actor=actor,
        action="walledgardenentry.remove",
        obj=entry,
        before={"value": entry.value},
    )
    entry.delete()
