"""The back office in a real browser (headless Chromium): a NOC engineer logs
in, sees only the tenant's subscribers, and suspends one with a reason."""

from __future__ import annotations

import pytest

from ispstack.radius.models import RadCheck
from ispstack.subscriptions.models import Subscription

pytestmark = pytest.mark.django_db(transaction=True)


def test_staff_suspends_a_subscriber_from_the_admin(
    live_server, chromium, make_tenant, make_subscription, make_staff, tmp_path
):
    mine, other = make_tenant(name="Alpha Net"), make_tenant(name="Beta Net")
    sub = make_subscription(mine, username="alice@alpha.example")
    foreign = make_subscription(other, username="bob@beta.example")
    engineer = make_staff(mine, "noc")

    page = chromium.new_page()
    try:
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", engineer.username)
        page.fill("#id_password", "pw-staff-123")
        page.click("input[type=submit]")
        page.goto(f"{live_server.url}/admin/subscriptions/subscription/")
        table = page.inner_text("#result_list")
        assert sub.username in table
        assert foreign.username not in table

        page.check(f"input[name=_selected_action][value='{sub.pk}']")
        page.select_option("select[name=action]", "suspend")
        page.click("button[name=index]")
        page.fill("textarea[name=reason]", "port flapping, field visit booked")
        page.click("input[name=confirm]")
        page.wait_for_selector("ul.messagelist")
        assert "Suspend: 1 subscription(s)." in page.inner_text("ul.messagelist")
        page.screenshot(path=str(tmp_path / "suspended.png"))
    finally:
        page.close()

    suspended = Subscription.objects.get(pk=sub.pk)
    assert suspended.status == "suspended"
    assert suspended.events.first().reason == "port flapping, field visit booked"
    assert RadCheck.objects.filter(username=sub.username, attribute="Auth-Type").exists()
    assert Subscription.objects.get(pk=foreign.pk).status == "active"
