"""Data caps and fair use: alerts at 80/95/100 % once per cycle, throttling
at the cap (radreply and a CoA), a top-up that lifts it, a new cycle."""

from __future__ import annotations

import datetime as dt

import pytest

from ispstack.core.models import Job
from ispstack.notifications.models import EmailLog
from ispstack.radius.models import RadAcct
from ispstack.radius.selectors import effective_reply
from ispstack.usage.caps import buy_topup, check_caps
from ispstack.usage.models import UsageAlert
from ispstack.usage.services import rollup

pytestmark = pytest.mark.django_db
D = dt.date
GB = 10**9


@pytest.fixture
def capped(tenant, make_plan, make_subscription):
    plan = make_plan(
        tenant,
        download_kbps=50000,
        upload_kbps=10000,
        data_cap_bytes=10 * GB,
        throttle_download_kbps=1000,
        throttle_upload_kbps=512,
    )
    return make_subscription(tenant, plan=plan, start_date=D(2026, 1, 1))


def _used(sub, session: str, day: dt.date, octets: int) -> None:
    at = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
    RadAcct.objects.update_or_create(
        acctuniqueid=session,
        defaults={
            "acctsessionid": session,
            "username": sub.username,
            "nasipaddress": "127.0.0.1",
            "acctstarttime": at,
            "acctupdatetime": at,
            "acctinputoctets": 0,
            "acctoutputoctets": octets,
        },
    )
    rollup()


def _rate(sub) -> str:
    return effective_reply(sub.username)["Mikrotik-Rate-Limit"][0]


