"""Finance reports (docs/metrics.md): MRR and its movements checked to the cent
against a deliberately naive Python reading of the raw rows, the movements'
identity over random histories, past months unchanged by today's changes,
aging of overdue invoices, tenancy, permissions and the exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from ispstack.catalog.models import Bundle
from ispstack.catalog.services import (
    create_addon,
    create_bundle,
    create_promotion,
    update_addon,
    update_plan,
)
from ispstack.core import clock
from ispstack.core.errors import InvalidInput, InvalidTransition, NotFound
from ispstack.core.models import ExchangeRate
from ispstack.core.money import convert
from ispstack.reports import selectors
from ispstack.reports.models import MarketingSpend
from ispstack.subscriptions.models import Subscription, SubscriptionStatus
from ispstack.subscriptions.services import (
    apply_plan,
    attach_addon,
    detach_addon,
    grant_promotion,
    reconnect,
    suspend,
    terminate,
)
from tests.usage_world import plan_on

pytestmark = pytest.mark.django_db

D = dt.date
IN_SERVICE = {SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED}


# --- the naive reading: every row in Python, one subscription at a time ------


def _status_on(sub: Subscription, day: dt.date) -> str:
    def starts(event: Any) -> dt.date:
        # A termination's date is the last day of service.
        return event.effective_date + dt.timedelta(days=event.to_status == "terminated")

    events = sorted(sub.events.all(), key=lambda e: (starts(e), e.pk))
    status = SubscriptionStatus.PENDING
    for event in events:
        if starts(event) <= day:
            status = event.to_status
    return status


def _price_on(product: Any, day: dt.date) -> tuple[Decimal, str]:
    """The product's price row in force on ``day``: the latest on or before
    it, else the first; without rows its current price."""
    rows = sorted(product.prices.all(), key=lambda r: r.effective_date)
    if not rows:
        return product.monthly_price, product.currency
    before = [r for r in rows if r.effective_date <= day]
    row = before[-1] if before else rows[0]
    return row.monthly_price, row.currency


def _bundle_discounts(
    tenant: Any, sub: Subscription, on_plan: Any, lines: list[Any], day: dt.date
) -> tuple[Decimal, dict[int, Decimal]]:
    """Per month, what the bundles in force take off the plan and off each
    add-on line (by its id), as billing's bundle_discounts and discount_lines do."""
    off_plan, off_lines = Decimal(0), defaultdict(Decimal)
    products = {line.addon_id for line in lines}
    for bundle in Bundle.objects.filter(tenant=tenant, is_active=True):
        if bundle.created_at.astimezone(ZoneInfo(tenant.timezone)).date() > day:
            continue
        plan_ids = {p.pk for p in bundle.plans.all()}
        addon_ids = {a.pk for a in bundle.addons.all()}
        if bundle.requires_all_products and (
            (plan_ids and on_plan.pk not in plan_ids) or not addon_ids <= products
        ):
            continue
        value = bundle.discount_value
        if on_plan.pk in plan_ids:
            price, _currency = _price_on(on_plan, day)
            if bundle.discount_kind == "percent":
                off_plan += price * value / 100
            else:
                off_plan += min(value / on_plan.cycle_months, price)
        for line in lines:
            if line.addon_id in addon_ids:
                price, _currency = _price_on(line.addon, day)
                if bundle.discount_kind == "percent":
                    off_lines[line.pk] += price * line.quantity * value / 100
                else:
                    off_lines[line.pk] += min(
                        value * line.quantity / line.addon.cycle_months, price * line.quantity
                    )
    return off_plan, off_lines


