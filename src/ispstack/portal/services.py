"""Writes on portal accounts: invitations, sign-in checks, passwords, resets;
the customer's own payments: paying an invoice by card, reporting a bank
transfer, managing saved payment methods; and what else a signed-in customer
does: open and answer tickets, change their profile, password and notice
preferences (through the owning apps' services).

Emails leave through the outbox after the transaction commits; the link in
them is signed when the job sends it (``portal.tokens``), so no secret is
stored in the job. They are written in the recipient's language
(``portal.language.mail_language``). Every operation is audited on the tenant's audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from ispstack.billing.models import Invoice
from ispstack.collections.services import reconnect_if_cleared
from ispstack.core import audit, clock, display, inputs, outbox
from ispstack.core.errors import Conflict, InvalidInput, NotFound
from ispstack.core.models import Job, Tenant
from ispstack.customers.models import Customer
from ispstack.customers.services import update_customer
from ispstack.notifications import services as notifications
from ispstack.notifications.models import NotificationKind
from ispstack.notifications.services import render_text, send_email
from ispstack.payments import cards, methods, transfers
from ispstack.payments.models import BankTransfer, CardPayment, CustomerPaymentMethod
from ispstack.portal import selectors, sign_in_codes, tokens
from ispstack.portal.language import mail_language
from ispstack.portal.models import PortalRole, PortalUser
from ispstack.subscriptions.models import Subscription, SubscriptionStatus, SuspensionCause
from ispstack.tickets import attachments as ticket_files
from ispstack.tickets import services as tickets
from ispstack.tickets.choices import CUSTOMER_TYPES, TicketSource
from ispstack.tickets.models import Ticket, TicketMessage
from ispstack.tickets.selectors import settings_for as ticket_settings

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
    # In the recipient's language: the job runs outside any request.
    with translation.override(mail_language(user)):
        if purpose == "invite":
            subject = _("Your %(tenant)s customer portal login") % {"tenant": tenant.name}
        else:
            subject = _("Reset your %(tenant)s portal password") % {"tenant": tenant.name}
        body = render_text(f"portal/email/{purpose}.txt", context)
    send_email(
        tenant=tenant,
        to=user.email,
        subject=subject,
        body=body,
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


# Paying: card payments, reported bank transfers and saved payment methods.
# Each write is the payments app's (cards, transfers, methods); here the
# portal picks the signed-in customer's rows only (another customer's ids
# are NotFound) and names the portal user as the actor.


def actor_of(user: PortalUser) -> str:
    """How a portal user's operations are labelled on the audit log."""
    return f"portal:{user.email}"


def _suspended_for_debt(customer: Customer) -> int:
    return Subscription.objects.filter(
        customer=customer,
        status=SubscriptionStatus.SUSPENDED,
        suspension_cause=SuspensionCause.NON_PAYMENT,
    ).count()


@dataclass(frozen=True)
class PayResult:
    """A card payment as the portal reports it: the attempt, and how many
    services the payment reconnected (0: none were suspended for debt, or
    something is still overdue)."""

    attempt: CardPayment
    reconnected: int = 0


def _reconnect(customer: Customer, before: int) -> int:
    """Reconnect at once when the payment cleared the overdue invoices (the
    collections rule), whether or not its job ran after the commit already;
    returns how many services came back since ``before`` was counted."""
    if before == 0:
        return 0
    with transaction.atomic():
        locked = Customer.objects.select_for_update().get(pk=customer.pk)
        reconnect_if_cleared(locked, clock.today(customer.tenant))
    return max(0, before - _suspended_for_debt(customer))


def _card(user: PortalUser, method_id: Any, token: Any) -> CustomerPaymentMethod:
    token = inputs.text(token, "token")
    if token:
        return cards.save_card(customer=user.customer, token=token, actor=actor_of(user))
    if method_id in (None, ""):
        raise InvalidInput("choose a saved card or enter a new card", field="method")
    try:
        pk = int(str(method_id))
    except ValueError:
        raise InvalidInput("choose one of your saved cards", field="method") from None
    card = selectors.cards_of(user.customer).filter(pk=pk).first()
    if card is None:
        raise NotFound("no such card of yours", field="method")
    return card


