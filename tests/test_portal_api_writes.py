"""The customer portal API's writes (/api/v1/portal/), through the services
the pages call: paying an invoice by card on localstripe (once however often
it is sent, 3-D Secure answered with the client secret and confirmed),
reporting a bank transfer with its proof into the staff review queue, saved
payment methods, plan change requests that reach the back office's queue,
tickets (public replies only, never internal notes), the profile and the
notice preferences. Another customer's or tenant's id answers 404; a bad
field answers 400 naming it, with nothing written."""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
import urllib.request
from decimal import Decimal
from typing import Any

import pytest
import stripe
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from ispstack.billing.models import Invoice
from ispstack.billing.services import next_cycle_start, run_billing
from ispstack.customers.models import Customer
from ispstack.notifications.selectors import preferences_of
from ispstack.payments.cards import save_card
from ispstack.payments.models import BankTransfer, CardPayment, CustomerPaymentMethod, Payment
from ispstack.payments.selectors import balance
from ispstack.portal.models import PlanChangeRequest, PortalUser
from ispstack.portal.plan_changes import services as plan_changes
from ispstack.portal.services import create_login
from ispstack.tickets import services as tickets
from ispstack.tickets.choices import MessageKind
from ispstack.tickets.models import Attachment, Ticket
from tests.test_portal_pay import (
    ATTACH_DECLINED,
    CHARGE_DECLINED,
    PDF,
    THREE_DS,
    VISA,
    _token,
)

pytestmark = pytest.mark.django_db
D = dt.date
API = "/api/v1/portal"
PASSWORD = "Portal-pass-2026"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def stripe_client(settings, localstripe_server):
    """The card gateway on localstripe, which takes no return_url: 3-D Secure
    is confirmed at its endpoint, then ``pay/confirm/``."""
    settings.STRIPE_API_KEY = "sk_test_ispstack"
    settings.STRIPE_API_BASE = localstripe_server
    settings.STRIPE_3DS_REDIRECT = False
    return stripe.StripeClient("sk_test_ispstack", base_addresses={"api": localstripe_server})


@pytest.fixture
def world(tenant, make_tenant, make_customer, make_subscription, make_plan) -> dict[str, Any]:
    """Ours (a 30.00 plan, an open January invoice, a portal login), a
    neighbour of the same tenant (billed too) and a customer of another
    tenant with a login and an invoice of its own; plans to move to."""
    basic = make_plan(tenant, name="Basic 50", monthly_price="30.00")
    fast = make_plan(tenant, name="Fast 100", monthly_price="60.00", download_kbps=100000)
    lite = make_plan(tenant, name="Lite 20", monthly_price="20.00", download_kbps=20000)
    customer = make_customer(tenant, name="Thandi Mokoena", email="thandi@example.net")
    sub = make_subscription(tenant, customer=customer, plan=basic)
    neighbour_sub = make_subscription(tenant, plan=basic)
    other_tenant = make_tenant(slug="othernet", name="Other Net")
    foreign_plan = make_plan(other_tenant, name="Foreign 500", monthly_price="40.00")
    foreign_sub = make_subscription(other_tenant, plan=foreign_plan)
    for owner in (tenant, other_tenant):
        run_billing(tenant=owner, as_of=D(2026, 1, 1))
    user = create_login(customer=customer, email="thandi@example.net", password=PASSWORD)
    create_login(customer=foreign_sub.customer, email="foreign@example.net", password=PASSWORD)
    return {
        "tenant": tenant,
        "user": user,
        "customer": customer,
        "sub": sub,
        "plans": {"basic": basic, "fast": fast, "lite": lite, "foreign": foreign_plan},
        "invoice": Invoice.objects.get(customer=customer),
        "neighbour": neighbour_sub.customer,
        "neighbour_sub": neighbour_sub,
        "neighbour_invoice": Invoice.objects.get(customer=neighbour_sub.customer),
        "foreign": foreign_sub.customer,
        "foreign_sub": foreign_sub,
        "foreign_invoice": Invoice.objects.get(customer=foreign_sub.customer),
    }