def naive_customer_mrr(tenant: Any, day: dt.date, plan: Any = None) -> dict[int, Decimal]:
    mrr: dict[int, Decimal] = defaultdict(Decimal)
    for sub in Subscription.objects.filter(tenant=tenant):
        if _status_on(sub, day) not in IN_SERVICE:
            continue
        on_plan = plan_on(sub, day)
        if plan is not None and on_plan != plan:
            continue
        price, currency = _price_on(on_plan, day)
        lines = [
            item
            for item in sub.addons.all()
            if item.start_date <= day and (item.end_date is None or item.end_date >= day)
        ]
        off_plan, off_lines = _bundle_discounts(tenant, sub, on_plan, lines, day)
        discount = Decimal(0)
        for grant in sub.promotions.all():
            promo = grant.promotion
            ends = (
                None
                if promo.cycles is None
                else grant.start_date + relativedelta(months=promo.cycles * on_plan.cycle_months)
            )
            if grant.start_date <= day and (ends is None or day < ends):
                if promo.kind == "percent":
                    discount += price * promo.value / 100
                else:
                    discount += promo.value / on_plan.cycle_months
        mrr[sub.customer_id] += convert(max(price - discount - off_plan, 0), currency, tenant, day)
        for item in lines:
            unit, item_currency = _price_on(item.addon, day)
            amount = max(unit * item.quantity - off_lines[item.pk], 0)
            mrr[sub.customer_id] += convert(amount, item_currency, tenant, day)
    return {customer: amount for customer, amount in mrr.items() if amount}


def _was_in_service_before(tenant: Any, customer_id: int, day: dt.date) -> bool:
    return any(
        e.from_status == "pending" and e.to_status == "active" and e.effective_date <= day
        for sub in Subscription.objects.filter(tenant=tenant, customer_id=customer_id)
        for e in sub.events.all()
    )


def naive_movements(tenant: Any, month: dt.date, plan: Any = None) -> dict[str, Any]:
    prev = month - dt.timedelta(days=1)
    end = clock.month_end(month)
    before, after = naive_customer_mrr(tenant, prev, plan), naive_customer_mrr(tenant, end, plan)
    out: dict[str, Any] = {name: Decimal(0) for name in FIELDS}
    out["churned_customers"] = out["new_customers"] = out["reactivated_customers"] = 0
    for customer in set(before) | set(after):
        o, c = before.get(customer, Decimal(0)), after.get(customer, Decimal(0))
        if o == 0 and _was_in_service_before(tenant, customer, prev):
            out["reactivation"] += c
            out["reactivated_customers"] += 1
        elif o == 0:
            out["new"] += c
            out["new_customers"] += 1
        elif c == 0:
            out["churn"] += o
            out["churned_customers"] += 1
        elif c > o:
            out["expansion"] += c - o
        else:
            out["contraction"] += o - c
    out["opening"] = sum(before.values(), Decimal(0))
    out["closing"] = sum(after.values(), Decimal(0))
    out["customers_opening"], out["customers_closing"] = len(before), len(after)
    return out


FIELDS = (
    "opening",
    "new",
    "expansion",
    "contraction",
    "churn",
    "reactivation",
    "closing",
    "customers_opening",
    "customers_closing",
    "new_customers",
    "reactivated_customers",
    "churned_customers",
)


def as_dict(row: selectors.MrrMonth) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FIELDS}


def report(tenant: Any, start: dt.date, end: dt.date, **kw: Any) -> list[selectors.MrrMonth]:
    return selectors.mrr_movements(
        tenant, selectors.make_filters(tenant, start=start, end=end, **kw)
    )


# --- a small world ------------------------------------------------------------