def pay_invoice(
    *,
    user: PortalUser,
    invoice: Invoice,
    method_id: Any = None,
    token: Any = "",
    return_url: str = "",
) -> PayResult:
    """Pay what is due on the customer's ``invoice`` by card: a saved card
    (``method_id``, one of ``selectors.cards_of``) or a new card token
    (``token``, saved first). See ``payments.cards.pay_invoice`` for the
    states and the once-only rule. Raises InvalidInput, NotFound (field
    ``method``), InvalidTransition (nothing due), CardDeclined.
    """
    if invoice.customer_id != user.customer_id:
        raise NotFound("no such invoice", field="invoice")
    before = _suspended_for_debt(user.customer)
    card = _card(user, method_id, token)
    attempt = cards.pay_invoice(
        invoice=invoice, method=card, return_url=return_url, actor=actor_of(user)
    )
    reconnected = 0
    if attempt.status == CardPayment.Status.SUCCEEDED:
        reconnected = _reconnect(user.customer, before)
    return PayResult(attempt, reconnected)


def finish_payment(*, user: PortalUser, intent_id: Any) -> PayResult:
    """The customer is back from the bank (3-D Secure): settle the attempt
    (``payments.cards.finish_card_payment``). Raises NotFound (field
    ``payment_intent``: not one of the customer's)."""
    before = _suspended_for_debt(user.customer)
    attempt = cards.finish_card_payment(
        customer=user.customer, intent_id=intent_id, actor=actor_of(user)
    )
    reconnected = 0
    if attempt.status == CardPayment.Status.SUCCEEDED:
        reconnected = _reconnect(user.customer, before)
    return PayResult(attempt, reconnected)


# The first bytes each proof type starts with (its file signature): a file a
# customer uploads must be what its name says, not, say, a program renamed
# to .pdf or a broken download.
_PROOF_SIGNATURES = {
    ".pdf": b"%PDF-",
    ".png": b"\x89PNG\r\n\x1a\n",
    ".jpg": b"\xff\xd8\xff",
    ".jpeg": b"\xff\xd8\xff",
}


def _check_proof_content(proof: Any) -> None:
    """Raise InvalidInput (field ``proof``) when a PDF, PNG or JPEG proof does
    not start with its type's signature; other names are left to
    ``submit_transfer``, which refuses them by name and size."""
    suffix = PurePath(getattr(proof, "name", "") or "").suffix.lower()
    signature = _PROOF_SIGNATURES.get(suffix)
    if signature is None:
        return
    proof.seek(0)
    head = proof.read(len(signature))
    proof.seek(0)
    if head != signature:
        raise InvalidInput(
            f"is not a readable {suffix[1:].upper()} file (its content is not what its name says)",
            field="proof",
        )


def report_transfer(
    *, user: PortalUser, amount: Any, transferred_on: Any, reference: Any, proof: Any
) -> BankTransfer:
    """Report a bank transfer with its proof for a clerk to review
    (``payments.transfers.submit_transfer``: PDF, PNG or JPEG, at most 10 MB),
    the proof's content checked against its name first; raises InvalidInput
    naming the field."""
    if proof is None:
        raise InvalidInput("a proof of the transfer is required", field="proof")
    _check_proof_content(proof)
    return transfers.submit_transfer(
        customer=user.customer,
        amount=amount,
        transferred_on=transferred_on or "",
        reference=reference or "",
        proof=proof,
        actor=actor_of(user),
    )


def _method(user: PortalUser, method_id: int) -> CustomerPaymentMethod:
    method = selectors.methods_of(user.customer).filter(pk=method_id).first()
    if method is None:
        raise NotFound("no such payment method of yours", field="method")
    return method


def make_primary(*, user: PortalUser, method_id: int) -> CustomerPaymentMethod:
    """Make one of the customer's saved methods the primary one; raises NotFound."""
    return methods.set_primary(method=_method(user, method_id), actor=actor_of(user))


def remove_method(*, user: PortalUser, method_id: int) -> CustomerPaymentMethod:
    """Remove one of the customer's saved methods; raises NotFound."""
    return methods.remove_method(method=_method(user, method_id), actor=actor_of(user))


