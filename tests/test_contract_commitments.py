"""The minimum monthly commitment: a month billed below it is charged the
shortfall on the next invoice, once; a month at or above it is measured and
charges nothing; a month billed in arrears waits for its invoice; discounts
and SLA credits do not count against the customer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ispstack.billing.models import Charge, Invoice, InvoiceLine
from ispstack.billing.services import run_billing
from ispstack.catalog.services import create_promotion
from ispstack.sales.contracts import services
from ispstack.sales.contracts.commitments import measure_due_months
from ispstack.sales.contracts.renewals import process_contract_terms
from ispstack.sales.models import CommitmentShortfall
from ispstack.subscriptions.services import grant_promotion

pytestmark = pytest.mark.django_db
D = dt.date


def _contract(tenant, subscription, commitment, start=None):
    contract = services.create_contract(
        tenant=tenant,
        customer=subscription.customer_id,
        subscriptions=[subscription.pk],
        term_months=12,
        start_date=start or D(2026, 1, 1),
        monthly_commitment=commitment,
    )
    return services.activate_contract(contract=contract)


def test_a_month_below_the_commitment_is_charged_on_the_next_invoice_once(
    tenant, make_subscription, client, make_staff, api_client_for
):
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))  # 30.00 a month
    contract = _contract(tenant, sub, "49.95")
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    assert measure_due_months(tenant, D(2026, 2, 1)) == 1
    row = CommitmentShortfall.objects.get(contract=contract)
    assert (row.month, row.committed, row.billed, row.amount) == (
        D(2026, 1, 1),
        Decimal("49.95"),
        Decimal("30.00"),
        Decimal("19.95"),
    )
    assert row.charge.charge_date == D(2026, 2, 1)
    # Again, and through the hourly job: the month is measured once.
    assert measure_due_months(tenant, D(2026, 2, 1)) == 0
    assert process_contract_terms(as_of=D(2026, 2, 2))["shortfalls"] == 0
    assert Charge.objects.filter(subscription=sub).count() == 1

    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    february = Invoice.objects.get(customer=sub.customer, issue_date=D(2026, 2, 1))
    charged = february.lines.get(kind="one_time")
    assert charged.net_amount == Decimal("19.95")
    assert f"contract {contract.number}" in charged.description
    # 30.00 service + 19.95 shortfall = 49.95 net, 19 % VAT: 59.44.
    assert february.total == Decimal("59.44")

    client.force_login(make_staff(tenant, "billing"))
    page = client.get(f"/staff/contracts/{contract.pk}/").content.decode()
    assert "Minimum commitment by month" in page and "€19.95" in page
    api = api_client_for(tenant, "billing").get(f"/api/v1/contracts/{contract.pk}/").json()
    assert Decimal(api["shortfalls"][0]["amount"]) == Decimal("19.95")


def test_a_month_at_the_commitment_or_with_a_discount_charges_nothing(tenant, make_subscription):
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    _contract(tenant, sub, "30.00")
    # Half price for a month: the ISP's promotion, not the customer's shortfall.
    half = create_promotion(
        tenant=tenant, code="half", name="Half", kind="percent", value="50", cycles=1
    )
    grant_promotion(subscription=sub, promotion=half, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    assert InvoiceLine.objects.get(subscription=sub, kind="discount").net_amount == -15
    assert measure_due_months(tenant, D(2026, 2, 1)) == 0
    row = CommitmentShortfall.objects.get()
    assert (row.amount, row.charge) == (Decimal("0"), None)
    assert not Charge.objects.exists()


def test_a_partial_first_month_is_committed_by_days(tenant, make_subscription):
    sub = make_subscription(tenant, start_date=D(2026, 1, 16))
    _contract(tenant, sub, "31.00", start=D(2026, 1, 16))
    run_billing(tenant=tenant, as_of=D(2026, 1, 16))
    measure_due_months(tenant, D(2026, 2, 1))
    row = CommitmentShortfall.objects.get()
    # 16 of January's 31 days: 16.00 committed; 30.00 x 16 / 31 = 15.48 billed.
    assert (row.committed, row.billed, row.amount) == (
        Decimal("16.00"),
        Decimal("15.48"),
        Decimal("0.52"),
    )


def test_a_month_billed_in_arrears_waits_for_its_invoice(tenant, make_subscription, make_plan):
    plan = make_plan(tenant, billing_timing="arrears")
    sub = make_subscription(tenant, plan=plan, start_date=D(2026, 1, 1))
    contract = _contract(tenant, sub, "49.95")
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    assert measure_due_months(tenant, D(2026, 2, 1)) == 0
    # Never before its invoice, however late it comes.
    assert measure_due_months(tenant, D(2026, 3, 1)) == 0
    assert not CommitmentShortfall.objects.exists()
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    assert measure_due_months(tenant, D(2026, 2, 1)) == 1
    row = CommitmentShortfall.objects.get(contract=contract)
    assert (row.billed, row.amount) == (Decimal("30.00"), Decimal("19.95"))


def test_a_month_never_invoiced_is_not_charged(tenant, make_subscription):
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    _contract(tenant, sub, "49.95")
    assert measure_due_months(tenant, D(2026, 2, 1)) == 0
    assert measure_due_months(tenant, D(2026, 3, 1)) == 0
    assert not CommitmentShortfall.objects.exists() and not Charge.objects.exists()