@pytest.fixture
def api(world) -> APIClient:
    answer = APIClient().post(
        f"{API}/auth/token/",
        {"tenant": world["tenant"].slug, "login": "thandi@example.net", "password": PASSWORD},
        format="json",
    )
    assert answer.status_code == 200, answer.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {answer.json()['token']}")
    return client


def _error(answer, status: int, field: str | None) -> dict[str, Any]:
    assert answer.status_code == status, (answer.status_code, answer.content[:400])
    body = answer.json()
    assert set(body) == {"code", "field", "detail"} and body["field"] == field, body
    return body


def _pay(api, invoice, **body):
    return api.post(f"{API}/invoices/{invoice.pk}/pay/", body, format="json")


# Paying by card.


def test_paying_by_card_settles_the_invoice_once_however_often_it_is_sent(
    api, world, stripe_client
):
    invoice = world["invoice"]
    card = save_card(customer=world["customer"], token=_token(stripe_client, VISA))
    paid = _pay(api, invoice, method=card.pk)
    assert paid.status_code == 200, paid.content
    body = paid.json()
    assert body["status"] == "succeeded" and body["next_action"] is None
    assert body["invoice"]["status"] == "paid" and body["invoice"]["amount_due"]["amount"] == "0.00"
    assert body["amount"]["amount"] == str(invoice.amount_due.quantize(Decimal("0.01")))
    assert body["balance"]["amount"] == "0.00"
    payment = Payment.objects.get(customer=world["customer"])
    assert body["payment"] == payment.pk and payment.reference.startswith("ch_")

    again = _pay(api, invoice, method=card.pk)
    assert _error(again, 409, "invoice")["code"] == "invalid_transition"
    assert Payment.objects.filter(customer=world["customer"]).count() == 1
    assert CardPayment.objects.get().status == "succeeded"


def test_a_new_card_token_is_saved_and_charged(api, world, stripe_client):
    paid = _pay(api, world["invoice"], token=_token(stripe_client, VISA))
    assert paid.status_code == 200, paid.content
    method = CustomerPaymentMethod.objects.get(customer=world["customer"])
    assert (method.card_last4, method.is_primary) == ("4242", True)
    assert Invoice.objects.get(pk=world["invoice"].pk).status == "paid"


