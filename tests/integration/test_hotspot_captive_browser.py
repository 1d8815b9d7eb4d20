"""The captive portal in Debian's Chromium, as a guest on a hotspot meets it:
the router's redirect opens the login page, the guest registers with an
email address, types the code the SMTP peer received, and the hand-off page
posts the guest's RADIUS credentials to the router by itself. Each page
passes axe-core with no serious or critical violation.

The "router" is a route the browser answers itself (Playwright's
``page.route``) on the live server's own address: no packet leaves
127.0.0.1, and the test reads exactly what the router would have been
sent."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode

import pytest

from ispstack.core import outbox
from ispstack.hotspot.models import CaptiveUser
from tests.console_browser import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_guest_registers_verifies_and_is_handed_to_the_router(
    live_server, chromium, make_tenant, smtp_server
):
    tenant = make_tenant(name="Harbour Cafe")
    router = f"{live_server.url}/mikrotik/login"
    posted: list[str] = []

    def router_answers(route):
        posted.append(route.request.post_data or "")
        route.fulfill(
            status=200,
            content_type="text/html",
            body="<!DOCTYPE html><html lang='en'><title>Router</title><main>You are online</main>",
        )

    page = chromium.new_page()
    try:
        page.route("**/mikrotik/login", router_answers)
        redirect = urlencode(
            {
                "link-login-only": router,
                "link-orig": "http://example.com/",
                "mac": "aa:bb:cc:00:11:22",
                "ip": "10.5.50.23",
            }
        )
        page.goto(f"{live_server.url}/hotspot/{tenant.slug}/login/?{redirect}")
        assert "Voucher code" in page.inner_text("main")
        assert serious_violations(page) == [], "login"

        page.click("text=Sign in or register with a code sent to you")
        page.wait_for_url(f"{live_server.url}/hotspot/{tenant.slug}/register/")
        assert serious_violations(page) == [], "register"
        page.fill("#id_identifier", "guest@example.net")
        page.click("button[type=submit]")
        # Refused: the terms not accepted, the refusal at their box.
        page.wait_for_selector("#id_terms[aria-invalid=true]")
        assert not CaptiveUser.objects.filter(tenant=tenant).exists()
        page.check("#id_terms")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/hotspot/{tenant.slug}/verify/")
        assert serious_violations(page) == [], "verify"

        outbox.drain()
        code = re.search(r"(\d{6}) is your", smtp_server.messages[0].get_payload()).group(1)
        page.fill("#id_code", code)
        with page.expect_request("**/mikrotik/login"):
            page.click("button[type=submit]")
        page.wait_for_selector("text=You are online")
    finally:
        page.close()

    guest = CaptiveUser.objects.get(tenant=tenant)
    assert guest.status == "active"
    sent = {name: values[0] for name, values in parse_qs(posted[0]).items()}
    assert sent == {
        "username": guest.username,
        "password": guest.password,
        "dst": "http://example.com/",
    }
