"""Quotes (sales): prices to the cent through the billing engine, versions,
the public accept link and what an acceptance creates, the PDF, the email,
the API, the console pages and their accessibility."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from decimal import Decimal

import pytest

from ispstack.billing import runner as billing
from ispstack.billing.models import Charge, Invoice
from ispstack.catalog.models import Promotion
from ispstack.catalog.services import create_addon, create_promotion
from ispstack.core import clock
from ispstack.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from ispstack.core.outbox import drain
from ispstack.customers.models import Customer
from ispstack.provisioning import services as provisioning
from ispstack.provisioning.models import ServiceOrder
from ispstack.sales import acceptance, services
from ispstack.sales.documents import quote_pdf
from ispstack.sales.models import Quote, QuoteStatus
from ispstack.subscriptions.models import Subscription, SubscriptionAddOn, SubscriptionPromotion
from ispstack.subscriptions.services import activate
from tests.conftest import tenant_tax

D = Decimal
BASE = "https://isp.example"


@pytest.fixture
def catalog(tenant, make_plan):
    return quote_catalog(tenant, make_plan)


def quote_catalog(tenant, make_plan):
    """A 30.00 plan at 19 % VAT, a 5.55 add-on at 7 %, 10 % off for 3 months."""
    plan = make_plan(tenant, monthly_price="30.00", tax_percent="19")
    reduced = tenant_tax(tenant, "7")
    tv = create_addon(tenant=tenant, code="tv", name="IPTV", monthly_price="5.55", tax_rate=reduced)
    promo = create_promotion(
        tenant=tenant, code="welcome", name="Welcome", kind="percent", value="10", cycles=3
    )
    return {"plan": plan, "tv": tv, "promo": promo}


def full_quote(tenant, catalog, **recipient):
    """A plan, two IPTV add-ons, the promotion and an installation at 49.99 less 10 %."""
    if not recipient:
        recipient = {"prospect_name": "Ada Lovelace", "prospect_email": "ada@example.net"}
    quote = services.create_quote(tenant=tenant, **recipient)
    services.add_line(quote=quote, kind="plan", plan=catalog["plan"].pk)
    services.add_line(quote=quote, kind="addon", addon=catalog["tv"].pk, quantity=2)
    services.add_line(quote=quote, kind="promotion", promotion=catalog["promo"].pk)
    services.add_line(
        quote=quote,
        kind="one_time",
        description="Installation",
        unit_price="49.99",
        discount_percent="10",
    )
    quote.refresh_from_db()
    return quote


def test_totals_to_the_cent_with_vat_per_rate(tenant, catalog):
    quote = full_quote(tenant, catalog)
    # By hand: plan 30.00 + 19 % = 5.70; IPTV 2 x 5.55 = 11.10 + 7 % = 0.777 -> 0.78;
    # welcome 10 % of 30.00 = -3.00, tax -0.57; installation 49.99 - 10 % =
    # 44.991 -> 44.99, + 19 % = 8.5481 -> 8.55.
    assert quote.recurring_net == D("38.10")
    assert quote.recurring_tax == D("5.91")
    assert quote.one_time_net == D("44.99")
    assert quote.one_time_tax == D("8.55")
    assert quote.total == D("97.55")
    assert [(t["rate"], D(t["net"]), D(t["tax"])) for t in quote.taxes] == [
        ("19", D("71.99"), D("13.68")),
        ("7", D("11.10"), D("0.78")),
    ]
    by_kind = {line.kind: (line.net_amount, line.tax_amount) for line in quote.lines.all()}
    assert by_kind["promotion"] == (D("-3.00"), D("-0.57"))
    assert by_kind["one_time"] == (D("44.99"), D("8.55"))


def test_acceptance_signs_up_and_the_first_invoice_charges_the_quoted_total(
    tenant, catalog, run_on_commit
):
    quote = full_quote(tenant, catalog)
    services.send_quote(quote=quote, base_url=BASE)
    accepted = acceptance.accept_quote(token=quote.token, name="Ada Lovelace", ip="192.0.2.7")
    assert accepted.status == QuoteStatus.ACCEPTED
    assert accepted.accepted_by_name == "Ada Lovelace"
    assert accepted.accepted_ip == "192.0.2.7"
    assert accepted.accepted_at is not None
    customer = Customer.objects.get(tenant=tenant)
    assert (customer.name, customer.email) == ("Ada Lovelace", "ada@example.net")
    sub = Subscription.objects.get(customer=customer)
    today = clock.today(tenant)
    assert (sub.plan_id, sub.start_date, sub.billing_day) == (catalog["plan"].pk, today, today.day)
    assert SubscriptionAddOn.objects.get(subscription=sub).quantity == 2
    assert SubscriptionPromotion.objects.filter(subscription=sub).count() == 1
    charge = Charge.objects.get(subscription=sub)
    assert (charge.description, charge.amount) == ("Installation", D("44.99"))
    assert ServiceOrder.objects.filter(subscription=sub).exists()
    activate(subscription=sub)
    billing.run_billing(tenant=tenant, as_of=today)
    invoice = Invoice.objects.get(customer=customer)
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        quote.subtotal,
        quote.tax_total,
        quote.total,
    )
    assert invoice.total == D("97.55")


def test_an_installation_marked_spread_is_recognised_over_the_contract_term(tenant, catalog):
    from ispstack.accounting.models import ChargeRecognitionTerm, RevenueScheduleEntry
    from ispstack.accounting.services import recognise_revenue
    from ispstack.billing.models import InvoiceLine

    quote = full_quote(tenant, catalog)
    installation = quote.lines.get(kind="one_time")
    installation.delete()
    services.add_line(
        quote=quote,
        kind="one_time",
        description="Installation",
        unit_price="120.00",
        spread_over_term="true",
    )
    services.add_line(quote=quote, kind="one_time", description="Router", unit_price="80.00")
    with pytest.raises(InvalidInput) as err:
        services.add_line(quote=quote, kind="addon", addon=catalog["tv"].pk, spread_over_term=True)
    assert err.value.field == "spread_over_term"
    with pytest.raises(InvalidInput) as err:
        services.add_line(
            quote=quote, kind="one_time", description="X", unit_price="1", spread_over_term="maybe"
        )
    assert err.value.field == "spread_over_term"
    services.update_quote(quote=quote, term_months=24)
    services.send_quote(quote=quote, base_url=BASE)
    acceptance.accept_quote(token=quote.token, name="Ada Lovelace", ip=None)
    fee = Charge.objects.get(tenant=tenant, description="Installation")
    router = Charge.objects.get(tenant=tenant, description="Router")
    assert ChargeRecognitionTerm.objects.get(charge=fee).months == 24
    assert not ChargeRecognitionTerm.objects.filter(charge=router).exists()
    sub = Subscription.objects.get(tenant=tenant)
    activate(subscription=sub)
    today = clock.today(tenant)
    billing.run_billing(tenant=tenant, as_of=today)
    recognise_revenue(tenant=tenant, through=today)
    spread = RevenueScheduleEntry.objects.filter(
        invoice_line__in=InvoiceLine.objects.filter(charge=fee)
    )
    assert spread.count() == 24
    assert sum(e.amount for e in spread) == D("120.00")
    assert [
        e.amount
        for e in RevenueScheduleEntry.objects.filter(
            invoice_line__in=InvoiceLine.objects.filter(charge=router)
        )
    ] == [D("80.00")]


def test_a_spread_item_needs_a_term_and_survives_a_revision(tenant, catalog):
    from ispstack.accounting.models import ChargeRecognitionTerm

    quote = services.create_quote(tenant=tenant, prospect_name="B", prospect_email="b@example.net")
    services.add_line(quote=quote, kind="plan", plan=catalog["plan"].pk)
    services.add_line(
        quote=quote,
        kind="one_time",
        description="Installation",
        unit_price="120.00",
        spread_over_term=True,
    )
    with pytest.raises(InvalidInput) as err:
        services.send_quote(quote=quote, base_url=BASE)
    assert err.value.field == "term_months"
    services.update_quote(quote=quote, term_months=12)
    services.send_quote(quote=quote, base_url=BASE)
    revised = services.revise_quote(quote=quote)
    assert revised.lines.get(description="Installation").spread_over_term is True
    services.send_quote(quote=revised, base_url=BASE)
    acceptance.accept_quote(token=revised.token, name="B", ip=None)
    fee = Charge.objects.get(tenant=tenant, description="Installation")
    assert ChargeRecognitionTerm.objects.get(charge=fee).months == 12


def test_a_failure_in_any_step_rolls_the_whole_acceptance_back(tenant, catalog, monkeypatch):
    quote = full_quote(tenant, catalog)
    services.send_quote(quote=quote, base_url=BASE)

    def broken(**kwargs):
        raise InvalidInput("the charge could not be queued", field="amount")

    monkeypatch.setattr(acceptance, "add_charge", broken)
    with pytest.raises(InvalidInput):
        acceptance.accept_quote(token=quote.token, name="Ada Lovelace", ip="192.0.2.7")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT
    assert not Customer.objects.filter(tenant=tenant).exists()
    assert not Subscription.objects.filter(tenant=tenant).exists()
    assert not SubscriptionAddOn.objects.filter(tenant=tenant).exists()
    assert not Charge.objects.filter(tenant=tenant).exists()


def test_accepting_twice_makes_one_customer(tenant, catalog):
    quote = full_quote(tenant, catalog)
    services.send_quote(quote=quote, base_url=BASE)
    acceptance.accept_quote(token=quote.token, name="Ada Lovelace", ip="192.0.2.7")
    again = acceptance.accept_quote(token=quote.token, name="Someone Else", ip="198.51.100.1")
    assert again.accepted_by_name == "Ada Lovelace"
    assert Customer.objects.filter(tenant=tenant).count() == 1
    assert Subscription.objects.filter(tenant=tenant).count() == 1


def test_an_expired_or_declined_quote_cannot_be_accepted(tenant, catalog):
    expired = full_quote(tenant, catalog)
    services.send_quote(quote=expired, base_url=BASE)
    assert services.expire_quotes(as_of=expired.valid_until + dt.timedelta(days=1)) == 1
    with pytest.raises(InvalidTransition, match="expired on"):
        acceptance.accept_quote(token=expired.token, name="Ada", ip=None)
    declined = full_quote(tenant, catalog)
    services.send_quote(quote=declined, base_url=BASE)
    acceptance.decline_quote(token=declined.token, reason="Too expensive")
    with pytest.raises(InvalidTransition, match="declined"):
        acceptance.accept_quote(token=declined.token, name="Ada", ip=None)
    assert not Customer.objects.filter(tenant=tenant).exists()
    declined.refresh_from_db()
    assert declined.declined_reason == "Too expensive"


@pytest.mark.parametrize("change", ["plan price", "addon sold no more", "promotion ended"])
def test_a_quote_whose_catalogue_prices_changed_is_not_accepted_but_revised(
    tenant, catalog, change
):
    from ispstack.catalog.services import update_addon, update_plan

    quote = full_quote(tenant, catalog)
    services.send_quote(quote=quote, base_url=BASE)
    if change == "plan price":
        update_plan(plan=catalog["plan"], monthly_price="35.00")
    elif change == "addon sold no more":
        update_addon(addon=catalog["tv"], is_active=False)
    else:
        Promotion.objects.filter(pk=catalog["promo"].pk).update(is_active=False)
    with pytest.raises(Conflict) as refused:
        acceptance.accept_quote(token=quote.token, name="Ada", ip=None)
    assert refused.value.field == "lines"
    assert not Customer.objects.filter(tenant=tenant).exists()
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT
    if change == "plan price":
        assert "30 quoted, 35 now" in str(refused.value)
        # The revision prices the plan at today's 35.00 and can be accepted.
        revised = services.revise_quote(quote=quote)
        plan_line = revised.lines.get(kind="plan")
        assert plan_line.unit_price == D("35.00")
        services.send_quote(quote=revised, base_url=BASE)
        assert (
            acceptance.accept_quote(token=revised.token, name="Ada", ip=None).status == "accepted"
        )


def test_a_revision_keeps_the_old_version_unchanged(tenant, catalog):
    quote = full_quote(tenant, catalog)
    services.send_quote(quote=quote, base_url=BASE)
    before = [(x.description, x.net_amount, x.tax_amount) for x in quote.lines.order_by("pk")]
    new = services.revise_quote(quote=quote)
    services.add_line(quote=new, kind="one_time", description="Router", unit_price="89.00")
    new.refresh_from_db()
    quote.refresh_from_db()
    assert (new.number, new.version, new.revises_id) == (quote.number, 2, quote.pk)
    assert quote.status == QuoteStatus.REVISED
    assert quote.total == D("97.55")
    assert [
        (x.description, x.net_amount, x.tax_amount) for x in quote.lines.order_by("pk")
    ] == before
    assert new.total == D("97.55") + D("89.00") + D("16.91")
    with pytest.raises(InvalidTransition):
        services.add_line(quote=quote, kind="one_time", description="X", unit_price="1.00")
    with pytest.raises(InvalidTransition, match="newer version"):
        acceptance.accept_quote(token=quote.token, name="Ada", ip=None)


def test_a_lead_is_converted_by_the_acceptance(tenant, catalog):
    lead = provisioning.create_lead(tenant=tenant, name="Grace Hopper", email="grace@example.net")
    quote = full_quote(tenant, catalog, lead=lead.pk)
    with pytest.raises(InvalidInput, match="serviceable"):
        services.send_quote(quote=quote, base_url=BASE)
    survey = provisioning.schedule_survey(lead=lead, scheduled_at="2026-01-05T09:00:00+00:00")
    provisioning.complete_survey(survey=survey, outcome="serviceable")
    services.send_quote(quote=quote, base_url=BASE)
    acceptance.accept_quote(token=quote.token, name="Grace Hopper", ip="192.0.2.8")
    lead.refresh_from_db()
    customer = Customer.objects.get(tenant=tenant)
    assert (lead.status, lead.customer_id) == ("converted", customer.pk)
    sub = Subscription.objects.get(customer=customer)
    assert ServiceOrder.objects.get(subscription=sub).lead_id == lead.pk
    assert Charge.objects.get(subscription=sub).amount == D("44.99")


def test_a_leads_quote_in_another_currency_signs_the_customer_up_in_it(tenant, make_plan):
    plan = make_plan(tenant, monthly_price="40.00", currency="USD")
    lead = provisioning.create_lead(tenant=tenant, name="Ada Byron", email="ada@example.net")
    survey = provisioning.schedule_survey(lead=lead, scheduled_at="2026-01-05T09:00:00+00:00")
    provisioning.complete_survey(survey=survey, outcome="serviceable")
    quote = services.create_quote(tenant=tenant, lead=lead.pk, currency="USD")
    services.add_line(quote=quote, kind="plan", plan=plan.pk)
    services.send_quote(quote=quote, base_url=BASE)
    acceptance.accept_quote(token=quote.token, name="Ada Byron", ip="192.0.2.8")
    customer = Customer.objects.get(tenant=tenant)
    # Before, the lead became a EUR customer and its USD plan could never be billed.
    assert (tenant.currency, customer.currency) == ("EUR", "USD")
    assert Subscription.objects.get(customer=customer).plan_id == plan.pk


def test_the_pdf_shows_the_total(tenant, catalog, tmp_path):
    quote = full_quote(tenant, catalog)
    path = tmp_path / "quote.pdf"
    path.write_bytes(quote_pdf(quote))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert quote.number in text
    assert "97.55 EUR" in text
    assert "Installation" in text


def test_a_sent_quote_is_dated_the_day_it_went_out_in_the_tenants_zone(tenant, catalog, tmp_path):
    quote = full_quote(tenant, catalog)
    # 23:30 UTC on 5 March is already 6 March in Berlin.
    with clock.simulated(dt.datetime(2026, 3, 5, 23, 30, tzinfo=dt.UTC)):
        services.send_quote(quote=quote, base_url=BASE)
    quote.refresh_from_db()
    with clock.simulated(dt.datetime(2026, 4, 10, 12, 0, tzinfo=dt.UTC)):
        path = tmp_path / "quote.pdf"
        path.write_bytes(quote_pdf(quote))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Date: 2026-03-06" in text


def test_the_quote_is_emailed_with_its_pdf_and_accept_link(tenant, catalog, smtp_server):
    quote = full_quote(tenant, catalog)
    services.send_quote(quote=quote, base_url=BASE)
    drain()
    (message,) = smtp_server.messages
    assert message["To"] == "ada@example.net"
    assert quote.number in message["Subject"]
    parts = list(message.walk())
    body = next(p for p in parts if p.get_content_type() == "text/plain").get_payload(decode=True)
    assert f"{BASE}/quote/{quote.token}/".encode() in body
    assert b"97.55 EUR" in body
    assert any(p.get_content_type() == "application/pdf" for p in parts)


def test_another_tenants_objects_are_not_found(tenant, make_tenant, catalog, make_plan):
    other = make_tenant()
    other_plan = make_plan(other)
    quote = services.create_quote(tenant=tenant, prospect_name="A", prospect_email="a@example.net")
    with pytest.raises(NotFound):
        services.add_line(quote=quote, kind="plan", plan=other_plan.pk)
    with pytest.raises(NotFound):
        acceptance.accept_quote(token="x" * 43, name="A", ip=None)


# The public accept page.


@pytest.fixture
def sent_quote(tenant, catalog):
    quote = full_quote(tenant, catalog)
    return services.send_quote(quote=quote, base_url=BASE)


def test_the_accept_page_needs_a_typed_name_and_records_the_client_address(client, sent_quote):
    url = f"/quote/{sent_quote.token}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "97.55 EUR" in page.content.decode()
    missing = client.post(url, {"action": "accept", "name": "  "})
    assert missing.status_code == 400
    assert 'id="name-error"' in missing.content.decode()
    assert "Type your full name to accept the quote." in missing.content.decode()
    assert not Customer.objects.exists()
    done = client.post(url, {"action": "accept", "name": "Ada Lovelace"}, REMOTE_ADDR="203.0.113.9")
    assert done.status_code == 200
    assert "Accepted by Ada Lovelace" in done.content.decode()
    sent_quote.refresh_from_db()
    assert (sent_quote.accepted_by_name, sent_quote.accepted_ip) == ("Ada Lovelace", "203.0.113.9")
    again = client.post(url, {"action": "accept", "name": "Eve"}, REMOTE_ADDR="203.0.113.10")
    assert again.status_code == 200
    assert Customer.objects.count() == 1


def test_a_german_isps_accept_page_is_german_for_a_prospect(client, sent_quote):
    from ispstack.portal.models import PortalBranding

    PortalBranding.objects.filter(tenant=sent_quote.tenant).update(locale="de_DE")
    page = client.get(f"/quote/{sent_quote.token}/").content.decode()
    assert '<html lang="de">' in page and "Angebot annehmen" in page
    assert "97,55 EUR" in page and "Accept the quote" not in page


def test_a_german_customer_reads_the_refusals_in_german(client, sent_quote):
    from ispstack.portal.models import PortalBranding

    PortalBranding.objects.filter(tenant=sent_quote.tenant).update(locale="de_DE")
    url = f"/quote/{sent_quote.token}/"
    unnamed = client.post(url, {"action": "accept", "name": " "})
    assert unnamed.status_code == 400
    assert "Geben Sie Ihren vollständigen Namen ein" in unnamed.content.decode()
    too_long = client.post(url, {"action": "accept", "name": "A" * 201}).content.decode()
    assert "Höchstens 200 Zeichen." in too_long and "has at most" not in too_long
    assert "Sagen Sie uns, warum" in client.post(url, {"action": "decline"}).content.decode()
    control = client.post(url, {"action": "accept", "name": "Ada\x00"}).content.decode()
    assert "ohne Steuerzeichen" in control and "Höchstens" not in control
    # Past its date but not marked expired yet: the service refuses, the page says why.
    Quote.objects.filter(pk=sent_quote.pk).update(
        valid_until=sent_quote.valid_until - dt.timedelta(days=60)
    )
    late = client.post(url, {"action": "accept", "name": "Ada Lovelace"})
    assert late.status_code == 409
    assert "ist am" in late.content.decode() and "abgelaufen" in late.content.decode()
    assert "expired on" not in late.content.decode()
    assert not Customer.objects.exists()


def test_the_accept_page_of_an_expired_quote_says_so(client, sent_quote):
    services.expire_quotes(as_of=sent_quote.valid_until + dt.timedelta(days=1))
    url = f"/quote/{sent_quote.token}/"
    assert "can no longer be accepted" in client.get(url).content.decode()
    refused = client.post(url, {"action": "accept", "name": "Ada Lovelace"})
    assert refused.status_code == 409
    assert "expired on" in refused.content.decode()
    assert not Customer.objects.exists()


def test_declining_on_the_page_needs_a_reason(client, sent_quote):
    url = f"/quote/{sent_quote.token}/"
    assert client.post(url, {"action": "decline", "reason": ""}).status_code == 400
    assert client.post(url, {"action": "decline", "reason": "Too dear"}).status_code == 200
    sent_quote.refresh_from_db()
    assert (sent_quote.status, sent_quote.declined_reason) == ("declined", "Too dear")


@pytest.mark.parametrize(
    "token", ["x" * 43, "' OR 1=1 --", "a" * 500, "%00", "../../etc/passwd", "\u202e" * 30]
)
def test_guessed_or_hostile_tokens_are_404(client, sent_quote, token):
    from urllib.parse import quote as urlquote

    url = f"/quote/{urlquote(token, safe='')}/"
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "accept", "name": "Mallory"}).status_code == 404
    assert not Customer.objects.exists()


def test_the_quote_link_is_rate_limited_per_client(client, sent_quote, settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "quote_link": "3/minute"}
    from django.core.cache import cache

    cache.clear()
    codes = [client.get(f"/quote/{'y' * 43}/").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    cache.clear()


# The API.


def test_the_api_builds_sends_and_revises_a_quote(tenant, catalog, api_client_for, run_on_commit):
    api = api_client_for(tenant, "billing")
    created = api.post(
        "/api/v1/quotes/",
        {"prospect_name": "Ada Lovelace", "prospect_email": "ada@example.net"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    url = f"/api/v1/quotes/{pk}/"
    assert api.post(url + "lines/", {"kind": "plan", "plan": catalog["plan"].pk}).status_code == 201
    bad = api.post(url + "lines/", {"kind": "one_time", "description": "X", "unit_price": "1.001"})
    assert bad.status_code == 400
    assert bad.json()["field"] == "unit_price"
    line = api.post(
        url + "lines/", {"kind": "one_time", "description": "Router", "unit_price": "89.00"}
    )
    assert line.status_code == 201
    assert line.json()["spread_over_term"] is False
    typed = api.post(
        url + "lines/",
        {"kind": "one_time", "description": "Fee", "unit_price": "1", "spread_over_term": "x"},
        format="json",
    )
    assert (typed.status_code, typed.json()["field"]) == (400, "spread_over_term")
    body = api.get(url).json()
    # 30.00 + 5.70 and 89.00 + 16.91 (19 % of 89.00).
    assert D(body["total"]) == D("30.00") + D("5.70") + D("89.00") + D("16.91")
    removed = api.post(url + "remove-line/", {"line": line.json()["id"]}, format="json")
    assert D(removed.json()["total"]) == D("35.70")
    sent = api.post(url + "send/", {}, format="json")
    assert sent.json()["status"] == "sent"
    assert api.patch(url, {"notes": "late"}, format="json").status_code == 409
    revised = api.post(url + "revise/", {}, format="json")
    assert revised.status_code == 201
    assert (revised.json()["version"], revised.json()["revises"]) == (2, pk)
    assert api.get(url).json()["status"] == "revised"
    pdf = api.get(url + "pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_another_tenants_quote_is_404_in_the_api_and_console(
    tenant, make_tenant, catalog, api_client_for, client, make_staff
):
    quote = full_quote(tenant, catalog)
    other = make_tenant()
    api = api_client_for(other, "admin")
    assert api.get(f"/api/v1/quotes/{quote.pk}/").status_code == 404
    assert api.post(f"/api/v1/quotes/{quote.pk}/send/", {}, format="json").status_code == 404
    assert api.get("/api/v1/quotes/").json()["results"] == []
    client.force_login(make_staff(other, "admin"))
    assert client.get(f"/staff/quotes/{quote.pk}/").status_code == 404
    assert client.get(f"/staff/quotes/{quote.pk}/pdf/").status_code == 404
    assert client.post(f"/staff/quotes/{quote.pk}/send/").status_code == 404


def test_support_may_not_see_quotes(tenant, api_client_for):
    assert api_client_for(tenant, "support").get("/api/v1/quotes/").status_code == 403


# The console.


def test_the_console_creates_a_quote_adds_lines_and_sends_it(
    tenant, catalog, client, make_staff, make_customer, run_on_commit
):
    customer = make_customer(tenant, name="Lindiwe Dube")
    client.force_login(make_staff(tenant, "billing"))
    bad = client.post("/staff/quotes/new/", {"customer": "NO-SUCH"})
    assert bad.status_code == 400
    assert "No customer has this account number" in bad.content.decode()
    done = client.post("/staff/quotes/new/", {"customer": customer.account_number})
    assert done.status_code == 303
    quote = Quote.objects.get(tenant=tenant)
    url = f"/staff/quotes/{quote.pk}/"
    assert client.post(url, {"kind": "plan", "plan": catalog["plan"].pk}).status_code == 303
    refused = client.post(url, {"kind": "one_time", "description": "Router", "unit_price": "-5"})
    assert refused.status_code == 400
    assert "must not be negative" in refused.content.decode()
    page = client.get(url).content.decode()
    assert "€35.70" in page
    assert "Lindiwe Dube" in page
    spread = {"kind": "one_time", "description": "Installation", "unit_price": "60"}
    assert client.post(url, {**spread, "spread_over_term": "on"}).status_code == 303
    installation = quote.lines.get(description="Installation")
    assert installation.spread_over_term is True
    assert "spread over the contract term" in client.get(url).content.decode()
    # Without a term the quote could not be sent with it.
    assert client.post(url + "remove-line/", {"line": installation.pk}).status_code == 303
    wrong = client.post(url, {"kind": "addon", "addon": catalog["tv"].pk, "spread_over_term": "on"})
    assert wrong.status_code == 400
    assert "only a one-time item is spread over the term" in wrong.content.decode()
    assert client.post(url + "send/").status_code == 303
    quote.refresh_from_db()
    assert quote.status == "sent"
    listing = client.get("/staff/quotes/", {"status": "sent"}).content.decode()
    assert quote.number in listing
    assert client.get(url + "pdf/")["Content-Type"] == "application/pdf"


def test_removing_a_line_that_is_no_id_answers_404_and_keeps_the_lines(
    tenant, catalog, client, make_staff, make_customer
):
    customer = make_customer(tenant, name="Lindiwe Dube")
    client.force_login(make_staff(tenant, "billing"))
    client.post("/staff/quotes/new/", {"customer": customer.account_number})
    quote = Quote.objects.get(tenant=tenant)
    url = f"/staff/quotes/{quote.pk}/"
    assert client.post(url, {"kind": "plan", "plan": catalog["plan"].pk}).status_code == 303
    # "²" is a digit to str.isdigit but no number to int().
    for raw in ("²", "", "-1", "9" * 40):
        assert client.post(url + "remove-line/", {"line": raw}).status_code == 404
    assert quote.lines.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_accept_page_and_the_console_quote_pages_pass_axe(
    live_server, chromium, tenant, catalog, make_staff
):
    from tests.console_browser import log_in, serious_violations

    quote = full_quote(tenant, catalog)
    draft = services.create_quote(tenant=tenant, prospect_name="B", prospect_email="b@example.net")
    services.send_quote(quote=quote, base_url=live_server.url)
    page = chromium.new_page()
    try:
        page.goto(f"{live_server.url}/quote/{quote.token}/")
        assert "97.55 EUR" in page.inner_text("main")
        assert serious_violations(page) == []
        page.get_by_role("button", name="Accept", exact=True).click()
        assert "Type your full name" in page.inner_text("#name-error")
        assert serious_violations(page) == []
        log_in(page, live_server.url, make_staff(tenant, "billing"))
        for url in (
            f"/staff/quotes/{quote.pk}/",
            f"/staff/quotes/{draft.pk}/",
            "/staff/quotes/",
            "/staff/quotes/new/",
        ):
            page.goto(live_server.url + url)
            assert serious_violations(page) == [], url
        page.goto(f"{live_server.url}/staff/quotes/{draft.pk}/")
        page.get_by_role("button", name="Add the line").click()
        assert page.locator(".field-error").count() >= 1
        assert serious_violations(page) == []
    finally:
        page.close()


def test_bad_lines_are_refused_naming_the_field(tenant, catalog, make_plan):
    quote = services.create_quote(tenant=tenant, prospect_name="A", prospect_email="a@example.net")
    with pytest.raises(InvalidInput) as no_plan:
        services.add_line(quote=quote, kind="addon", addon=catalog["tv"].pk)
    assert no_plan.value.field == "plan_line"
    services.add_line(quote=quote, kind="plan", plan=catalog["plan"].pk)
    with pytest.raises(InvalidInput) as discounted:
        services.add_line(quote=quote, kind="addon", addon=catalog["tv"].pk, discount_percent="5")
    assert discounted.value.field == "discount_percent"
    with pytest.raises(InvalidInput) as half:
        services.add_line(quote=quote, kind="addon", addon=catalog["tv"].pk, quantity="1.5")
    assert half.value.field == "quantity"
    dollars = make_plan(tenant, currency="USD")
    with pytest.raises(InvalidInput) as currency:
        services.add_line(quote=quote, kind="plan", plan=dollars.pk)
    assert currency.value.field == "plan"
    quote.refresh_from_db()
    assert [line.kind for line in quote.lines.all()] == ["plan"]
    assert quote.total == D("35.70")


def test_the_hourly_task_expires_quotes_past_their_validity_in_the_job_log(tenant, catalog):
    from ispstack.core.models import JobExecution
    from ispstack.sales.tasks import expire_quotes_task

    quote = full_quote(tenant, catalog)
    services.send_quote(quote=quote, base_url=BASE)
    Quote.objects.filter(pk=quote.pk).update(valid_until=clock.today(tenant) - dt.timedelta(days=1))
    sent = Quote.objects.get(pk=quote.pk).updated_at
    assert expire_quotes_task() == 1
    assert expire_quotes_task() == 0
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.EXPIRED
    assert quote.updated_at > sent  # the change is dated, for lists sorted by it
    runs = JobExecution.objects.filter(job="ispstack.sales.expire_quotes").order_by("pk")
    assert [(r.status, r.counts) for r in runs] == [("done", {"count": 1}), ("done", {"count": 0})]


def test_a_customers_quote_is_in_the_customers_currency(tenant, make_customer):
    customer = make_customer(tenant, currency="EUR")
    with pytest.raises(InvalidInput) as wrong:
        services.create_quote(tenant=tenant, customer=customer.pk, currency="USD")
    assert wrong.value.field == "currency"
    assert services.create_quote(tenant=tenant, customer=customer.pk).currency == "EUR"


def test_the_console_quote_carries_a_contract_term_and_its_conditions(
    tenant, catalog, client, make_staff, make_customer
):
    customer = make_customer(tenant, name="Lindiwe Dube")
    client.force_login(make_staff(tenant, "billing"))
    base = {"customer": customer.account_number}
    crooked = client.post(
        "/staff/quotes/new/",
        {
            **base,
            "term_months": "24",
            "termination_fee_rule": "schedule",
            "termination_fee_schedule": "six months 300",
        },
    )
    assert crooked.status_code == 400
    assert "line 1: write" in crooked.content.decode()
    late = client.post("/staff/quotes/new/", {**base, "term_months": "24", "notice_days": "-3"})
    assert late.status_code == 400 and list(late.context["form"].errors) == ["notice_days"]
    assert not Quote.objects.exists()

    done = client.post(
        "/staff/quotes/new/",
        {
            **base,
            "term_months": "24",
            "auto_renew": "on",
            "renewal_term_months": "12",
            "notice_days": "30",
            "termination_fee_rule": "schedule",
            "termination_fee_schedule": "6: 300.00\n24: 50%",
            "plan_change_rule": "upgrade_only",
            "sla_uptime_percent": "99.5",
            "sla_credit_tiers": "99.5: 10",
        },
    )
    assert done.status_code == 303, re.findall(
        r'role="alert">(.*?)</div>', done.content.decode(), re.S
    )
    quote = Quote.objects.get(tenant=tenant)
    assert quote.term_months == 24
    terms = quote.contract_terms
    assert terms["termination_fee_schedule"] == [
        {"through_month": 6, "amount": "300.00"},
        {"through_month": 24, "percent": "50"},
    ]
    assert (terms["plan_change_rule"], terms["notice_days"], terms["auto_renew"]) == (
        "upgrade_only",
        30,
        True,
    )
    page = client.get(f"/staff/quotes/{quote.pk}/").content.decode()
    assert "24 months term, signed on acceptance" in page and "6: 300.00" in page
    form = client.get(f"/staff/quotes/{quote.pk}/edit/").content.decode()
    assert "24: 50%" in form and 'value="99.5"' in form

    # Emptying the term drops the contract from the quote.
    emptied = client.post(f"/staff/quotes/{quote.pk}/edit/", base)
    assert emptied.status_code == 303, re.findall(
        r'role="alert">(.*?)</div>', emptied.content.decode(), re.S
    )
    quote.refresh_from_db()
    assert (quote.term_months, quote.contract_terms) == (None, {})


def test_the_accept_page_asks_for_a_revised_quote_when_prices_changed(client, sent_quote):
    from ispstack.catalog.services import update_plan

    plan = sent_quote.lines.get(kind="plan").plan
    update_plan(plan=plan, monthly_price="99.00")
    refused = client.post(f"/quote/{sent_quote.token}/", {"action": "accept", "name": "Ada"})
    assert refused.status_code == 409
    assert "ask us for a revised quote" in refused.content.decode()
    assert not Customer.objects.exists()
