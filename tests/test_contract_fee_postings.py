"""The fees a contract charges during its term (a downgrade fee, a minimum
commitment shortfall) are booked to the contract fees' account, apart from
installation and equipment; a chart made before that account existed keeps
booking them to its one-time fees. The contract page lists its downgrade
fees."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ispstack.accounting.chart import CONTRACT_FEE
from ispstack.accounting.journal.runner import post_journal
from ispstack.accounting.models import Account, AccountMapping, JournalEntry
from ispstack.billing.models import Invoice
from ispstack.billing.proration import add_charge
from ispstack.billing.services import change_plan, run_billing
from ispstack.core import clock
from ispstack.sales.contracts import services as contracts
from ispstack.sales.contracts.commitments import measure_due_months
from ispstack.sales.models import DowngradeFee

pytestmark = pytest.mark.django_db
D = dt.date
Z = Decimal("0")


def _contract(tenant, sub, **terms):
    contract = contracts.create_contract(
        tenant=tenant,
        customer=sub.customer_id,
        subscriptions=[sub.pk],
        term_months=12,
        start_date=D(2026, 1, 1),
        **terms,
    )
    return contracts.activate_contract(contract=contract)


def _credits(invoice: Invoice) -> dict[str, Decimal]:
    entry = JournalEntry.objects.get(source_type="invoice", source_id=invoice.pk, kind="issue")
    return {
        line.account.code: line.credit
        for line in entry.lines.select_related("account")
        if line.credit
    }


def test_a_downgrade_fee_and_a_shortfall_are_contract_fees_and_an_installation_is_not(
    tenant, make_subscription, make_plan
):
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))  # 30.00 a month
    contract = _contract(
        tenant,
        sub,
        monthly_commitment="49.95",
        plan_change_rule="downgrade_fee",
        downgrade_fee="25.00",
    )
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    assert measure_due_months(tenant, D(2026, 2, 1)) == 1  # 19.95 short in January
    cheap = make_plan(tenant, monthly_price="20.00")
    with clock.simulated(dt.datetime(2026, 1, 20, 12, tzinfo=dt.UTC)):
        change_plan(subscription=sub, plan=cheap.pk, when="now")
    fee = DowngradeFee.objects.get(contract=contract)
    assert (fee.subscription_id, fee.old_plan_id, fee.new_plan_id, fee.amount) == (
        sub.pk,
        sub.plan_id,
        cheap.pk,
        Decimal("25.00"),
    )
    add_charge(
        subscription=sub, description="Installation", amount="60.00", charge_date=D(2026, 1, 25)
    )
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    post_journal(tenant=tenant, through=D(2026, 2, 1))
    february = Invoice.objects.get(customer=sub.customer, issue_date=D(2026, 2, 1))
    credits = _credits(february)
    assert credits["4160"] == Decimal("44.95")  # 25.00 downgrade + 19.95 shortfall
    assert credits["4100"] == Decimal("60.00")  # the installation alone


def test_a_chart_without_the_contract_fees_account_books_them_as_one_time_fees(
    tenant, make_subscription
):
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    _contract(tenant, sub, monthly_commitment="49.95")
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    post_journal(tenant=tenant, through=D(2026, 1, 1))  # makes the default chart
    AccountMapping.objects.filter(tenant=tenant, key=CONTRACT_FEE).delete()
    Account.objects.filter(tenant=tenant, code="4160").delete()
    measure_due_months(tenant, D(2026, 2, 1))
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    post_journal(tenant=tenant, through=D(2026, 2, 1))
    february = Invoice.objects.get(customer=sub.customer, issue_date=D(2026, 2, 1))
    assert _credits(february)["4100"] == Decimal("19.95")


def test_the_contract_page_lists_its_downgrade_fees(
    tenant, make_subscription, make_plan, client, make_staff
):
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    contract = _contract(tenant, sub, plan_change_rule="downgrade_fee", downgrade_fee="25.00")
    cheap = make_plan(tenant, monthly_price="20.00", name="Fibre Lite")
    change_plan(subscription=sub, plan=cheap.pk, when="now")
    client.force_login(make_staff(tenant, "billing"))
    page = client.get(f"/staff/contracts/{contract.pk}/").content.decode()
    assert 'id="contract-downgrade-fees"' in page
    assert "→ Fibre Lite" in page and "€25.00" in page
