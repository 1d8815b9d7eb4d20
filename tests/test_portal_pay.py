"""Paying in the customer portal: an invoice by card through Stripe
PaymentIntents on localstripe (once however often it is submitted, 3-D
Secure confirmed on return, a refused card named), a suspended customer
reconnected by paying, bank transfers reported with a proof for staff
review (bad files refused with nothing written), saved payment methods
(masked, primary, removed, added), and another customer's ids answering 404.
One browser run pays on a phone with axe-core checking every page."""

from __future__ import annotations

import datetime as dt
import json
import re
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest
import stripe
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.collections.services import run_collections
from ispstack.core import display
from ispstack.customers.models import Customer
from ispstack.payments.cards import save_card
from ispstack.payments.models import BankTransfer, CardPayment, CustomerPaymentMethod, Payment
from ispstack.payments.selectors import balance
from ispstack.payments.transfers import MAX_PROOF_BYTES, reject_transfer
from ispstack.portal.services import create_login
from ispstack.subscriptions.models import Subscription
from tests.portal_browser import sign_in

pytestmark = pytest.mark.django_db
D = dt.date
PASSWORD = "Portal-pass-2026"
VISA = "4242424242424242"
THREE_DS = "4000002760003184"
CHARGE_DECLINED = "4000000000000341"
ATTACH_DECLINED = "4000000000000002"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\n%%EOF\n"


@pytest.fixture
def stripe_client(settings, localstripe_server):
    settings.STRIPE_API_KEY = "sk_test_ispstack"
    settings.STRIPE_API_BASE = localstripe_server
    # localstripe takes no return_url: 3-D Secure is confirmed, then "I have confirmed".
    settings.STRIPE_3DS_REDIRECT = False
    return stripe.StripeClient("sk_test_ispstack", base_addresses={"api": localstripe_server})


