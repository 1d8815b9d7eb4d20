"""Bank transfers reported by customers, reviewed by a clerk.

The customer (API now, portal later) submits a transfer with a proof file:
``in_review``. A billing clerk approves it (a payment is recorded and
allocated, which may reconnect the customer) or rejects it with a reason.
The customer is emailed either way, through the outbox; every step is
audited. A clerk should decide within 48 hours, so a transfer waiting more
than 24 is flagged while there is still time to meet that.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed

from ispstack.core import audit, clock, inputs, outbox
from ispstack.core.errors import InvalidInput, InvalidTransition
from ispstack.core.models import Job
from ispstack.core.money import parse_amount, round_money
from ispstack.core.outbox import handler
from ispstack.customers.models import Customer
from ispstack.notifications.language import in_language_of
from ispstack.notifications.models import NotificationKind
from ispstack.notifications.services import render_text, send_email
from ispstack.payments.models import BankTransfer, PaymentMethod
from ispstack.payments.services import parse_date, record_payment

PROOF_TYPES = {".pdf", ".png", ".jpg", ".jpeg"}
MAX_PROOF_BYTES = 10 * 1024 * 1024
ATTENTION_AFTER = dt.timedelta(hours=24)


@transaction.atomic
def submit_transfer(
    *,
    customer: Customer,
    amount: Any,
    transferred_on: dt.date | str,
    proof: File,
    reference: str = "",
    actor: Any = None,
) -> BankTransfer:
    """Report a transfer with its proof (PDF, PNG or JPEG, at most 10 MB) and the
    reference the customer gave the bank (at most 140 characters, the SEPA
    remittance information).

    Raises InvalidInput naming the field.
    """
    value = parse_amount(amount, customer.currency, allow_zero=False)
    reference = inputs.text(reference, "reference")
    inputs.check_values(BankTransfer, {"reference": reference})
    transferred_on = parse_date(transferred_on, customer.tenant, "transferred_on")
    if transferred_on > clock.today(customer.tenant):
        raise InvalidInput("must not be in the future", field="transferred_on")
    name = getattr(proof, "name", None) or ""
    if proof is None or not name:
        raise InvalidInput("a proof of the transfer is required", field="proof")
    if Path(name).suffix.lower() not in PROOF_TYPES:
        raise InvalidInput("must be a PDF, PNG or JPEG file", field="proof")
    if proof.size is not None and proof.size > MAX_PROOF_BYTES:
        raise InvalidInput("must be at most 10 MB", field="proof")
    transfer = BankTransfer(
        tenant=customer.tenant,
        customer=customer,
        amount=value,
        currency=customer.currency,
        transferred_on=transferred_on,
        reference=reference,
    )
    transfer.proof.save(Path(name).name, proof, save=False)
    transfer.save()
    audit.record(
        tenant=customer.tenant,
        actor=actor,
        action="bank_transfer.submit",
        obj=transfer,
        after={"amount": str(value), "reference": transfer.reference},
    )
    return transfer


def _review(transfer: BankTransfer, name: str, actor: Any) -> BankTransfer:
    locked = BankTransfer.objects.select_for_update().get(pk=transfer.pk)
    try:
        getattr(locked, name)()
    except TransitionNotAllowed:
        raise InvalidTransition(f"the transfer is {locked.status}", field="status") from None
    locked.reviewed_by = actor if getattr(actor, "pk", None) else None
    locked.reviewed_at = clock.now()
    return locked


@transaction.atomic
def approve_transfer(*, transfer: BankTransfer, actor: Any = None) -> BankTransfer:
    """The money is on the account: record the payment and allocate it."""
    locked = _review(transfer, "approve", actor)
    locked.payment = record_payment(
        tenant=locked.tenant,
        customer=locked.customer,
        amount=locked.amount,
        received_on=locked.transferred_on,
        method=PaymentMethod.BANK_TRANSFER,
        reference=f"transfer #{locked.pk} {locked.reference}".strip()[:140],
        actor=actor,
    )
    locked.save()
    audit.record(tenant=locked.tenant, actor=actor, action="bank_transfer.approve", obj=locked)
    outbox.enqueue(
        tenant=locked.tenant, kind="payments.transfer_reviewed", payload={"transfer_id": locked.pk}
    )
    return locked


@transaction.atomic
def reject_transfer(*, transfer: BankTransfer, reason: str, actor: Any = None) -> BankTransfer:
    """The money is not there (or the proof is wrong): reject, with the reason
    the customer is told (text of at most ``core.inputs.TEXT_MAX_LENGTH``
    characters).

    Raises InvalidInput (field ``reason``), InvalidTransition (reviewed already).
    """
    reason = inputs.text(reason, "reason", max_length=inputs.TEXT_MAX_LENGTH)
    if not reason:
        raise InvalidInput("a reason is required to reject a transfer", field="reason")
    locked = _review(transfer, "reject", actor)
    locked.rejection_reason = reason
    locked.save()
    audit.record(
        tenant=locked.tenant, actor=actor, action="bank_transfer.reject", obj=locked, reason=reason
    )
    outbox.enqueue(
        tenant=locked.tenant, kind="payments.transfer_reviewed", payload={"transfer_id": locked.pk}
    )
    return locked


def needs_attention(transfer: BankTransfer) -> bool:
    """In review for more than 24 hours: half the 48-hour review target is gone."""
    return (
        transfer.status == BankTransfer.Status.IN_REVIEW
        and clock.now() - transfer.created_at > ATTENTION_AFTER
    )


@handler("payments.transfer_reviewed")
def notify_transfer_reviewed(job: Job) -> None:
    """Tell the customer, in the customer's language, whether the transfer
    was accepted."""
    transfer = BankTransfer.objects.select_related("customer", "tenant").get(
        pk=job.payload["transfer_id"]
    )
    approved = transfer.status == BankTransfer.Status.APPROVED
    with in_language_of(transfer.customer_id):
        # The language's decimal mark: 35.70 EUR, in German 35,70 EUR.
        number = formats.localize(round_money(transfer.amount, transfer.currency))
        amount = f"{number} {transfer.currency}"
        if approved:
            subject = _("Your transfer of %(amount)s was received") % {"amount": amount}
        else:
            subject = _("Your transfer of %(amount)s could not be confirmed") % {"amount": amount}
        body = render_text(
            "payments/email/transfer_reviewed.txt",
            {
                "customer": transfer.customer,
                "tenant": transfer.tenant,
                "amount": amount,
                "transferred_on": transfer.transferred_on,
                "approved": approved,
                "reason": transfer.rejection_reason,
            },
        )
    send_email(
        tenant=transfer.tenant,
        to=transfer.customer.email,
        subject=subject,
        body=body,
        reference=f"transfer:{transfer.pk}",
        # A refused transfer is news the customer must get; a received one
        # is a notice they may switch off.
        customer_id=transfer.customer_id,
        kind=NotificationKind.PAYMENT_RECEIVED if approved else "",
    )