@pytest.fixture
def world(tenant, make_plan, make_customer, make_subscription):
    """Jan-May 2026: four customers, one in dollars, with a promotion, an
    add-on, an upgrade, a downgrade, a suspension, a termination and a
    customer who comes back."""
    ExchangeRate.objects.create(tenant=tenant, currency="USD", day=D(2025, 12, 1), rate="0.9")
    ExchangeRate.objects.create(tenant=tenant, currency="USD", day=D(2026, 3, 10), rate="0.8")
    basic = make_plan(tenant, monthly_price="30.00", name="Basic")
    fast = make_plan(tenant, monthly_price="45.50", name="Fast")
    dollars = make_plan(tenant, monthly_price="33.33", currency="USD", name="Dollar")
    yearly = make_plan(tenant, monthly_price="20.00", cycle_months=12, name="Yearly")
    tv = create_addon(
        tenant=tenant, code="tv", name="TV", monthly_price="7.25", tax_rate=basic.tax_rate
    )
    half = create_promotion(
        tenant=tenant, code="half", name="Half", kind="percent", value="50", cycles=2
    )
    fixed = create_promotion(
        tenant=tenant, code="fix", name="Fix", kind="fixed", value="12", cycles=None
    )

    a = make_subscription(tenant, plan=basic, start_date=D(2026, 1, 10))
    grant_promotion(subscription=a, promotion=half, start_date=D(2026, 1, 10))
    apply_plan(subscription=a, plan=fast, effective=D(2026, 4, 15))

    b = make_subscription(tenant, plan=fast, start_date=D(2026, 1, 1))
    attach_addon(subscription=b, addon=tv, quantity=2, start_date=D(2026, 2, 5))
    apply_plan(subscription=Subscription.objects.get(pk=b.pk), plan=basic, effective=D(2026, 3, 1))
    suspend(subscription=b, reason="unpaid", on=D(2026, 3, 20))

    c_customer = make_customer(tenant, tags=["business"])
    c = make_subscription(tenant, plan=dollars, customer=c_customer, start_date=D(2026, 2, 3))
    terminate(subscription=c, reason="moved", on=D(2026, 3, 30))
    c2 = make_subscription(tenant, plan=yearly, customer=c_customer, start_date=D(2026, 5, 2))
    grant_promotion(subscription=c2, promotion=fixed, start_date=D(2026, 5, 2))

    d = make_subscription(tenant, plan=basic, start_date=D(2026, 2, 10))
    terminate(subscription=d, reason="unhappy", on=D(2026, 2, 20))
    return {"basic": basic, "fast": fast, "c_customer": c_customer, "a": a, "tv": tv}


def test_mrr_and_movements_match_a_naive_reading_to_the_cent(tenant, world):
    rows = report(tenant, D(2026, 1, 1), D(2026, 5, 1))
    assert [r.month for r in rows] == [D(2026, m, 1) for m in range(1, 6)]
    for row in rows:
        assert as_dict(row) == naive_movements(tenant, row.month), row.month
    jan, feb, mar, apr, may = rows
    # January: a at half price, b in full.
    assert (jan.new, jan.closing, jan.new_customers) == (Decimal("60.50"), Decimal("60.50"), 2)
    # February: c's 33.33 USD at 0.9; b's two TV add-ons; d came and went within the month.
    assert feb.new == Decimal("30.00") and feb.new_customers == 1
    assert feb.expansion == Decimal("14.50")
    # March: a's promotion ends, b downgrades (its suspension keeps it in MRR), c leaves
    # with what it brought at the opening.
    assert (mar.expansion, mar.contraction) == (Decimal("15.00"), Decimal("15.50"))
    assert mar.churn == Decimal("30.00") and mar.churned_customers == 1
    # May: c comes back on a yearly plan: 20.00 less 12.00 per year spread over 12 months.
    assert may.reactivation == Decimal("19.00") and may.reactivated_customers == 1
    assert apr.arr == apr.closing * 12


def test_plan_and_tag_filters_count_only_their_segment(tenant, world):
    rows = report(tenant, D(2026, 1, 1), D(2026, 5, 1), plan_id=world["basic"].pk)
    for row in rows:
        assert as_dict(row) == naive_movements(tenant, row.month, plan=world["basic"])
    tagged = report(tenant, D(2026, 5, 1), D(2026, 5, 1), tag="business")[0]
    assert (tagged.closing, tagged.customers_closing) == (Decimal("19.00"), 1)


