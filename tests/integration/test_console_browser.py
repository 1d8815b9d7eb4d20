"""The console in Debian's Chromium: a clerk logs in, searches, and every page
passes axe-core with no serious or critical violation."""

from __future__ import annotations

import pytest

from tests.console_browser import log_in, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_clerk_logs_in_and_searches_from_the_top_bar(
    live_server, chromium, make_tenant, make_staff, make_customer
):
    tenant = make_tenant(name="Alpha Net")
    customer = make_customer(tenant, name="Lindiwe Dube")
    clerk = make_staff(tenant, "billing")
    page = chromium.new_page()
    try:
        page.goto(f"{live_server.url}/staff/login/")
        assert serious_violations(page) == []
        log_in(page, live_server.url, clerk)
        assert serious_violations(page) == []
        page.fill("#global-search-q", "Lindiwe")
        page.press("#global-search-q", "Enter")
        page.wait_for_url("**/staff/search/**")
        assert customer.account_number in page.inner_text("main")
        assert serious_violations(page) == []
    finally:
        page.close()


def test_a_clerk_runs_billing_from_the_console_and_follows_it_to_done(
    live_server, chromium, make_tenant, make_staff, make_subscription
):
    import datetime as dt

    from ispstack.core import clock

    tenant = make_tenant(name="Alpha Net")
    today = clock.today(tenant)
    for _ in range(3):
        make_subscription(tenant, start_date=today, billing_day=min(today.day, 28))
    clerk = make_staff(tenant, "billing")
    page = chromium.new_page()
    try:
        log_in(page, live_server.url, clerk)
        assert page.locator('[data-card="overdue"]').count() == 1
        assert serious_violations(page) == []
        page.click("text=Billing and collections runs")
        page.wait_for_url("**/staff/runs/")
        assert page.input_value("#id_billing-as_of") == today.isoformat()
        assert serious_violations(page) == []
        # A date more than a year ahead is refused on the field.
        page.fill("#id_billing-as_of", (today + dt.timedelta(days=400)).isoformat())
        page.click("text=Run billing now")
        assert "at most 366 days after today" in page.inner_text(".field-error")
        page.fill("#id_billing-as_of", today.isoformat())
        page.click("text=Run billing now")
        page.wait_for_url("**/staff/runs/billing/*/")
        # The background thread bills while the page polls its progress.
        page.wait_for_selector('#run-progress[data-state="done"]', timeout=30_000)
        assert page.inner_text('[data-outcome="invoices"]') == "3"
        assert "3 of 3" in page.inner_text("#run-progress")
        assert serious_violations(page) == []
        page.goto(f"{live_server.url}/staff/")
        assert "3 invoices" in page.inner_text('[data-card="billing_run"]')
    finally:
        page.close()