def _token(client, number: str) -> str:
    return client.v1.tokens.create(
        params={"card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    ).id


@pytest.fixture
def ours(tenant, make_subscription, make_customer):
    """A billed customer (one open invoice of January) with a portal login,
    and a billed neighbour in the same tenant."""
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    neighbour = make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    create_login(customer=sub.customer, email="thandi@example.net", password=PASSWORD)
    return {
        "sub": sub,
        "customer": sub.customer,
        "invoice": Invoice.objects.get(customer=sub.customer),
        "neighbour": neighbour.customer,
        "neighbour_invoice": Invoice.objects.get(customer=neighbour.customer),
    }


@pytest.fixture
def portal(client: Client, tenant, ours):
    answer = client.post(
        f"/my/{tenant.slug}/login/", {"login": "thandi@example.net", "password": PASSWORD}
    )
    assert answer.status_code == 302
    return client


def _pay_url(tenant, invoice) -> str:
    return f"/my/{tenant.slug}/invoices/{invoice.pk}/pay/"


def _text(answer) -> str:
    return answer.content.decode()


# Paying an invoice by card.


def test_paying_by_card_settles_the_invoice_once_however_often_it_is_sent(
    portal, tenant, ours, stripe_client
):
    invoice = ours["invoice"]
    card = save_card(customer=ours["customer"], token=_token(stripe_client, VISA))
    listed = _text(portal.get(f"/my/{tenant.slug}/invoices/"))
    assert f'href="{_pay_url(tenant, invoice)}"' in listed and "Pay now" in listed
    form = portal.get(_pay_url(tenant, invoice))
    assert form.status_code == 200
    assert "Visa •••• 4242, expires 12/2030" in _text(form)

    paid = portal.post(_pay_url(tenant, invoice), {"method": str(card.pk)})
    assert paid.status_code == 200, _text(paid)[:2000]
    assert "Payment received" in _text(paid)
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert balance(ours["customer"]) == 0
    payment = Payment.objects.get(customer=ours["customer"])
    assert payment.method == "card" and payment.reference.startswith("ch_")
    assert payment.allocations.get().invoice_id == invoice.pk

    again = portal.post(_pay_url(tenant, invoice), {"method": str(card.pk)})
    assert again.status_code == 409
    assert "nothing due" in _text(again)
    assert Payment.objects.filter(customer=ours["customer"]).count() == 1
    assert CardPayment.objects.get().status == "succeeded"
    assert "nothing left to pay" in _text(portal.get(_pay_url(tenant, invoice)))


def test_the_pay_button_names_the_amount_as_the_page_writes_money(portal, tenant, ours):
    invoice = ours["invoice"]
    page = _text(portal.get(_pay_url(tenant, invoice)))
    button = re.search(r'<button type="submit">([^<]*)</button>', page)
    assert button is not None
    # "Pay R 573.85", as the "To pay now" line writes it; never the stored
    # four-place decimal and the ISO code ("Pay 573.8500 ZAR").
    assert button.group(1) == f"Pay {display.tenant_money(invoice.amount_due, tenant)}"
    assert f"{invoice.amount_due:f}" not in button.group(1)


def test_a_new_card_token_is_saved_and_charged(portal, tenant, ours, stripe_client):
    paid = portal.post(
        _pay_url(tenant, ours["invoice"]),
        {"method": "new", "token": _token(stripe_client, VISA)},
    )
    assert paid.status_code == 200, _text(paid)[:2000]
    assert Invoice.objects.get(pk=ours["invoice"].pk).status == "paid"
    method = CustomerPaymentMethod.objects.get(customer=ours["customer"])
    assert (method.card_last4, method.is_primary) == ("4242", True)


def test_three_d_secure_is_confirmed_on_return_and_pays_once(portal, tenant, ours, stripe_client):
    invoice = ours["invoice"]
    card = save_card(customer=ours["customer"], token=_token(stripe_client, THREE_DS))
    step = portal.post(_pay_url(tenant, invoice), {"method": str(card.pk)})
    assert step.status_code == 202
    assert "Confirm with your bank" in _text(step)
    attempt = CardPayment.objects.get()
    assert attempt.status == "requires_action" and not Payment.objects.exists()
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"
    # A second submit while the bank waits shows the same step, no second intent.
    assert portal.post(_pay_url(tenant, invoice), {"method": str(card.pk)}).status_code == 202
    assert CardPayment.objects.count() == 1

    back = f"{_pay_url(tenant, invoice)}return/?payment_intent={attempt.intent_id}"
    waiting = portal.get(back)  # back too early: still the bank's step
    assert waiting.status_code == 202

    # The customer confirms at the bank (localstripe's 3-D Secure endpoint).
    secret = stripe_client.v1.payment_intents.retrieve(attempt.intent_id).client_secret
    request = urllib.request.Request(
        f"{stripe_client._requestor.base_addresses['api']}"
        f"/v1/payment_intents/{attempt.intent_id}/_authenticate",
        data=urllib.parse.urlencode({"client_secret": secret, "success": "true"}).encode(),
        headers={"Authorization": "Bearer sk_test_ispstack"},
    )
    with urllib.request.urlopen(request) as answer:
        assert json.load(answer)["status"] == "succeeded"

    done = portal.get(back)
    assert done.status_code == 200 and "Payment received" in _text(done)
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"
    assert portal.get(back).status_code == 200  # returning again pays nothing more
    assert Payment.objects.filter(customer=ours["customer"]).count() == 1
    assert CardPayment.objects.get().status == "succeeded"


def test_a_refused_card_is_named_and_nothing_is_recorded(portal, tenant, ours, stripe_client):
    invoice = ours["invoice"]
    card = save_card(customer=ours["customer"], token=_token(stripe_client, CHARGE_DECLINED))
    refused = portal.post(_pay_url(tenant, invoice), {"method": str(card.pk)})
    assert refused.status_code == 402
    page = _text(refused)
    assert "declined" in page and 'id="method-error"' in page and 'role="alert"' in page
    declined_token = _token(stripe_client, ATTACH_DECLINED)
    new = portal.post(_pay_url(tenant, invoice), {"method": "new", "token": declined_token})
    assert new.status_code == 402 and 'id="token-error"' in _text(new)
    bad = portal.post(_pay_url(tenant, invoice), {"method": "new", "token": "4242424242424242"})
    assert bad.status_code == 400 and "tok_" in _text(bad)
    nothing = portal.post(_pay_url(tenant, invoice), {})
    assert nothing.status_code == 400 and "choose a saved card" in _text(nothing)
    assert not Payment.objects.exists()
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"


def test_a_customer_suspended_for_debt_is_reconnected_by_paying(
    portal, tenant, ours, stripe_client
):
    run_collections(tenant=tenant, as_of=D(2026, 1, 26))
    sub = Subscription.objects.get(pk=ours["sub"].pk)
    assert (sub.status, sub.suspension_cause) == ("suspended", "non_payment")
    card = save_card(customer=ours["customer"], token=_token(stripe_client, VISA))
    paid = portal.post(_pay_url(tenant, ours["invoice"]), {"method": str(card.pk)})
    assert paid.status_code == 200
    assert "Your service has been reconnected." in _text(paid)
    assert Subscription.objects.get(pk=sub.pk).status == "active"
    assert Customer.objects.get(pk=ours["customer"].pk).status == "active"


def test_another_customers_invoice_or_card_answers_404(portal, tenant, ours, stripe_client):
    theirs = ours["neighbour_invoice"]
    assert portal.get(_pay_url(tenant, theirs)).status_code == 404
    mine = save_card(customer=ours["customer"], token=_token(stripe_client, VISA))
    assert portal.post(_pay_url(tenant, theirs), {"method": str(mine.pk)}).status_code == 404
    their_card = save_card(customer=ours["neighbour"], token=_token(stripe_client, VISA))
    answer = portal.post(_pay_url(tenant, ours["invoice"]), {"method": str(their_card.pk)})
    assert answer.status_code == 404
    assert portal.get(f"{_pay_url(tenant, theirs)}return/?payment_intent=pi_x").status_code == 404
    for action in ("primary", "remove"):
        url = f"/my/{tenant.slug}/payment-methods/{their_card.pk}/{action}/"
        assert portal.post(url).status_code == 404
    their_card.refresh_from_db()
    assert their_card.is_primary and their_card.removed_at is None
    assert not Payment.objects.exists()


# Bank transfers with a proof.


def test_a_reported_transfer_waits_for_staff_review_and_its_state_is_shown(
    portal, tenant, ours, make_staff
):
    url = f"/my/{tenant.slug}/transfers/"
    sent = portal.post(
        url,
        {
            "amount": "35.70",
            "transferred_on": "2026-01-10",
            "reference": "INV ref 77",
            "proof": SimpleUploadedFile("proof.pdf", PDF, "application/pdf"),
        },
    )
    assert sent.status_code == 302
    transfer = BankTransfer.objects.get(customer=ours["customer"])
    assert (transfer.status, transfer.amount, transfer.reference) == (
        "in_review",
        Decimal("35.70"),
        "INV ref 77",
    )
    assert transfer.proof.read() == PDF
    page = _text(portal.get(url))
    assert "sent for review" in page and "Pending review" in page and "INV ref 77" in page

    staff = Client()
    staff.force_login(make_staff(tenant, "billing"))
    queue = staff.get("/staff/transfers/", {"status": "in_review"})
    assert queue.status_code == 200 and "INV ref 77" in queue.content.decode()

    reject_transfer(transfer=transfer, reason="No such amount on our account")
    assert "Rejected: No such amount on our account" in _text(portal.get(url))


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (("proof.exe", b"MZ\x90\x00"), "PDF, PNG or JPEG"),
        (("proof.pdf", b"MZ\x90\x00 not a pdf"), "not a readable PDF"),
        (("proof.png", PDF), "not a readable PNG"),
        (("big.pdf", b"%PDF-" + b"0" * MAX_PROOF_BYTES), "at most 10 MB"),
    ],
    ids=["type", "malformed", "content-not-name", "size"],
)
def test_a_bad_proof_is_refused_at_its_field_with_nothing_written(
    portal, tenant, ours, settings, upload, message
):
    name, content = upload
    refused = portal.post(
        f"/my/{tenant.slug}/transfers/",
        {
            "amount": "10.00",
            "transferred_on": "2026-01-10",
            "reference": "R1",
            "proof": SimpleUploadedFile(name, content),
        },
    )
    assert refused.status_code == 400
    page = _text(refused)
    assert message in page and 'id="proof-error"' in page
    assert 'aria-describedby="proof-hint proof-error"' in page
    assert 'value="R1"' in page  # what was typed stays
    assert not BankTransfer.objects.exists()
    media = settings.MEDIA_ROOT
    assert not any(p.is_file() for p in media.rglob("*")) if media.exists() else True


