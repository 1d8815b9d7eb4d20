"""In a browser, end to end: a subscriber signs in to the portal, reports a
bank transfer with its proof and asks for a faster plan from today; a
billing clerk approves it in the staff console; a real FreeRADIUS (the
test peer, reading ispstack's tables with its stock queries) then answers
the subscriber's next Access-Request with the new rate."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from ispstack.payments.models import BankTransfer
from ispstack.portal.models import PlanChangeRequest, PlanChangeState
from ispstack.portal.services import create_login
from ispstack.subscriptions.models import Subscription
from ispstack.subscriptions.selectors import settings_for
from tests.portal_browser import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.radius]

PASSWORD = "Portal-pass-2026"
# The smallest well-formed PDF header a proof check reads.
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def test_a_plan_change_approved_in_the_console_reaches_freeradius_as_the_new_rate(
    live_server, chromium, freeradius, tenant, make_plan, make_subscription, make_staff
):
    from tests.console_browser import serious_violations

    basic = make_plan(tenant, name="Basic 50", download_kbps=50000, upload_kbps=10000)
    fast = make_plan(
        tenant, name="Fast 100", monthly_price="60.00", download_kbps=100000, upload_kbps=20000
    )
    sub = make_subscription(tenant, plan=basic, password="pppoe-pass")
    conf = settings_for(tenant)
    conf.portal_plan_change_now = True
    conf.save()
    create_login(customer=sub.customer, email="thandi@example.net", password=PASSWORD)
    assert (
        freeradius.authenticate(sub.username, "pppoe-pass").attributes["Mikrotik-Rate-Limit"]
        == "10M/50M"
    )

    base = f"{live_server.url}/my/{tenant.slug}"
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(f"{base}/login/")
        sign_in(page, base, "thandi@example.net", PASSWORD)

        # A bank transfer reported with its proof, for the clerks' review.
        page.goto(f"{base}/transfers/")
        page.fill("#id_amount", "120.00")
        page.fill("#id_transferred_on", "2026-01-15")
        page.fill("#id_reference", "FNB 4471")
        page.set_input_files(
            "#id_proof",
            files=[{"name": "proof.pdf", "mimeType": "application/pdf", "buffer": PDF}],
        )
        page.click("text=Send for review")
        page.wait_for_load_state()
        transfer = BankTransfer.objects.get(customer=sub.customer)
        assert transfer.status == BankTransfer.Status.IN_REVIEW and transfer.reference == "FNB 4471"
        assert "FNB 4471" in page.inner_text("main")
        assert serious_violations(page) == []

        # The faster plan, from today.
        page.goto(f"{base}/services/{sub.pk}/change-plan/")
        assert serious_violations(page) == []
        page.check(f"input[name=plan][value='{fast.pk}']")
        page.check("input[name=timing][value=now]")
        page.click("text=Request the change")
        page.wait_for_load_state()
        request = PlanChangeRequest.objects.get(subscription=sub)
        assert request.state == PlanChangeState.SUBMITTED and request.to_plan == fast
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()

    # A billing clerk approves it in the console (signed in by session cookie).
    clerk = Client()
    clerk.force_login(make_staff(tenant, "billing"))
    staff = chromium.new_context(viewport={"width": 1280, "height": 900})
    staff.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": clerk.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    console = staff.new_page()
    try:
        console.goto(f"{live_server.url}/staff/plan-changes/{request.pk}/")
        assert serious_violations(console) == []
        console.click("text=Approve and apply now")
        console.wait_for_load_state()
    finally:
        staff.close()

    request.refresh_from_db()
    assert request.state == PlanChangeState.APPLIED
    assert Subscription.objects.get(pk=sub.pk).plan == fast
    reply = freeradius.authenticate(sub.username, "pppoe-pass")
    assert reply.code == "Access-Accept"
    assert reply.attributes["Mikrotik-Rate-Limit"] == "20M/100M"