def add_card(*, user: PortalUser, token: Any) -> CustomerPaymentMethod:
    """Save a new card from a gateway token (``tok_...``); raises InvalidInput
    (field ``token``), CardDeclined."""
    return cards.save_card(
        customer=user.customer, token=inputs.text(token, "token"), actor=actor_of(user)
    )


# What a signed-in customer does: tickets, profile, password, notice preferences.


def _check_upload(user: PortalUser, upload: Any) -> None:
    """Check an attachment against the tenant's limits before anything is
    written (``tickets.attachments``). Raises InvalidInput naming ``file``."""
    if upload is None:
        return
    conf = ticket_settings(user.tenant)
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > conf.max_attachment_bytes:
        # The same rule as ``check``, in the units a customer reads.
        raise InvalidInput(
            f"is {display.data_size(size)}; the largest file we accept is "
            f"{display.data_size(conf.max_attachment_bytes)}",
            field="file",
        )
    ticket_files.check(upload, max_bytes=conf.max_attachment_bytes, allowed=conf.attachment_types)


@transaction.atomic
def open_ticket(
    *,
    user: PortalUser,
    ticket_type: Any,
    subject: Any,
    description: Any,
    subscription: Any = None,
    upload: Any = None,
) -> Ticket:
    """Open a ticket for ``user``'s customer from the portal (source
    ``portal``), with ``upload`` (an uploaded file or None) attached, through
    ``tickets.services.open_ticket`` (numbering, SLA, routing, outage
    grouping). ``subscription``: the id of one of the customer's services,
    or empty. The portal user's address is the ticket's contact when it is
    not the customer's own.

    Raises InvalidInput naming ``ticket_type`` (not one of
    ``tickets.choices.CUSTOMER_TYPES``), ``subscription`` (not one of the
    customer's services), ``subject``, ``description`` or ``file`` (too
    large, empty, a type not allowed): checked before anything is written.
    """
    customer = user.customer
    if ticket_type not in CUSTOMER_TYPES:
        raise InvalidInput("choose one of the listed topics", field="ticket_type")
    the_subscription = None
    if subscription not in (None, ""):
        try:
            sub_id = int(subscription)
        except (TypeError, ValueError):
            raise InvalidInput("is not one of your services", field="subscription") from None
        the_subscription = selectors.subscriptions_of(customer).filter(pk=sub_id).first()
        if the_subscription is None:
            raise InvalidInput("is not one of your services", field="subscription")
    inputs.text(subject, "subject", required=True, max_length=200)
    inputs.text(description, "description", required=True, max_length=inputs.TEXT_MAX_LENGTH)
    _check_upload(user, upload)
    ticket = tickets.open_ticket(
        tenant=user.tenant,
        subject=subject,
        ticket_type=ticket_type,
        description=description,
        source=TicketSource.PORTAL,
        customer=customer,
        subscription=the_subscription,
        contact_email="" if user.email.lower() == customer.email.lower() else user.email,
        actor=actor_of(user),
    )
    if upload is not None:
        tickets.add_attachment(ticket=ticket, upload=upload)
    return ticket


@transaction.atomic
def reply(*, user: PortalUser, ticket: Ticket, body: Any, upload: Any = None) -> TicketMessage:
    """Add the customer's public reply to their ``ticket`` (read through
    ``selectors.ticket_detail``) with ``upload`` attached, by the rules of
    ``tickets.services.add_message``: an answer to a ticket waiting on the
    customer resumes it, a reply to a resolved or closed ticket reopens it
    within the tenant's reopen window and otherwise opens a follow-up
    ticket (the returned message's ``ticket``).

    Raises InvalidInput naming ``body`` (empty, too long) or ``file``,
    checked before anything is written.
    """
    if ticket.customer_id != user.customer_id:
        raise InvalidInput("is not one of your tickets", field="ticket")
    inputs.text(body, "body", required=True, max_length=inputs.TEXT_MAX_LENGTH)
    _check_upload(user, upload)
    return tickets.add_message(
        ticket=ticket,
        body=body,
        author_email=user.email,
        attachments=[upload] if upload is not None else [],
    )


