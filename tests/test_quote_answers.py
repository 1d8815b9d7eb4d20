"""A quote's answer recorded by the back office: the customer's signature on
paper, a refusal by phone, the email sent again, a first draft deleted; in
the console and the API, refused to the roles and tenants it is not for."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from ispstack.core import clock
from ispstack.core.models import AuditLog, Job
from ispstack.core.outbox import drain
from ispstack.customers.models import Customer
from ispstack.sales import services
from ispstack.sales.models import Quote, QuoteStatus
from ispstack.subscriptions.models import Subscription
from tests.test_quotes import BASE, full_quote, quote_catalog


@pytest.fixture
def catalog(tenant, make_plan):
    return quote_catalog(tenant, make_plan)


@pytest.fixture
def sent(tenant, catalog):
    return services.send_quote(quote=full_quote(tenant, catalog), base_url=BASE)


def _send_jobs(quote: Quote) -> int:
    return Job.objects.filter(kind=services.SEND_JOB, payload__quote_id=quote.pk).count()


def test_a_paper_signature_recorded_in_the_console_signs_the_customer_up(
    tenant, sent, client, make_staff
):
    clerk = make_staff(tenant, "billing")
    client.force_login(clerk)
    url = f"/staff/quotes/{sent.pk}/"
    assert 'id="paper-acceptance"' in client.get(url).content.decode()
    unnamed = client.post(url + "accept-on-paper/", {"name": "   "})
    assert unnamed.status_code == 400
    assert "name" in unnamed.content.decode()
    assert not Customer.objects.filter(tenant=tenant).exists()
    done = client.post(url + "accept-on-paper/", {"name": "Ada King"})
    assert done.status_code == 303
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.ACCEPTED
    assert (sent.accepted_by_name, sent.accepted_ip, sent.accepted_on_paper) == (
        "Ada King",
        None,
        True,
    )
    customer = Customer.objects.get(tenant=tenant)
    assert sent.result_customer == customer
    assert Subscription.objects.filter(customer=customer).count() == 1
    entry = AuditLog.objects.get(action="quote.accept", object_id=str(sent.pk))
    assert entry.actor == clerk and entry.after["on_paper"] is True
    page = client.get(url).content.decode()
    assert "by Ada King, signed on paper" in page
    assert 'id="paper-acceptance"' not in page
    # Recorded once: a second signature changes nothing.
    again = client.post(url + "accept-on-paper/", {"name": "Somebody Else"})
    assert again.status_code == 303
    assert Customer.objects.filter(tenant=tenant).count() == 1
    sent.refresh_from_db()
    assert sent.accepted_by_name == "Ada King"


def test_a_refusal_by_phone_is_recorded_with_its_reason(tenant, sent, client, make_staff):
    client.force_login(make_staff(tenant, "billing"))
    url = f"/staff/quotes/{sent.pk}/"
    silent = client.post(url + "decline/", {"reason": ""})
    assert silent.status_code == 400
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.SENT
    assert client.post(url + "decline/", {"reason": "Chose fibre elsewhere"}).status_code == 303
    sent.refresh_from_db()
    assert (sent.status, sent.declined_reason) == (QuoteStatus.DECLINED, "Chose fibre elsewhere")
    late = client.post(url + "accept-on-paper/", {"name": "Ada King"})
    assert late.status_code == 409
    assert "declined" in late.content.decode()
    assert not Customer.objects.filter(tenant=tenant).exists()


def test_sending_again_mails_the_same_quote_and_refuses_what_is_not_open(
    tenant,
    catalog,
    sent,
    client,
    make_staff,
    run_on_commit,
):
    client.force_login(make_staff(tenant, "billing"))
    url = f"/staff/quotes/{sent.pk}/"
    before = _send_jobs(sent)
    assert client.post(url + "resend/").status_code == 303
    assert _send_jobs(sent) == before + 1
    drain()
    assert any(sent.number in message.subject for message in mail.outbox)
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.SENT
    draft = full_quote(tenant, catalog)
    refused = client.post(f"/staff/quotes/{draft.pk}/resend/")
    assert refused.status_code == 409
    assert "only a sent quote is sent again" in refused.content.decode()
    Quote.objects.filter(pk=sent.pk).update(valid_until=clock.today(tenant) - dt.timedelta(days=1))
    expired = client.post(url + "resend/")
    assert expired.status_code == 409
    assert "revise it" in expired.content.decode()
    assert _send_jobs(sent) == before + 1


def test_a_first_draft_is_deleted_and_a_revision_is_kept(tenant, catalog, sent, client, make_staff):
    client.force_login(make_staff(tenant, "admin"))
    draft = full_quote(tenant, catalog)
    gone = client.post(f"/staff/quotes/{draft.pk}/delete/")
    assert gone.status_code == 303 and gone["Location"] == "/staff/quotes/"
    assert not Quote.objects.filter(pk=draft.pk).exists()
    revision = services.revise_quote(quote=sent)
    kept = client.post(f"/staff/quotes/{revision.pk}/delete/")
    assert kept.status_code == 409
    assert Quote.objects.filter(pk=revision.pk).exists()
    refused = client.post(f"/staff/quotes/{sent.pk}/delete/")
    assert refused.status_code == 409
    assert Quote.objects.filter(pk=sent.pk).exists()


@pytest.mark.parametrize("role", ["support", "noc", "technician"])
def test_the_other_roles_record_no_answer(tenant, sent, client, make_staff, role):
    client.force_login(make_staff(tenant, role))
    url = f"/staff/quotes/{sent.pk}/"
    for action, data in (("accept-on-paper/", {"name": "A"}), ("decline/", {"reason": "r"})):
        assert client.post(url + action, data).status_code == 403
    assert client.post(url + "resend/").status_code == 403
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.SENT
    assert not Customer.objects.filter(tenant=tenant).exists()


def test_another_tenant_answers_no_quote_of_ours(tenant, sent, make_tenant, make_staff, client):
    other = make_tenant()
    client.force_login(make_staff(other, "admin"))
    url = f"/staff/quotes/{sent.pk}/"
    for action in ("accept-on-paper/", "decline/", "resend/", "delete/"):
        assert client.post(url + action, {"name": "A", "reason": "r"}).status_code == 404
    sent.refresh_from_db()
    assert sent.status == QuoteStatus.SENT


def test_the_api_records_a_paper_signature_and_sends_again(
    tenant, sent, make_tenant, api_client_for, run_on_commit
):
    api = api_client_for(tenant, "billing")
    before = _send_jobs(sent)
    resent = api.post(f"/api/v1/quotes/{sent.pk}/resend/", {}, format="json")
    assert resent.status_code == 200 and _send_jobs(sent) == before + 1
    stranger = api_client_for(make_tenant(), "admin")
    path = f"/api/v1/quotes/{sent.pk}/accept-on-paper/"
    assert stranger.post(path, {"name": "Ada"}, format="json").status_code == 404
    assert api_client_for(tenant, "support").post(path, {"name": "A"}).status_code == 403
    wrong = api.post(path, {"name": 7}, format="json")
    assert wrong.status_code == 400 and wrong.json()["field"] == "name"
    done = api.post(path, {"name": "Ada King"}, format="json")
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "accepted" and body["accepted_on_paper"] is True
    assert body["accepted_ip"] is None and body["result_customer"] is not None


def _clerk_with(tenant, make_staff, *perms):
    """A staff user of no role holding exactly ``perms`` (app_label.codename)."""
    from django.contrib.auth.models import Permission

    user = make_staff(tenant, role="")
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def test_the_console_asks_what_the_api_asks_for_each_quote_action(
    tenant, catalog, sent, client, make_staff, api_client_for
):
    from rest_framework.test import APIClient

    from ispstack.api.tokens import create_token

    # May change quotes, but neither add lines nor make quotes (a revision is one).
    clerk = _clerk_with(tenant, make_staff, "sales.view_quote", "sales.change_quote")
    draft = full_quote(tenant, catalog)
    lines = draft.lines.count()
    client.force_login(clerk)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {create_token(user=clerk, name='t')[1]}")
    line = {"kind": "one_time", "description": "Router", "unit_price": "9.00"}
    assert client.post(f"/staff/quotes/{draft.pk}/", line).status_code == 403
    assert api.post(f"/api/v1/quotes/{draft.pk}/lines/", line, format="json").status_code == 403
    assert client.post(f"/staff/quotes/{sent.pk}/revise/").status_code == 403
    assert api.post(f"/api/v1/quotes/{sent.pk}/revise/", {}, format="json").status_code == 403
    assert draft.lines.count() == lines
    assert not Quote.objects.filter(revises=sent).exists()
    # What it may do, it may do in both.
    assert client.post(f"/staff/quotes/{sent.pk}/resend/").status_code == 303
    assert api.post(f"/api/v1/quotes/{sent.pk}/resend/", {}, format="json").status_code == 200


def test_the_console_asks_for_the_credit_note_permission_the_api_asks_for(
    tenant, make_subscription, client, make_staff
):
    from ispstack.sales.contracts import services as contracts

    sub = make_subscription(tenant, start_date=dt.date(2026, 1, 1))
    contract = contracts.create_contract(
        tenant=tenant, customer=sub.customer, subscriptions=[sub.pk], term_months=12
    )
    contracts.activate_contract(contract=contract, signed_on=dt.date(2026, 1, 1))
    # May change contracts, but not issue credit notes.
    clerk = _clerk_with(tenant, make_staff, "sales.view_contract", "sales.change_contract")
    client.force_login(clerk)
    url = f"/staff/contracts/{contract.pk}/"
    assert 'action="' + url + 'credit/"' not in client.get(url).content.decode()
    credit = {"month": "2026-02", "amount": "5.00", "reason": "goodwill"}
    assert client.post(url + "credit/", credit).status_code == 403
    assert not AuditLog.objects.filter(action__startswith="contract.service_credit").exists()


def test_the_sales_team_drafts_and_sends_a_quote_and_sees_no_money(
    tenant, catalog, client, make_staff, make_customer, api_client_for, run_on_commit
):
    customer = make_customer(tenant, name="Lindiwe Dube")
    client.force_login(make_staff(tenant, "sales"))
    assert (
        client.post("/staff/quotes/new/", {"customer": customer.account_number}).status_code == 303
    )
    quote = Quote.objects.get(tenant=tenant)
    url = f"/staff/quotes/{quote.pk}/"
    assert client.post(url, {"kind": "plan", "plan": catalog["plan"].pk}).status_code == 303
    assert client.post(url + "send/").status_code == 303
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT
    home = client.get("/staff/")
    assert home.status_code == 200
    assert 'href="/staff/quotes/"' in home.content.decode()
    assert 'href="/staff/invoices/"' not in home.content.decode()
    api = api_client_for(tenant, "sales")
    assert api.get("/api/v1/quotes/").status_code == 200
    assert api.get("/api/v1/leads/").status_code == 200
    for money in ("/api/v1/invoices/", "/api/v1/payments/", "/api/v1/credit-notes/"):
        assert api.get(money).status_code == 403, money