def test_alerts_throttle_topup_and_next_cycle(tenant, capped, django_capture_on_commit_callbacks):
    _used(capped, "s1", D(2026, 1, 10), 8 * GB + GB // 2)
    assert check_caps(tenant=tenant, today=D(2026, 1, 10))["alerts"] == 1
    assert check_caps(tenant=tenant, today=D(2026, 1, 11))["alerts"] == 0  # once per cycle
    _used(capped, "s1", D(2026, 1, 12), 10 * GB + 1)
    counts = check_caps(tenant=tenant, today=D(2026, 1, 12))
    assert (counts["alerts"], counts["throttled"]) == (2, 1)
    assert sorted(UsageAlert.objects.values_list("threshold", flat=True)) == [80, 95, 100]
    assert _rate(capped) == "512k/1M"
    assert Job.objects.filter(kind="radius.coa", payload__username=capped.username).exists()
    assert Job.objects.filter(kind="usage.cap_alert").count() == 3

    buy_topup(subscription=capped, gigabytes="5", price="4.99", today=D(2026, 1, 12))
    assert _rate(capped) == "10M/50M"
    assert check_caps(tenant=tenant, today=D(2026, 1, 13))["throttled"] == 0

    _used(capped, "s1", D(2026, 1, 20), 15 * GB + 1)
    assert check_caps(tenant=tenant, today=D(2026, 1, 20))["throttled"] == 1
    assert check_caps(tenant=tenant, today=D(2026, 2, 1))["released"] == 1  # a new cycle
    assert _rate(capped) == "10M/50M"


def test_alert_emails_are_sent(tenant, capped):
    from ispstack.core import outbox

    _used(capped, "s2", D(2026, 1, 5), 9 * GB)
    check_caps(tenant=tenant, today=D(2026, 1, 5))
    outbox.drain()
    assert EmailLog.objects.get(reference__startswith="usage:").subject == (
        f"{capped.username}: 80 % of your data used"
    )


def test_topup_needs_a_capped_plan_and_a_positive_volume(tenant, capped, make_subscription):
    from ispstack.core.errors import InvalidInput, InvalidTransition

    with pytest.raises(InvalidInput):
        buy_topup(subscription=capped, gigabytes="0", today=D(2026, 1, 5))
    with pytest.raises(InvalidTransition):
        buy_topup(subscription=make_subscription(tenant), gigabytes="1", today=D(2026, 1, 5))


def test_topup_through_the_api(tenant, capped, api_client_for):
    client = api_client_for(tenant, role="billing")
    bought = client.post(
        f"/api/v1/subscriptions/{capped.pk}/topups/",
        {"gigabytes": "5", "price": "4.99"},
        format="json",
    )
    assert bought.status_code == 201, bought.json()
    assert bought.json()["extra_bytes"] == 5 * GB
    bad = client.post(
        f"/api/v1/subscriptions/{capped.pk}/topups/", {"gigabytes": "-1"}, format="json"
    )
    assert (bad.status_code, bad.json()["field"]) == (400, "gigabytes")


def test_checking_caps_costs_the_same_few_queries_for_any_number_of_subscribers(
    tenant, make_plan, make_subscription, django_assert_max_num_queries
):
    plan = make_plan(tenant, data_cap_bytes=10 * GB)
    subs = [make_subscription(tenant, plan=plan, start_date=D(2026, 1, 1)) for _ in range(6)]
    for n, sub in enumerate(subs):
        _used(sub, f"q{n}", D(2026, 1, 3), GB)
    with django_assert_max_num_queries(6):
        assert check_caps(tenant=tenant, today=D(2026, 1, 4)) == {
            "alerts": 0,
            "throttled": 0,
            "released": 0,
        }


def test_block_policy_refuses_logins_at_the_cap_until_a_topup(
    tenant, make_plan, make_subscription, run_on_commit
):
    from ispstack.radius.models import RadCheck

    plan = make_plan(tenant, data_cap_bytes=10 * GB, cap_policy="block")
    sub = make_subscription(tenant, plan=plan, start_date=D(2026, 1, 1))
    _used(sub, "b1", D(2026, 1, 10), 10 * GB)
    assert check_caps(tenant=tenant, today=D(2026, 1, 10))["throttled"] == 1
    assert RadCheck.objects.filter(username=sub.username, attribute="Auth-Type").exists()
    assert effective_reply(sub.username)["Reply-Message"][0].startswith("data cap reached")
    assert Job.objects.filter(kind="radius.disconnect", payload__username=sub.username).exists()
    assert check_caps(tenant=tenant, today=D(2026, 1, 11))["throttled"] == 0  # once

    buy_topup(subscription=sub, gigabytes="1", today=D(2026, 1, 11))
    assert not RadCheck.objects.filter(username=sub.username, attribute="Auth-Type").exists()
    assert effective_reply(sub.username)["Mikrotik-Rate-Limit"] == ["10M/50M"]


def test_overage_is_billed_per_gb_on_the_next_invoice_once(tenant, make_plan, make_subscription):
    from decimal import Decimal

    from ispstack.billing.models import Invoice
    from ispstack.billing.services import run_billing
    from ispstack.usage.models import OverageCharge
    from ispstack.usage.overage import bill_overage

    plan = make_plan(
        tenant,
        data_cap_bytes=10 * GB,
        cap_policy="overage",
        overage_price_per_gb="2.00",
        monthly_price="30.00",
        tax_percent="15",
    )
    sub = make_subscription(tenant, plan=plan, start_date=D(2026, 1, 1))
    light = make_subscription(tenant, plan=plan, start_date=D(2026, 1, 1))
    _used(sub, "o1", D(2026, 1, 10), 8 * GB)
    _used(sub, "o2", D(2026, 1, 30), 5 * GB + 250_000_001)  # 13.250000001 GB in January
    _used(light, "o3", D(2026, 1, 30), 9 * GB)
    counts = check_caps(tenant=tenant, today=D(2026, 1, 30))
    assert (counts["throttled"], _rate(sub)) == (0, "10M/50M")  # overage keeps the speed

    assert bill_overage(tenant=tenant, today=D(2026, 1, 31)) == 0  # the cycle is not over
    assert bill_overage(tenant=tenant, today=D(2026, 2, 1)) == 1
    assert bill_overage(tenant=tenant, today=D(2026, 2, 2)) == 0  # never twice
    record = OverageCharge.objects.get(subscription=sub)
    assert (record.excess_gigabytes, record.charge.amount) == (Decimal("3.251"), Decimal("6.50"))
    assert OverageCharge.objects.get(subscription=light).charge is None

    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    invoice = Invoice.objects.filter(customer=sub.customer).order_by("-issue_date").first()
    usage = invoice.lines.get(kind="usage")
    assert (usage.net_amount, usage.tax_amount) == (Decimal("6.50"), Decimal("0.98"))
    assert "3.251 GB x 2 per GB" in usage.description
    assert OverageCharge.objects.get(subscription=sub).charge.invoice_id == invoice.pk
    run_billing(tenant=tenant, as_of=D(2026, 2, 2))  # billed once, not again the next day
    assert Invoice.objects.filter(customer=sub.customer, lines__kind="usage").count() == 1
    assert not Invoice.objects.filter(customer=light.customer, lines__kind="usage").exists()


def test_overage_needs_a_price(tenant, make_plan):
    from ispstack.core.errors import InvalidInput

    with pytest.raises(InvalidInput) as err:
        make_plan(tenant, data_cap_bytes=GB, cap_policy="overage")
    assert err.value.field == "overage_price_per_gb"


def test_alerts_are_texted_too_when_sms_is_configured(
    tenant, make_plan, make_subscription, settings
):
    from ispstack.customers.services import create_customer

    settings.SMS_BACKEND = "http"
    customer = create_customer(
        tenant=tenant, name="Texted", email="t@example.net", phone="+27821234567"
    )
    plan = make_plan(tenant, data_cap_bytes=10 * GB)
    sub = make_subscription(tenant, plan=plan, customer=customer, start_date=D(2026, 1, 1))
    _used(sub, "sms1", D(2026, 1, 5), 9 * GB)
    check_caps(tenant=tenant, today=D(2026, 1, 5))
    sms = Job.objects.get(kind="usage.cap_alert_sms")
    assert (sms.payload["threshold"], sms.payload["subscription_id"]) == (80, sub.pk)


def test_usage_api_shows_the_days_and_the_cycle_against_the_cap(
    tenant, make_plan, make_subscription, api_client_for
):
    from ispstack.core import clock

    today = clock.today(tenant)
    plan = make_plan(tenant, data_cap_bytes=10 * GB)
    sub = make_subscription(
        tenant, plan=plan, start_date=today - dt.timedelta(days=40), billing_day=today.day
    )
    _used(sub, "u1", today, 11 * GB)
    check_caps(tenant=tenant, today=today)
    client = api_client_for(tenant, "support")
    body = client.get(f"/api/v1/subscriptions/{sub.pk}/usage/").json()
    assert body["cycle"]["cycle_start"] == today.isoformat()
    assert (body["cycle"]["used_bytes"], body["cycle"]["percent"]) == (11 * GB, 110)
    assert (body["cycle"]["cap_policy"], body["cycle"]["restriction"]) == ("throttle", "throttled")
    assert [(d["day"], d["total_octets"]) for d in body["days"]] == [(today.isoformat(), 11 * GB)]

    bad = client.get(f"/api/v1/subscriptions/{sub.pk}/usage/?start=2020-01-01")
    assert (bad.status_code, bad.json()["field"]) == (400, "start")