@transaction.atomic
def update_profile(*, user: PortalUser, name: Any, email: Any, phone: Any) -> PortalUser:
    """Change ``user``'s name and their customer's contact ``email`` (where
    invoices and notices go) and ``phone`` (normalised to E.164, for SMS
    notices) through ``customers.services.update_customer``. The sign-in
    address is not changed here: it stays what the invitation was sent to.
    Audited as ``portal.profile`` (and ``customer.update``).

    Raises InvalidInput naming ``name``, ``email`` or ``phone``.
    """
    clean_name = inputs.text(name, "name", max_length=200)
    customer = user.customer
    # Only what changed goes to the customers app, so an unchanged form
    # writes no audit row there.
    changed = {
        field: value
        for field, value in (("email", email), ("phone", phone))
        if not isinstance(value, str) or value.strip() != getattr(customer, field)
    }
    if changed:
        customer = update_customer(customer=customer, actor=actor_of(user), **changed)
    before = user.name
    user.name = clean_name
    user.customer = customer
    user.save(update_fields=["name", "updated_at"])
    if before != clean_name:
        audit.record(
            tenant=user.tenant,
            actor=actor_of(user),
            action="portal.profile",
            obj=user,
            before={"name": before},
            after={"name": clean_name},
        )
    return user


def set_language(*, user: PortalUser, language: Any) -> PortalUser:
    """Save the language ``user`` reads the portal in: a code of
    ``settings.PORTAL_LANGUAGES``, or ``""`` for the tenant's or the
    browser's (``portal.language``).

    Raises InvalidInput naming ``language`` for any other value.
    """
    codes = [code for code, _name in settings.PORTAL_LANGUAGES]
    if not isinstance(language, str) or language not in ["", *codes]:
        raise InvalidInput(_("Choose one of the languages listed."), field="language")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language", "updated_at"])
    return user


def set_sms_sign_in(*, user: PortalUser, on: Any) -> PortalUser:
    """Switch ``user``'s own sign-in code by SMS on or off
    (``portal.sign_in_codes``); off only drops their own choice, never the
    tenant's rule. Audited as ``portal.sms_sign_in``.

    Raises InvalidInput naming ``sms_sign_in`` when switching on without a
    mobile number on the account (they could not sign in again).
    """
    wanted = inputs.flag(on, "sms_sign_in")
    if wanted and not sign_in_codes.mobile_number(user):
        raise InvalidInput(
            _("Add a mobile phone number to your details first: the code is sent to it."),
            field="sms_sign_in",
        )
    if user.sms_sign_in != wanted:
        user.sms_sign_in = wanted
        user.save(update_fields=["sms_sign_in", "updated_at"])
        audit.record(
            tenant=user.tenant,
            actor=actor_of(user),
            action="portal.sms_sign_in",
            obj=user,
            before={"sms_sign_in": not wanted},
            after={"sms_sign_in": wanted},
        )
    return user


@transaction.atomic
def change_password(*, user: PortalUser, current: Any, password: Any, confirm: Any) -> PortalUser:
    """Set a new password for a signed-in ``user`` who knows the current one.
    Their other sessions end (the session is bound to the password hash,
    ``portal.auth``); the caller signs the current one in again. Audited as
    ``portal.password_change``.

    Raises InvalidInput naming ``current_password`` (wrong), ``confirm``
    (the two entries differ) or ``password`` (Django's validators).
    """
    raw_current = inputs.text(current, "current_password", max_length=200, strip=False)
    if not raw_current or not user.check_password(raw_current):
        raise InvalidInput("is not your current password", field="current_password")
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
        tenant=user.tenant, actor=actor_of(user), action="portal.password_change", obj=user
    )
    return user


def set_preferences(*, user: PortalUser, posted: Any) -> dict[str, dict[str, bool]]:
    """Store the customer's notice preferences from the portal form: for
    each ``NotificationKind``, the checkboxes ``<kind>-email`` and
    ``<kind>-sms`` present in ``posted`` (a QueryDict or dict) are on, the
    others off. Returns them (``notifications.selectors.preferences_of``)."""
    choices = {
        kind: {"email": f"{kind}-email" in posted, "sms": f"{kind}-sms" in posted}
        for kind in NotificationKind.values
    }
    return notifications.set_preferences(
        customer=user.customer, choices=choices, actor=actor_of(user)
    )
