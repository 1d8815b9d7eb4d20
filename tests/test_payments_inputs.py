"""Input checks of the payments writes beyond the schema walk of
``test_api_hostile_input``: the Stripe webhook (authenticated by its
signature only), and the services' own checks that keep the admin and the
CLI from writing what the API refuses."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal

import pytest
import stripe
from django.core.files.uploadedfile import SimpleUploadedFile

from ispstack.billing.services import run_billing
from ispstack.core.errors import InvalidInput
from ispstack.core.inputs import TEXT_MAX_LENGTH
from ispstack.core.models import AuditLog
from ispstack.payments.cards import save_card
from ispstack.payments.direct_debit import create_batch
from ispstack.payments.methods import add_bank_account, add_card
from ispstack.payments.models import (
    BankTransfer,
    CustomerPaymentMethod,
    DirectDebitBatch,
    Payment,
    PaymentMethod,
)
from ispstack.payments.services import record_payment
from ispstack.payments.transfers import reject_transfer, submit_transfer

pytestmark = pytest.mark.django_db
D = dt.date
SECRET = "whsec_inputs_test"
WEBHOOK = "/api/v1/webhooks/stripe/"


def _signature(body: bytes, *, secret: str = SECRET, age: int = 0) -> str:
    timestamp = int(time.time()) - age
    digest = stripe.WebhookSignature._compute_signature(f"{timestamp}.{body.decode()}", secret)
    return f"t={timestamp},v1={digest}"


@pytest.fixture
def card_payment(tenant, make_customer, settings):
    settings.STRIPE_WEBHOOK_SECRET = SECRET
    return record_payment(
        tenant=tenant,
        customer=make_customer(tenant),
        amount="5.00",
        method=PaymentMethod.CARD,
        reference="ch_1",
    )


def _failed(charge: object) -> bytes:
    return json.dumps({"type": "charge.failed", "data": {"object": {"id": charge}}}).encode()


def test_a_signed_failed_charge_reverses_its_payment(client, card_payment):
    body = _failed("ch_1")
    response = client.post(
        WEBHOOK, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=_signature(body)
    )
    assert (response.status_code, response.json()) == (200, {"received": "charge.failed"})
    assert Payment.objects.get(pk=card_payment.pk).reversed_on is not None


@pytest.mark.parametrize(
    ("body", "signature", "field"),
    [
        pytest.param(_failed("ch_1"), "t=1,v1=00", "Stripe-Signature", id="wrong signature"),
        pytest.param(_failed("ch_1"), None, "Stripe-Signature", id="no signature"),
        pytest.param(_failed("ch_1"), "stale", "Stripe-Signature", id="ten minutes old"),
        pytest.param(
            _failed("ch_1"), "empty secret", "Stripe-Signature", id="signed without a secret"
        ),
        pytest.param(b'{"type": "\xff"}', "t=1,v1=00", "Stripe-Signature", id="not UTF-8"),
        pytest.param(b"[1, 2]", "signed", "body", id="a list"),
        pytest.param(b"{type: charge", "signed", "body", id="not JSON"),
        pytest.param(b"[" * 10_000 + b"]" * 10_000, "signed", "body", id="nested 10,000 deep"),
        pytest.param(b'{"id": "evt_1"}', "signed", "type", id="no type"),
        pytest.param(
            b'{"type": "charge.failed", "data": {"object": "ch_1"}}',
            "signed",
            "data.object",
            id="object not an object",
        ),
        pytest.param(_failed(5), "signed", "data.object.id", id="charge id a number"),
        pytest.param(_failed("ch_\x001"), "signed", "data.object.id", id="charge id with NUL"),
        pytest.param(
            b'{"type": "charge.dispute.created", "data": {"object": {"id": "dp_1"}}}',
            "signed",
            "data.object.charge",
            id="dispute without its charge",
        ),
    ],
)
def test_a_bad_webhook_is_refused_in_the_error_shape(
    client, card_payment, settings, body, signature, field
):
    if signature == "signed":
        signature = _signature(body)
    elif signature == "stale":
        signature = _signature(body, age=600)
    elif signature == "empty secret":
        settings.STRIPE_WEBHOOK_SECRET = ""
        signature = _signature(body, secret="")
    headers = {} if signature is None else {"HTTP_STRIPE_SIGNATURE": signature}
    audited = AuditLog.objects.count()
    response = client.post(WEBHOOK, body, content_type="application/json", **headers)
    assert response.status_code == 400
    assert set(response.json()) == {"code", "field", "detail"}
    assert response.json()["field"] == field
    assert Payment.objects.get(pk=card_payment.pk).reversed_on is None
    assert AuditLog.objects.count() == audited


def test_a_webhook_body_over_the_upload_limit_is_refused_in_the_error_shape(
    client, card_payment, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"type": "charge.failed", "pad": "x" * 2000}).encode()
    response = client.post(
        WEBHOOK, body, content_type="application/json", HTTP_STRIPE_SIGNATURE=_signature(body)
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "field": "body",
        "detail": "the body is larger than 1000 bytes",
    }


def test_an_iban_in_print_format_is_accepted(tenant, make_customer, api_client_for):
    customer = make_customer(tenant)
    response = api_client_for(tenant).post(
        "/api/v1/payment-methods/",
        {
            "customer": customer.pk,
            "kind": "bank_account",
            "iban": "DE89 3704 0044 0532 0130 00",
            "holder_name": "Ada Lovelace",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert CustomerPaymentMethod.objects.get().iban == "DE89370400440532013000"


def test_a_two_digit_card_expiry_year_is_refused(tenant, make_customer, api_client_for):
    customer = make_customer(tenant)
    response = api_client_for(tenant).post(
        "/api/v1/payment-methods/",
        {
            "customer": customer.pk,
            "kind": "card",
            "token": "card_1",
            "brand": "visa",
            "last4": "4242",
            "exp_month": 12,
            "exp_year": 30,
        },
        format="json",
    )
    assert (response.status_code, response.json()["field"]) == (400, "exp_year")
    assert not CustomerPaymentMethod.objects.exists()


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_statement_period_outside_the_calendar_is_refused(
    tenant, make_customer, api_client_for, day
):
    customer = make_customer(tenant)
    client = api_client_for(tenant)
    for name in ("start", "end"):
        query = {"start": "2026-01-01", "end": "2026-01-31", name: day}
        response = client.get(f"/api/v1/customers/{customer.pk}/statement/", query)
        assert (response.status_code, response.json()["field"]) == (400, name)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"holder_name": 5}, "holder_name"),
        ({"iban": ["DE89370400440532013000"]}, "iban"),
        ({"mandate_reference": "M" * 36, "mandate_signed_on": D(2025, 12, 1)}, "mandate_reference"),
        ({"mandate_reference": "M-1", "mandate_signed_on": "9999-12-31"}, "mandate_signed_on"),
        ({"primary": "maybe"}, "primary"),
    ],
)
def test_a_bank_account_with_a_bad_value_is_refused_naming_it(tenant, make_customer, values, field):
    account = {"iban": "DE89370400440532013000", "holder_name": "Ada Lovelace", **values}
    with pytest.raises(InvalidInput) as err:
        add_bank_account(customer=make_customer(tenant), **account)
    assert err.value.field == field
    assert not CustomerPaymentMethod.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"token": 5}, "token"),
        ({"brand": "b" * 21}, "brand"),
        ({"last4": "４２４２"}, "last4"),  # full-width digits
        ({"exp_month": "twelve"}, "exp_month"),
        ({"exp_year": 30}, "exp_year"),
        ({"exp_year": True}, "exp_year"),
    ],
)
def test_a_card_with_a_bad_value_is_refused_naming_it(tenant, make_customer, values, field):
    card = {
        "token": "card_1",
        "brand": "visa",
        "last4": "4242",
        "exp_month": 12,
        "exp_year": 2030,
        **values,
    }
    with pytest.raises(InvalidInput) as err:
        add_card(customer=make_customer(tenant), **card)
    assert err.value.field == field
    assert not CustomerPaymentMethod.objects.exists()


@pytest.mark.parametrize("token", [5, None, "tok_" + "x" * 200])
def test_a_card_token_that_is_no_gateway_token_is_refused(tenant, make_customer, token):
    with pytest.raises(InvalidInput) as err:
        save_card(customer=make_customer(tenant), token=token)
    assert err.value.field == "token"


def test_a_payment_by_an_account_number_that_is_no_text_is_refused(tenant):
    with pytest.raises(InvalidInput) as err:
        record_payment(tenant=tenant, account_number=12345, amount="5.00")
    assert err.value.field == "account_number"
    assert not Payment.objects.exists()


def _transfer(customer, **values):
    return submit_transfer(
        customer=customer,
        amount="10.00",
        transferred_on=D(2026, 1, 3),
        proof=SimpleUploadedFile("proof.pdf", b"%PDF-1.4"),
        **values,
    )


def test_a_transfer_reference_too_long_is_refused_not_cut(tenant, make_customer):
    with pytest.raises(InvalidInput) as err:
        _transfer(make_customer(tenant), reference="R" * 141)
    assert err.value.field == "reference"
    assert not BankTransfer.objects.exists()


@pytest.mark.parametrize("reason", [5, ["no"], "  ", "x" * (TEXT_MAX_LENGTH + 1)])
def test_a_transfer_is_rejected_only_with_a_reason_in_words(tenant, make_customer, reason):
    transfer = _transfer(make_customer(tenant))
    with pytest.raises(InvalidInput) as err:
        reject_transfer(transfer=transfer, reason=reason)
    assert err.value.field == "reason"
    assert BankTransfer.objects.get().status == BankTransfer.Status.IN_REVIEW


def test_a_direct_debit_in_the_year_9999_is_refused(make_tenant, make_subscription):
    tenant = make_tenant(
        sepa_creditor_id="DE98ZZZ09999999999",
        sepa_creditor_iban="DE89370400440532013000",
        sepa_creditor_bic="COBADEFFXXX",
    )
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    add_bank_account(
        customer=sub.customer,
        iban="DE44500105175407324931",
        holder_name="Ada",
        mandate_reference="M-9",
        mandate_signed_on=D(2025, 12, 1),
    )
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    with pytest.raises(InvalidInput) as err:
        create_batch(tenant=tenant, collection_date=D(9999, 12, 31))
    assert err.value.field == "collection_date"
    assert not DirectDebitBatch.objects.exists()
    batch = create_batch(tenant=tenant, collection_date="2026-01-15")
    assert (batch.count, batch.total) == (1, Decimal("35.7000"))
