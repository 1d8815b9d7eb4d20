"""Add-ons, promotions and bundles, as a finance test book (net amounts, 19 % VAT)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ispstack.billing.models import CreditNote, InvoiceLine
from ispstack.billing.services import run_billing
from ispstack.catalog.services import create_addon, create_bundle, create_promotion
from ispstack.core.errors import InvalidInput
from ispstack.subscriptions.models import SubscriptionPromotion
from ispstack.subscriptions.services import attach_addon, detach_addon, grant_promotion
from tests.conftest import tenant_tax

pytestmark = pytest.mark.django_db
D = dt.date


def _lines(sub):
    return [
        (x.kind, x.period_start, x.net_amount, x.tax_amount)
        for x in InvoiceLine.objects.filter(subscription=sub).order_by("invoice_id", "id")
    ]


@pytest.fixture
def static_ip(tenant):
    return create_addon(
        tenant=tenant,
        code="static-ip",
        name="Static IP",
        monthly_price="5.00",
        tax_rate=tenant_tax(tenant, "19"),
    )


@pytest.fixture
def iptv(tenant):
    return create_addon(
        tenant=tenant,
        code="iptv",
        name="IPTV",
        monthly_price="12.00",
        tax_rate=tenant_tax(tenant, "19"),
        cycle_months=3,
    )


def test_addons_have_quantity_their_own_price_cycle_and_proration(
    tenant, make_subscription, static_ip, iptv
):
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    attach_addon(subscription=sub, addon=static_ip, quantity=2, start_date=D(2026, 1, 1))
    attach_addon(subscription=sub, addon=iptv, start_date=D(2026, 1, 17))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 17))
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    assert _lines(sub) == [
        ("recurring", D(2026, 1, 1), Decimal("30.00"), Decimal("5.70")),
        ("addon", D(2026, 1, 1), Decimal("10.00"), Decimal("1.90")),  # 2 x 5.00
        # IPTV: 36.00 a quarter, 17 Jan..31 Mar is 74 of the quarter's 90 days = 29.60
        ("addon", D(2026, 1, 17), Decimal("29.60"), Decimal("5.62")),
        ("recurring", D(2026, 2, 1), Decimal("30.00"), Decimal("5.70")),
        ("addon", D(2026, 2, 1), Decimal("10.00"), Decimal("1.90")),
    ]


def test_a_removed_addon_is_credited_for_its_billed_days(tenant, make_subscription, static_ip):
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    attached = attach_addon(subscription=sub, addon=static_ip, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    detach_addon(attached=attached, end_date=D(2026, 1, 15))  # 16 of 31 days unused
    assert CreditNote.objects.get().subtotal == Decimal("2.58")
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    assert [line[0] for line in _lines(sub)] == ["recurring", "addon", "recurring"]


def test_fifty_percent_for_the_first_three_cycles(tenant, make_subscription):
    sub = make_subscription(tenant, start_date=D(2026, 1, 15))
    promo = create_promotion(
        tenant=tenant, code="half3", name="Welcome", kind="percent", value="50", cycles=3
    )
    grant_promotion(subscription=sub, promotion=promo, start_date=D(2026, 1, 15))
    for month in (1, 2, 3, 4):
        run_billing(tenant=tenant, as_of=D(2026, month, 15 if month == 1 else 1))
    discounts = [(n, t) for k, _, n, t in _lines(sub) if k == "discount"]
    # Jan 17/31 days = 16.45 -> -8.23 (8.225 rounds away from zero), Feb, Mar -15.00, Apr none
    assert discounts == [
        (Decimal("-8.23"), Decimal("-1.56")),
        (Decimal("-15.00"), Decimal("-2.85")),
        (Decimal("-15.00"), Decimal("-2.85")),
    ]
    assert SubscriptionPromotion.objects.get().cycles_used == 3


def test_a_fixed_amount_off_forever_is_prorated_and_never_exceeds_the_line(
    tenant, make_plan, make_subscription
):
    sub = make_subscription(
        tenant, plan=make_plan(tenant, monthly_price="4.00"), start_date=D(2026, 1, 1)
    )
    grant_promotion(
        subscription=sub,
        start_date=D(2026, 1, 1),
        promotion=create_promotion(
            tenant=tenant, code="five", name="Loyalty", kind="fixed", value="5.00"
        ),
    )
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    assert [n for k, _, n, _ in _lines(sub) if k == "discount"] == [Decimal("-4.00")]


def test_bundle_requires_all_products(tenant, make_plan, make_subscription, static_ip, iptv):
    plan = make_plan(tenant, monthly_price="30.00")
    create_bundle(
        tenant=tenant,
        code="triple",
        name="Triple play",
        discount_kind="percent",
        discount_value="10",
        plans=[plan],
        addons=[iptv],
        requires_all_products=True,
    )
    only_plan = make_subscription(tenant, plan=plan, start_date=D(2026, 1, 1))
    both = make_subscription(tenant, plan=plan, start_date=D(2026, 1, 1))
    attach_addon(subscription=both, addon=iptv, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    assert [n for k, _, n, _ in _lines(only_plan) if k == "discount"] == []
    # 10 % of the plan (30.00) and of IPTV's quarter (36.00)
    assert [n for k, _, n, _ in _lines(both) if k == "discount"] == [
        Decimal("-3.00"),
        Decimal("-3.60"),
    ]


def test_bundle_without_requires_all_discounts_what_is_there(
    tenant, make_plan, make_subscription, static_ip, iptv
):
    plan = make_plan(tenant, monthly_price="30.00")
    create_bundle(
        tenant=tenant,
        code="any",
        name="Extras",
        discount_kind="fixed",
        discount_value="1.00",
        addons=[static_ip, iptv],
        requires_all_products=False,
    )
    sub = make_subscription(tenant, plan=plan, start_date=D(2026, 1, 1))
    attach_addon(subscription=sub, addon=static_ip, quantity=3, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    assert [n for k, _, n, _ in _lines(sub) if k == "discount"] == [Decimal("-3.00")]


def test_a_promotion_and_a_bundle_on_one_line_never_take_more_than_the_line(
    tenant, make_plan, make_subscription
):
    plan = make_plan(tenant, monthly_price="30.00")
    create_bundle(
        tenant=tenant,
        code="loyal",
        name="Loyalty",
        discount_kind="fixed",
        discount_value="10.00",
        plans=[plan],
        requires_all_products=False,
    )
    sub = make_subscription(tenant, plan=plan, start_date=D(2026, 1, 1))
    grant_promotion(
        subscription=sub,
        start_date=D(2026, 1, 1),
        promotion=create_promotion(
            tenant=tenant, code="big", name="Launch", kind="fixed", value="25.00"
        ),
    )
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    discounts = [n for k, _, n, _ in _lines(sub) if k == "discount"]
    # 25.00 and 10.00 off a 30.00 line: the second takes only the 5.00 left.
    assert sorted(discounts) == [Decimal("-25.00"), Decimal("-5.00")]
    invoice = InvoiceLine.objects.filter(subscription=sub).first().invoice
    assert invoice.subtotal == Decimal("0.00")
    assert invoice.total == Decimal("0.00")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "percent", "value": "120"}, "value"),
        ({"kind": "gift", "value": "1"}, "kind"),
        ({"kind": "fixed", "value": "-1"}, "value"),
        ({"kind": "fixed", "value": "1", "cycles": 0}, "cycles"),
    ],
)
def test_promotion_bad_input(tenant, kwargs, field):
    with pytest.raises(InvalidInput) as err:
        create_promotion(tenant=tenant, code="p", name="P", **kwargs)
    assert err.value.field == field


def test_attach_addon_bad_quantity(tenant, make_subscription, static_ip):
    with pytest.raises(InvalidInput) as err:
        attach_addon(subscription=make_subscription(tenant), addon=static_ip, quantity=0)
    assert err.value.field == "quantity"