def test_three_d_secure_answers_the_client_secret_and_confirming_pays_once(
    api, world, stripe_client
):
    invoice = world["invoice"]
    card = save_card(customer=world["customer"], token=_token(stripe_client, THREE_DS))
    step = _pay(api, invoice, method=card.pk)
    assert step.status_code == 202, step.content
    body = step.json()
    attempt = CardPayment.objects.get()
    secret = stripe_client.v1.payment_intents.retrieve(attempt.intent_id).client_secret
    assert body["status"] == "requires_action" and body["payment_intent"] == attempt.intent_id
    assert body["next_action"]["client_secret"] == secret
    assert body["next_action"]["type"] == "use_stripe_sdk" and body["payment"] is None
    assert not Payment.objects.exists()
    # A second submit while the bank waits answers the same step: no second intent.
    assert _pay(api, invoice, method=card.pk).json()["payment_intent"] == attempt.intent_id
    assert CardPayment.objects.count() == 1

    confirm = f"{API}/invoices/{invoice.pk}/pay/confirm/"
    early = api.post(confirm, {"payment_intent": attempt.intent_id}, format="json")
    assert early.status_code == 202  # the bank has not answered yet

    request = urllib.request.Request(
        f"{stripe_client._requestor.base_addresses['api']}"
        f"/v1/payment_intents/{attempt.intent_id}/_authenticate",
        data=urllib.parse.urlencode({"client_secret": secret, "success": "true"}).encode(),
        headers={"Authorization": "Bearer sk_test_ispstack"},
    )
    with urllib.request.urlopen(request) as answer:
        assert json.load(answer)["status"] == "succeeded"

    done = api.post(confirm, {"payment_intent": attempt.intent_id}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "succeeded"
    assert done.json()["invoice"]["status"] == "paid"
    again = api.post(confirm, {"payment_intent": attempt.intent_id}, format="json")
    assert again.status_code == 200
    assert Payment.objects.filter(customer=world["customer"]).count() == 1
    _error(
        api.post(confirm, {"payment_intent": "pi_unknown"}, format="json"), 404, "payment_intent"
    )


def test_a_refused_card_or_bad_input_is_named_and_nothing_is_paid(api, world, stripe_client):
    invoice = world["invoice"]
    refused = save_card(customer=world["customer"], token=_token(stripe_client, CHARGE_DECLINED))
    assert _error(_pay(api, invoice, method=refused.pk), 402, "method")["code"] == "card_declined"
    _error(_pay(api, invoice, token=_token(stripe_client, ATTACH_DECLINED)), 402, "token")
    _error(_pay(api, invoice, token="4242424242424242"), 400, "token")
    _error(_pay(api, invoice), 400, "method")
    _error(_pay(api, invoice, method="one"), 400, "method")
    _error(_pay(api, invoice, method=refused.pk, token="tok_visa"), 400, "token")
    _error(_pay(api, invoice, method=refused.pk, amount="1.00"), 400, "amount")
    _error(_pay(api, invoice, method=refused.pk, return_url="http://evil.test/"), 400, "return_url")
    assert not Payment.objects.exists()
    assert Invoice.objects.get(pk=invoice.pk).status == "issued"
    assert balance(world["customer"]) == invoice.total


def test_another_customers_or_tenants_ids_answer_404_and_change_nothing(api, world, stripe_client):
    mine = save_card(customer=world["customer"], token=_token(stripe_client, VISA))
    theirs = save_card(customer=world["neighbour"], token=_token(stripe_client, VISA))
    for invoice in (world["neighbour_invoice"], world["foreign_invoice"]):
        _error(_pay(api, invoice, method=mine.pk), 404, None)
        confirm = api.post(
            f"{API}/invoices/{invoice.pk}/pay/confirm/", {"payment_intent": "pi_x"}, format="json"
        )
        _error(confirm, 404, None)
    _error(_pay(api, world["invoice"], method=theirs.pk), 404, "method")
    _error(api.post(f"{API}/payment-methods/{theirs.pk}/primary/"), 404, "method")
    _error(api.delete(f"{API}/payment-methods/{theirs.pk}/"), 404, "method")
    theirs.refresh_from_db()
    assert theirs.is_primary and theirs.removed_at is None
    assert not Payment.objects.exists() and not CardPayment.objects.exists()

    sub_url = f"{API}/subscriptions/{world['neighbour_sub'].pk}/plan-options/"
    _error(api.get(sub_url), 404, None)
    _error(api.get(f"{API}/subscriptions/{world['foreign_sub'].pk}/plan-options/"), 404, None)
    for sub in (world["neighbour_sub"], world["foreign_sub"]):
        body = {"subscription": sub.pk, "plan": world["plans"]["fast"].pk}
        _error(api.post(f"{API}/plan-change-requests/", body, format="json"), 404, "subscription")
    their_ticket = tickets.open_ticket(
        tenant=world["tenant"], subject="Neighbour's own", customer=world["neighbour"]
    )
    _error(api.get(f"{API}/tickets/{their_ticket.pk}/"), 404, None)
    reply = api.post(f"{API}/tickets/{their_ticket.pk}/replies/", {"body": "hi"}, format="json")
    _error(reply, 404, None)
    assert their_ticket.messages.count() == 0
    assert not PlanChangeRequest.objects.exists()


# Bank transfers.


def _transfer(api, **fields):
    values = {
        "amount": "35.70",
        "transferred_on": "2026-01-10",
        "reference": "INV ref 77",
        "proof": SimpleUploadedFile("proof.pdf", PDF, "application/pdf"),
    }
    values.update(fields)
    return api.post(f"{API}/transfers/", {k: v for k, v in values.items() if v is not None})


def test_a_reported_transfer_with_its_proof_joins_the_review_queue(api, world, api_client_for):
    sent = _transfer(api)
    assert sent.status_code == 201, sent.content
    body = sent.json()
    assert body["status"] == "in_review" and body["amount"]["amount"] == "35.70"
    transfer = BankTransfer.objects.get(customer=world["customer"])
    assert (transfer.pk, transfer.reference, transfer.proof.read()) == (
        body["id"],
        "INV ref 77",
        PDF,
    )
    listed = api.get(f"{API}/transfers/").json()
    assert [row["id"] for row in listed["results"]] == [transfer.pk]

    staff = api_client_for(world["tenant"], "admin")
    queue = staff.get("/api/v1/bank-transfers/", {"status": "in_review"})
    assert queue.status_code == 200, queue.content
    assert [row["id"] for row in queue.json()["results"]] == [transfer.pk]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"proof": SimpleUploadedFile("proof.exe", b"MZ\x90\x00")}, "proof"),
        ({"proof": SimpleUploadedFile("proof.png", PDF)}, "proof"),
        ({"proof": None}, "proof"),
        ({"amount": ""}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"transferred_on": "2099-01-01"}, "transferred_on"),
        ({"reference": "R" * 141}, "reference"),
        ({"color": "blue"}, "color"),
    ],
    ids=[
        "type",
        "content-not-name",
        "no-proof",
        "no-amount",
        "negative",
        "future",
        "long",
        "unknown",
    ],
)
def test_a_bad_transfer_field_is_named_with_nothing_written(api, world, fields, field):
    _error(_transfer(api, **fields), 400, field)
    assert not BankTransfer.objects.exists()


