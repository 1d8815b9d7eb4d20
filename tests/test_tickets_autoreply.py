"""Auto-replies and mail loops (RFC 3834): mail sent by a machine is never
answered automatically, an out-of-office reply on a ticket is kept as a
note that changes nothing, and the helpdesk marks its own automatic mail."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from django.core import mail as django_mail

from ispstack.core import outbox
from ispstack.core.models import Job
from ispstack.tickets import jobs, services
from ispstack.tickets.choices import MessageKind, TicketState
from ispstack.tickets.mail import inbound, parsing
from ispstack.tickets.mail.mailboxes import create_mailbox
from ispstack.tickets.models import MailDirection, Ticket, TicketEmail, TicketMessage
from tests.test_email_to_ticket import deliver, mail, poll

# Header blocks as real responders and mail servers send them.
OUT_OF_OFFICE_EXCHANGE = b"""\
From: Anna Customer <anna@example.test>
To: support@isp.test
Subject: Automatic reply: [TCK-20260105-A3F2] No internet
Message-ID: <oof1@example.test>
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset="us-ascii"

I am out of the office until Monday.
"""
OUT_OF_OFFICE_VACATION = b"""\
From: anna@example.test
To: support@isp.test
Subject: Away
Message-ID: <oof2@example.test>
X-Autoreply: yes
Precedence: bulk

I am on holiday.
"""
AUTORESPOND = b"""\
From: anna@example.test
Subject: Re: ticket
Message-ID: <oof3@example.test>
X-Autorespond: Away

Away.
"""
LIST_MAIL = b"""\
From: news@provider.test
Subject: Our newsletter
Message-ID: <news@provider.test>
Precedence: list
List-Id: <news.provider.test>

News.
"""
JUNK = b"""\
From: offers@spam.test
Subject: Cheap
Message-ID: <junk@spam.test>
Precedence: junk

Buy.
"""
BOUNCE = b"""\
From: Mail Delivery System <MAILER-DAEMON@mx.example.test>
To: support@isp.test
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce1@mx.example.test>
Auto-Submitted: auto-replied
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/plain

This is the mail system at host mx.example.test.
--b1
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.test
Final-Recipient: rfc822; gone@example.test
Action: failed
Status: 5.1.1
--b1--
"""
POSTMASTER_REPORT = b"""\
From: postmaster@example.test
Subject: Delivery Status Notification (Failure)
Message-ID: <dsn2@example.test>
Content-Type: multipart/report; report-type=delivery-status; boundary="b2"

--b2
Content-Type: text/plain

Delivery failed.
--b2--
"""
PERSON = b"""\
From: Anna Customer <anna@example.test>
Subject: Still no internet
Message-ID: <person@example.test>
Auto-Submitted: no
Precedence: normal

