"""Sending email. This app knows no business object: callers hand it the
content, and it sends it through Django's mail backend and logs the result.

Callers write their message bodies as Django templates under their app's
``templates/<app>/email/`` (SMS: ``sms/``), with ``{% translate %}`` and
``{% blocktranslate %}`` so they can be translated, and render them with
``render_text``.

Customers switch notices off per kind and channel
(``models.NotificationPreference``, set in the portal). A caller sending a
notice of a switchable kind names it: ``send_email(..., customer_id=...,
kind=NotificationKind.INVOICE_ISSUED)``, and the message is not sent (and
not logged) when the customer turned that channel off. Legal and
transactional messages (password reset and invitation links, ticket
acknowledgements, credit notes, staff alerts) name no kind and therefore
always go: they are not the customer's to switch off.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template import engines

from ispstack.core import audit, inputs
from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant
from ispstack.notifications.models import EmailLog, NotificationKind, NotificationPreference
from ispstack.notifications.selectors import allows, preferences_of

logger = logging.getLogger(__name__)


def render_text(template_name: str, context: dict[str, Any]) -> str:
    """A plain-text message rendered from a template (the ``text`` template
    engine: nothing is HTML-escaped), in the active language."""
    return engines["text"].get_template(template_name).render(context)


@dataclass(frozen=True)
class Attachment:
    """A file to attach: name, content bytes and MIME type."""

    filename: str
    content: bytes
    mimetype: str


def send_email(
    *,
    tenant: Tenant,
    to: str,
    subject: str,
    body: str,
    attachments: tuple[Attachment, ...] = (),
    reference: str = "",
    from_address: str = "",
    headers: dict[str, str] | None = None,
    customer_id: int | None = None,
    kind: str = "",
) -> EmailLog | None:
    """Send one email now, from the tenant's address, and log it.

    ``customer_id`` and ``kind`` (a ``NotificationKind``): a notice the
    customer may switch off; when they switched email off for that kind,
    nothing is sent nor logged and None is returned. Without a kind the
    email always goes (legal and transactional messages: see the module).

    ``from_address`` replaces the tenant's address as the sender (a support
    mailbox); ``headers`` are extra header fields (``Message-ID``,
    ``In-Reply-To``, ``References`` of a conversation, RFC 5322 3.6.4).
    Raises the backend's error (after logging it as failed) so that the
    outbox job that called this retries.
    """
    if not allows(customer_id, kind, "email"):
        logger.info("email %r to customer %s not sent: %s switched off", subject, customer_id, kind)
        return None
    sender = from_address or tenant.email or settings.DEFAULT_FROM_EMAIL
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=f"{tenant.name} <{sender}>",
        to=[to],
        headers=headers or None,
    )
    for item in attachments:
        message.attach(item.filename, item.content, item.mimetype)
    log = EmailLog(
        tenant=tenant,
        to=to,
        subject=subject,
        body=body,
        reference=reference,
        attachments=[a.filename for a in attachments],
    )
    try:
        message.send(fail_silently=False)
    except Exception as exc:
        log.status = EmailLog.Status.FAILED
        log.error = f"{type(exc).__name__}: {exc}"
        log.save()
        raise
    log.status = EmailLog.Status.SENT
    log.save()
    return log


@transaction.atomic
def set_preferences(
    *, customer: Any, choices: dict[str, dict[str, Any]], actor: Any = None
) -> dict[str, dict[str, bool]]:
    """Store ``customer``'s (a ``customers.Customer``) choice of notices: ``choices`` maps each
    ``NotificationKind`` value to ``{"email": bool, "sms": bool}`` (a kind
    left out keeps its current choice). Audited as
    ``notifications.preferences``; returns ``selectors.preferences_of``.

    Raises InvalidInput naming ``kind`` (not a ``NotificationKind``) or the
    channel (not a yes/no value).
    """
    customer_id = customer.pk
    before = preferences_of(customer_id)
    for kind, channels in choices.items():
        if kind not in NotificationKind.values:
            raise InvalidInput(f"must be one of {', '.join(NotificationKind.values)}", field="kind")
        values = {
            channel: inputs.flag(channels.get(channel, before[kind][channel]), channel)
            for channel in ("email", "sms")
        }
        NotificationPreference.objects.update_or_create(
            tenant_id=customer.tenant_id, customer_id=customer_id, kind=kind, defaults=values
        )
    after = preferences_of(customer_id)
    if after != before:
        audit.record(
            tenant=customer.tenant,
            actor=actor,
            action="notifications.preferences",
            obj=customer,
            before=before,
            after=after,
        )
    return after