def test_a_transfer_sent_as_json_is_refused(api, world):
    body = {"amount": "1", "transferred_on": "2026-01-10", "proof": "x"}
    assert api.post(f"{API}/transfers/", body, format="json").status_code == 415
    assert not BankTransfer.objects.exists()


# Payment methods.


def test_methods_are_masked_made_primary_removed_and_added(api, world, stripe_client):
    from ispstack.payments.methods import add_bank_account

    url = f"{API}/payment-methods/"
    card = save_card(customer=world["customer"], token=_token(stripe_client, VISA))
    account = add_bank_account(
        customer=world["customer"], iban="DE89 3704 0044 0532 0130 00", holder_name="Thandi"
    )
    listed = api.get(url)
    assert listed.status_code == 200
    assert [(m["display"], m["last4"], m["is_primary"]) for m in listed.json()] == [
        ("Visa ***4242", "4242", True),
        ("Bank ***3000", "3000", False),
    ]
    assert "DE89" not in listed.content.decode() and card.card_token not in listed.content.decode()

    primary = api.post(f"{url}{account.pk}/primary/")
    assert primary.status_code == 200 and primary.json()["is_primary"]
    card.refresh_from_db()
    assert not card.is_primary

    assert api.delete(f"{url}{account.pk}/").status_code == 204
    account.refresh_from_db()
    card.refresh_from_db()
    assert account.removed_at is not None and card.is_primary
    _error(api.delete(f"{url}{account.pk}/"), 404, "method")

    added = api.post(url, {"token": _token(stripe_client, "5555555555554444")}, format="json")
    assert added.status_code == 201 and added.json()["last4"] == "4444"
    _error(
        api.post(url, {"token": _token(stripe_client, ATTACH_DECLINED)}, format="json"),
        402,
        "token",
    )
    _error(api.post(url, {"token": 42}, format="json"), 400, "token")
    assert CustomerPaymentMethod.objects.filter(removed_at__isnull=True).count() == 2


# Plan change requests.


def test_plan_options_show_the_difference_and_the_effective_date(api, world):
    sub = world["sub"]
    answer = api.get(f"{API}/subscriptions/{sub.pk}/plan-options/")
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["current_plan"]["name"] == "Basic 50" and body["can_change"]
    assert [
        (p["plan"]["name"], p["monthly_difference"]["amount"], p["is_upgrade"])
        for p in body["plans"]
    ] == [
        ("Lite 20", "-10.00", False),
        ("Fast 100", "30.00", True),
    ]
    assert body["timings"] == [
        {
            "timing": "next_cycle",
            "label": "At the next billing cycle",
            "effective_date": next_cycle_start(sub).isoformat(),
        }
    ]
    assert body["open_request"] is None


