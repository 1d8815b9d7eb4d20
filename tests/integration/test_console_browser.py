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
