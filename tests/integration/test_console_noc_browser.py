"""The NOC screens in Debian's Chromium: each page passes axe-core with no
serious or critical violation, and the sessions table refreshes itself."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from ispstack.core import clock
from ispstack.network.nas import create_nas
from ispstack.radius.models import CoaRequest, RadAcct, RadPostAuth
from tests.console_browser import log_in, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_noc_pages_pass_axe_and_the_sessions_table_refreshes(
    live_server, chromium, make_tenant, make_staff, make_subscription
):
    tenant = make_tenant(name="Alpha Net")
    nas = create_nas(
        tenant=tenant,
        nasname="192.0.2.201",
        shortname="bras-alpha",
        secret="alpha-secret-123",
        type="mikrotik",
    )
    sub = make_subscription(tenant)
    now = clock.now()
    RadAcct.objects.create(
        acctsessionid="s-1",
        acctuniqueid="u-1",
        username=sub.username,
        nasipaddress=nas.nasname,
        acctstarttime=now - dt.timedelta(hours=1),
        acctupdatetime=now - dt.timedelta(minutes=1),
        acctinterval=300,
        acctinputoctets=1_000_000,
        acctoutputoctets=50_000_000,
        framedipaddress="100.64.7.7",
    )
    RadPostAuth.objects.create(username=sub.username, reply="Access-Reject", password="typo")
    CoaRequest.objects.create(
        tenant=tenant,
        nas=nas,
        username=sub.username,
        kind="disconnect",
        status="nak",
        error="Session-Context-Not-Found",
    )
    noc = make_staff(tenant, "noc")
    page = chromium.new_page()
    try:
        log_in(page, live_server.url, noc)
        for path, shows in (
            ("/staff/noc/sessions/", "bras-alpha"),
            (f"/staff/noc/auth/?username={sub.username}", "Wrong password"),
            ("/staff/noc/coa/", "503 Session-Context-Not-Found"),
            ("/staff/noc/nas/", "bras-alpha"),
            (f"/staff/noc/nas/{nas.pk}/reveal/", "audit log"),
        ):
            page.goto(f"{live_server.url}{path}")
            assert shows in page.inner_text("main"), path
            assert serious_violations(page) == [], path
        page.goto(f"{live_server.url}/staff/noc/sessions/")
        RadAcct.objects.filter(acctuniqueid="u-1").update(framedipaddress="100.64.8.8")
        # No page script may run eval (CSP): wait with Playwright's own polling.
        expect(page.locator("#noc-sessions")).to_contain_text("100.64.8.8", timeout=15_000)
    finally:
        page.close()
