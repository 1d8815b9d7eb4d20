"""The hotspot, voucher, contract, quote and books screens in Debian's Chromium:
a clerk sets a voucher plan up through its form and prints a batch, and every
page passes axe-core with no serious or critical violation."""

from __future__ import annotations

import datetime as dt

import pytest

from ispstack.accounting.journal.runner import post_journal
from ispstack.billing.services import run_billing
from ispstack.hotspot.captive.services import add_walled_garden
from ispstack.hotspot.models import VoucherBatch, VoucherPlan
from ispstack.sales.contracts import services as contracts
from ispstack.sales.services import add_line, create_quote
from tests.conftest import tenant_tax
from tests.console_browser import log_in, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_clerk_sets_up_vouchers_and_the_books_pages_pass_axe(
    live_server, chromium, make_tenant, make_staff, make_subscription
):
    tenant = make_tenant(name="Alpha Net")
    tax = tenant_tax(tenant, "19")
    sub = make_subscription(tenant, start_date=dt.date(2026, 1, 1))
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    post_journal(tenant=tenant, through=dt.date(2026, 1, 31))
    contract = contracts.create_contract(
        tenant=tenant, customer=sub.customer, term_months=24, subscriptions=[sub.pk]
    )
    quote = create_quote(tenant=tenant, customer=sub.customer)
    add_line(quote=quote, kind="plan", plan=sub.plan_id)
    add_walled_garden(tenant=tenant, kind="host", value="pay.example.net", comment="payments")
    admin = make_staff(tenant, "admin")
    page = chromium.new_page()
    try:
        log_in(page, live_server.url, admin)
        page.goto(f"{live_server.url}/staff/vouchers/plans/new/")
        assert serious_violations(page) == [], "voucher plan form"
        page.fill("#id_code", "day")
        page.fill("#id_name", "Day pass")
        page.fill("#id_validity", "1")
        page.select_option("#id_validity_unit", "days")
        page.fill("#id_data_limit_gb", "2")
        page.fill("#id_download_kbps", "8000")
        page.fill("#id_upload_kbps", "2000")
        page.fill("#id_price", "1.50")
        page.select_option("#id_tax_rate", str(tax.pk))
        page.click("button.primary")
        page.wait_for_url(f"{live_server.url}/staff/vouchers/**")
        plans = page.inner_text("section[aria-labelledby=voucher-plans]")
        assert "Day pass" in page.inner_text("main") and "8\u00a0Mbit/s" in plans
        plan = VoucherPlan.objects.get(tenant=tenant)
        assert (plan.duration_seconds, plan.data_limit_bytes) == (86400, 2 * 10**9)

        page.goto(f"{live_server.url}/staff/vouchers/agents/new/")
        page.fill("#id_name", "Corner shop")
        page.fill("#id_commission_percent", "10")
        page.click("button.primary")
        page.wait_for_url(f"{live_server.url}/staff/vouchers/**")
        page.select_option("#id_plan", str(plan.pk))
        page.fill("#id_count", "3")
        page.click("section[aria-labelledby=voucher-generate] button.primary")
        page.wait_for_url(f"{live_server.url}/staff/vouchers/batches/**")
        batch = VoucherBatch.objects.get(tenant=tenant)
        assert "Day pass" in page.inner_text("main")

        for path, shows in (
            ("/staff/vouchers/", "Corner shop"),
            (f"/staff/vouchers/batches/{batch.pk}/", "Day pass"),
            (f"/staff/vouchers/plans/{plan.pk}/", "Valid for"),
            ("/staff/hotspot/walled-garden/", "pay.example.net"),
            ("/staff/hotspot/guests/", "Hotspot guests"),
            ("/staff/hotspot/routers/", "Router"),
            ("/staff/contracts/", contract.number),
            (f"/staff/contracts/{contract.pk}/", contract.number),
            (f"/staff/contracts/{contract.pk}/terminate/", "fee"),
            ("/staff/contracts/new/", "Customer"),
            ("/staff/quotes/", quote.number),
            (f"/staff/quotes/{quote.pk}/", quote.number),
            ("/staff/journal/", "Journal"),
            ("/staff/journal/chart/", "Account"),
            ("/staff/finance/revenue/", "Revenue recognition"),
        ):
            page.goto(f"{live_server.url}{path}")
            assert shows in page.inner_text("main"), path
            assert serious_violations(page) == [], path
    finally:
        page.close()
