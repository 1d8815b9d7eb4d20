"""An order taken through the API to active, as a real FreeRADIUS 3.2 sees
it: no login while the order runs, Access-Accept with the allocated address
once active."""

from __future__ import annotations

import pytest

from ispstack.provisioning import services
from ispstack.subscriptions.models import Subscription

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.radius]


def test_lead_converted_and_advanced_logs_in(
    freeradius, make_tenant, make_plan, make_pool, api_client_for, run_on_commit
):
    tenant = make_tenant()
    plan = make_plan(tenant, download_kbps=50000, upload_kbps=10000)
    lead = services.create_lead(tenant=tenant, name="Ada", email="ada@example.net", plan=plan)
    survey = services.schedule_survey(lead=lead, scheduled_at="2026-01-05T09:00:00+00:00")
    services.complete_survey(survey=survey, outcome="serviceable")
    client = api_client_for(tenant)
    converted = client.post(
        f"/api/v1/leads/{lead.pk}/convert/",
        {"username": "ada@isp.example", "password": "pppoe-pass", "pool": make_pool(tenant).pk},
        format="json",
    )
    assert converted.status_code == 201, converted.json()
    # Pending until the order activates it: FreeRADIUS knows no such user.
    assert freeradius.authenticate("ada@isp.example", "pppoe-pass").code == "Access-Reject"
    order_id = converted.json()["id"]
    advanced = client.post(f"/api/v1/service-orders/{order_id}/advance/")
    assert advanced.json()["status"] == "completed", advanced.json()
    sub = Subscription.objects.get(username="ada@isp.example")
    accepted = freeradius.authenticate("ada@isp.example", "pppoe-pass")
    assert accepted.code == "Access-Accept"
    assert accepted.attributes["Framed-IP-Address"] == sub.ip_address.address
    assert accepted.attributes["Mikrotik-Rate-Limit"] == "10M/50M"
