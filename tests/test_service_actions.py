"""The service action log of a subscription: lifecycle changes and plan
changes from staff, the customer portal and the collections job, each with
who, why and its result, linked to its audit row; read through the API and
the Customer 360 of the subscription's tenant only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from ispstack.collections.services import reconnect_if_cleared, suspend_for_non_payment
from ispstack.core.models import AuditLog
from ispstack.subscriptions.models import ServiceAction
from ispstack.subscriptions.services import apply_plan

pytestmark = pytest.mark.django_db


def test_suspend_reconnect_and_plan_change_are_logged_with_actor_reason_and_result(
    tenant, make_subscription, make_plan, api_client_for
):
    sub = make_subscription(tenant)
    api = api_client_for(tenant, "noc")

    response = api.post(
        f"/api/v1/subscriptions/{sub.pk}/suspend/", {"reason": "abuse report"}, format="json"
    )
    assert response.status_code == 200
    api.post(f"/api/v1/subscriptions/{sub.pk}/reconnect/", {}, format="json")
    suspend_for_non_payment(sub.customer, dt.date(2026, 2, 20), 19)
    reconnect_if_cleared(sub.customer, dt.date(2026, 2, 21))
    apply_plan(
        subscription=sub,
        plan=make_plan(tenant, download_kbps=100000),
        effective=dt.date(2026, 3, 1),
        actor="portal:thandi@example.net",
        reason="more speed, please",
    )

    rows = list(
        ServiceAction.objects.filter(subscription=sub)
        .exclude(action="activate")
        .order_by("id")
        .values_list("action", "actor_kind", "actor_label", "reason", "result")
    )
    assert rows == [
        ("suspend", "staff", api.user.username, "abuse report", "ok"),
        ("reconnect", "staff", api.user.username, "reconnected", "ok"),
        ("suspend", "system", "collections", "non-payment: 19 days past due", "ok"),
        ("reconnect", "system", "collections", "overdue invoices paid", "ok"),
        (
            "plan_change",
            "portal",
            "portal:thandi@example.net",
            "more speed, please",
            "ok",
        ),
    ]
    first = ServiceAction.objects.filter(subscription=sub, action="suspend").earliest("id")
    assert first.actor == api.user
    # The snapshots stay on the audit row the action points at.
    assert first.audit == AuditLog.objects.get(
        action="subscription.suspend", object_id=str(sub.pk), actor=api.user
    )
    assert first.audit.after["status"] == "suspended"


def test_a_refused_transition_writes_no_action(tenant, make_subscription, api_client_for):
    sub = make_subscription(tenant)
    api = api_client_for(tenant, "noc")
    before = ServiceAction.objects.count()
    response = api.post(f"/api/v1/subscriptions/{sub.pk}/reconnect/", {}, format="json")
    assert response.status_code == 409
    assert ServiceAction.objects.count() == before


def test_the_action_log_is_read_in_the_subscriptions_tenant_only(
    make_tenant, make_subscription, api_client_for, make_staff
):
    mine, other = make_tenant(), make_tenant()
    sub = make_subscription(mine)
    foreign = make_subscription(other)
    api = api_client_for(mine, "support")

    body = api.get(f"/api/v1/subscriptions/{sub.pk}/actions/").json()
    assert [(row["action"], row["actor_kind"], row["result"]) for row in body["results"]] == [
        ("activate", "system", "ok")
    ]
    assert api.get(f"/api/v1/subscriptions/{foreign.pk}/actions/").status_code == 404
    assert (
        api_client_for(mine, "technician")
        .get(f"/api/v1/subscriptions/{sub.pk}/actions/")
        .status_code
        == 403
    )

    client = Client()
    client.force_login(make_staff(mine, "support"))
    page = client.get(f"/staff/customers/{sub.customer_id}/?tab=service-actions")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-action="activate" data-result="ok"' in html and sub.username in html
    assert (
        client.get(f"/staff/customers/{foreign.customer_id}/?tab=service-actions").status_code
        == 404
    )