def test_a_submitted_request_reaches_the_staff_queue_once(api, world, api_client_for):
    sub, lite = world["sub"], world["plans"]["lite"]
    url = f"{API}/plan-change-requests/"
    made = api.post(url, {"subscription": sub.pk, "plan": lite.pk}, format="json")
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["state"], body["to_plan"]["name"], body["monthly_difference"]["amount"]) == (
        "submitted",
        "Lite 20",
        "-10.00",
    )
    assert body["effective_date"] == next_cycle_start(sub).isoformat()
    request = PlanChangeRequest.objects.get()
    assert request.requested_by == world["user"]

    staff = api_client_for(world["tenant"], "admin")
    queue = staff.get("/api/v1/plan-change-requests/", {"state": "submitted"}).json()["results"]
    assert [row["id"] for row in queue] == [request.pk]

    again = api.post(
        url, {"subscription": sub.pk, "plan": world["plans"]["fast"].pk}, format="json"
    )
    assert _error(again, 409, "subscription")["code"] == "conflict"
    assert [row["id"] for row in api.get(url).json()["results"]] == [request.pk]
    assert (
        api.get(f"{API}/subscriptions/{sub.pk}/plan-options/").json()["open_request"]["id"]
        == request.pk
    )

    cancelled = api.post(f"{url}{request.pk}/cancel/")
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert _error(api.post(f"{url}{request.pk}/cancel/"), 409, "state")


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"plan": "basic"}, 400, "plan"),
        ({"plan": "current"}, 400, "plan"),
        ({"plan": "foreign"}, 404, "plan"),
        ({"plan": 2**63}, 400, "plan"),
        ({"plan": "lite", "timing": "now"}, 400, "timing"),
        ({"plan": "lite", "timing": "yesterday"}, 400, "timing"),
        ({"plan": "lite", "note": "please"}, 400, "note"),
    ],
    ids=[
        "not-a-number",
        "current-plan",
        "another-tenants",
        "huge",
        "now-not-allowed",
        "bad-timing",
        "unknown",
    ],
)
def test_a_bad_plan_change_is_named_with_nothing_written(api, world, body, status, field):
    plans = {**world["plans"], "current": world["plans"]["basic"]}
    values = {"subscription": world["sub"].pk, **body}
    if values["plan"] in plans:
        values["plan"] = plans[values["plan"]].pk
    _error(api.post(f"{API}/plan-change-requests/", values, format="json"), status, field)
    assert not PlanChangeRequest.objects.exists()


# Tickets.


def test_a_ticket_is_opened_with_a_file_read_without_notes_and_replied_to(api, world, make_staff):
    url = f"{API}/tickets/"
    opened = api.post(
        url,
        {
            "ticket_type": "technical_support",
            "subject": "Red light on the router",
            "description": "Since this morning.",
            "subscription": str(world["sub"].pk),
            "file": SimpleUploadedFile("router.png", PNG, "image/png"),
        },
    )
    assert opened.status_code == 201, opened.content
    body = opened.json()
    ticket = Ticket.objects.get(customer=world["customer"])
    assert (body["id"], body["number"], body["state"]) == (ticket.pk, ticket.number, "new")
    assert ticket.source == "portal" and ticket.subscription_id == world["sub"].pk
    assert [f["filename"] for f in body["files"]] == ["router.png"]

    staff = make_staff(world["tenant"])
    tickets.add_message(ticket=ticket, body="Please restart the router.", actor=staff)
    tickets.add_message(
        ticket=ticket, body="Secret: line flaps at the cabinet", kind=MessageKind.NOTE, actor=staff
    )
    read = api.get(f"{url}{ticket.pk}/")
    assert read.status_code == 200
    assert [(m["author"], m["body"]) for m in read.json()["messages"]] == [
        ("support", "Please restart the router.")
    ]
    assert "Secret" not in read.content.decode()

    replied = api.post(
        f"{url}{ticket.pk}/replies/",
        {
            "body": "Restarted, still red.",
            "file": SimpleUploadedFile("again.png", PNG, "image/png"),
        },
    )
    assert replied.status_code == 201, replied.content
    assert replied.json()["ticket"]["id"] == ticket.pk
    assert [f["filename"] for f in replied.json()["files"]] == ["again.png"]
    messages = api.get(f"{url}{ticket.pk}/").json()["messages"]
    assert [(m["author"], m["body"]) for m in messages][-1] == ("customer", "Restarted, still red.")
    listed = api.get(url).json()["results"]
    assert [row["id"] for row in listed] == [ticket.pk]


