"""Contracts (sales): early termination fees to the cent under each rule,
termination and plan changes through the subscriptions services whoever
calls them, versions of amendments and renewals, and tenancy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ispstack.billing.models import Charge
from ispstack.billing.services import change_plan
from ispstack.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from ispstack.sales.contracts import services
from ispstack.sales.contracts.fees import termination_fee
from ispstack.sales.models import Contract, ContractStatus, ContractSubscription, ContractVersion
from ispstack.subscriptions.models import PlanChange, Subscription, SubscriptionStatus
from ispstack.subscriptions.services import terminate

D = Decimal
START = dt.date(2026, 1, 1)
PRICE = "49.95"
SCHEDULE = [
    {"through_month": 6, "amount": "600.00"},
    {"through_month": 12, "percent": "50"},
    {"through_month": 24, "amount": "100.00"},
]
RULES = {
    "fixed": {"termination_fee_rule": "fixed", "termination_fee_amount": "300.00"},
    "remaining_months": {"termination_fee_rule": "remaining_months"},
    "schedule": {"termination_fee_rule": "schedule", "termination_fee_schedule": SCHEDULE},
}


@pytest.fixture
def subscription(tenant, make_subscription):
    return make_subscription(tenant, start_date=START)


def make_contract(tenant, subscription, rule="remaining_months", activate=True, **extra):
    values = {
        "customer": subscription.customer_id,
        "subscriptions": [subscription.pk],
        "term_months": 24,
        "start_date": START,
        "monthly_commitment": PRICE,
        **RULES[rule],
        **extra,
    }
    contract = services.create_contract(tenant=tenant, **values)
    if activate:
        contract = services.activate_contract(contract=contract)
    return contract


# 24 months at 49.95 from 1 January 2026 (ends 31 December 2027). The month
# of the termination is served and billed, the fee covers the months after it.
@pytest.mark.parametrize(
    ("rule", "on", "fee"),
    [
        # Month 7: 17 months remain, 17 x 49.95 = 849.15.
        ("fixed", dt.date(2026, 7, 15), "300.00"),
        ("remaining_months", dt.date(2026, 7, 15), "849.15"),
        # The second step: 50 % of 849.15 = 424.575, half a cent up.
        ("schedule", dt.date(2026, 7, 15), "424.58"),
        # Day 1: month 1, 23 months remain.
        ("fixed", START, "300.00"),
        ("remaining_months", START, "1148.85"),
        ("schedule", START, "600.00"),
        # The last day of month 6 and the first of month 7.
        ("schedule", dt.date(2026, 6, 30), "600.00"),
        ("remaining_months", dt.date(2026, 7, 1), "849.15"),
        # The last month: nothing remains after it.
        ("fixed", dt.date(2027, 12, 31), "300.00"),
        ("remaining_months", dt.date(2027, 12, 1), "0.00"),
        ("schedule", dt.date(2027, 12, 15), "100.00"),
        # After the end date the term is over.
        ("fixed", dt.date(2028, 1, 1), "0.00"),
        ("remaining_months", dt.date(2028, 1, 1), "0.00"),
        ("schedule", dt.date(2028, 3, 1), "0.00"),
    ],
)
def test_termination_fee_to_the_cent(tenant, subscription, rule, on, fee):
    contract = make_contract(tenant, subscription, rule)
    assert contract.end_date == dt.date(2027, 12, 31)
    assert termination_fee(contract, on=on) == D(fee)
    assert str(termination_fee(contract, on=on)) == fee


@pytest.mark.parametrize(
    ("rule", "fee"), [("fixed", "300.00"), ("remaining_months", "449.55"), ("schedule", "600.00")]
)
def test_after_a_renewal_the_fee_counts_from_the_new_term(tenant, subscription, rule, fee):
    contract = make_contract(tenant, subscription, rule, renewal_term_months=12)
    contract = services.renew_contract(contract=contract)
    assert (contract.term_start, contract.end_date) == (dt.date(2028, 1, 1), dt.date(2028, 12, 31))
    # Month 3 of 12: 9 months remain, 9 x 49.95.
    assert termination_fee(contract, on=dt.date(2028, 3, 10)) == D(fee)
    assert contract.version == 2
    assert ContractVersion.objects.get(contract=contract, version=2).reason == "renewal"


def test_terminating_the_contract_charges_the_fee_and_ends_its_subscriptions(tenant, subscription):
    contract = make_contract(tenant, subscription, "schedule")
    services.terminate_contract(contract=contract, reason="moving abroad", on="2026-07-15")
    contract.refresh_from_db()
    subscription = Subscription.objects.get(pk=subscription.pk)
    assert contract.status == ContractStatus.TERMINATED
    assert contract.termination_fee == D("424.58")
    assert subscription.status == SubscriptionStatus.TERMINATED
    assert subscription.end_date == dt.date(2026, 7, 15)
    fees = Charge.objects.filter(subscription=subscription, description__contains=contract.number)
    assert [(c.amount, c.charge_date) for c in fees] == [(D("424.58"), dt.date(2026, 7, 15))]
    assert not ContractSubscription.objects.filter(contract=contract, released_on=None).exists()


def test_terminating_the_subscription_directly_charges_the_fee_once(tenant, subscription):
    contract = make_contract(tenant, subscription, "remaining_months")
    terminate(subscription=subscription, reason="cancelled by phone", on=dt.date(2026, 7, 15))
    contract.refresh_from_db()
    assert contract.status == ContractStatus.TERMINATED
    fees = Charge.objects.filter(subscription=subscription, description__contains="termination")
    assert [c.amount for c in fees] == [D("849.15")]


def test_one_of_several_subscriptions_leaves_without_a_fee(tenant, subscription, make_subscription):
    second = make_subscription(tenant, customer=subscription.customer, start_date=START)
    contract = make_contract(tenant, subscription, "fixed")
    services.link_subscription(contract=contract, subscription=second)
    terminate(subscription=second, reason="site closed", on=dt.date(2026, 7, 15))
    contract.refresh_from_db()
    assert contract.status == ContractStatus.ACTIVE
    assert not Charge.objects.filter(description__contains="termination").exists()
    assert [link.subscription_id for link in services.open_links(contract)] == [subscription.pk]


def test_no_fee_after_the_end_date(tenant, subscription):
    contract = make_contract(tenant, subscription, "fixed")
    terminate(subscription=subscription, reason="moved", on=dt.date(2028, 1, 5))
    contract.refresh_from_db()
    assert contract.termination_fee == D("0.00")
    assert not Charge.objects.filter(description__contains="termination").exists()


@pytest.fixture
def plans(tenant, make_plan):
    return {
        "cheap": make_plan(tenant, monthly_price="20.00"),
        "dear": make_plan(tenant, monthly_price="80.00"),
    }


@pytest.mark.parametrize(
    ("rule", "target", "outcome"),
    [
        ("forbidden", "dear", "refused"),
        ("forbidden", "cheap", "refused"),
        ("upgrade_only", "dear", "moved"),
        ("upgrade_only", "cheap", "refused"),
        ("downgrade_fee", "dear", "moved"),
        ("downgrade_fee", "cheap", "fee"),
        ("any", "cheap", "moved"),
    ],
)
@pytest.mark.parametrize("when", ["now", "next_cycle"])
def test_plan_changes_follow_the_contract(tenant, subscription, plans, rule, target, outcome, when):
    # The subscription's plan costs 30.00: cheap is a downgrade, dear an upgrade.
    make_contract(tenant, subscription, "fixed", plan_change_rule=rule, downgrade_fee="25.00")
    if outcome == "refused":
        with pytest.raises(Conflict) as refused:
            change_plan(subscription=subscription, plan=plans[target].pk, when=when)
        assert refused.value.field == "plan"
        assert Subscription.objects.get(pk=subscription.pk).plan_id != plans[target].pk
        return
    change_plan(subscription=subscription, plan=plans[target].pk, when=when)
    fees = [c.amount for c in Charge.objects.filter(description__startswith="Downgrade fee")]
    if when == "next_cycle":
        # Scheduled: the fee comes when the change is applied.
        assert fees == []
        return
    assert Subscription.objects.get(pk=subscription.pk).plan_id == plans[target].pk
    assert fees == ([D("25.00")] if outcome == "fee" else [])


def test_a_plan_change_after_the_term_of_a_contract_that_does_not_renew_is_free(
    tenant, subscription, plans
):
    make_contract(tenant, subscription, "fixed", plan_change_rule="forbidden", auto_renew=False)
    change_plan(
        subscription=subscription, plan=plans["cheap"].pk, when="date", on=dt.date(2028, 1, 1)
    )
    # Scheduled for the day after the term, refused by no guard, with no fee.
    [scheduled] = PlanChange.objects.filter(subscription=subscription)
    assert (scheduled.to_plan_id, scheduled.effective_date) == (
        plans["cheap"].pk,
        dt.date(2028, 1, 1),
    )
    assert not Charge.objects.filter(subscription=subscription).exists()


def test_an_amendment_is_a_new_version_keeping_the_old_terms(tenant, subscription, make_staff):
    clerk = make_staff(tenant, "billing")
    contract = make_contract(tenant, subscription, "fixed")
    services.amend_contract(
        contract=contract,
        actor=clerk,
        reason="customer asked for a longer term",
        term_months=36,
        termination_fee_amount="450.00",
    )
    contract.refresh_from_db()
    assert (contract.version, contract.end_date) == (2, dt.date(2028, 12, 31))
    first, second = ContractVersion.objects.filter(contract=contract).order_by("version")
    assert (first.terms["term_months"], first.terms["termination_fee_amount"]) == (24, "300.00")
    assert (second.terms["term_months"], second.terms["end_date"]) == (36, "2028-12-31")
    assert (second.changed_by, second.reason) == (clerk, "customer asked for a longer term")
    assert termination_fee(contract, on=dt.date(2026, 7, 15)) == D("450.00")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"term_months": 0}, "term_months"),
        ({"term_months": "x"}, "term_months"),
        ({"monthly_commitment": "-1"}, "monthly_commitment"),
        ({"monthly_commitment": "1.001"}, "monthly_commitment"),
        ({"termination_fee_rule": "whim"}, "termination_fee_rule"),
        ({"termination_fee_rule": "schedule"}, "termination_fee_schedule"),
        ({"termination_fee_rule": "remaining_months"}, "monthly_commitment"),
        (
            {"termination_fee_schedule": [{"through_month": 6, "amount": "1", "percent": "2"}]},
            "termination_fee_schedule[0].amount",
        ),
        (
            {"termination_fee_schedule": [{"through_month": 6, "percent": "120"}]},
            "termination_fee_schedule[0].percent",
        ),
        ({"sla_uptime_percent": "101"}, "sla_uptime_percent"),
        ({"plan_change_rule": "downgrade_fee"}, "downgrade_fee"),
        ({"bogus": 1}, "bogus"),
    ],
)
def test_bad_terms_are_refused_naming_the_field(tenant, subscription, data, field):
    values = {"customer": subscription.customer_id, "term_months": 24, **data}
    with pytest.raises(InvalidInput) as refused:
        services.create_contract(tenant=tenant, **values)
    assert refused.value.field == field
    assert not Contract.objects.exists()


def test_a_subscription_is_under_one_open_contract(tenant, subscription):
    make_contract(tenant, subscription, "fixed")
    with pytest.raises(Conflict) as refused:
        make_contract(tenant, subscription, "fixed", activate=False)
    assert refused.value.field == "subscription"
    assert Contract.objects.count() == 1


def test_a_terminated_contract_is_final(tenant, subscription):
    contract = make_contract(tenant, subscription, "fixed")
    services.terminate_contract(contract=contract, reason="gone", on=dt.date(2026, 7, 1))
    with pytest.raises(InvalidTransition):
        services.amend_contract(contract=contract, reason="late", term_months=12)
    with pytest.raises(InvalidTransition):
        services.terminate_contract(contract=contract, reason="again")


def test_another_tenants_customer_and_subscription_are_not_found(
    tenant, make_tenant, subscription, make_subscription
):
    other = make_tenant()
    foreign = make_subscription(other)
    with pytest.raises(NotFound):
        services.create_contract(tenant=tenant, customer=foreign.customer_id, term_months=12)
    contract = make_contract(tenant, subscription, "fixed", activate=False)
    with pytest.raises(NotFound):
        services.link_subscription(contract=contract, subscription=foreign.pk)
    with pytest.raises(NotFound):
        services.create_contract(tenant=other, customer=subscription.customer_id, term_months=12)
    assert list(ContractSubscription.objects.values_list("subscription_id", flat=True)) == [
        subscription.pk
    ]


# The end of the term: reminders, automatic renewal, the end.


def test_the_reminder_goes_once_before_the_notice_deadline_and_is_mailed(
    tenant, subscription, smtp_server
):
    from ispstack.core.outbox import drain
    from ispstack.sales.contracts.renewals import process_contract_terms

    contract = make_contract(tenant, subscription, "fixed", notice_days=30)
    # End 2027-12-31, notice by 2027-12-01, the reminder 30 days before that.
    quiet = process_contract_terms(as_of=dt.date(2027, 10, 31))
    assert quiet == {"renewed": 0, "ended": 0, "reminded": 0, "shortfalls": 0}
    assert process_contract_terms(as_of=dt.date(2027, 11, 1))["reminded"] == 1
    assert process_contract_terms(as_of=dt.date(2027, 11, 1))["reminded"] == 0
    assert process_contract_terms(as_of=dt.date(2027, 11, 20))["reminded"] == 0
    drain()
    (message,) = smtp_server.messages
    assert message["To"] == subscription.customer.email
    assert contract.number in message["Subject"]
    body = (
        message.get_payload(decode=True)
        if not message.is_multipart()
        else b"".join(p.get_payload(decode=True) or b"" for p in message.walk())
    )
    assert b"2027-12-01" in body and b"renews automatically for 12 months" in body


def test_at_the_end_date_the_contract_renews_as_a_new_version_once(tenant, subscription):
    from ispstack.sales.contracts.renewals import process_contract_terms

    contract = make_contract(tenant, subscription, "fixed", renewal_term_months=12)
    assert process_contract_terms(as_of=dt.date(2027, 12, 31))["renewed"] == 0
    assert process_contract_terms(as_of=dt.date(2028, 1, 1))["renewed"] == 1
    assert process_contract_terms(as_of=dt.date(2028, 1, 1))["renewed"] == 0
    contract.refresh_from_db()
    assert (contract.status, contract.version) == (ContractStatus.ACTIVE, 2)
    assert (contract.term_start, contract.end_date) == (dt.date(2028, 1, 1), dt.date(2028, 12, 31))
    assert ContractVersion.objects.get(contract=contract, version=2).reason == "automatic renewal"
    # The renewed term gets its own reminder.
    assert process_contract_terms(as_of=dt.date(2028, 11, 1))["reminded"] == 1


def test_without_auto_renewal_the_contract_ends_and_frees_its_subscriptions(
    tenant, subscription, plans
):
    from ispstack.sales.tasks import process_contract_terms_task

    contract = make_contract(
        tenant, subscription, "fixed", auto_renew=False, plan_change_rule="forbidden"
    )
    from ispstack.sales.contracts.renewals import process_contract_terms

    assert process_contract_terms(as_of=dt.date(2028, 1, 1)) == {
        "renewed": 0,
        "ended": 1,
        "reminded": 0,
        "shortfalls": 0,
    }
    contract.refresh_from_db()
    assert (contract.status, contract.ended_on) == (ContractStatus.ENDED, dt.date(2027, 12, 31))
    # Out of contract: the plan changes freely and terminating costs nothing.
    change_plan(subscription=subscription, plan=plans["cheap"].pk, when="now")
    terminate(subscription=subscription, reason="moved", on=dt.date(2028, 2, 1))
    assert not Charge.objects.filter(description__contains="fee").exists()
    # The task's figures; what the commitment measure finds depends on the
    # day it runs (tests/test_contract_commitments.py measures it).
    ran = process_contract_terms_task()
    assert (ran["renewed"], ran["ended"], ran["reminded"]) == (0, 0, 0)


# SLA service credits.


@pytest.fixture
def on_sector(tenant, subscription):
    from ispstack.network.models import Device, Sector, Site

    tower = Site.objects.create(
        tenant=tenant, kind="tower", name="Hill", slug="hill", latitude=52, longitude=13
    )
    ap = Device.objects.create(tenant=tenant, role="ap", name="ap-1", serial="AP1", site=tower)
    sector = Sector.objects.create(
        tenant=tenant, site=tower, name="North", azimuth=0, access_point=ap
    )
    Subscription.objects.filter(pk=subscription.pk).update(sector=sector)
    return sector


def _outage(tenant, sector, start, hours):
    from ispstack.core import clock
    from ispstack.tickets.outages.services import declare_outage, resolve_outage

    with clock.simulated(start):
        outage = declare_outage(tenant=tenant, sector=sector, cause="power")
    end = start + dt.timedelta(hours=hours)
    with clock.simulated(end):
        resolve_outage(outage=outage, resolved_at=end)


def _sla_contract(tenant, subscription):
    return make_contract(
        tenant,
        subscription,
        "fixed",
        sla_uptime_percent="99.5",
        sla_credit_tiers=[
            {"below": "99.5", "credit_percent": "10"},
            {"below": "99", "credit_percent": "25"},
        ],
    )


def test_a_month_below_the_sla_earns_a_credit_note_once(tenant, subscription, on_sector):
    from ispstack.billing import runner
    from ispstack.billing.models import CreditNote
    from ispstack.sales.contracts.credits import issue_service_credit

    contract = _sla_contract(tenant, subscription)
    runner.run_billing(tenant=tenant, as_of=dt.date(2026, 3, 1))
    # Six hours down in March (Berlin: 31 days less the DST hour, 44,580 minutes):
    # 1 - 360 / 44,580 = 99.1925 %, under 99.5 but not under 99.
    _outage(tenant, on_sector, dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC), 6)
    credit = issue_service_credit(contract=contract, month="2026-03-01")
    assert credit is not None
    assert (credit.availability_percent, credit.outage_minutes) == (D("99.1925"), 360)
    # 10 % of 49.95 = 4.995, half a cent up.
    assert credit.amount == D("5.00")
    note = CreditNote.objects.get(pk=credit.credit_note_id)
    assert note.subtotal == D("5.00")
    assert issue_service_credit(contract=contract, month="2026-03-15") == credit
    assert CreditNote.objects.count() == 1
    # April had no outage: nothing to credit, nothing written.
    runner.run_billing(tenant=tenant, as_of=dt.date(2026, 4, 1))
    assert issue_service_credit(contract=contract, month="2026-04-01") is None
    assert CreditNote.objects.count() == 1


def test_a_credit_by_hand_needs_a_reason_and_an_invoice_to_credit(tenant, subscription):
    from ispstack.billing import runner
    from ispstack.sales.contracts.credits import issue_service_credit

    contract = _sla_contract(tenant, subscription)
    with pytest.raises(InvalidInput) as refused:
        issue_service_credit(contract=contract, month="2026-05-01", amount="10.00")
    assert refused.value.field == "reason"
    with pytest.raises(InvalidInput) as refused:
        issue_service_credit(contract=contract, month="2026-05-01", amount="10.00", reason="x")
    assert refused.value.field == "amount"
    runner.run_billing(tenant=tenant, as_of=dt.date(2026, 5, 1))
    with pytest.raises(InvalidInput) as refused:
        issue_service_credit(contract=contract, month="2026-05-01", amount="30.01", reason="x")
    assert refused.value.field == "amount"
    credit = issue_service_credit(
        contract=contract, month="2026-05-01", amount="12.50", reason="router swap took a week"
    )
    assert (credit.amount, credit.availability_percent) == (D("12.50"), None)
    with pytest.raises(InvalidInput) as refused:
        issue_service_credit(contract=contract, month="2099-01-01")
    assert refused.value.field == "month"
