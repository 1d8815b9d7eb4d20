"""The helpdesk API: tickets (create, filter, reply, note, assign, state
actions, attachments), teams, canned responses and SLA policies; tenant
scoping and hostile input."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ispstack.core.models import AuditLog
from ispstack.tickets import services
from ispstack.tickets.models import Ticket
from ispstack.tickets.selectors import settings_for

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def support(tenant: Any, api_client_for: Any) -> Any:
    return api_client_for(tenant, "support")


def test_a_ticket_through_its_life(tenant: Any, support: Any, make_customer: Any) -> None:
    customer = make_customer(tenant)
    created = support.post(
        "/api/v1/tickets/",
        {
            "subject": "Speed drops every evening",
            "ticket_type": "speed_issue",
            "priority": "high",
            "customer": customer.pk,
            "affected_services": ["internet"],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["number"].startswith("TCK-") and body["source"] == "api"
    assert body["state"] == "new" and body["sla_due_at"]
    url = f"/api/v1/tickets/{body['id']}/"

    assert support.post(url + "reply/", {"body": "Which router?"}, format="json").status_code == 201
    assert support.post(url + "note/", {"body": "Congested OLT"}, format="json").status_code == 201
    messages = support.get(url + "messages/").json()
    assert [m["kind"] for m in messages] == ["reply", "note"]
    assert support.get(url).json()["first_response_at"]

    assert support.post(url + "wait/", {}, format="json").json()["state"] == "waiting_on_customer"
    assert support.post(url + "start/", {}, format="json").json()["state"] == "in_progress"
    resolved = support.post(url + "resolve/", {"reason": "upgraded uplink"}, format="json")
    assert resolved.json()["resolution_time_minutes"] is not None
    assert support.post(url + "close/", {}, format="json").json()["state"] == "closed"
    assert support.post(url + "reopen/", {}, format="json").json()["state"] == "in_progress"
    refused = support.post(url + "close/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["field"] == "state"

    listed = support.get(f"/api/v1/tickets/?state=in_progress&customer={customer.pk}").json()
    assert [t["id"] for t in listed["results"]] == [body["id"]]
    assert support.get("/api/v1/tickets/?state=closed").json()["results"] == []
    actions = set(
        AuditLog.objects.filter(
            object_id=str(body["id"]), object_type="tickets.ticket"
        ).values_list("action", flat=True)
    )
    assert {"ticket.open", "ticket.message", "ticket.state"} <= actions


def test_attachment_upload_limits_name_the_file(tenant: Any, support: Any) -> None:
    ticket = services.open_ticket(tenant=tenant, subject="Photo of the ONT")
    url = f"/api/v1/tickets/{ticket.pk}/attachments/"
    ok = support.post(url, {"file": SimpleUploadedFile("ont.png", PNG)}, format="multipart")
    assert ok.status_code == 201, ok.json()
    assert ok.json()["content_type"] == "image/png"

    settings = settings_for(tenant)
    settings.max_attachment_bytes = 1024
    settings.save()
    too_big = support.post(
        url, {"file": SimpleUploadedFile("big.txt", b"a" * 4096)}, format="multipart"
    )
    assert too_big.status_code == 400 and too_big.json()["field"] == "file"
    wrong = support.post(
        url, {"file": SimpleUploadedFile("x.png", b"MZ\x90\x00binary")}, format="multipart"
    )
    assert wrong.status_code == 400 and wrong.json()["field"] == "file"
    assert "not allowed" in wrong.json()["detail"]
    assert ticket.attachments.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"subject": "x" * 1_000_000}, "subject"),
        ({"subject": 5}, "subject"),
        ({"subject": ["a"]}, "subject"),
        ({"subject": "ok", "priority": "asap"}, "priority"),
        ({"subject": "ok", "customer": 987654321}, "customer"),
        ({"subject": "ok", "customer": "abc"}, "customer"),
        ({"subject": "ok", "device_serials": "S1"}, "device_serials"),
        ({"subject": "ok", "device_serials": [{"a": 1}]}, "device_serials"),
        ({"subject": "ok", "contact_email": "nope"}, "contact_email"),
        ({"subject": "ok", "colour": "red"}, "colour"),
    ],
)
def test_hostile_ticket_bodies_are_refused(support: Any, body: Any, field: str) -> None:
    response = support.post("/api/v1/tickets/", body, format="json")
    assert response.status_code in (400, 404), response.content[:200]
    assert response.json()["field"].split("[")[0] == field
    assert Ticket.objects.count() == 0


def test_other_tenants_rows_are_invisible(
    tenant: Any, support: Any, make_tenant: Any, make_customer: Any
) -> None:
    other = make_tenant()
    foreign_customer = make_customer(other)
    foreign = services.open_ticket(tenant=other, subject="theirs")
    response = support.post(
        "/api/v1/tickets/", {"subject": "x", "customer": foreign_customer.pk}, format="json"
    )
    assert response.status_code in (400, 404) and response.json()["field"] == "customer"
    assert support.get(f"/api/v1/tickets/{foreign.pk}/").status_code == 404
    reply = support.post(f"/api/v1/tickets/{foreign.pk}/reply/", {"body": "hi"}, format="json")
    assert reply.status_code == 404
    assert support.get("/api/v1/tickets/").json()["results"] == []


def test_teams_assignment_and_configuration(
    tenant: Any, api_client_for: Any, make_staff: Any
) -> None:
    admin = api_client_for(tenant, "admin")
    agent = make_staff(tenant, "noc")
    team = admin.post(
        "/api/v1/teams/", {"name": "NOC", "assignment_mode": "round_robin"}, format="json"
    )
    assert team.status_code == 201, team.json()
    team_url = f"/api/v1/teams/{team.json()['id']}/"
    added = admin.post(team_url + "members/", {"user": agent.pk, "skills": ["gpon"]}, format="json")
    assert [m["user"] for m in added.json()["members"]] == [agent.pk]
    assert (
        admin.post(team_url + "route/", {"ticket_type": "outage_report"}, format="json").status_code
        < 300
    )
    opened = admin.post(
        "/api/v1/tickets/", {"subject": "Area down", "ticket_type": "outage_report"}, format="json"
    ).json()
    assert (opened["team"], opened["assignee"]) == (team.json()["id"], agent.pk)
    outsider = make_staff(tenant, "noc")
    refused = admin.post(
        f"/api/v1/tickets/{opened['id']}/assign/", {"assignee": outsider.pk}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["field"] == "assignee"

    policy = admin.post(
        "/api/v1/sla-policies/",
        {"priority": "urgent", "first_response_minutes": 30, "resolution_minutes": 240},
        format="json",
    )
    assert policy.status_code == 201
    bad = admin.post(
        "/api/v1/sla-policies/",
        {"priority": "urgent", "first_response_minutes": 300, "resolution_minutes": 240},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["field"] == "first_response_minutes"
    canned = admin.post(
        "/api/v1/canned-responses/", {"title": "Reboot", "body": "Please reboot."}, format="json"
    )
    assert canned.status_code == 201
    again = admin.post("/api/v1/canned-responses/", {"title": "reboot", "body": "x"}, format="json")
    assert again.status_code == 409 and again.json()["field"] == "title"


def test_roles(tenant: Any, api_client_for: Any) -> None:
    billing = api_client_for(tenant, "billing")
    created = billing.post(
        "/api/v1/tickets/",
        {"subject": "Double charge", "ticket_type": "billing_issue"},
        format="json",
    )
    assert created.status_code == 201
    url = f"/api/v1/tickets/{created.json()['id']}/"
    assert (
        billing.post(url + "reply/", {"body": "Refund on the way"}, format="json").status_code < 300
    )
    # Billing opens and answers; moving and assigning is the owning team's.
    assert billing.post(url + "resolve/", {}, format="json").status_code == 403
    assert billing.post("/api/v1/teams/", {"name": "X"}, format="json").status_code == 403
    support = api_client_for(tenant, "support")
    assert support.post(url + "resolve/", {}, format="json").status_code == 200
    assert support.post("/api/v1/sla-policies/", {}, format="json").status_code == 403
