"""Card payments against localstripe (the Stripe API on 127.0.0.1) with the
official stripe SDK: save a card, charge an invoice, a declined card, and
signed webhooks (a dispute reverses the payment; a bad signature is refused)."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
import stripe

from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.payments.cards import charge_invoice, save_card
from ispstack.payments.gateways import CardDeclined
from ispstack.payments.models import Payment

pytestmark = pytest.mark.django_db
WEBHOOK_SECRET = "whsec_test_secret"


@pytest.fixture
def stripe_settings(settings, localstripe_server):
    settings.STRIPE_API_KEY = "sk_test_ispstack"
    settings.STRIPE_API_BASE = localstripe_server
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    return stripe.StripeClient("sk_test_ispstack", base_addresses={"api": localstripe_server})


def _token(client, number: str) -> str:
    return client.v1.tokens.create(
        params={"card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    ).id


def _signed(payload: dict) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    ts = int(time.time())
    sig = stripe.WebhookSignature._compute_signature(f"{ts}.{body.decode()}", WEBHOOK_SECRET)
    return body, f"t={ts},v1={sig}"


def test_save_charge_and_dispute(tenant, make_subscription, stripe_settings, client):
    sub = make_subscription(tenant, start_date=dt.date(2026, 1, 1))
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    card = save_card(customer=sub.customer, token=_token(stripe_settings, "4242424242424242"))
    assert (card.display, card.card_last4, card.is_primary) == ("Visa ***4242", "4242", True)
    assert card.card_token.startswith("card_") and card.gateway_customer.startswith("cus_")

    invoice = Invoice.objects.get(customer=sub.customer)
    payment = charge_invoice(invoice=invoice)
    assert payment.reference.startswith("ch_")
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"

    body, signature = _signed(
        {
            "id": "evt_1",
            "object": "event",
            "type": "charge.dispute.created",
            "data": {"object": {"id": "dp_1", "charge": payment.reference}},
        }
    )
    bad = client.post(
        "/api/v1/webhooks/stripe/",
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature.replace("v1=", "v1=0"),
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "Stripe-Signature")
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    ok = client.post(
        "/api/v1/webhooks/stripe/",
        body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature,
    )
    assert ok.json() == {"received": "charge.dispute.created"}
    assert Payment.objects.get(pk=payment.pk).reversed_on is not None
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"


def test_a_declined_card_records_nothing(tenant, make_subscription, stripe_settings):
    sub = make_subscription(tenant, start_date=dt.date(2026, 1, 1))
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    with pytest.raises(CardDeclined) as err:
        save_card(customer=sub.customer, token=_token(stripe_settings, "4000000000000002"))
    assert err.value.status_code == 402
    assert not Payment.objects.exists()


def test_cards_need_a_configured_gateway(tenant, make_customer, settings):
    from ispstack.core.errors import InvalidInput

    settings.STRIPE_API_KEY = ""
    with pytest.raises(InvalidInput) as err:
        save_card(customer=make_customer(tenant), token="tok_123")
    assert err.value.field == "card"


def test_card_through_the_api(tenant, make_subscription, stripe_settings, api_client_for):
    client = api_client_for(tenant, role="billing")
    sub = make_subscription(tenant, start_date=dt.date(2026, 1, 1))
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    saved = client.post(
        "/api/v1/payment-methods/",
        {
            "customer": sub.customer_id,
            "kind": "card",
            "token": _token(stripe_settings, "4242424242424242"),
        },
        format="json",
    )
    assert saved.status_code == 201, saved.json()
    assert saved.json()["display"] == "Visa ***4242"
    invoice = Invoice.objects.get(customer=sub.customer)
    charged = client.post(f"/api/v1/invoices/{invoice.pk}/charge-card/")
    assert charged.status_code == 201, charged.json()
    again = client.post(f"/api/v1/invoices/{invoice.pk}/charge-card/")
    assert (again.status_code, again.json()["code"]) == (409, "invalid_transition")


def test_credit_goes_back_to_the_card(tenant, make_subscription, stripe_settings, api_client_for):
    from ispstack.billing.credit_notes import create_credit_note
    from ispstack.payments.models import Refund

    client = api_client_for(tenant, role="billing")
    sub = make_subscription(tenant, start_date=dt.date(2026, 1, 1))
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    card = save_card(customer=sub.customer, token=_token(stripe_settings, "4242424242424242"))
    invoice = Invoice.objects.get(customer=sub.customer)
    payment = charge_invoice(invoice=invoice, method=card)
    url = f"/api/v1/payments/{payment.pk}/refund-to-card/"
    nothing = client.post(url, {"amount": "1.00"}, format="json")
    assert (nothing.status_code, nothing.json()["field"]) == (400, "amount")  # no credit yet
    create_credit_note(invoice=invoice, reason="service never worked")
    refunded = client.post(url, {"amount": "35.70"}, format="json")
    assert refunded.status_code == 201, refunded.json()
    assert Refund.objects.get().reference.startswith("re_")
    again = client.post(url, {"amount": "0.01"}, format="json")
    assert again.status_code == 400