@pytest.mark.parametrize(
    ("fields", "status", "field"),
    [
        ({"ticket_type": "sales"}, 400, "ticket_type"),
        ({"subject": ""}, 400, "subject"),
        ({"description": "   "}, 400, "description"),
        ({"subscription": "neighbour"}, 404, "subscription"),
        ({"file": SimpleUploadedFile("tool.exe", b"MZ\x90\x00")}, 400, "file"),
    ],
    ids=["topic", "subject", "description", "their-service", "file-type"],
)
def test_a_bad_ticket_field_is_named_with_nothing_written(api, world, fields, status, field):
    values: dict[str, Any] = {
        "ticket_type": "general_inquiry",
        "subject": "Question",
        "description": "About my bill.",
        **fields,
    }
    if values.get("subscription") == "neighbour":
        values["subscription"] = str(world["neighbour_sub"].pk)
    _error(api.post(f"{API}/tickets/", values), status, field)
    assert not Ticket.objects.filter(customer=world["customer"]).exists()
    assert not Attachment.objects.exists()


def test_an_empty_reply_is_named_with_nothing_written(api, world):
    ticket = tickets.open_ticket(tenant=world["tenant"], subject="Mine", customer=world["customer"])
    _error(
        api.post(f"{API}/tickets/{ticket.pk}/replies/", {"body": " "}, format="json"), 400, "body"
    )
    assert ticket.messages.count() == 0


# Profile and notices.


def test_the_profile_is_read_and_updated_as_on_the_page(api, world):
    url = f"{API}/profile/"
    read = api.get(url).json()
    assert (read["login_email"], read["email"], read["language"]) == (
        "thandi@example.net",
        "thandi@example.net",
        "",
    )
    changed = api.patch(
        url, {"phone": "+27 82 555 0101", "email": "bills@example.net"}, format="json"
    )
    assert changed.status_code == 200, changed.content
    customer = Customer.objects.get(pk=world["customer"].pk)
    assert (customer.email, customer.phone) == ("bills@example.net", "+27825550101")
    assert changed.json()["phone"] == "+27825550101"
    assert PortalUser.objects.get(pk=world["user"].pk).email == "thandi@example.net"
    language = api.patch(url, {"language": "de"}, format="json")
    assert language.status_code == 200 and language.json()["language"] == "de"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-address", "name": "New name"}, "email"),
        ({"phone": "call me", "name": "New name"}, "phone"),
        ({"name": "New name", "language": "xx"}, "language"),
        ({"name": 5}, "name"),
        ({"login_email": "me@example.net"}, "login_email"),
    ],
    ids=["email", "phone", "language", "name-type", "sign-in-address"],
)
def test_a_bad_profile_field_is_named_with_nothing_written(api, world, body, field):
    _error(api.patch(f"{API}/profile/", body, format="json"), 400, field)
    user = PortalUser.objects.get(pk=world["user"].pk)
    customer = Customer.objects.get(pk=world["customer"].pk)
    assert (user.name, user.email, user.language) == (world["user"].name, "thandi@example.net", "")
    assert (customer.email, customer.phone) == (world["customer"].email, world["customer"].phone)