The light is red.
"""


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (OUT_OF_OFFICE_EXCHANGE, "Auto-Submitted: auto-replied"),
        (OUT_OF_OFFICE_VACATION, "X-Autoreply"),
        (AUTORESPOND, "X-Autorespond"),
        (LIST_MAIL, "Precedence: list"),
        (JUNK, "Precedence: junk"),
        (BOUNCE, "Auto-Submitted: auto-replied"),
        (POSTMASTER_REPORT, "sent by postmaster"),
        (PERSON, ""),
    ],
)
def test_automatic_mail_is_recognised_by_its_headers(raw: bytes, reason: str) -> None:
    assert parsing.parse(raw.replace(b"\n", b"\r\n")).automatic == reason


def test_a_report_without_other_signs_is_automatic() -> None:
    raw = BOUNCE.replace(b"Auto-Submitted: auto-replied\n", b"").replace(
        b"MAILER-DAEMON@mx", b"delivery@mx"
    )
    assert parsing.parse(raw).automatic == "multipart/report"


@pytest.fixture
def mailbox(tenant, dovecot):
    from tests.test_email_to_ticket import _folders

    folder = f"auto{next(_folders)}"
    dovecot.recreate(folder)
    return create_mailbox(
        tenant=tenant,
        name="Support",
        host="127.0.0.1",
        port=dovecot.port,
        security="none",
        username=dovecot.user,
        password=dovecot.password,
        folder=folder,
        support_address="support@isp.test",
    )


def test_a_persons_new_mail_is_acknowledged_with_the_number(
    dovecot, mailbox, tenant, make_customer, smtp_server
):
    make_customer(tenant, email="anna@example.test")
    deliver(dovecot, mailbox, mail(message_id="<new@example.test>"))
    ticket = Ticket.objects.get(pk=poll(mailbox).tickets[0])
    outbox.drain()

    [ack] = smtp_server.messages
    assert ack["To"] == "anna@example.test"
    assert ack["Subject"] == f"[{ticket.number}] No internet since this morning"
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == "<new@example.test>"
    assert ticket.number in ack.get_payload()


@pytest.mark.parametrize("raw", [OUT_OF_OFFICE_VACATION, LIST_MAIL, BOUNCE])
def test_automatic_mail_opens_a_ticket_but_is_not_acknowledged(
    dovecot, mailbox, tenant, smtp_server, raw
):
    dovecot.append(mailbox.folder, raw.replace(b"\n", b"\r\n"))
    result = poll(mailbox)
    outbox.drain()

    assert result.imported == 1  # nothing is dropped
    assert smtp_server.messages == []
    assert not TicketEmail.objects.filter(tenant=tenant, direction=MailDirection.OUTBOUND)


def test_our_own_mail_coming_back_is_not_answered(dovecot, mailbox, tenant, smtp_server):
    deliver(dovecot, mailbox, mail(sender="support@isp.test", subject="Loop"))
    poll(mailbox)
    outbox.drain()
    assert smtp_server.messages == []


def test_out_of_office_on_a_resolved_ticket_is_a_note_and_reopens_nothing(
    dovecot, mailbox, tenant, make_customer, make_staff, smtp_server
):
    make_customer(tenant, email="anna@example.test")
    deliver(dovecot, mailbox, mail())
    ticket = Ticket.objects.get(pk=poll(mailbox).tickets[0])
    staff = make_staff(tenant)
    services.add_message(ticket=ticket, body="Fixed: the line card was replaced.", actor=staff)
    services.change_state(ticket=ticket, state=TicketState.RESOLVED, actor=staff)
    outbox.drain()
    sent_before = len(smtp_server.messages)
    reply_id = (
        TicketEmail.objects.filter(ticket=ticket, direction=MailDirection.OUTBOUND)
        .latest("id")
        .message_id
    )
    # The customer's vacation responder answers the staff reply.
    oof = OUT_OF_OFFICE_EXCHANGE.replace(
        b"Message-ID: <oof1@example.test>",
        b"Message-ID: <oof1@example.test>\nIn-Reply-To: " + reply_id.encode(),
    ).replace(b"TCK-20260105-A3F2", ticket.number.encode())

    dovecot.append(mailbox.folder, oof.replace(b"\n", b"\r\n"))
    result = poll(mailbox)
    outbox.drain()

    assert result.tickets == [ticket.pk]
    ticket.refresh_from_db()
    assert ticket.state == TicketState.RESOLVED
    note = TicketMessage.objects.filter(ticket=ticket).latest("id")
    assert note.kind == MessageKind.NOTE and note.author_email == "anna@example.test"
    assert "out of the office" in note.body and "Automatic mail" in note.body
    assert len(smtp_server.messages) == sent_before  # nothing answered it
    assert Ticket.objects.filter(tenant=tenant).count() == 1


def test_sla_alerts_are_marked_auto_generated(tenant, make_staff):
    lead = make_staff(tenant, email="lead@isp.example")
    team = services.create_team(tenant=tenant, name="NOC", lead=lead)
    job = Job(
        tenant=tenant,
        kind="tickets.sla_alert",
        payload={"team_id": team.pk, "count": 1, "numbers": ["TCK-1"], "kind": "breach"},
    )
    jobs.send_sla_alert(job)
    [sent] = django_mail.outbox
    headers = message_from_bytes(sent.message().as_bytes(), policy=policy.default)
    assert headers["Auto-Submitted"] == "auto-generated"


def test_import_mail_marks_nothing_for_a_person(tenant):
    box = create_mailbox(
        tenant=tenant,
        name="S",
        host="127.0.0.1",
        port=143,
        security="none",
        username="u",
        password="p",
        folder="INBOX",
        support_address="support@isp.test",
    )
    email = inbound.import_mail(mailbox=box, raw=PERSON.replace(b"\n", b"\r\n"))
    assert email is not None
    assert TicketEmail.objects.filter(
        ticket=email.ticket, direction=MailDirection.OUTBOUND
    ).exists()
