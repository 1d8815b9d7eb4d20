"""Card payments: save a card, charge an invoice, refund, and Stripe webhooks."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db import transaction

from ispstack.billing.models import OPEN_STATUSES, Invoice
from ispstack.core import audit, clock, inputs
from ispstack.core.errors import InvalidInput, InvalidTransition, NotFound
from ispstack.customers.models import Customer
from ispstack.payments.gateways import Intent, gateway
from ispstack.payments.methods import _save
from ispstack.payments.models import CardPayment, CustomerPaymentMethod, Payment, PaymentMethod
from ispstack.payments.services import record_payment, reverse_payment

_TOKEN_LENGTH = CustomerPaymentMethod._meta.get_field("card_token").max_length
# What reverses a card payment: a dispute names the charge, a failed charge is one.
_REVERSING_EVENTS = {"charge.dispute.created": "charge", "charge.failed": "id"}


def save_card(
    *, customer: Customer, token: str, primary: bool = False, actor: Any = None
) -> CustomerPaymentMethod:
    """Turn a gateway card token into a saved card (the gateway keeps the card).

    Raises InvalidInput (field ``token``: not a ``tok_...`` token, or longer
    than a card token column), CardDeclined.
    """
    token = inputs.text(token, "token", max_length=_TOKEN_LENGTH)
    if not token.startswith("tok_"):
        raise InvalidInput("must be a card token from the gateway (tok_...)", field="token")
    primary = inputs.flag(primary, "primary")
    card = gateway().save_card(token, customer.email)
    with transaction.atomic():
        return _save(
            customer,
            actor,
            primary,
            CustomerPaymentMethod(
                tenant=customer.tenant,
                customer=customer,
                kind=CustomerPaymentMethod.Kind.CARD,
                gateway_customer=card.customer_id,
                card_token=card.card_id,
                card_brand=card.brand,
                card_last4=card.last4,
                card_exp_month=card.exp_month,
                card_exp_year=card.exp_year,
            ),
        )


def charge_invoice(
    *, invoice: Invoice, method: CustomerPaymentMethod | None = None, actor: Any = None
) -> Payment:
    """Charge what is due on ``invoice`` to a saved card (default: the primary one).

    The idempotency key is the invoice and the amount due, so a retried
    request charges once. Raises CardDeclined, NotFound (no card),
    InvalidTransition (nothing due).
    """
    if invoice.status not in OPEN_STATUSES or invoice.amount_due <= 0:
        raise InvalidTransition(f"invoice {invoice} has nothing due", field="invoice")
    card = (
        method
        or CustomerPaymentMethod.objects.filter(
            customer_id=invoice.customer_id, kind=CustomerPaymentMethod.Kind.CARD, is_primary=True
        ).first()
    )
    if card is None or card.kind != CustomerPaymentMethod.Kind.CARD or not card.gateway_customer:
        raise NotFound("the customer has no saved card", field="card")
    charge_id = gateway().charge(
        customer_id=card.gateway_customer,
        card_id=card.card_token,
        amount=invoice.amount_due,
        currency=invoice.currency,
        description=f"Invoice {invoice.number}",
        idempotency_key=f"invoice-{invoice.pk}-{invoice.amount_due}",
    )
    return record_payment(
        tenant=invoice.tenant,
        customer=invoice.customer,
        amount=invoice.amount_due,
        received_on=clock.today(invoice.tenant),
        method=PaymentMethod.CARD,
        reference=charge_id,
        actor=actor,
    )


def pay_invoice(
    *,
    invoice: Invoice,
    method: CustomerPaymentMethod,
    return_url: str = "",
    actor: Any = None,
) -> CardPayment:
    """Pay what is due on ``invoice`` with a saved card of its customer through a
    Stripe PaymentIntent; returns the attempt.

    ``succeeded``: the payment is recorded (``record_payment``: allocated,
    collections reconnects after commit). ``requires_action``: the bank
    wants 3-D Secure; ``finish_card_payment`` settles it when the customer
    is back (``return_url``, see ``StripeGateway.create_intent``).
    ``failed``: the card was refused after all (``error`` says why).

    Once per invoice at a time: the customer's row is locked through the
    gateway call, so a repeated submit waits and then finds the invoice
    paid (InvalidTransition) or the same attempt waiting for the bank
    (returned as it is). A waiting attempt of another card or amount is
    canceled first. Raises InvalidTransition (field ``invoice``: nothing
    due), NotFound (field ``method``: not a usable card of the customer),
    CardDeclined.
    """
    with transaction.atomic():
        Customer.objects.select_for_update().get(pk=invoice.customer_id)
        invoice = Invoice.objects.select_related("tenant", "customer").get(pk=invoice.pk)
        waiting = CardPayment.objects.filter(
            invoice=invoice, status=CardPayment.Status.REQUIRES_ACTION
        ).first()
        if (
            waiting is not None
            and waiting.method_id == method.pk
            and waiting.amount == invoice.amount_due
        ):
            return waiting
        if invoice.status not in OPEN_STATUSES or invoice.amount_due <= 0:
            raise InvalidTransition(f"invoice {invoice.number} has nothing due", field="invoice")
        card = CustomerPaymentMethod.objects.filter(
            pk=method.pk,
            customer_id=invoice.customer_id,
            kind=CustomerPaymentMethod.Kind.CARD,
            removed_at__isnull=True,
        ).first()
        if card is None or not card.gateway_customer:
            raise NotFound("no such card of the customer", field="method")
        if waiting is not None:
            gateway().cancel_intent(waiting.intent_id)
            waiting.status = CardPayment.Status.CANCELED
            waiting.save(update_fields=["status", "updated_at"])
        tries = CardPayment.objects.filter(invoice=invoice).count()
        intent = gateway().create_intent(
            customer_id=card.gateway_customer,
            payment_method=card.card_token,
            amount=invoice.amount_due,
            currency=invoice.currency,
            metadata={
                "invoice": invoice.number,
                "invoice_id": str(invoice.pk),
                "customer": invoice.customer.account_number,
            },
            idempotency_key=f"invoice-{invoice.pk}-{invoice.amount_due}-card-{card.pk}-{tries}",
            return_url=return_url,
        )
        attempt = CardPayment.objects.create(
            tenant=invoice.tenant,
            customer=invoice.customer,
            invoice=invoice,
            method=card,
            intent_id=intent.id,
            amount=invoice.amount_due,
            currency=invoice.currency,
            status=CardPayment.Status.REQUIRES_ACTION,
        )
        _settle(attempt, intent, actor)
        audit.record(
            tenant=invoice.tenant,
            actor=actor,
            action="card_payment.start",
            obj=attempt,
            after={"status": attempt.status, "amount": str(attempt.amount)},
        )
        return attempt


def finish_card_payment(*, customer: Customer, intent_id: str, actor: Any = None) -> CardPayment:
    """Settle the customer's attempt waiting for the bank, as Stripe has it now
    (the customer is back from 3-D Secure): recorded when it succeeded,
    ``failed`` when the bank refused, still waiting otherwise. An attempt
    settled already is returned as it is, so a repeated return pays once.

    Raises NotFound (field ``payment_intent``: not an attempt of this customer).
    """
    intent_id = inputs.text(intent_id, "payment_intent", max_length=100)
    with transaction.atomic():
        Customer.objects.select_for_update().get(pk=customer.pk)
        attempt = (
            CardPayment.objects.filter(customer=customer, intent_id=intent_id)
            .select_related("tenant", "customer", "invoice")
            .first()
            if intent_id
            else None
        )
        if attempt is None:
            raise NotFound("no such card payment", field="payment_intent")
        if attempt.status != CardPayment.Status.REQUIRES_ACTION:
            return attempt
        _settle(attempt, gateway().retrieve_intent(intent_id), actor)
        audit.record(
            tenant=attempt.tenant,
            actor=actor,
            action="card_payment.finish",
            obj=attempt,
            after={"status": attempt.status},
        )
        return attempt


def _settle(attempt: CardPayment, intent: Intent, actor: Any) -> None:
    """Bring ``attempt`` to the intent's state; records the payment (reference:
    the charge id, as disputes and refunds find it) when it succeeded."""
    if intent.status == "succeeded":
        attempt.payment = record_payment(
            tenant=attempt.tenant,
            customer=attempt.customer,
            amount=attempt.amount,
            received_on=clock.today(attempt.tenant),
            method=PaymentMethod.CARD,
            reference=intent.charge_id or intent.id,
            actor=actor,
        )
        attempt.status = CardPayment.Status.SUCCEEDED
    elif intent.status in ("requires_action", "processing"):
        attempt.status = CardPayment.Status.REQUIRES_ACTION
    elif intent.status == "canceled":
        attempt.status = CardPayment.Status.CANCELED
    else:
        attempt.status = CardPayment.Status.FAILED
        attempt.error = (intent.error or "the bank did not confirm the payment")[:300]
    attempt.save(update_fields=["payment", "status", "error", "updated_at"])


def handle_webhook(payload: bytes, signature: str) -> str:
    """Verify a Stripe webhook (``Stripe-Signature``: HMAC-SHA256 of the
    timestamped body with ``STRIPE_WEBHOOK_SECRET``, at most five minutes
    old, as Stripe's SDK checks it) and act on it.

    ``charge.dispute.created`` and ``charge.failed`` reverse the payment of
    that charge (the invoice is open again). Returns the event type.

    Raises InvalidInput: field ``Stripe-Signature`` when the signature is
    missing, wrong or stale, or no secret is configured (the body is not
    trusted before it is verified); ``body`` when a signed body is not a JSON
    object; ``type`` or ``data.object`` when the event lacks them.
    """
    import stripe

    try:
        stripe.WebhookSignature.verify_header(
            payload,
            signature,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=stripe.Webhook.DEFAULT_TOLERANCE,
        )
    except (UnicodeDecodeError, stripe.SignatureVerificationError):
        raise InvalidInput(
            "the webhook signature does not match", field="Stripe-Signature"
        ) from None
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError):
        raise InvalidInput("the webhook body is not JSON", field="body") from None
    if not isinstance(event, dict):
        raise InvalidInput("the webhook body must be a JSON object", field="body")
    kind = event.get("type")
    if not isinstance(kind, str) or not kind:
        raise InvalidInput("the event has no type", field="type")
    if kind in _REVERSING_EVENTS:
        data = event.get("data")
        obj = data.get("object") if isinstance(data, dict) else None
        if not isinstance(obj, dict):
            raise InvalidInput("the event has no object", field="data.object")
        key = _REVERSING_EVENTS[kind]
        charge_id = inputs.text(obj.get(key), f"data.object.{key}", required=True)
        payment = Payment.objects.filter(
            method=PaymentMethod.CARD, reference=charge_id, reversed_on__isnull=True
        ).first()
        if payment is not None:
            reverse_payment(payment=payment, reason=kind, on=clock.today(payment.tenant))
            audit.record(
                tenant=payment.tenant, actor="stripe", action=f"stripe.{kind}", obj=payment
            )
    return kind


def refund_card_payment(*, payment: Payment, amount: Any, actor: Any = None) -> Any:
    """Pay the customer's credit back to the card a payment came from.

    At most the payment's amount, and at most the customer's unused credit
    (after a credit note, say). The gateway refunds part of the original
    charge, then the refund is recorded against the credit. Raises
    InvalidInput (not a card payment, too much), InvalidTransition (reversed).
    """
    from ispstack.core.money import parse_amount
    from ispstack.payments.selectors import credit
    from ispstack.payments.services import record_refund

    if payment.method != PaymentMethod.CARD or not payment.reference.startswith("ch_"):
        raise InvalidInput("only card payments can be refunded to the card", field="payment")
    if payment.reversed_on is not None:
        raise InvalidTransition("the payment was reversed", field="payment")
    value = parse_amount(amount, payment.currency, allow_zero=False)
    with transaction.atomic():
        Customer.objects.select_for_update().get(pk=payment.customer_id)
        available = credit(payment.customer)
        if value > min(available, payment.amount):
            raise InvalidInput(
                f"at most {min(available, payment.amount)} can be refunded", field="amount"
            )
        refund_id = gateway().refund(
            charge_id=payment.reference, amount=value, currency=payment.currency
        )
        return record_refund(
            tenant=payment.tenant,
            customer=payment.customer,
            amount=value,
            method=PaymentMethod.CARD,
            reference=refund_id,
            actor=actor,
            reason=f"refund of card payment {payment.reference}",
        )