def test_notice_preferences_change_per_kind_and_channel(api, world):
    url = f"{API}/notifications/"
    rows = api.get(url).json()
    assert {row["kind"] for row in rows} >= {"invoice_issued", "outage"}
    assert all(row["email"] and row["sms"] for row in rows)
    changed = api.patch(
        url,
        {
            "preferences": [
                {"kind": "outage", "sms": False},
                {"kind": "invoice_issued", "email": False},
            ]
        },
        format="json",
    )
    assert changed.status_code == 200, changed.content
    chosen = preferences_of(world["customer"].pk)
    assert chosen["outage"] == {"email": True, "sms": False}
    assert chosen["invoice_issued"] == {"email": False, "sms": True}
    assert chosen["ticket_reply"] == {"email": True, "sms": True}

    for bad, field in (
        ({"preferences": [{"kind": "spam", "sms": False}]}, "preferences[0].kind"),
        ({"preferences": [{"kind": "outage", "sms": "maybe"}]}, "preferences[0].sms"),
        ({"preferences": []}, "preferences"),
    ):
        _error(api.patch(url, bad, format="json"), 400, field)
    assert preferences_of(world["customer"].pk) == chosen


def test_a_token_of_another_tenant_writes_only_to_its_own_account(world, stripe_client):
    answer = APIClient().post(
        f"{API}/auth/token/",
        {"tenant": "othernet", "login": "foreign@example.net", "password": PASSWORD},
        format="json",
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {answer.json()['token']}")
    _error(_pay(client, world["invoice"], token="tok_visa"), 404, None)
    _error(client.get(f"{API}/subscriptions/{world['sub'].pk}/plan-options/"), 404, None)
    assert client.patch(f"{API}/profile/", {"name": "Foreigner"}, format="json").status_code == 200
    assert PortalUser.objects.get(pk=world["user"].pk).name != "Foreigner"
    assert not CustomerPaymentMethod.objects.exists()


def test_malformed_or_huge_ids_on_the_write_routes_answer_404(api, world):
    for method, path in (
        ("post", "invoices/abc/pay/"),
        ("post", f"invoices/{2**63}/pay/confirm/"),
        ("post", "payment-methods/1.5/primary/"),
        ("delete", "payment-methods/-1/"),
        ("get", f"subscriptions/{2**70}/plan-options/"),
        ("get", "plan-change-requests/%00/"),
        ("post", "plan-change-requests/abc/cancel/"),
        ("get", "tickets/99999999999999999999/"),
        ("post", "tickets/x/replies/"),
    ):
        answer = getattr(api, method)(f"{API}/{path}", {}, format="json")
        assert _error(answer, 404, None)["code"] == "not_found", path


def test_the_new_lists_read_in_the_same_number_of_queries_for_one_or_many_rows(
    api, world, stripe_client, django_assert_max_num_queries
):
    from ispstack.payments.methods import add_bank_account

    customer, user = world["customer"], world["user"]

    def add_rows() -> None:
        tickets.open_ticket(tenant=world["tenant"], subject="Mine", customer=customer)
        add_bank_account(customer=customer, iban="DE89 3704 0044 0532 0130 00", holder_name="T")
        BankTransfer.objects.create(
            tenant=world["tenant"],
            customer=customer,
            amount=Decimal("5.00"),
            currency=customer.currency,
            transferred_on=D(2026, 1, 2),
            proof="transfer-proofs/p.pdf",
        )
        made = plan_changes.submit_request(
            user=user, subscription=world["sub"], plan=world["plans"]["lite"].pk
        )
        plan_changes.cancel_request(user=user, request=made)

    urls = [f"{API}/{path}/" for path in ("tickets", "transfers", "payment-methods")]
    urls.append(f"{API}/plan-change-requests/")
    add_rows()
    api.get(f"{API}/account/")  # the token's first use writes last_used once
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            assert api.get(url).status_code == 200, url
        counts[url] = len(captured)
    for _ in range(5):
        add_rows()
    for url, count in counts.items():
        with django_assert_max_num_queries(count):
            assert api.get(url).status_code == 200, url