def test_a_past_month_is_the_same_after_todays_plan_change(tenant, world):
    before = [as_dict(r) for r in report(tenant, D(2026, 1, 1), D(2026, 5, 1))]
    apply_plan(subscription=world["a"], plan=world["basic"], effective=D(2026, 11, 30))
    after = [as_dict(r) for r in report(tenant, D(2026, 1, 1), D(2026, 5, 1))]
    assert after == before


def _this_and_last_month(tenant: Any) -> tuple[dt.date, dt.date]:
    this_month = selectors.month_start(clock.today(tenant))
    return selectors.months_before(this_month, 1), this_month


@pytest.fixture
def next_day():
    """The clock a day on: the world's products were created today, with a
    first price that also holds before it, so an edit is made on a later day."""
    with clock.simulated(clock.now() + dt.timedelta(days=1)):
        yield


def test_a_price_edited_today_changes_this_months_mrr_not_last_months(tenant, world, next_day):
    last, this = _this_and_last_month(tenant)
    before = report(tenant, last, this)
    # b, on Basic since March with two TV add-ons, is the only one on either today.
    update_plan(plan=world["basic"], monthly_price="40.00")
    update_addon(addon=world["tv"], monthly_price="8.00")
    after = report(tenant, last, this)
    assert as_dict(after[0]) == as_dict(before[0])
    assert after[1].closing - before[1].closing == Decimal("10.00") + 2 * Decimal("0.75")
    assert after[1].expansion - before[1].expansion == Decimal("11.50")
    for row in after:
        assert as_dict(row) == naive_movements(tenant, row.month), row.month
    # Billing still reads the current price from the plan row.
    world["basic"].refresh_from_db()
    assert world["basic"].monthly_price == Decimal("40.00")
    assert [p.monthly_price for p in world["basic"].prices.order_by("effective_date")] == [
        Decimal("30.00"),
        Decimal("40.00"),
    ]


def test_a_second_edit_on_the_same_day_replaces_that_days_price(tenant, world, next_day):
    update_plan(plan=world["basic"], monthly_price="40.00")
    update_plan(plan=world["basic"], monthly_price="35.00")
    update_plan(plan=world["basic"], name="Basic plus")
    assert [p.monthly_price for p in world["basic"].prices.order_by("effective_date")] == [
        Decimal("30.00"),
        Decimal("35.00"),
    ]


def test_prices_edited_in_the_api_and_the_admin_are_dated(
    client: Client, tenant, world, api_client_for, make_staff, next_day
):
    basic, tv = world["basic"], world["tv"]
    answer = api_client_for(tenant, "admin").patch(
        f"/api/v1/plans/{basic.pk}/", {"monthly_price": "31.00"}, format="json"
    )
    assert answer.status_code == 200, answer.content
    client.force_login(make_staff(tenant, "admin"))
    form = {
        "code": tv.code,
        "name": tv.name,
        "monthly_price": "7.75",
        "currency": tv.currency,
        "tax_rate": tv.tax_rate_id,
        "cycle_months": tv.cycle_months,
        "is_active": "on",
    }
    answer = client.post(reverse("admin:catalog_addon_change", args=[tv.pk]), form)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    today = clock.today(tenant)
    assert [(p.effective_date, p.monthly_price) for p in basic.prices.all()][-1] == (
        today,
        Decimal("31.00"),
    )
    assert [(p.effective_date, p.monthly_price) for p in tv.prices.all()][-1] == (
        today,
        Decimal("7.75"),
    )


def test_bundle_discounts_come_off_mrr_from_the_bundles_day(tenant, world, next_day):
    last, this = _this_and_last_month(tenant)
    before = report(tenant, last, this)
    # b has Basic and two TV add-ons: 10 % of 30.00 and of 2 x 7.25.
    create_bundle(
        tenant=tenant,
        code="duo",
        name="Duo",
        discount_kind="percent",
        discount_value="10",
        plans=[world["basic"].pk],
        addons=[world["tv"].pk],
    )
    # A fixed 5.00 per cycle off Fast whatever else is taken: a, on Fast.
    create_bundle(
        tenant=tenant,
        code="fast5",
        name="Fast five",
        discount_kind="fixed",
        discount_value="5",
        plans=[world["fast"].pk],
        requires_all_products=False,
    )
    after = report(tenant, last, this)
    assert as_dict(after[0]) == as_dict(before[0])
    assert before[1].closing - after[1].closing == Decimal("3.00") + Decimal("1.45") + 5
    for row in after:
        assert as_dict(row) == naive_movements(tenant, row.month), row.month


