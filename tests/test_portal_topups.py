"""Buying extra data in the customer portal and its API: the tenant's
offers with price and tax, bought once however often the form is sent, the
volume counted at once (a throttle at the cap lifted), the price on the
next invoice with the plan's tax; the service page's daily usage chart
with its table of figures; both pages on a phone and a desktop."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from ispstack.billing.models import Charge, InvoiceLine
from ispstack.billing.services import run_billing
from ispstack.core import clock, display
from ispstack.portal.services import create_login
from ispstack.radius.models import RateOverride
from ispstack.usage.caps import FAIR_USE, check_caps
from ispstack.usage.models import DailyUsage, TopUp, TopUpOffer
from tests.portal_browser import sign_in
from tests.test_portal import PASSWORD, _base, _customer, _sign_in

pytestmark = pytest.mark.django_db
GB = 10**9
API = "/api/v1/portal"


@pytest.fixture
def world(tenant, make_tenant, make_customer, make_subscription, make_plan):
    """Ours (with a portal login), a neighbour in the same tenant and a
    customer of another tenant, each with a 100 GB capped service (85 GB
    used today) and an uncapped one, billed for January."""
    other_tenant = make_tenant(slug="othernet", name="Other Net")
    made = {"ours": tenant, "neighbour": tenant, "foreign": other_tenant}
    world = {
        key: _customer(owner, make_customer, make_subscription, make_plan, key.title())
        for key, owner in made.items()
    }
    for owner in (tenant, other_tenant):
        run_billing(tenant=owner, as_of=dt.date(2026, 1, 1))
    for key, owner in made.items():
        DailyUsage.objects.create(
            tenant=owner,
            subscription=world[key][1][0],
            day=clock.today(owner),
            input_octets=5 * GB,
            output_octets=80 * GB,
        )
    world["user"] = create_login(
        customer=world["ours"][0], email="thandi@example.net", password=PASSWORD
    )
    return world


def _offer(tenant, **values) -> TopUpOffer:
    fields = {"name": "10 GB extra", "extra_bytes": 10 * GB, "price": Decimal("5.00")}
    fields.update(values)
    fields.setdefault("currency", tenant.currency)
    return TopUpOffer.objects.create(tenant=tenant, **fields)


@pytest.fixture
def portal(client: Client, tenant, world):
    assert _sign_in(client, tenant).status_code == 302
    return client


@pytest.fixture
def capped(world):
    return world["ours"][1][0]


def _over_the_cap(tenant, sub) -> None:
    """101 GB of the 100 GB cap used today, throttled by the cap check."""
    DailyUsage.objects.filter(subscription=sub, day=clock.today(tenant)).update(
        input_octets=6 * GB, output_octets=95 * GB
    )
    check_caps(tenant=tenant, today=clock.today(tenant))
    assert RateOverride.objects.filter(username=sub.username, reason=FAIR_USE).exists()


def _key(page_html: str) -> str:
    found = re.search(r'name="key" value="([^"]+)"', page_html)
    assert found, "the confirmation form carries a one-time key"
    return found.group(1)


def test_a_top_up_is_bought_once_lifts_the_cap_and_is_on_the_next_invoice_with_tax(
    portal,
    tenant,
    world,
    capped,
):
    offer = _offer(tenant)
    _offer(tenant, name="Retired", is_active=False)
    _over_the_cap(tenant, capped)
    url = f"{_base(tenant)}/services/{capped.pk}/topups/"

    listing = portal.get(url).content.decode()
    assert "10 GB extra" in listing and "Retired" not in listing
    # 5.00 before tax, 19 % of it, 5.95 in all, each with the currency.
    for amount in ("5.00", "0.95", "5.95"):
        assert display.tenant_money(Decimal(amount), tenant) in listing, amount
    confirm = portal.get(url, {"offer": offer.pk}).content.decode()
    assert "Confirm your top-up" in confirm and "Tax (19" in confirm
    assert "<dd>110\xa0GB</dd>" in confirm  # the cycle's data once bought: 100 GB + 10 GB
    key = _key(confirm)

    first = portal.post(url, {"offer": offer.pk, "key": key})
    again = portal.post(url, {"offer": offer.pk, "key": key})
    assert first.status_code == again.status_code == 302
    assert TopUp.objects.filter(subscription=capped).count() == 1
    topup = TopUp.objects.get(subscription=capped)
    assert (topup.extra_bytes, topup.offer) == (10 * GB, offer)
    assert Charge.objects.filter(subscription=capped).count() == 1
    # The cap lifted at once: 101 GB used of 110 GB, the throttle is gone.
    assert not RateOverride.objects.filter(username=capped.username).exists()
    after = portal.get(url).content.decode()
    assert "added to this cycle" in after and "110\xa0GB" in after

    run_billing(tenant=tenant, as_of=clock.today(tenant))
    line = InvoiceLine.objects.get(charge=topup.charge)
    assert (line.net_amount, line.tax_rate, line.tax_amount, line.total) == (
        Decimal("5.00"),
        Decimal("19.000"),
        Decimal("0.95"),
        Decimal("5.95"),
    )
    assert line.invoice.customer == world["ours"][0]


def test_another_customers_service_answers_404_and_buys_nothing(portal, tenant, world):
    offer = _offer(tenant)
    for key in ("neighbour", "foreign"):
        theirs = world[key][1][0]
        url = f"{_base(tenant)}/services/{theirs.pk}/topups/"
        assert portal.get(url).status_code == 404
        assert portal.post(url, {"offer": offer.pk, "key": "k1"}).status_code == 404
    assert not TopUp.objects.exists()


def test_an_uncapped_plan_refuses_with_a_clear_message(portal, tenant, world):
    offer = _offer(tenant)
    plain = world["ours"][1][1]
    url = f"{_base(tenant)}/services/{plain.pk}/topups/"
    page = portal.get(url)
    assert page.status_code == 200
    assert "no data cap" in page.content.decode()
    answer = portal.post(url, {"offer": offer.pk, "key": "k1"})
    assert answer.status_code == 409
    assert "the plan has no data cap" in answer.content.decode()
    assert not TopUp.objects.exists() and not Charge.objects.filter(subscription=plain).exists()


@pytest.mark.parametrize("bad", ["999999", "abc", "", "-1", "99999999999999999999", "foreign"])
def test_a_bad_offer_answers_400_naming_the_offer(portal, tenant, world, capped, bad):
    foreign = world["foreign"][0]
    if bad == "foreign":
        bad = str(_offer(foreign.tenant).pk)
    url = f"{_base(tenant)}/services/{capped.pk}/topups/"
    answer = portal.post(url, {"offer": bad, "key": "k1"})
    assert answer.status_code == 400
    assert "offer:" in answer.content.decode()
    assert not TopUp.objects.exists()


def test_the_dashboard_and_service_page_link_to_top_ups_for_capped_plans_only(
    portal,
    tenant,
    world,
    capped,
):
    link = f"{_base(tenant)}/services/{capped.pk}/topups/"
    plain_link = f"{_base(tenant)}/services/{world['ours'][1][1].pk}/topups/"
    for page in (f"{_base(tenant)}/", f"{_base(tenant)}/services/{capped.pk}/"):
        html = portal.get(page).content.decode()
        assert link in html and plain_link not in html


# The API.


@pytest.fixture
def api(tenant, world) -> APIClient:
    client = APIClient()
    body = {"tenant": tenant.slug, "login": "thandi@example.net", "password": PASSWORD}
    answer = client.post(f"{API}/auth/token/", body, format="json")
    assert answer.status_code == 200, answer.content
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {answer.json()['token']}")
    return client


def test_the_api_lists_offers_buys_once_per_key_and_lists_top_ups(api, tenant, world, capped):
    offer = _offer(tenant)
    _over_the_cap(tenant, capped)
    offers = api.get(f"{API}/subscriptions/{capped.pk}/topup-offers/").json()
    assert [o["id"] for o in offers] == [offer.pk]
    assert offers[0]["total"] == {"amount": "5.95", "currency": tenant.currency}
    assert offers[0]["tax"]["amount"] == "0.95" and offers[0]["allowance_after_bytes"] == 110 * GB

    url = f"{API}/subscriptions/{capped.pk}/topups/"
    first = api.post(url, {"offer": offer.pk}, format="json", HTTP_IDEMPOTENCY_KEY="buy-1")
    again = api.post(url, {"offer": offer.pk}, format="json", HTTP_IDEMPOTENCY_KEY="buy-1")
    assert (first.status_code, again.status_code) == (201, 200), first.content
    assert again["Idempotent-Replayed"] == "true" and again.json()["id"] == first.json()["id"]
    assert first.json()["price_before_tax"] == {"amount": "5.00", "currency": tenant.currency}
    assert TopUp.objects.filter(subscription=capped).count() == 1
    assert not RateOverride.objects.filter(username=capped.username).exists()
    other = api.post(url, {"offer": offer.pk + 1}, format="json", HTTP_IDEMPOTENCY_KEY="buy-1")
    assert other.status_code == 422

    listed = api.get(url).json()
    assert [row["id"] for row in listed["results"]] == [first.json()["id"]]


def test_the_api_refuses_foreign_services_uncapped_plans_and_bad_offers(api, tenant, world):
    offer = _offer(tenant)
    for key in ("neighbour", "foreign"):
        theirs = world[key][1][0].pk
        assert api.get(f"{API}/subscriptions/{theirs}/topups/").status_code == 404
        answer = api.post(f"{API}/subscriptions/{theirs}/topups/", {"offer": offer.pk})
        assert answer.status_code == 404
    plain = world["ours"][1][1].pk
    answer = api.post(f"{API}/subscriptions/{plain}/topups/", {"offer": offer.pk}, format="json")
    assert answer.status_code == 409 and answer.json()["field"] == "plan"
    assert api.get(f"{API}/subscriptions/{plain}/topup-offers/").json() == []
    capped = world["ours"][1][0].pk
    for bad in (999999, "x", None):
        answer = api.post(f"{API}/subscriptions/{capped}/topups/", {"offer": bad}, format="json")
        assert answer.status_code == 400, bad
        assert answer.json()["field"] == "offer"
    assert not TopUp.objects.exists()


# The daily usage chart.


def test_the_service_page_charts_each_day_with_the_figures_in_a_table(
    portal,
    tenant,
    world,
    capped,
):
    # A day well into its month: on a month's first or second day the cycle
    # has fewer than the three days of usage written below.
    with clock.simulated(dt.datetime(2026, 11, 20, 12, tzinfo=dt.UTC)):
        today = clock.today(tenant)
        start = today.replace(day=1)  # the billing day is the 1st
        DailyUsage.objects.filter(subscription=capped).delete()
        days = [start + dt.timedelta(days=n) for n in range((today - start).days + 1)]
        for n, day in enumerate(days[-3:]):
            DailyUsage.objects.create(
                tenant=tenant,
                subscription=capped,
                day=day,
                input_octets=(n + 1) * 100 * 10**6,
                output_octets=(n + 1) * 10 * GB,
            )
        html = portal.get(f"{_base(tenant)}/services/{capped.pk}/").content.decode()
    chart = html[
        html.index('<svg class="chart"') : html.index("</svg>", html.index('<svg class="chart"'))
    ]
    assert chart.count('class="down"') == len(days)
    for mark in (80, 95, 100):
        assert f'class="cap cap-{mark}"' in chart
    table = html[html.index("<details") : html.index("</details>")]
    for day in days:
        assert day.isoformat() in table
    for figure in ("10\u00a0GB", "100\u00a0MB", "30\u00a0GB", "300\u00a0MB", "60.6\u00a0GB"):
        assert figure in table, figure
    # The cap's marks with what they stand for: 80 % of 100 GB.
    assert "80 % of the cap (80\u00a0GB)" in html


def test_an_uncapped_service_is_charted_without_cap_marks(portal, tenant, world):
    plain = world["ours"][1][1]
    DailyUsage.objects.create(
        tenant=tenant, subscription=plain, day=clock.today(tenant), output_octets=2 * GB
    )
    html = portal.get(f"{_base(tenant)}/services/{plain.pk}/").content.decode()
    assert '<svg class="chart"' in html and "cap-80" not in html and "2\u00a0GB" in html


# In a browser: a phone and a desktop.


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "viewport",
    [{"width": 390, "height": 844}, {"width": 1280, "height": 900}],
    ids=["phone", "desktop"],
)
def test_in_a_browser_every_page_fits_and_the_top_up_and_service_pages_pass_axe(
    live_server,
    chromium,
    tenant,
    world,
    viewport,
):
    from tests.console_browser import serious_violations

    offer = _offer(
        tenant, name="A very generous fifty gigabyte weekend top-up", extra_bytes=50 * GB
    )
    sub = world["ours"][1][0]
    base = f"{live_server.url}{_base(tenant)}"
    context = chromium.new_context(viewport=viewport)
    page = context.new_page()
    try:
        page.goto(f"{base}/login/")
        sign_in(page, base, "thandi@example.net", PASSWORD)
        axe_checked = {f"/services/{sub.pk}/", f"/services/{sub.pk}/topups/"}
        paths = [
            "/",
            f"/services/{sub.pk}/",
            f"/services/{sub.pk}/topups/",
            f"/services/{sub.pk}/topups/?offer={offer.pk}",
            f"/services/{sub.pk}/change-plan/",
            "/invoices/",
            "/payments/",
            "/payment-methods/",
            "/transfers/",
            "/tickets/",
            "/tickets/new/",
            "/profile/",
            "/notifications/",
        ]
        for path in paths:
            page.goto(f"{base}{path}")
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= viewport["width"], f"{path} scrolls sideways: {width}px"
            if path in axe_checked or "offer=" in path:
                assert serious_violations(page) == [], path
        # Buying in the browser: confirm, and the page shows the new allowance.
        page.goto(f"{base}/services/{sub.pk}/topups/")
        page.click("main form[method=get] button[type=submit]")
        page.wait_for_url(f"{base}/services/{sub.pk}/topups/?offer={offer.pk}")
        page.click("main form[method=post] button[type=submit]")
        page.wait_for_url(f"{base}/services/{sub.pk}/topups/")
        assert "added to this cycle" in page.inner_text("main")
        assert serious_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    finally:
        context.close()
    assert TopUp.objects.filter(subscription=sub).count() == 1
