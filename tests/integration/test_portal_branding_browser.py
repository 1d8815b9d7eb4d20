"""A branded portal in Chromium: the tenant's colours arrive through the
stylesheet under the site's CSP (no inline style), the logo loads, and the
sign-in page passes axe-core."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ispstack.portal.models import PortalBranding
from tests.console_browser import serious_violations

pytestmark = pytest.mark.django_db(transaction=True)

LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" viewBox="0 0 40 20">'
    b'<rect width="40" height="20" fill="#1a4d2e"/></svg>'
)


def test_the_branded_sign_in_page_shows_the_tenants_colours_and_logo(
    live_server, chromium, make_tenant
):
    tenant = make_tenant(name="Plain ISP")
    row = PortalBranding.objects.get(tenant=tenant)
    row.display_name = "Example Fibre"
    row.primary_color = "#1a4d2e"
    row.accent_color = "#7a1f5c"
    row.footer_text = "Example Fibre GmbH"
    row.logo = SimpleUploadedFile("logo.svg", LOGO)
    row.full_clean()
    row.save()
    page = chromium.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    try:
        page.goto(f"{live_server.url}/my/{tenant.slug}/login/")
        assert page.locator("h1").inner_text() == "Sign in to Example Fibre"
        bar = page.eval_on_selector(".topbar", "e => getComputedStyle(e).backgroundColor")
        button = page.eval_on_selector(
            "button[type=submit]", "e => getComputedStyle(e).backgroundColor"
        )
        assert (bar, button) == ("rgb(26, 77, 46)", "rgb(122, 31, 92)")
        width = page.eval_on_selector(".login-logo img", "e => e.complete && e.naturalWidth")
        assert width == 40
        assert blocked == []
        assert serious_violations(page) == []
    finally:
        page.close()