def test_another_tenants_subscriptions_are_never_counted(
    tenant, world, make_tenant, make_subscription
):
    other = make_tenant()
    make_subscription(other, start_date=D(2026, 1, 1))
    mine = [as_dict(r) for r in report(tenant, D(2026, 1, 1), D(2026, 5, 1))]
    make_subscription(other, start_date=D(2026, 2, 1))
    assert [as_dict(r) for r in report(tenant, D(2026, 1, 1), D(2026, 5, 1))] == mine
    theirs = report(other, D(2026, 1, 1), D(2026, 5, 1))
    assert theirs[-1].closing == Decimal("60.00") and theirs[-1].customers_closing == 2


def test_a_missing_exchange_rate_is_named_not_guessed(tenant, make_plan, make_subscription):
    make_subscription(tenant, plan=make_plan(tenant, currency="GBP"), start_date=D(2026, 1, 1))
    with pytest.raises(NotFound) as err:
        report(tenant, D(2026, 1, 1), D(2026, 2, 1))
    assert err.value.field == "currency" and "GBP" in str(err.value)
    filters = selectors.make_filters(tenant, start=D(2026, 1, 1), end=D(2026, 2, 1))
    with pytest.raises(NotFound) as by_plan:
        selectors.growth_by_plan(tenant, filters)
    assert by_plan.value.field == "currency" and "GBP" in str(by_plan.value)


@pytest.mark.parametrize("today", [D(2026, 1, 20), D(2026, 2, 20), D(2026, 12, 31)])
def test_the_default_range_is_the_last_twelve_months(tenant, today):
    with clock.simulated(dt.datetime.combine(today, dt.time(12), tzinfo=dt.UTC)):
        filters = selectors.make_filters(tenant)
    assert len(selectors.months_between(filters.start, filters.end)) == 12
    assert filters.end == today.replace(day=1)


def test_bad_ranges_are_refused_naming_the_field(tenant, make_tenant, make_plan):
    with pytest.raises(InvalidInput) as err:
        selectors.make_filters(tenant, start=D(2026, 5, 1), end=D(2026, 1, 1))
    assert err.value.field == "start"
    with pytest.raises(InvalidInput):
        selectors.make_filters(tenant, start=D(2010, 1, 1), end=D(2026, 1, 1))
    with pytest.raises(InvalidInput) as missing:
        selectors.make_filters(tenant, plan_id=make_plan(make_tenant()).pk)
    assert missing.value.field == "plan"


def test_summary_cltv_and_cac(tenant, world):
    settings_row = selectors.settings_for(tenant)
    settings_row.gross_margin_percent = Decimal("60")
    settings_row.save()
    MarketingSpend.objects.create(tenant=tenant, month=D(2026, 1, 1), amount="500.00")
    MarketingSpend.objects.create(tenant=tenant, month=D(2026, 2, 1), amount="250.00")
    filters = selectors.make_filters(tenant, start=D(2026, 1, 1), end=D(2026, 5, 1))
    months = selectors.mrr_movements(tenant, filters)
    result = selectors.summary(tenant, filters, months)
    opening = sum(m.customers_opening for m in months)
    churned = sum(m.churned_customers for m in months)
    assert result.logo_churn_rate == Decimal(100) * churned / opening
    assert result.arpu == months[-1].closing / months[-1].customers_closing
    assert result.cltv == result.arpu * Decimal("0.6") / (Decimal(churned) / opening)
    assert result.cac == Decimal("750.00") / result.new_customers