def test_missing_amount_or_future_date_are_named(portal, tenant, ours):
    url = f"/my/{tenant.slug}/transfers/"
    proof = SimpleUploadedFile("proof.pdf", PDF)
    no_amount = portal.post(url, {"amount": "", "transferred_on": "2026-01-10", "proof": proof})
    assert no_amount.status_code == 400 and 'id="amount-error"' in _text(no_amount)
    future = portal.post(
        url,
        {"amount": "5", "transferred_on": "2099-01-01", "proof": SimpleUploadedFile("p.pdf", PDF)},
    )
    assert future.status_code == 400 and 'id="transferred_on-error"' in _text(future)
    missing = portal.post(url, {"amount": "5", "transferred_on": "2026-01-10"})
    assert missing.status_code == 400 and 'id="proof-error"' in _text(missing)
    assert not BankTransfer.objects.exists()


# Saved payment methods.


def test_methods_are_masked_made_primary_removed_and_added(portal, tenant, ours, stripe_client):
    from ispstack.payments.methods import add_bank_account

    url = f"/my/{tenant.slug}/payment-methods/"
    card = save_card(customer=ours["customer"], token=_token(stripe_client, VISA))
    account = add_bank_account(
        customer=ours["customer"], iban="DE89 3704 0044 0532 0130 00", holder_name="Thandi"
    )
    page = _text(portal.get(url))
    assert "Visa •••• 4242, expires 12/2030" in page and "IBAN DE•• •••• 3000" in page
    assert "370400440532013000" not in page and "DE89" not in page

    assert portal.post(f"{url}{account.pk}/primary/").status_code == 302
    account.refresh_from_db()
    card.refresh_from_db()
    assert account.is_primary and not card.is_primary
    assert "is now your primary payment method" in _text(portal.get(url))

    assert portal.post(f"{url}{account.pk}/remove/").status_code == 302
    account.refresh_from_db()
    card.refresh_from_db()
    assert account.removed_at is not None and card.is_primary  # kept, hidden, next is primary
    page = _text(portal.get(url))
    assert "IBAN DE•• •••• 3000" not in page and "was removed" in page
    assert portal.post(f"{url}{account.pk}/remove/").status_code == 404  # gone for the portal

    added = portal.post(url, {"token": _token(stripe_client, "5555555555554444")})
    assert added.status_code == 302
    assert "was saved" in _text(portal.get(url))
    assert (
        CustomerPaymentMethod.objects.filter(
            customer=ours["customer"], removed_at__isnull=True
        ).count()
        == 2
    )
    refused = portal.post(url, {"token": _token(stripe_client, ATTACH_DECLINED)})
    assert refused.status_code == 402 and 'id="token-error"' in _text(refused)
    bad = portal.post(url, {"token": "not-a-token"})
    assert bad.status_code == 400 and 'aria-invalid="true"' in _text(bad)


