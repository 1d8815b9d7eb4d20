"""One-time sign-in codes by SMS: the second step of a portal sign-in.

A portal user types a code after the password when the tenant asks it of
everyone (``PortalBranding.sms_sign_in``) or the user asked for it
(``PortalUser.sms_sign_in``). The code goes to the customer's mobile number
(``Customer.phone`` read with libphonenumber; a landline cannot receive it).
The rules of the code (length, lifetime, tries, resend delay, stored as an
HMAC) are ``notifications.one_time_codes``, shared with the hotspot's
captive sign-in; ``MAX_TRIES`` wrong entries spend the code and the caller
locks the login out like wrong passwords (django-axes). The code is made by
the SMS job when it sends the message, so no job row holds it.
"""

from __future__ import annotations

import datetime as dt
import logging

import phonenumbers
from django.db import transaction
from django.utils import translation
from django.utils.crypto import constant_time_compare

from ispstack.core import audit, clock, outbox
from ispstack.core.models import Job
from ispstack.notifications.one_time_codes import (
    LENGTH,
    LIFETIME,
    MAX_TRIES,
    RESEND_AFTER,
    Check,
    TooSoon,
    digest,
    new_code,
    wait_before_resend,
)
from ispstack.notifications.services import render_text
from ispstack.notifications.sms import send_sms
from ispstack.portal.language import mail_language
from ispstack.portal.models import PortalUser, SignInCode
from ispstack.portal.selectors import brand_of, branding_for

logger = logging.getLogger(__name__)

SEND_JOB = "portal.send_sign_in_code"

__all__ = ["LENGTH", "LIFETIME", "MAX_TRIES", "RESEND_AFTER", "Check", "TooSoon"]


def required(user: PortalUser) -> bool:
    """Whether ``user`` must type a code sent by SMS after the password."""
    return user.sms_sign_in or branding_for(user.tenant).sms_sign_in


def mobile_number(user: PortalUser) -> str:
    """The customer's phone as E.164 when libphonenumber reads it as a valid
    number that can take an SMS (mobile, or a plan where it cannot tell);
    "" otherwise. The customers app stores E.164 already; a number without
    ``+`` from before that rule is read in the tenant's country, as that app
    reads it."""
    region = user.tenant.country.upper() or None
    try:
        number = phonenumbers.parse(user.customer.phone, region)
    except phonenumbers.NumberParseException:
        return ""
    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in kinds:
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def record_refusal(*, user: PortalUser, ip: str) -> None:
    """Log and audit a sign-in refused because a code is required and the
    customer has no mobile number on file (support must add one)."""
    logger.warning(
        "portal sign-in of user %s (tenant %s) refused: a code by SMS is required and "
        "customer %s has no mobile number",
        user.pk,
        user.tenant.slug,
        user.customer.account_number,
    )
    audit.record(
        tenant=user.tenant,
        actor=f"portal:{user.email}",
        action="portal.login_refused",
        obj=user,
        after={"ip": ip, "reason": "sign-in code required, no mobile number"},
    )


def _digest(row: SignInCode, code: str) -> str:
    return digest("ispstack.portal.sign_in_code", row.pk, row.sent_at, code)


@transaction.atomic
def request_code(*, user: PortalUser) -> SignInCode:
    """Ask for a new code for ``user``: any earlier one stops working, the
    tries start again, and the SMS job is queued (it makes and sends the
    code after commit). Raises TooSoon within ``RESEND_AFTER`` of the last
    request."""
    now = clock.now()
    row, _created = SignInCode.objects.select_for_update().get_or_create(
        user=user, defaults={"tenant_id": user.tenant_id}
    )
    wait = wait_before_resend(row.requested_at, now)
    if wait:
        raise TooSoon(wait)
    row.requested_at, row.sent_at, row.digest, row.tries = now, None, "", 0
    row.save()
    # A code is worthless minutes later: a few quick retries, not a day of them.
    outbox.enqueue(
        tenant=user.tenant,
        kind=SEND_JOB,
        payload={"code_id": row.pk, "requested_at": now.isoformat()},
        max_attempts=3,
    )
    return row


@outbox.handler(SEND_JOB)
def deliver_code(job: Job) -> None:
    """Make the code, store its HMAC and text it to the customer's mobile
    number, in the user's language. A request superseded by a newer one, or
    older than ``LIFETIME``, sends nothing."""
    row = SignInCode.objects.select_related("user__customer", "user__tenant").get(
        pk=job.payload["code_id"]
    )
    now = clock.now()
    asked = dt.datetime.fromisoformat(job.payload["requested_at"])
    if row.requested_at != asked or now - asked > LIFETIME:
        return
    user = row.user
    to = mobile_number(user)
    if not to:
        return
    code = new_code()
    row.sent_at = now
    row.digest = _digest(row, code)
    row.save(update_fields=["sent_at", "digest", "updated_at"])
    with translation.override(mail_language(user)):
        text = render_text(
            "portal/sms/sign_in_code.txt",
            {
                "code": code,
                "name": brand_of(user.tenant).name,
                "minutes": int(LIFETIME.total_seconds() // 60),
            },
        )
    send_sms(tenant=user.tenant, to=to, text=text.strip(), reference=f"portal-code-{user.pk}")


@transaction.atomic
def check_code(*, user: PortalUser, code: str) -> Check:
    """Check ``code`` (spaces ignored) against ``user``'s outstanding code. A
    right code is spent; a wrong one counts, and the ``MAX_TRIES``-th spends
    the code (``locked``, audited as ``portal.sign_in_code_locked``)."""
    row = SignInCode.objects.select_for_update().filter(user=user).first()
    now = clock.now()
    if row is None or not row.digest or row.sent_at is None or now - row.sent_at > LIFETIME:
        return Check("expired")
    typed = "".join(str(code).split())
    if constant_time_compare(_digest(row, typed), row.digest):
        row.digest, row.tries = "", 0
        row.save(update_fields=["digest", "tries", "updated_at"])
        return Check("ok")
    row.tries += 1
    if row.tries >= MAX_TRIES:
        row.digest = ""
        row.save(update_fields=["digest", "tries", "updated_at"])
        audit.record(
            tenant=user.tenant,
            actor=f"portal:{user.email}",
            action="portal.sign_in_code_locked",
            obj=user,
            after={"tries": row.tries},
        )
        return Check("locked")
    row.save(update_fields=["tries", "updated_at"])
    return Check("wrong", MAX_TRIES - row.tries)