def test_growth_by_plan_counts_subscriptions_in_service(tenant, world):
    filters = selectors.make_filters(tenant, start=D(2026, 4, 1), end=D(2026, 4, 1))
    rows = {r.plan: r.subscriptions for r in selectors.growth_by_plan(tenant, filters)}
    # a moved to Fast on 15 April, b (suspended) is on Basic; c ended in March.
    assert rows == {"Basic": 1, "Fast": 1}


# --- the movements' identity over random histories ---------------------------

ACTIONS = st.sampled_from(["upgrade", "downgrade", "suspend", "reconnect", "terminate", "addon"])
HISTORY = st.lists(
    st.tuples(
        st.integers(0, 4),  # customer
        st.integers(0, 150),  # start, days after 1 January
        st.lists(st.tuples(st.integers(0, 150), ACTIONS), max_size=4),
    ),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=HISTORY)
def test_movements_add_up_to_the_closing_mrr_exactly(
    history, tenant, make_plan, make_customer, make_subscription
):
    with transaction.atomic():
        plans = [make_plan(tenant, monthly_price=p) for p in ("19.99", "29.95", "49.49")]
        tv = create_addon(
            tenant=tenant,
            code=f"tv{plans[0].pk}",
            name="TV",
            monthly_price="3.33",
            tax_rate=plans[0].tax_rate,
        )
        customers = [make_customer(tenant) for _ in range(5)]
        base = D(2026, 1, 1)
        for customer, start, actions in history:
            sub = make_subscription(
                tenant,
                plan=plans[1],
                customer=customers[customer],
                start_date=base + dt.timedelta(days=start),
            )
            for offset, action in sorted(actions):
                day = base + dt.timedelta(days=max(offset, start))
                sub = Subscription.objects.get(pk=sub.pk)
                try:
                    if action in ("upgrade", "downgrade"):
                        target = plans[2] if action == "upgrade" else plans[0]
                        apply_plan(subscription=sub, plan=target, effective=day)
                    elif action == "suspend":
                        suspend(subscription=sub, reason="unpaid", on=day)
                    elif action == "reconnect":
                        reconnect(subscription=sub, on=day)
                    elif action == "terminate":
                        terminate(subscription=sub, reason="left", on=day)
                    else:
                        item = attach_addon(subscription=sub, addon=tv, start_date=day)
                        detach_addon(attached=item, end_date=day + dt.timedelta(days=40))
                except (InvalidTransition, InvalidInput):
                    pass
        rows = report(tenant, D(2026, 1, 1), D(2026, 6, 1))
        for row in rows:
            assert (
                row.opening
                + row.new
                + row.expansion
                - row.contraction
                - row.churn
                + row.reactivation
                == row.closing
            )
        for before, after in zip(rows, rows[1:], strict=False):
            assert after.opening == before.closing
        assert as_dict(rows[3]) == naive_movements(tenant, rows[3].month)
        transaction.set_rollback(True)


# --- aging ----------------------------------------------------------------------


@pytest.fixture
def receivables(tenant, make_subscription):
    """Four monthly invoices of one subscriber; the first paid on 20 February."""
    from ispstack.billing.models import Invoice
    from ispstack.billing.runner import run_billing
    from ispstack.core import clock
    from ispstack.payments.services import record_payment

    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    for month in range(1, 5):
        run_billing(tenant=tenant, as_of=D(2026, month, 1))
    invoices = list(Invoice.objects.filter(customer=sub.customer).order_by("issue_date"))
    assert len(invoices) == 4
    with clock.simulated(dt.datetime(2026, 2, 20, 10, tzinfo=dt.UTC)):
        record_payment(
            tenant=tenant,
            customer=sub.customer,
            amount=invoices[0].total,
            received_on=D(2026, 2, 20),
        )
    return sub, invoices


