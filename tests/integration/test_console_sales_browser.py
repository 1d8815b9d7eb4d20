"""The Sales & provisioning screens in Debian's Chromium: each page passes
axe-core with no serious or critical violation."""

from __future__ import annotations

import pytest

from ispstack.provisioning import orders, services
from ispstack.provisioning.adapters.base import Adapters
from tests.console_browser import log_in, serious_violations

pytestmark = pytest.mark.django_db(transaction=True)


def test_sales_pages_pass_axe(live_server, chromium, make_tenant, make_staff, make_plan, make_pool):
    tenant = make_tenant(name="Alpha Net")
    plan = make_plan(tenant)
    lead = services.create_lead(
        tenant=tenant, name="Ada Lovelace", email="ada@example.net", plan=plan, latitude="52.5"
    )
    survey = services.schedule_survey(lead=lead, scheduled_at="2026-01-05T09:00:00+00:00")
    services.complete_survey(survey=survey, outcome="serviceable", pole_distance_m=20)
    order = services.convert_lead(
        lead=lead, username="ada@isp.example", pool=make_pool(tenant).pk, cpe_serial="SN-1"
    )
    orders.advance(order=order, adapters=Adapters())
    other = services.create_lead(tenant=tenant, name="Grace Hopper", email="grace@example.net")
    admin = make_staff(tenant, "admin")
    page = chromium.new_page()
    try:
        log_in(page, live_server.url, admin)
        for path, shows in (
            ("/staff/leads/", "Ada Lovelace"),
            (f"/staff/leads/{lead.pk}/", "Serviceable"),
            (f"/staff/leads/{other.pk}/", "Convert into a customer"),
            ("/staff/orders/", "Open orders by step"),
            (f"/staff/orders/{order.pk}/", "ada@isp.example"),
            (f"/staff/orders/{order.pk}/cancel/", "Reason"),
        ):
            page.goto(f"{live_server.url}{path}")
            assert shows in page.inner_text("main"), path
            assert serious_violations(page) == [], path
    finally:
        page.close()
