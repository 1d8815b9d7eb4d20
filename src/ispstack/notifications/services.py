"""Sending email. This app knows no business object: callers hand it the
content, and it sends it through Django's mail backend and logs the result.

Callers write their message bodies as Django templates under their app's
``templates/<app>/email/`` (SMS: ``sms/``), with ``{% translate %}`` and
``{% blocktranslate %}`` so they can be translated, and render them with
``render_text``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.template import engines

from ispstack.core.models import Tenant
from ispstack.notifications.models import EmailLog


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
) -> EmailLog:
    """Send one email now, from the tenant's address, and log it.

    ``from_address`` replaces the tenant's address as the sender (a support
    mailbox); ``headers`` are extra header fields (``Message-ID``,
    ``In-Reply-To``, ``References`` of a conversation, RFC 5322 3.6.4).
    Raises the backend's error (after logging it as failed) so that the
    outbox job that called this retries.
    """
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
