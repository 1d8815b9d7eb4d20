"""The helpdesk's back-office screens save and delete through the services:
each edit is checked as the API checks it and leaves an audit row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.test import RequestFactory

from ispstack.core.models import AuditLog, Tenant
from ispstack.tickets import services
from ispstack.tickets.admin import TicketSettingsInline
from ispstack.tickets.models import CannedResponse, Holiday, SlaPolicy, Team, TicketRouting
from ispstack.tickets.selectors import settings_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(tenant, make_staff):
    return make_staff(tenant, "admin")


@pytest.fixture
def logged_in(client, admin_user):
    client.force_login(admin_user)
    return client


def audited(tenant, action: str, user) -> AuditLog:
    return AuditLog.objects.filter(tenant=tenant, action=action, actor=user).latest("id")


def test_team_add_and_change_are_audited(tenant, logged_in, admin_user):
    added = logged_in.post(
        "/admin/tickets/team/add/",
        {"name": "NOC", "email": "", "assignment_mode": "round_robin", **_no_members()},
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    team = Team.objects.get(tenant=tenant, name="NOC")
    assert audited(tenant, "team.create", admin_user).object_id == str(team.pk)

    changed = logged_in.post(
        f"/admin/tickets/team/{team.pk}/change/",
        {"name": "Network", "email": "noc@isp.test", "assignment_mode": "manual", **_no_members()},
    )
    assert changed.status_code == 302
    row = audited(tenant, "team.update", admin_user)
    assert row.after["name"] == "Network"

    # A name taken (case-insensitive) is refused on its field, as the API refuses it.
    services.create_team(tenant=tenant, name="Billing")
    taken = logged_in.post(
        f"/admin/tickets/team/{team.pk}/change/",
        {"name": "billing", "email": "", "assignment_mode": "manual", **_no_members()},
    )
    assert taken.status_code == 200 and b"a team named" in taken.content


def _no_members() -> dict[str, str]:
    return {
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
    }


def test_sla_policy_edit_is_checked_and_audited(tenant, logged_in, admin_user):
    services.install_defaults(tenant=tenant)
    policy = SlaPolicy.objects.get(tenant=tenant, priority="high")
    refused = logged_in.post(
        f"/admin/tickets/slapolicy/{policy.pk}/change/",
        {"first_response_minutes": "600", "resolution_minutes": "300", "warn_percent": "80"},
    )
    assert refused.status_code == 200
    assert b"must not be later than the resolution target" in refused.content
    saved = logged_in.post(
        f"/admin/tickets/slapolicy/{policy.pk}/change/",
        {"first_response_minutes": "120", "resolution_minutes": "960", "warn_percent": "75"},
    )
    assert saved.status_code == 302
    policy.refresh_from_db()
    assert (policy.resolution_minutes, policy.warn_percent) == (960, 75)
    assert audited(tenant, "sla.policy", admin_user).after["resolution_minutes"] == 960


def test_routing_holiday_and_canned_response_are_audited(tenant, logged_in, admin_user):
    team = services.create_team(tenant=tenant, name="Support")
    assert (
        logged_in.post(
            "/admin/tickets/ticketrouting/add/",
            {"ticket_type": "speed_issue", "team": team.pk},
        ).status_code
        == 302
    )
    route = TicketRouting.objects.get(tenant=tenant, ticket_type="speed_issue")
    assert audited(tenant, "ticket.routing", admin_user).object_id == str(route.pk)

    assert (
        logged_in.post(
            "/admin/tickets/holiday/add/", {"day": "2026-12-24", "name": "Christmas Eve"}
        ).status_code
        == 302
    )
    holiday = Holiday.objects.get(tenant=tenant)
    assert holiday.day == dt.date(2026, 12, 24)
    assert audited(tenant, "holiday.save", admin_user).after["name"] == "Christmas Eve"
    twice = logged_in.post("/admin/tickets/holiday/add/", {"day": "2026-12-24", "name": "Again"})
    assert twice.status_code == 200 and Holiday.objects.filter(tenant=tenant).count() == 1

    assert (
        logged_in.post(
            "/admin/tickets/cannedresponse/add/",
            {"title": "Restart", "body": "Please restart the router.", "team": ""},
        ).status_code
        == 302
    )
    canned = CannedResponse.objects.get(tenant=tenant)
    assert audited(tenant, "canned.save", admin_user).object_id == str(canned.pk)

    deleted = logged_in.post(f"/admin/tickets/holiday/{holiday.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302 and not Holiday.objects.filter(tenant=tenant).exists()
    assert audited(tenant, "holiday.delete", admin_user).before["name"] == "Christmas Eve"
    logged_in.post(f"/admin/tickets/cannedresponse/{canned.pk}/delete/", {"post": "yes"})
    assert audited(tenant, "canned.delete", admin_user).before["title"] == "Restart"


def test_settings_inline_saves_through_the_service(tenant, admin_user):
    inline = TicketSettingsInline(Tenant, admin.site)
    request = RequestFactory().post("/")
    request.user = admin_user
    formset_class = inline.get_formset(request, tenant)
    current = settings_for(tenant)
    prefix = formset_class.get_default_prefix()
    data = {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-0-tenant": str(tenant.pk),
        f"{prefix}-0-number_format": current.number_format,
        f"{prefix}-0-reopen_days": "14",
        f"{prefix}-0-max_attachment_bytes": str(current.max_attachment_bytes),
        f"{prefix}-0-attachment_types": "image/png, application/pdf",
        f"{prefix}-0-business_days": "1, 2, 3, 4, 5, 6",
        f"{prefix}-0-business_day_start": "08:00",
        f"{prefix}-0-business_day_end": "18:00",
        f"{prefix}-0-holiday_country": "",
        f"{prefix}-0-holiday_subdivision": "",
    }
    formset = formset_class(data, instance=tenant, prefix=prefix)
    assert formset.is_valid(), formset.errors
    formset.save()

    saved = settings_for(tenant)
    assert (saved.reopen_days, saved.business_days) == (14, [1, 2, 3, 4, 5, 6])
    row = audited(tenant, "ticket_settings.save", admin_user)
    assert (row.before["reopen_days"], row.after["reopen_days"]) == (7, 14)