def _expected_aging(invoices: list[Any], as_of: dt.date) -> dict[str, tuple[int, Decimal]]:
    found = {label: (0, Decimal(0)) for label, _f, _l in selectors.AGING_BUCKETS}
    for invoice in invoices:
        days = (as_of - invoice.due_date).days
        if invoice.issue_date > as_of or days < 1:
            continue
        label = next(
            label
            for label, first, last in selectors.AGING_BUCKETS
            if days >= first and (last is None or days <= last)
        )
        count, amount = found[label]
        found[label] = (count + 1, amount + invoice.total)
    return found


def test_aging_puts_what_was_open_on_the_day_in_its_bucket(tenant, receivables):
    _sub, invoices = receivables
    before_payment = selectors.aging(tenant, as_of=D(2026, 2, 19))
    assert {b.label: (b.invoices, b.amount) for b in before_payment} == _expected_aging(
        invoices[:2], D(2026, 2, 19)
    )
    later = {b.label: (b.invoices, b.amount) for b in selectors.aging(tenant, as_of=D(2026, 4, 20))}
    # The January invoice was paid on 20 February: it no longer counts.
    assert later == _expected_aging(invoices[1:], D(2026, 4, 20))
    assert sum(1 for count, _amount in later.values() if count) >= 2


def test_todays_payment_leaves_a_past_aging_unchanged(tenant, receivables):
    from ispstack.payments.services import record_payment

    sub, invoices = receivables
    before = selectors.aging(tenant, as_of=D(2026, 4, 20))
    record_payment(tenant=tenant, customer=sub.customer, amount=invoices[1].total)
    assert selectors.aging(tenant, as_of=D(2026, 4, 20)) == before


def test_a_later_void_leaves_a_past_aging_unchanged_and_drops_out_after(tenant, receivables):
    from ispstack.billing.services import void_invoice
    from ispstack.core import clock

    _sub, invoices = receivables
    before = selectors.aging(tenant, as_of=D(2026, 4, 20))
    with clock.simulated(dt.datetime(2026, 4, 25, 12, tzinfo=dt.UTC)):
        void_invoice(invoice=invoices[-1], reason="issued twice")
    assert selectors.aging(tenant, as_of=D(2026, 4, 20)) == before
    after = {b.label: (b.invoices, b.amount) for b in selectors.aging(tenant, as_of=D(2026, 4, 26))}
    assert after == _expected_aging(invoices[1:-1], D(2026, 4, 26))


def test_aging_counts_only_the_tenants_and_the_tags_invoices(tenant, receivables, make_tenant):
    other = make_tenant()
    assert all(b.invoices == 0 for b in selectors.aging(other, as_of=D(2026, 4, 20)))
    assert all(b.invoices == 0 for b in selectors.aging(tenant, as_of=D(2026, 4, 20), tag="vip"))


# --- console pages, exports and the API ----------------------------------------


