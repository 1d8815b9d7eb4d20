"""Email to ticket: the support mailboxes a tenant polls and every mail that
went in or out of a ticket."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from ispstack.core.fields import EncryptedTextField
from ispstack.core.models import TenantScopedModel


class MailSecurity(models.TextChoices):
    """How the IMAP connection is protected."""

    SSL = "ssl", _("TLS (IMAPS, port 993)")
    STARTTLS = "starttls", _("STARTTLS (port 143)")
    NONE = "none", _("None (trusted network only)")


class SupportMailbox(TenantScopedModel):
    """An IMAP folder a tenant's customers write to; each new mail becomes a
    ticket or a reply on one.

    The poll state (``uidvalidity``, ``last_uid``) is what has been imported
    so far: UIDs are only meaningful with their UIDVALIDITY (RFC 3501
    2.3.1.1). ``support_address`` is the From of replies sent on the
    tickets. ``last_error`` is the last failed poll's reason, kept until a
    poll succeeds.
    """

    name = models.CharField(max_length=100, help_text=_("E.g. 'Support'."))
    host = models.CharField(max_length=255, help_text=_("IMAP server host name."))
    port = models.PositiveIntegerField(
        default=993, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    security = models.CharField(
        max_length=10, choices=MailSecurity.choices, default=MailSecurity.SSL
    )
    username = models.CharField(max_length=255)
    password = EncryptedTextField(blank=True)
    folder = models.CharField(max_length=200, default="INBOX")
    support_address = models.EmailField(
        help_text=_("The address customers write to; the From of ticket replies.")
    )
    poll_enabled = models.BooleanField(default=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True, editable=False)
    last_uid = models.BigIntegerField(default=0, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name_plural = _("support mailboxes")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "host", "username", "folder"],
                name="tickets_supportmailbox_folder_uniq",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.support_address}>"


class MailDirection(models.TextChoices):
    """A mail received from a customer or sent to one."""

    INBOUND = "in", _("Received")
    OUTBOUND = "out", _("Sent")


class TicketEmail(TenantScopedModel):
    """One email that went into or out of a ticket, by its Message-ID.

    ``message_id`` is unique per tenant: an inbound mail already recorded is
    never imported again (after a crash between import and bookkeeping, or
    a UIDVALIDITY change); replies find their ticket through the
    Message-IDs in ``In-Reply-To`` / ``References`` (RFC 5322 3.6.4).
    ``uidvalidity`` / ``uid`` say where an inbound mail was read.
    ``ticket_message`` is the reply it became or came from (empty for the
    mail that opened a ticket: that mail is the ticket's description).
    ``refused_files`` lists attachments not stored, with the reason:
    ``[{"filename": str, "size": bytes, "reason": str}]``.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="emails")
    ticket_message = models.ForeignKey(
        "tickets.TicketMessage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="emails",
    )
    mailbox = models.ForeignKey(
        SupportMailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="emails"
    )
    direction = models.CharField(max_length=3, choices=MailDirection.choices)
    message_id = models.CharField(max_length=250)
    sender = models.CharField(max_length=254, blank=True)
    recipient = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    uid = models.BigIntegerField(null=True, blank=True)
    refused_files = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("ticket email")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "message_id"], name="tickets_ticketemail_message_id_uniq"
            ),
        ]
        indexes = [models.Index(fields=["ticket", "direction"], name="tickets_email_ticket_idx")]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.message_id}"
