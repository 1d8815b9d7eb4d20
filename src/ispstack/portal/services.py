"""Writes on portal accounts: invitations, sign-in checks, passwords, resets.

Emails leave through the outbox after the transaction commits; the link in
them is signed when the job sends it (``portal.tokens``), so no secret is
stored in the job. Every operation is audited on the tenant's audit log.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from ispstack.core import audit, clock, inputs, outbox
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.core.models import Job, Tenant
from ispstack.customers.models import Customer
from ispstack.notifications.services import render_text, send_email
from ispstack.portal import tokens
from ispstack.portal.models import PortalRole, PortalUser

INVITE_JOB = "portal.send_invitation"
RESET_JOB = "portal.send_reset"


def _email(value: Any) -> str:
    address = inputs.text(value, "email", required=True, max_length=254)
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidInput("is not an email address", field="email") from None
    return address


@transaction.atomic
def invite(
    *,
    customer: Customer,
    email: Any,
    role: Any = PortalRole.OWNER,
    name: Any = "",
    base_url: str,
    actor: Any = None,
) -> PortalUser:
    """Create a portal user for ``customer`` without a password and queue the
    invitation email with a link to choose one (valid ``PORTAL_INVITATION_HOURS``).
    Inviting an address that has not accepted yet sends a new link.

    ``base_url``: scheme and host the link starts with (``https://isp.example``).
    Raises InvalidInput naming ``email`` (not an address) or ``role`` (not
    owner or billing), Conflict on ``email`` when the address already signs in
    (this tenant's, for any customer).
    """
    address = _email(email)
    if role not in PortalRole.values:
        raise InvalidInput(f"must be one of {', '.join(PortalRole.values)}", field="role")
    full_name = inputs.text(name, "name", max_length=200)
    tenant = customer.tenant
    user = (
        PortalUser.objects.select_for_update().filter(tenant=tenant, email__iexact=address).first()
    )
    if user is not None and (user.customer_id != customer.pk or user.has_password):
        raise Conflict("already has a portal login", field="email")
    if user is None:
        user = PortalUser(tenant=tenant, customer=customer, email=address)
        user.set_password(None)
    user.role, user.name, user.invited_at, user.is_active = role, full_name, clock.now(), True
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise Conflict("already has a portal login", field="email") from None
    audit.record(
        tenant=tenant,
        actor=actor,
        action="portal.invite",
        obj=user,
        after={"customer": customer.account_number, "email": address, "role": role},
    )
    outbox.enqueue(
        tenant=tenant, kind=INVITE_JOB, payload={"user_id": user.pk, "base_url": base_url}
    )
    return user


def authenticate(*, tenant: Tenant, login: str, password: str) -> PortalUser | None:
    """The active portal user of ``tenant`` whose email (ignoring case) or
    customer account number (the customer's owner) is ``login`` and whose
    password is ``password``; None otherwise. A miss costs a password hash
    too, so timing does not tell which logins exist."""
    login = login.strip()
    users = PortalUser.objects.filter(tenant=tenant, is_active=True).select_related(
        "customer", "tenant"
    )
    if "@" in login:
        user = users.filter(email__iexact=login).first()
    else:
        user = (
            users.filter(customer__account_number=login, role=PortalRole.OWNER)
            .order_by("pk")
            .first()
        )
    if user is None or not user.has_password:
        make_password(password)
        return None
    return user if user.check_password(password) else None


def record_login(*, user: PortalUser, ip: str) -> None:
    """Stamp ``last_login`` (spending reset links sent before) and audit the sign-in."""
    user.last_login = clock.now()
    PortalUser.objects.filter(pk=user.pk).update(last_login=user.last_login)
    audit.record(
        tenant=user.tenant,
        actor=f"portal:{user.email}",
        action="portal.login",
        obj=user,
        after={"ip": ip},
    )


def record_failed_login(*, tenant: Tenant, login: str, ip: str) -> None:
    """Audit a refused sign-in on the user ``login`` names, if one exists."""
    user = (
        PortalUser.objects.filter(tenant=tenant, email__iexact=login.strip()).first()
        if "@" in login
        else PortalUser.objects.filter(
            tenant=tenant, customer__account_number=login.strip(), role=PortalRole.OWNER
        ).first()
    )
    if user is not None:
        audit.record(
            tenant=tenant,
            actor=f"portal:{login[:100]}",
            action="portal.login_failed",
            obj=user,
            after={"ip": ip},
        )


@transaction.atomic
def set_password(
    *, tenant: Tenant, token: str, purpose: tokens.Purpose, password: Any, confirm: Any
) -> PortalUser:
    """Set the password of the user ``token`` names (an invitation or a reset
    link), which spends the token. Returns the user.

    Raises InvalidInput naming ``token`` (unknown, expired or already used),
    ``confirm`` (the two entries differ) or ``password`` (Django's password
    validators: too short, too like the email...).
    """
    user_id = tokens.user_id_of(token)
    user = (
        PortalUser.objects.select_for_update()
        .select_related("tenant", "customer")
        .filter(tenant=tenant, pk=user_id, is_active=True)
        .first()
        if user_id is not None
        else None
    )
    if user is None or not tokens.check_token(user, purpose, token):
        raise InvalidInput("the link is invalid, expired or already used", field="token")
    raw = inputs.text(password, "password", required=True, max_length=200, strip=False)
    if raw != inputs.text(confirm, "confirm", max_length=200, strip=False):
        raise InvalidInput("the two passwords differ", field="confirm")
    try:
        validate_password(raw, user=user)  # type: ignore[arg-type]  # reads its attributes only
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from None
    user.set_password(raw)
    user.save(update_fields=["password", "updated_at"])
    audit.record(
        tenant=tenant,
        actor=f"portal:{user.email}",
        action="portal.invitation_accepted" if purpose == "invite" else "portal.password_reset",
        obj=user,
    )
    return user


@transaction.atomic
def request_reset(*, tenant: Tenant, email: Any, base_url: str) -> Job | None:
    """Queue a password reset email to the active user of ``tenant`` with this
    address, if there is one with a password (an invited user gets a fresh
    invitation instead); None when there is none. Callers answer the same
    either way, so the form does not reveal which addresses have accounts."""
    address = inputs.text(email, "email", required=True, max_length=254)
    user = PortalUser.objects.filter(tenant=tenant, email__iexact=address, is_active=True).first()
    if user is None:
        return None
    kind = RESET_JOB if user.has_password else INVITE_JOB
    audit.record(tenant=tenant, actor=f"portal:{address}", action="portal.reset_request", obj=user)
    return outbox.enqueue(
        tenant=tenant, kind=kind, payload={"user_id": user.pk, "base_url": base_url}
    )


def _deliver(job: Job, purpose: tokens.Purpose) -> None:
    user = PortalUser.objects.select_related("tenant", "customer").get(pk=job.payload["user_id"])
    tenant = user.tenant
    route = "portal:accept" if purpose == "invite" else "portal:reset-confirm"
    path = reverse(route, kwargs={"tenant": tenant.slug, "token": tokens.make_token(user, purpose)})
    context = {
        "user": user,
        "customer": user.customer,
        "tenant": tenant,
        "link": job.payload["base_url"].rstrip("/") + path,
        "hours": round(tokens.lifetime(purpose).total_seconds() / 3600, 1),
    }
    if purpose == "invite":
        subject = _("Your %(tenant)s customer portal login") % {"tenant": tenant.name}
    else:
        subject = _("Reset your %(tenant)s portal password") % {"tenant": tenant.name}
    send_email(
        tenant=tenant,
        to=user.email,
        subject=subject,
        body=render_text(f"portal/email/{purpose}.txt", context),
        reference=f"portal-{purpose}-{user.pk}",
    )


@outbox.handler(INVITE_JOB)
def deliver_invitation(job: Job) -> None:
    """Email the invitation link (``invite``'s and ``request_reset``'s job)."""
    _deliver(job, "invite")


@outbox.handler(RESET_JOB)
def deliver_reset(job: Job) -> None:
    """Email the password reset link (``request_reset``'s job)."""
    _deliver(job, "reset")


def create_login(
    *, customer: Customer, email: str, password: str, role: str = PortalRole.OWNER
) -> PortalUser:
    """A portal user with a password set directly, for the demo and tests
    (staff invite; nobody else learns a customer's password). Raises Conflict
    on ``email`` when the address already signs in."""
    address = _email(email)
    if PortalUser.objects.filter(tenant=customer.tenant, email__iexact=address).exists():
        raise Conflict("already has a portal login", field="email")
    user = PortalUser(tenant=customer.tenant, customer=customer, email=address, role=role)
    user.set_password(password)
    user.save()
    return user
