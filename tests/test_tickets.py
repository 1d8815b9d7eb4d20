"""Tickets: opening, numbering, messages, the lifecycle with its SLA clock,
reopening within the window, attachments and assignment."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from ispstack.core import clock
from ispstack.core.errors import InvalidInput, InvalidTransition, NotFound
from ispstack.core.models import AuditLog
from ispstack.tickets import services
from ispstack.tickets.choices import AssignmentMode, MessageKind, TicketState
from ispstack.tickets.models import Team, TeamMember, TicketRouting
from ispstack.tickets.selectors import settings_for

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
BERLIN = dt.timezone(dt.timedelta(hours=1))


def _at(y: int, m: int, d: int, h: int, minute: int = 0) -> dt.datetime:
    """A Europe/Berlin winter-time instant (UTC+1)."""
    return dt.datetime(y, m, d, h, minute, tzinfo=BERLIN)


@pytest.fixture
def customer(tenant: Any, make_customer: Any) -> Any:
    return make_customer(tenant, service_address_line1="Hauptstr. 1", service_city="Berlin")


def test_open_ticket_numbers_stamps_sla_and_audits(tenant: Any, customer: Any) -> None:
    with clock.simulated(_at(2026, 1, 12, 9)):  # a Monday
        ticket = services.open_ticket(
            tenant=tenant,
            subject="No internet since this morning",
            ticket_type="technical_support",
            priority="urgent",
            customer=customer.pk,
            device_serials=["ZTEG12345678"],
        )
    today = "20260112"
    assert re.fullmatch(rf"TCK-{today}-[0-9A-F]{{4}}", ticket.number)
    assert ticket.service_address == "Hauptstr. 1, Berlin"
    # Urgent: 8 business hours from Monday 09:00, Mon-Fri 08:00-17:00 ->
    # Monday 17:00 is 8 hours... (09:00 + 8 h = 17:00).
    assert ticket.sla_due_at == _at(2026, 1, 12, 17)
    assert ticket.first_response_due_at == _at(2026, 1, 12, 10)
    assert AuditLog.objects.filter(action="ticket.open", object_id=str(ticket.pk)).exists()


def test_seq_number_format(tenant: Any) -> None:
    conf = settings_for(tenant)
    conf.number_format = "T-{year}-{seq:04d}"
    conf.save()
    first = services.open_ticket(tenant=tenant, subject="a")
    second = services.open_ticket(tenant=tenant, subject="b")
    year = clock.today(tenant).year
    assert (first.number, second.number) == (f"T-{year}-0001", f"T-{year}-0002")


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [
        ("subject", "", InvalidInput),
        ("subject", "x" * 1_000_000, InvalidInput),
        ("subject", 42, InvalidInput),
        ("ticket_type", "rocket_launch", InvalidInput),
        ("priority", "whenever", InvalidInput),
        ("customer", 999_999_999, NotFound),
        ("customer", "abc", InvalidInput),
        ("device_serials", "not-a-list", InvalidInput),
        ("contact_email", "not-an-address", InvalidInput),
    ],
)
def test_open_ticket_rejects_bad_input_naming_the_field(
    tenant: Any, field: str, value: Any, kind: type[Exception]
) -> None:
    data: dict[str, Any] = {"subject": "Slow"}
    data[field] = value
    with pytest.raises(kind) as err:
        services.open_ticket(tenant=tenant, **data)
    assert err.value.field == field  # type: ignore[attr-defined]


def test_other_tenants_customer_is_not_found(
    tenant: Any, make_tenant: Any, make_customer: Any
) -> None:
    other = make_customer(make_tenant())
    with pytest.raises(NotFound) as err:
        services.open_ticket(tenant=tenant, subject="x", customer=other.pk)
    assert err.value.field == "customer"


def test_staff_reply_is_first_response_and_customer_answer_resumes(
    tenant: Any, customer: Any, make_staff: Any
) -> None:
    agent = make_staff(tenant, "support")
    with clock.simulated(_at(2026, 1, 12, 9)):
        ticket = services.open_ticket(tenant=tenant, subject="Slow", customer=customer)
        clock.move_to(_at(2026, 1, 12, 9, 30))
        services.add_message(ticket=ticket, body="Please reboot the CPE.", actor=agent)
        services.add_message(ticket=ticket, body="Checked the line", kind="note", actor=agent)
        ticket = services.change_state(ticket=ticket, state="waiting_on_customer", actor=agent)
        due_before = ticket.sla_due_at
        # Paused from Monday 09:30 to Tuesday 09:30: 9 business hours.
        clock.move_to(_at(2026, 1, 13, 9, 30))
        message = services.add_message(ticket=ticket, body="Rebooted, still slow")
    ticket.refresh_from_db()
    assert ticket.first_response_at == _at(2026, 1, 12, 9, 30)
    assert ticket.state == TicketState.IN_PROGRESS
    assert message.author_email == customer.email
    assert ticket.sla_paused_minutes == 9 * 60
    assert ticket.sla_due_at is not None and due_before is not None
    assert ticket.sla_due_at > due_before
    kinds = list(ticket.messages.values_list("kind", flat=True))
    assert kinds == [MessageKind.REPLY, MessageKind.NOTE, MessageKind.REPLY]


def test_customer_cannot_write_notes(tenant: Any) -> None:
    ticket = services.open_ticket(tenant=tenant, subject="x")
    with pytest.raises(InvalidInput) as err:
        services.add_message(ticket=ticket, body="hi", kind="note", author_email="a@b.example")
    assert err.value.field == "kind"


def test_resolution_time_and_reopen_window(tenant: Any, customer: Any, make_staff: Any) -> None:
    agent = make_staff(tenant, "support")
    with clock.simulated(_at(2026, 1, 12, 9)):
        ticket = services.open_ticket(tenant=tenant, subject="x", customer=customer)
        clock.move_to(_at(2026, 1, 12, 11))
        ticket = services.change_state(ticket=ticket, state="resolved", actor=agent)
        assert ticket.resolution_time_minutes == 120
        ticket = services.change_state(ticket=ticket, state="closed", actor=agent)
        # Within 7 days: a customer reply reopens the same ticket.
        clock.move_to(_at(2026, 1, 14, 9))
        services.add_message(ticket=ticket, body="Broken again")
        ticket.refresh_from_db()
        assert ticket.state == TicketState.IN_PROGRESS
        assert ticket.resolution_time_minutes is None
        ticket = services.change_state(ticket=ticket, state="resolved", actor=agent)
        # After the window: a new ticket referring to the old one.
        clock.move_to(_at(2026, 2, 2, 9))
        message = services.add_message(ticket=ticket, body="Again!")
        with pytest.raises(InvalidTransition):
            services.change_state(ticket=ticket, state="in_progress", actor=agent)
    assert message.ticket.pk != ticket.pk
    assert message.ticket.follow_up_of_id == ticket.pk
    assert message.ticket.customer_id == customer.pk


def test_lifecycle_refuses_skipping(tenant: Any) -> None:
    ticket = services.open_ticket(tenant=tenant, subject="x")
    with pytest.raises(InvalidTransition) as err:
        services.change_state(ticket=ticket, state="closed")
    assert err.value.field == "state"
    ticket = services.change_state(ticket=ticket, state="in_progress")
    with pytest.raises(InvalidTransition):
        services.change_state(ticket=ticket, state="new")


def test_attachment_limits(tenant: Any, settings: Any) -> None:
    ticket = services.open_ticket(tenant=tenant, subject="x")
    ok = services.add_attachment(
        ticket=ticket, upload=SimpleUploadedFile("shot.png", PNG, "image/png")
    )
    assert (ok.content_type, ok.size) == ("image/png", len(PNG))
    assert ok.file.path.startswith(str(settings.MEDIA_ROOT))
    # A script named like a picture is read by its content.
    with pytest.raises(InvalidInput) as err:
        services.add_attachment(
            ticket=ticket,
            upload=SimpleUploadedFile("x.png", b"MZ\x90\x00\x03binary", "image/png"),
        )
    assert err.value.field == "file"
    conf = settings_for(tenant)
    conf.max_attachment_bytes = 1024
    conf.save()
    with pytest.raises(InvalidInput, match="at most 1024 bytes"):
        services.add_attachment(
            ticket=ticket, upload=SimpleUploadedFile("big.txt", b"a" * 2048, "text/plain")
        )


@pytest.mark.parametrize("mode", [AssignmentMode.ROUND_ROBIN, AssignmentMode.LEAST_LOADED])
def test_auto_assignment_within_owning_team(tenant: Any, make_staff: Any, mode: str) -> None:
    team = Team.objects.create(tenant=tenant, name="NOC", assignment_mode=mode)
    a, b = make_staff(tenant, "noc"), make_staff(tenant, "noc")
    outsider = make_staff(tenant, "noc")
    for user in (a, b):
        TeamMember.objects.create(tenant=tenant, team=team, user=user)
    TicketRouting.objects.create(tenant=tenant, ticket_type="outage_report", team=team)
    got = [
        services.open_ticket(tenant=tenant, subject=f"down {i}", ticket_type="outage_report")
        for i in range(4)
    ]
    assert all(t.team_id == team.pk for t in got)
    assert [t.assignee_id for t in got] == [a.pk, b.pk, a.pk, b.pk]
    assert outsider.pk not in {t.assignee_id for t in got}
