"""Contracts in the API and the console: create, amend as a new version,
the termination fee shown before the termination, renewal, and another
tenant's contract answering 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ispstack.billing.models import Charge
from ispstack.sales.models import Contract, ContractStatus

D = Decimal
START = dt.date(2026, 1, 1)


@pytest.fixture
def subscription(tenant, make_subscription):
    return make_subscription(tenant, start_date=START)


def test_the_api_creates_amends_previews_and_terminates(tenant, subscription, api_client_for):
    api = api_client_for(tenant, "billing")
    created = api.post(
        "/api/v1/contracts/",
        {
            "customer": subscription.customer_id,
            "subscriptions": [subscription.pk],
            "term_months": 24,
            "start_date": "2026-01-01",
            "monthly_commitment": "49.95",
            "termination_fee_rule": "schedule",
            "termination_fee_schedule": [
                {"through_month": 6, "amount": "600.00"},
                {"through_month": 12, "percent": "50"},
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    url = f"/api/v1/contracts/{body['id']}/"
    assert (body["status"], body["end_date"], body["version"]) == ("draft", "2027-12-31", 1)
    assert api.post(url + "activate/", {}, format="json").json()["status"] == "active"
    preview = api.get(url + "termination-fee/", {"on": "2026-07-15"}).json()
    assert (preview["fee"], preview["month_of_term"], preview["remaining_months"]) == (
        "424.5800",
        7,
        17,
    )
    no_reason = api.patch(url, {"monthly_commitment": "59.95"}, format="json")
    assert no_reason.status_code == 400 and no_reason.json()["field"] == "reason"
    amended = api.patch(
        url, {"reason": "price review", "monthly_commitment": "59.95"}, format="json"
    )
    assert amended.status_code == 200, amended.json()
    versions = amended.json()["versions"]
    assert [(v["version"], v["terms"]["monthly_commitment"]) for v in versions] == [
        (1, "49.95"),
        (2, "59.95"),
    ]
    assert versions[1]["reason"] == "price review"
    bad_step = api.patch(
        url,
        {"reason": "x", "termination_fee_schedule": [{"through_month": 3, "percent": "500"}]},
        format="json",
    )
    assert bad_step.status_code == 400
    assert "termination_fee_schedule[0].percent" in str(bad_step.json())
    done = api.post(url + "terminate/", {"reason": "moving", "on": "2026-07-15"}, format="json")
    assert done.status_code == 200, done.json()
    # 50 % of 17 x 59.95 = 509.575, half a cent up.
    assert done.json()["termination_fee"] == "509.5800"
    assert [c.amount for c in Charge.objects.filter(subscription=subscription)] == [D("509.58")]
    again = api.post(url + "terminate/", {"reason": "again"}, format="json")
    assert again.status_code == 409 and again.json()["field"] == "status"


def test_a_forbidden_plan_change_is_a_409_naming_plan_in_the_subscriptions_api(
    tenant, subscription, api_client_for, make_plan
):
    api = api_client_for(tenant, "admin")
    created = api.post(
        "/api/v1/contracts/",
        {
            "customer": subscription.customer_id,
            "subscriptions": [subscription.pk],
            "term_months": 12,
            "plan_change_rule": "forbidden",
        },
        format="json",
    )
    api.post(f"/api/v1/contracts/{created.json()['id']}/activate/", {}, format="json")
    other = make_plan(tenant, monthly_price="99.00")
    answer = api.post(
        f"/api/v1/subscriptions/{subscription.pk}/change-plan/",
        {"plan": other.pk, "when": "now"},
        format="json",
    )
    assert answer.status_code == 409, answer.json()
    assert answer.json()["field"] == "plan"


def test_another_tenants_contract_is_404_and_support_sees_none(
    tenant, make_tenant, subscription, api_client_for, client, make_staff
):
    mine = api_client_for(tenant, "admin")
    pk = mine.post(
        "/api/v1/contracts/",
        {"customer": subscription.customer_id, "term_months": 12},
        format="json",
    ).json()["id"]
    other = make_tenant()
    api = api_client_for(other, "admin")
    assert api.get(f"/api/v1/contracts/{pk}/").status_code == 404
    assert api.post(f"/api/v1/contracts/{pk}/activate/", {}, format="json").status_code == 404
    assert api.get("/api/v1/contracts/").json()["results"] == []
    assert api_client_for(tenant, "support").get("/api/v1/contracts/").status_code == 403
    client.force_login(make_staff(other, "admin"))
    assert client.get(f"/staff/contracts/{pk}/").status_code == 404
    assert client.get(f"/staff/contracts/{pk}/terminate/").status_code == 404
    assert client.post(f"/staff/contracts/{pk}/activate/").status_code == 404
    assert Contract.objects.get(pk=pk).status == ContractStatus.DRAFT


def test_the_console_creates_activates_and_terminates_showing_the_fee_first(
    tenant, subscription, client, make_staff
):
    client.force_login(make_staff(tenant, "billing"))
    form = {
        "customer": subscription.customer.account_number,
        "term_months": "24",
        "start_date": "2026-01-01",
        "monthly_commitment": "49.95",
        "auto_renew": "on",
        "renewal_term_months": "12",
        "notice_days": "30",
        "termination_fee_rule": "remaining_months",
        "plan_change_rule": "downgrade_fee",
        "downgrade_fee": "",
    }
    refused = client.post("/staff/contracts/new/", form)
    assert refused.status_code == 400
    assert "downgrades with a fee need the fee" in refused.content.decode()
    done = client.post("/staff/contracts/new/", {**form, "downgrade_fee": "25.00"})
    assert done.status_code == 303
    contract = Contract.objects.get(tenant=tenant)
    url = f"/staff/contracts/{contract.pk}/"
    assert client.post(url + "link/", {"subscription": subscription.pk}).status_code == 303
    assert client.post(url + "activate/").status_code == 303
    page = client.get(url, {"on": "2026-07-15"}).content.decode()
    assert "849.15" in page and subscription.username in page
    confirm = client.get(url + "terminate/", {"on": "2026-07-15"})
    assert confirm.status_code == 200 and "849.15" in confirm.content.decode()
    shown = client.post(url + "terminate/", {"on": "2026-07-15", "reason": "moving"})
    assert shown.status_code == 200
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE
    ended = client.post(
        url + "terminate/", {"on": "2026-07-15", "reason": "moving", "confirm": "yes"}
    )
    assert ended.status_code == 303
    assert Contract.objects.get(pk=contract.pk).termination_fee == D("849.15")
    listing = client.get("/staff/contracts/", {"status": "terminated"}).content.decode()
    assert contract.number in listing


def test_the_console_amends_with_a_reason_and_lists_the_versions(
    tenant, subscription, client, make_staff
):
    from ispstack.sales.contracts import services

    contract = services.create_contract(
        tenant=tenant, customer=subscription.customer, term_months=12
    )
    client.force_login(make_staff(tenant, "billing"))
    url = f"/staff/contracts/{contract.pk}/amend/"
    form = client.get(url)
    assert form.status_code == 200
    base = {
        "term_months": "24",
        "termination_fee_rule": "fixed",
        "termination_fee_amount": "300.00",
        "plan_change_rule": "any",
        "renewal_term_months": "12",
        "notice_days": "30",
    }
    refused = client.post(url, base)
    assert refused.status_code == 400 and "is required" in refused.content.decode()
    assert client.post(url, {**base, "reason": "signed for two years"}).status_code == 303
    page = client.get(f"/staff/contracts/{contract.pk}/").content.decode()
    assert "signed for two years" in page
    assert Contract.objects.get(pk=contract.pk).version == 2


def test_the_api_refuses_a_credit_of_a_month_not_over_naming_the_field(
    tenant, subscription, api_client_for
):
    api = api_client_for(tenant, "billing")
    pk = api.post(
        "/api/v1/contracts/",
        {"customer": subscription.customer_id, "term_months": 12, "start_date": "2026-01-01"},
        format="json",
    ).json()["id"]
    answer = api.post(
        f"/api/v1/contracts/{pk}/service-credits/",
        {"month": "2099-01-01", "amount": "5.00", "reason": "goodwill"},
        format="json",
    )
    assert answer.status_code == 400 and answer.json()["field"] == "month"
    assert api.get(f"/api/v1/contracts/{pk}/").json()["credits"] == []


# A quote with a term signs the contract with its acceptance; the PDF.


def test_accepting_a_quote_with_a_term_signs_the_contract_in_the_same_transaction(
    tenant, make_plan, monkeypatch
):
    from ispstack.sales import acceptance
    from ispstack.sales import services as quotes
    from ispstack.sales.contracts import services as contracts
    from ispstack.sales.contracts.fees import termination_fee
    from ispstack.subscriptions.models import Subscription

    plan = make_plan(tenant, monthly_price="45.00")
    quote = quotes.create_quote(
        tenant=tenant,
        prospect_name="Acme Ltd",
        prospect_email="it@acme.example",
        term_months=24,
        contract_terms={"termination_fee_rule": "remaining_months", "plan_change_rule": "any"},
    )
    quotes.add_line(quote=quote, kind="plan", plan=plan.pk)
    with pytest.raises(Exception) as refused:
        quotes.update_quote(quote=quote, contract_terms={"termination_fee_rule": "whim"})
    assert getattr(refused.value, "field", "") == "contract_terms.termination_fee_rule"
    quotes.send_quote(quote=quote, base_url="https://isp.example")

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(contracts, "activate_contract", broken)
    with pytest.raises(RuntimeError):
        acceptance.accept_quote(token=quote.token, name="Grace Hopper", ip="192.0.2.7")
    assert not Contract.objects.exists() and not Subscription.objects.exists()
    monkeypatch.undo()

    acceptance.accept_quote(token=quote.token, name="Grace Hopper", ip="192.0.2.7")
    contract = Contract.objects.get(quote=quote)
    sub = Subscription.objects.get(customer=contract.customer)
    assert (contract.status, contract.term_months, contract.monthly_commitment) == (
        ContractStatus.ACTIVE,
        24,
        D("45.00"),
    )
    assert [link.subscription_id for link in contracts.open_links(contract)] == [sub.pk]
    # Ended on its first day: 23 months of 45.00.
    assert termination_fee(contract, on=contract.start_date) == D("1035.00")


def test_the_contract_pdf_states_the_terms(tenant, subscription, tmp_path, client, make_staff):
    import subprocess

    from ispstack.sales.contracts import services
    from ispstack.sales.contracts.documents import contract_pdf

    contract = services.create_contract(
        tenant=tenant,
        customer=subscription.customer,
        subscriptions=[subscription.pk],
        term_months=24,
        start_date=START,
        monthly_commitment="49.95",
        termination_fee_rule="schedule",
        termination_fee_schedule=[{"through_month": 12, "percent": "50"}],
        sla_uptime_percent="99.5",
        sla_credit_tiers=[{"below": "99.5", "credit_percent": "10"}],
    )
    path = tmp_path / "contract.pdf"
    path.write_bytes(contract_pdf(contract))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for expected in (contract.number, "2027-12-31", "49.95", "through month 12", "99.5"):
        assert expected in text
    assert subscription.username in text
    client.force_login(make_staff(tenant, "billing"))
    answer = client.get(f"/staff/contracts/{contract.pk}/pdf/")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"


def test_the_console_issues_a_service_credit_measured_or_by_hand(
    tenant, subscription, client, make_staff
):
    from ispstack.billing import runner
    from ispstack.sales.contracts import services
    from ispstack.sales.models import ServiceCredit

    contract = services.create_contract(
        tenant=tenant,
        customer=subscription.customer,
        term_months=12,
        start_date=START,
        subscriptions=[subscription.pk],
        sla_uptime_percent="99.5",
        sla_credit_tiers=[{"below": "99.5", "credit_percent": "10"}],
    )
    services.activate_contract(contract=contract)
    runner.run_billing(tenant=tenant, as_of=dt.date(2026, 3, 1))
    client.force_login(make_staff(tenant, "billing"))
    url = f"/staff/contracts/{contract.pk}/credit/"
    page = client.get(f"/staff/contracts/{contract.pk}/").content.decode()
    assert "No service credit yet." in page and 'type="month"' in page

    # No outage in March: the promise was kept, nothing is written.
    kept = client.post(url, {"month": "2026-03", "amount": "", "reason": ""})
    assert kept.status_code == 200 and "met the uptime promised" in kept.content.decode()
    unexplained = client.post(url, {"month": "2026-03", "amount": "12.50", "reason": ""})
    assert unexplained.status_code == 400 and "say why" in unexplained.content.decode()
    early = client.post(url, {"month": "2099-01", "amount": "1", "reason": "x"})
    assert early.status_code == 400 and "not over yet" in early.content.decode()
    assert not ServiceCredit.objects.exists()

    body = {"month": "2026-03", "amount": "12.50", "reason": "router swap took a week"}
    assert client.post(url, body).status_code == 303
    assert client.post(url, body).status_code == 303
    credit = ServiceCredit.objects.get()
    assert (credit.amount, credit.month) == (D("12.50"), dt.date(2026, 3, 1))
    page = client.get(f"/staff/contracts/{contract.pk}/").content.decode()
    assert "2026-03" in page and "router swap took a week" in page and "12.50" in page
    assert credit.credit_note.number in page

    client.force_login(make_staff(tenant, "support"))
    assert client.post(url, body).status_code == 403
