"""The top bar's search as you type, in Debian's Chromium: a clerk types a
RADIUS username, the dropdown lists the subscription, the link opens the
customer's page; the results page passes axe-core."""

from __future__ import annotations

import pytest

from tests.console_browser import log_in, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_clerk_finds_a_subscriber_by_username_as_they_type(
    live_server, chromium, make_tenant, make_staff, make_subscription, make_customer
):
    tenant = make_tenant(name="Alpha Net")
    customer = make_customer(tenant, name="Bongani Zulu")
    sub = make_subscription(tenant, customer=customer, username="bzulu-ftth@alpha.example")
    clerk = make_staff(tenant, "support")
    page = chromium.new_page()
    try:
        log_in(page, live_server.url, clerk)
        page.locator("#global-search-q").press_sequentially("bzulu-ft", delay=30)
        dropdown = page.locator("#global-search-results")
        link = dropdown.get_by_role("link", name=sub.username)
        link.wait_for(timeout=10_000)
        assert "Subscriptions" in dropdown.inner_text()
        assert "Bongani Zulu" in dropdown.inner_text()
        # Keyboard: the results are links, reached with Tab from the box.
        link.focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == f"{live_server.url}/staff/customers/{customer.pk}/"

        # Without the dropdown: the plain form submit opens the results page.
        page.goto(f"{live_server.url}/staff/")
        page.fill("#global-search-q", sub.username)
        page.press("#global-search-q", "Enter")
        page.wait_for_url("**/staff/search/**")
        main = page.inner_text("main")
        assert sub.username in main and "exact match" in main
        assert serious_violations(page) == []
    finally:
        page.close()