def test_a_removed_card_is_deleted_at_the_gateway(portal, tenant, ours, stripe_client):
    from ispstack.core import outbox

    card = save_card(customer=ours["customer"], token=_token(stripe_client, VISA))
    stripe_customer = card.gateway_customer
    before = stripe_client.v1.customers.payment_sources.list(stripe_customer)
    assert [source.id for source in before.data] == [card.card_token]

    url = f"/my/{tenant.slug}/payment-methods/{card.pk}/remove/"
    assert portal.post(url).status_code == 302
    outbox.drain()
    after = stripe_client.v1.customers.payment_sources.list(stripe_customer)
    assert after.data == []
    # The payments it made keep naming it.
    card.refresh_from_db()
    assert card.removed_at is not None and card.card_last4 == "4242"


# In a browser, on a phone.


@pytest.mark.django_db(transaction=True)
def test_in_a_browser_on_a_phone_pay_an_invoice_by_card(
    live_server, chromium, tenant, ours, stripe_client
):
    from tests.console_browser import serious_violations

    viewport = {"width": 390, "height": 844}
    save_card(customer=ours["customer"], token=_token(stripe_client, VISA))
    base = f"{live_server.url}/my/{tenant.slug}"
    context = chromium.new_context(viewport=viewport)
    page = context.new_page()
    try:
        page.goto(f"{base}/login/")
        sign_in(page, base, "thandi@example.net", PASSWORD)
        for path in ("/payment-methods/", "/transfers/", "/invoices/"):
            page.goto(f"{base}{path}")
            assert serious_violations(page) == [], path
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], path
        page.click(f"a[href$='/invoices/{ours['invoice'].pk}/pay/']")
        page.wait_for_url(f"{base}/invoices/{ours['invoice'].pk}/pay/")
        assert serious_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.click("form.card button[type=submit]")
        page.wait_for_selector("text=Payment received")
        assert serious_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        assert Invoice.objects.get(pk=ours["invoice"].pk).status == "paid"
    finally:
        context.close()