def test_finance_reads_the_mrr_page_with_chart_table_and_money(
    client: Client, tenant, world, make_staff
):
    client.force_login(make_staff(tenant, "billing"))
    page = client.get("/staff/reports/", {"start": "2026-01", "end": "2026-05"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "Closing MRR (EUR)" in html
    assert html.count("<rect") == 5
    assert "2026-05" in html and "19.00" in html
    # Amounts at the currency's minor unit, not the stored column's four places.
    assert ".0000" not in html
    assert client.get("/staff/").content.decode().count('href="/staff/reports/"') >= 1


def test_the_pages_refuse_bad_filters_naming_the_field(client: Client, tenant, make_staff):
    client.force_login(make_staff(tenant, "admin"))
    page = client.get("/staff/reports/", {"start": "2026-13"})
    assert page.status_code == 400 and 'data-error-field="start"' in page.content.decode()
    aging = client.get("/staff/reports/aging/", {"as_of": "2099-01-01"})
    assert aging.status_code == 400 and 'data-error-field="as_of"' in aging.content.decode()


@pytest.mark.parametrize("role", ["support", "noc", "technician"])
def test_roles_without_the_report_permission_are_refused(client: Client, tenant, make_staff, role):
    client.force_login(make_staff(tenant, role))
    for url in ("/staff/reports/", "/staff/reports/plans/", "/staff/reports/aging/"):
        assert client.get(url).status_code == 403


def test_the_platform_operator_gets_no_tenants_report_page(client: Client, make_staff):
    client.force_login(make_staff(None, role="", is_superuser=True))
    assert client.get("/staff/reports/").status_code == 404


def test_csv_and_xlsx_hold_the_tables_figures(client: Client, tenant, world, make_staff):
    client.force_login(make_staff(tenant, "billing"))
    query = {"start": "2026-01", "end": "2026-05"}
    rows = report(tenant, D(2026, 1, 1), D(2026, 5, 1))
    answer = client.get("/staff/reports/", {**query, "format": "csv"})
    assert answer["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(answer.content.decode())))
    assert lines[0][:3] == ["Month", "Opening MRR (EUR)", "New (EUR)"]
    assert [line[0] for line in lines[1:]] == [
        "2026-01",
        "2026-02",
        "2026-03",
        "2026-04",
        "2026-05",
    ]
    assert [Decimal(line[7]) for line in lines[1:]] == [r.closing for r in rows]

    answer = client.get("/staff/reports/", {**query, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(answer.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][7] == "Closing MRR (EUR)"
    assert [Decimal(str(v[7])) for v in values[1:]] == [r.closing for r in rows]

    aging = client.get("/staff/reports/aging/", {"format": "csv"}).content.decode()
    assert aging.splitlines()[0] == "Days past due,Invoices,Open amount (EUR)"


def test_a_plan_named_like_a_formula_is_text_in_the_export(
    client: Client, tenant, make_staff, make_plan, make_subscription
):
    make_subscription(
        tenant, plan=make_plan(tenant, name="=HYPERLINK(1)"), start_date=D(2026, 1, 1)
    )
    client.force_login(make_staff(tenant, "billing"))
    answer = client.get(
        "/staff/reports/plans/", {"start": "2026-01", "end": "2026-01", "format": "csv"}
    )
    assert "'=HYPERLINK(1)" in answer.content.decode()


def test_the_api_answers_the_same_figures_to_finance_only(tenant, world, api_client_for):
    finance = api_client_for(tenant, "billing")
    answer = finance.get("/api/v1/reports/mrr/", {"start": "2026-01", "end": "2026-05"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["currency"] == "EUR"
    rows = report(tenant, D(2026, 1, 1), D(2026, 5, 1))
    assert [Decimal(m["closing"]) for m in body["months"]] == [r.closing for r in rows]
    assert body["months"][4]["reactivation"] == "19.00"
    aging = finance.get("/api/v1/reports/aging/", {"as_of": "2026-04-20"}).json()
    assert [b["bucket"] for b in aging["buckets"]] == ["0-30", "31-60", "61-90", "90+"]
    bad = finance.get("/api/v1/reports/mrr/", {"plan": "x"})
    assert bad.status_code == 400 and bad.json()["field"] == "plan"
    assert api_client_for(tenant, "support").get("/api/v1/reports/mrr/").status_code == 403


@pytest.mark.django_db(transaction=True)
def test_in_the_browser_the_report_pages_pass_axe(
    live_server, chromium, make_tenant, make_staff, make_subscription
):
    from tests.console_browser import log_in, serious_violations

    tenant = make_tenant()
    make_subscription(tenant, start_date=D(2026, 1, 1))
    page = chromium.new_page()
    try:
        log_in(page, live_server.url, make_staff(tenant, "billing"))
        page.goto(f"{live_server.url}/staff/reports/?start=2026-01&end=2026-05")
        assert page.locator("svg.report-chart rect").count() == 5
        assert page.locator("table.report-table tbody tr").count() == 5
        assert serious_violations(page) == []
        page.goto(f"{live_server.url}/staff/reports/aging/")
        assert serious_violations(page) == []
    finally:
        page.close()
