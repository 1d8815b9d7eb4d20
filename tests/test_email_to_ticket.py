"""Email to ticket against a real IMAP server (dovecot, tests/dovecot_peer.py)
and a real SMTP server (aiosmtpd): new mail, replies, unknown senders,
hostile HTML, oversized attachments, closed tickets, a server that is down,
polls run again and a UIDVALIDITY change."""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import tracemalloc
from email.message import EmailMessage

import pytest

from ispstack.core import clock, outbox
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.tickets import services
from ispstack.tickets.choices import MessageKind, TicketSource, TicketState
from ispstack.tickets.mail import bodystructure, imap, inbound, parsing
from ispstack.tickets.mail.mailboxes import create_mailbox, update_mailbox
from ispstack.tickets.models import (
    Attachment,
    MailDirection,
    SupportMailbox,
    Ticket,
    TicketEmail,
    TicketMessage,
)
from ispstack.tickets.selectors import settings_for

_folders = itertools.count(1)


def mail(
    *,
    sender: str = "anna@example.test",
    subject: str = "No internet since this morning",
    text: str | None = "The light on the router is red.",
    html: str | None = None,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    files: tuple[tuple[str, str, bytes], ...] = (),
) -> EmailMessage:
    """A customer's mail: plain text and/or HTML, optional attachments."""
    message = EmailMessage()
    message["From"] = f"Anna Customer <{sender}>"
    message["To"] = "support@isp.test"
    message["Subject"] = subject
    message["Message-ID"] = message_id or f"<m{next(_folders)}.{id(message)}@example.test>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    if text is not None:
        message.set_content(text)
        if html is not None:
            message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    for name, mimetype, content in files:
        maintype, subtype = mimetype.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message


# -- parsing ---------------------------------------------------------------


def test_plain_text_is_preferred_over_html() -> None:
    parsed = parsing.parse(mail(text="plain words", html="<p>html words</p>").as_bytes())
    assert parsed.body == "plain words"
    assert not parsed.body_is_html


def test_html_only_mail_is_sanitised() -> None:
    hostile = (
        '<p onclick="steal()">Hello<script>alert(document.cookie)</script>'
        '<img src="x.png" onerror="alert(1)"><a href="javascript:alert(2)">click</a></p>'
    )
    parsed = parsing.parse(mail(text=None, html=hostile).as_bytes())
    assert parsed.body_is_html
    assert "Hello" in parsed.body and "click" in parsed.body
    for active in ("<script", "alert(", "onerror", "onclick", "javascript:"):
        assert active not in parsed.body


def test_headers_sender_and_thread_references() -> None:
    parsed = parsing.parse(
        mail(
            sender="Anna@Example.TEST",
            subject="Re: [TCK-20251016-A3F2]   still down",
            in_reply_to="<out1@isp.test>",
        ).as_bytes()
    )
    assert parsed.sender == "anna@example.test"
    assert parsed.sender_name == "Anna Customer"
    assert parsed.ticket_numbers() == ["TCK-20251016-A3F2"]
    assert parsed.subject == "Re: [TCK-20251016-A3F2] still down"
    assert parsed.references == ["<out1@isp.test>"]


def test_mail_without_message_id_gets_a_stable_one() -> None:
    raw = b"From: a@example.test\r\nSubject: hi\r\n\r\nbody\r\n"
    first, second = parsing.parse(raw), parsing.parse(raw)
    assert first.message_id == second.message_id
    assert first.message_id.endswith("@no-message-id.invalid>")


def test_garbage_never_raises() -> None:
    parsed = parsing.parse(b"\xff\xfe not a mail at all")
    assert parsed.sender == ""
    assert parsed.message_id.startswith("<")


# -- the IMAP reader against dovecot ----------------------------------------


def account(dovecot, folder: str) -> imap.ImapAccount:
    return imap.ImapAccount(
        host="127.0.0.1",
        port=dovecot.port,
        security="none",
        username=dovecot.user,
        password=dovecot.password,
        folder=folder,
    )


def test_reader_fetches_by_uid_without_marking_seen(dovecot) -> None:
    folder = f"reader{next(_folders)}"
    dovecot.recreate(folder)
    for n in range(3):
        dovecot.append(folder, mail(subject=f"mail {n}"))
    with imap.connect(account(dovecot, folder)) as box:
        assert imap.uidvalidity(box, folder) > 0
        assert imap.new_uids(box, after=0) == [1, 2, 3]
        assert imap.new_uids(box, after=3) == []
        fetched = imap.fetch(box, 2)
        assert fetched is not None
        assert parsing.parse(fetched.raw).subject == "mail 1"
        assert not any("\\Seen" in m.flags for m in box.fetch(mark_seen=False))


def test_reader_raises_a_known_error_when_the_login_is_wrong(dovecot) -> None:
    wrong = account(dovecot, "INBOX")
    wrong = imap.ImapAccount(**{**wrong.__dict__, "password": "wrong"})
    with pytest.raises(imap.IMAP_ERRORS) as caught, imap.connect(wrong):
        pass
    assert imap.describe(caught.value)


# -- email to ticket against dovecot ---------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def mailbox(tenant, dovecot):
    """A support mailbox of ``tenant`` reading its own new dovecot folder."""
    folder = f"support{next(_folders)}"
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


def deliver(dovecot, mailbox, *messages: EmailMessage) -> None:
    for message in messages:
        dovecot.append(mailbox.folder, message)


def poll(mailbox) -> inbound.PollResult:
    mailbox.refresh_from_db()
    return inbound.poll_mailbox(mailbox=mailbox)


def test_new_mail_opens_a_ticket_for_the_customer_once(dovecot, mailbox, tenant, make_customer):
    anna = make_customer(tenant, email="anna@example.test")
    deliver(dovecot, mailbox, mail(sender="ANNA@example.test"))

    result = poll(mailbox)

    assert (result.imported, result.duplicates, result.error) == (1, 0, "")
    ticket = Ticket.objects.get(pk=result.tickets[0])
    assert ticket.customer == anna
    assert ticket.source == TicketSource.EMAIL
    assert ticket.subject == "No internet since this morning"
    assert ticket.description == "The light on the router is red."
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 1 and mailbox.uidvalidity and mailbox.last_success_at
    # Polling again imports nothing; neither does forgetting the last UID
    # (a crash after the import but before the bookkeeping).
    assert poll(mailbox).imported == 0
    SupportMailbox.objects.filter(pk=mailbox.pk).update(last_uid=0)
    again = poll(mailbox)
    assert (again.imported, again.duplicates) == (0, 1)
    assert Ticket.objects.filter(tenant=tenant).count() == 1


def test_a_tenant_that_answers_in_person_sends_no_acknowledgement(
    dovecot, mailbox, tenant, make_customer, smtp_server
):
    from ispstack.tickets.configuration import save_settings

    make_customer(tenant, email="anna@example.test")
    save_settings(tenant=tenant, send_acknowledgements=False)
    deliver(dovecot, mailbox, mail())

    ticket = Ticket.objects.get(pk=poll(mailbox).tickets[0])
    outbox.drain()

    assert not TicketEmail.objects.filter(ticket=ticket, direction=MailDirection.OUTBOUND)
    assert smtp_server.messages == []


def test_reply_with_the_number_continues_the_ticket(dovecot, mailbox, tenant, make_customer):
    make_customer(tenant, email="anna@example.test")
    deliver(dovecot, mailbox, mail())
    ticket = Ticket.objects.get(pk=poll(mailbox).tickets[0])

    deliver(
        dovecot, mailbox, mail(subject=f"Re: [{ticket.number}] still red", text="Now blinking.")
    )
    result = poll(mailbox)

    assert result.tickets == [ticket.pk]
    reply = TicketMessage.objects.get(ticket=ticket)
    assert (reply.kind, reply.body, reply.author_email) == (
        MessageKind.REPLY,
        "Now blinking.",
        "anna@example.test",
    )
    assert Ticket.objects.filter(tenant=tenant).count() == 1


def test_a_stranger_cannot_write_into_a_ticket_by_its_number(
    dovecot, mailbox, tenant, make_customer
):
    make_customer(tenant, email="anna@example.test")
    deliver(dovecot, mailbox, mail())
    ticket = Ticket.objects.get(pk=poll(mailbox).tickets[0])

    deliver(dovecot, mailbox, mail(sender="mallory@evil.test", subject=f"[{ticket.number}] hi"))
    other = Ticket.objects.get(pk=poll(mailbox).tickets[0])

    assert other.pk != ticket.pk
    assert not TicketMessage.objects.filter(ticket=ticket).exists()
    assert other.customer is None and other.contact_email == "mallory@evil.test"


def test_unknown_sender_goes_to_the_unassigned_queue(dovecot, mailbox, tenant):
    deliver(
        dovecot, mailbox, mail(sender="someone@nowhere.test", subject="Do you serve my street?")
    )

    ticket = Ticket.objects.get(pk=poll(mailbox).tickets[0])

    assert ticket.customer is None
    assert ticket.team is None and ticket.assignee is None
    assert ticket.contact_email == "someone@nowhere.test"
    assert (
        TicketEmail.objects.get(ticket=ticket, direction=MailDirection.INBOUND).sender
        == "someone@nowhere.test"
    )


def test_html_mail_is_stored_sanitised(dovecot, mailbox, tenant):
    hostile = (
        "<p>My bill is wrong<script>fetch('/steal?c='+document.cookie)</script>"
        '<img src="bill.png" onerror="alert(1)"><a href="javascript:alert(2)">see</a></p>'
    )
    deliver(dovecot, mailbox, mail(text=None, html=hostile))

    ticket = Ticket.objects.get(pk=poll(mailbox).tickets[0])

    assert "My bill is wrong" in ticket.description
    for active in ("<script", "document.cookie", "onerror", "javascript:"):
        assert active not in ticket.description


def with_big_attachment(message: EmailMessage, name: str, content: bytes) -> bytes:
    """``message`` (multipart) with one more base64 attachment, built with
    the C base64 encoder: the email package takes seconds per 10 MB."""
    raw = message.as_bytes()  # serialising sets the boundary
    boundary = message.get_boundary()
    assert boundary, "the message must be multipart"
    head, _, _ = raw.rpartition(f"--{boundary}--".encode())
    part = (
        f"--{boundary}\r\nContent-Type: application/pdf\r\n"
        f'Content-Disposition: attachment; filename="{name}"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode()
    return head + part + base64.encodebytes(content) + f"--{boundary}--\r\n".encode()


def test_a_60_mb_attachment_is_refused_and_the_mail_imported(dovecot, mailbox, tenant):
    huge = b"%PDF-1.4\n" + bytes(60 * 1024 * 1024)
    small = mail(files=(("router.png", "image/png", PNG),))
    dovecot.append(mailbox.folder, with_big_attachment(small, "scan.pdf", huge))

    tracemalloc.start()
    try:
        result = poll(mailbox)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (result.imported, result.error) == (1, "")
    # The 80 MB mail (60 MB in base64) was never held in memory.
    assert peak < len(huge) // 4
    ticket = Ticket.objects.get(pk=result.tickets[0])
    assert ticket.description.startswith("The light on the router is red.")
    stored = Attachment.objects.filter(ticket=ticket).values_list("filename", flat=True)
    assert list(stored) == ["router.png"]
    # The ticket's text names the refused file and the limit.
    limit = settings_for(tenant).max_attachment_bytes
    assert "scan.pdf" in ticket.description and f"at most {limit} bytes" in ticket.description
    refused = TicketEmail.objects.get(ticket=ticket, direction=MailDirection.INBOUND).refused_files
    assert [r["filename"] for r in refused] == ["scan.pdf"]
    assert abs(refused[0]["size"] - len(huge)) < len(huge) // 50
    # Polling again, or from the start, does not import it twice.
    assert poll(mailbox).imported == 0
    SupportMailbox.objects.filter(pk=mailbox.pk).update(last_uid=0)
    assert (poll(mailbox).imported, Ticket.objects.filter(tenant=tenant).count()) == (0, 1)


def test_an_oversized_text_body_is_kept_in_part(dovecot, mailbox, tenant):
    settings_for(tenant).__class__.objects.filter(tenant=tenant).update(
        max_attachment_bytes=64 * 1024
    )
    words = "The router reboots every night. " * 20_000  # 640 KB of text
    dovecot.append(mailbox.folder, mail(text=words, files=(("router.png", "image/png", PNG),)))

    result = poll(mailbox)

    ticket = Ticket.objects.get(pk=result.tickets[0])
    assert ticket.description.startswith("The router reboots every night.")
    assert "cut: the mail's text had" in ticket.description
    assert list(Attachment.objects.filter(ticket=ticket).values_list("filename", flat=True)) == [
        "router.png"
    ]


def test_body_structure_with_literals_and_nested_parts_is_read() -> None:
    data = [
        (
            b'1 (UID 7 RFC822.SIZE 900 BODYSTRUCTURE ((("text" "plain" ("charset" "utf-8") '
            b'NIL NIL "7bit" 20 1 NIL NIL NIL NIL)("text" "html" ("charset" "utf-8") NIL NIL '
            b'"quoted-printable" 40 1 NIL NIL NIL NIL) "alternative" ("boundary" "b2") NIL NIL '
            b'NIL)("application" "pdf" ("name" {9}',
            b"scan .pdf",
        ),
        b') NIL NIL "base64" 7800 NIL '
        b'("attachment" ("filename" "=?utf-8?q?Rechnung_M=C3=A4rz.pdf?=")) '
        b'NIL NIL) "mixed" ("boundary" "b1") NIL NIL NIL))',
    ]
    items = bodystructure.parse_response(data)[1]
    tree = bodystructure.parse_structure(
        dict(zip(items[::2], items[1::2], strict=False))["BODYSTRUCTURE"]
    )
    assert (tree.subtype, tree.params["boundary"]) == ("mixed", "b1")
    leaves = list(tree.leaves())
    assert [leaf.section for leaf in leaves] == ["1.1", "1.2", "2"]
    assert leaves[2].filename == "Rechnung März.pdf"
    assert leaves[2].decoded_size == 5700


def _closed(ticket, staff, *, resolved_days_ago: int):
    for state in (TicketState.IN_PROGRESS, TicketState.RESOLVED, TicketState.CLOSED):
        services.change_state(ticket=ticket, state=state, actor=staff)
    resolved = clock.now() - dt.timedelta(days=resolved_days_ago)
    Ticket.objects.filter(pk=ticket.pk).update(resolved_at=resolved, closed_at=resolved)


def test_reply_to_a_closed_ticket_reopens_it_within_the_window(
    dovecot, mailbox, tenant, make_customer, make_staff
):
    make_customer(tenant, email="anna@example.test")
    deliver(dovecot, mailbox, mail())
    ticket = Ticket.objects.get(pk=poll(mailbox).tickets[0])
    _closed(ticket, make_staff(tenant), resolved_days_ago=settings_for(tenant).reopen_days - 1)

    deliver(dovecot, mailbox, mail(subject=f"Re: [{ticket.number}] broken again"))

    assert poll(mailbox).tickets == [ticket.pk]
    ticket.refresh_from_db()
    assert ticket.state == TicketState.IN_PROGRESS


def test_reply_to_a_closed_ticket_after_the_window_opens_a_follow_up(
    dovecot, mailbox, tenant, make_customer, make_staff
):
    anna = make_customer(tenant, email="anna@example.test")
    deliver(dovecot, mailbox, mail())
    ticket = Ticket.objects.get(pk=poll(mailbox).tickets[0])
    _closed(ticket, make_staff(tenant), resolved_days_ago=settings_for(tenant).reopen_days + 1)

    deliver(dovecot, mailbox, mail(subject=f"Re: [{ticket.number}] broken again"))
    follow_up = Ticket.objects.get(pk=poll(mailbox).tickets[0])

    assert follow_up.pk != ticket.pk
    assert follow_up.follow_up_of == ticket and follow_up.customer == anna
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CLOSED


def test_server_down_records_the_error_and_loses_nothing(dovecot, mailbox, tenant):
    deliver(dovecot, mailbox, mail())
    dovecot.stop()
    try:
        down = poll(mailbox)
        mailbox.refresh_from_db()
        assert down.imported == 0 and down.error
        assert mailbox.last_error == down.error and mailbox.consecutive_failures == 1
        assert not Ticket.objects.filter(tenant=tenant).exists()
    finally:
        dovecot.start()

    assert poll(mailbox).imported == 1
    assert poll(mailbox).imported == 0
    mailbox.refresh_from_db()
    assert mailbox.last_error == "" and mailbox.consecutive_failures == 0
    assert Ticket.objects.filter(tenant=tenant).count() == 1


def test_uidvalidity_change_rescans_without_duplicates(dovecot, mailbox, tenant):
    first, second = mail(subject="first"), mail(subject="second")
    deliver(dovecot, mailbox, first, second)
    assert poll(mailbox).imported == 2
    before = SupportMailbox.objects.get(pk=mailbox.pk).uidvalidity

    # The folder is rebuilt (a restore): same mails, new UIDVALIDITY, one more mail.
    dovecot.recreate(mailbox.folder)
    deliver(dovecot, mailbox, first, second, mail(subject="third"))
    result = poll(mailbox)

    assert (result.imported, result.duplicates) == (1, 2)
    assert SupportMailbox.objects.get(pk=mailbox.pk).uidvalidity != before
    assert sorted(Ticket.objects.filter(tenant=tenant).values_list("subject", flat=True)) == [
        "first",
        "second",
        "third",
    ]


def test_staff_reply_goes_out_threaded_and_the_answer_comes_back(
    dovecot, mailbox, tenant, make_customer, make_staff, smtp_server
):
    make_customer(tenant, email="anna@example.test")
    first = mail(message_id="<first@example.test>")
    deliver(dovecot, mailbox, first)
    ticket = Ticket.objects.get(pk=poll(mailbox).tickets[0])

    staff = make_staff(tenant)
    services.add_message(ticket=ticket, body="Please restart the router.", actor=staff)
    services.add_message(ticket=ticket, body="Line noisy?", kind=MessageKind.NOTE, actor=staff)
    outbox.drain()

    # The acknowledgement of the new ticket, then the staff reply.
    ack, sent = smtp_server.messages
    ack_out, out = TicketEmail.objects.filter(
        ticket=ticket, direction=MailDirection.OUTBOUND
    ).order_by("id")
    assert ack["Message-ID"] == ack_out.message_id
    assert ack["Auto-Submitted"] == "auto-replied"
    assert sent["Subject"] == f"[{ticket.number}] No internet since this morning"
    assert sent["To"] == "anna@example.test"
    assert "support@isp.test" in sent["From"]
    assert sent["Message-ID"] == out.message_id
    assert sent["In-Reply-To"] == "<first@example.test>"
    assert sent["References"].split() == ["<first@example.test>", ack_out.message_id]
    assert "Please restart the router." in sent.get_payload()
    # A person wrote it: it is not marked as automatic (RFC 3834 5).
    assert sent["Auto-Submitted"] is None

    # The customer's mail program answers with In-Reply-To and its own subject.
    deliver(dovecot, mailbox, mail(subject="Re: your mail", in_reply_to=out.message_id))
    assert poll(mailbox).tickets == [ticket.pk]


def test_periodic_job_polls_every_enabled_mailbox(dovecot, mailbox, tenant, settings):
    from ispstack.tickets.mail.tasks import poll_mailboxes_task

    assert any(
        entry["task"] == "ispstack.tickets.poll_mailboxes"
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
    )
    deliver(dovecot, mailbox, mail())
    outcome = poll_mailboxes_task.delay().get()
    assert outcome[str(mailbox.pk)] == {"imported": 1, "duplicates": 0, "error": ""}


# -- mailbox settings ------------------------------------------------------

GOOD = {
    "name": "Support",
    "host": "imap.example.net",
    "port": 993,
    "security": "ssl",
    "username": "support",
    "password": "secret",
    "folder": "INBOX",
    "support_address": "support@isp.test",
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"host": "imap://imap.example.net"}, "host"),
        ({"host": ""}, "host"),
        ({"port": 0}, "port"),
        ({"port": "993a"}, "port"),
        ({"port": 70000}, "port"),
        ({"port": 993.9}, "port"),
        ({"poll_enabled": "maybe"}, "poll_enabled"),
        ({"security": "tls13"}, "security"),
        ({"security": "none"}, "security"),  # clear text to a remote server
        ({"username": ""}, "username"),
        ({"password": ""}, "password"),
        ({"folder": "IN\x00BOX"}, "folder"),
        ({"support_address": "not-an-address"}, "support_address"),
        ({"name": ""}, "name"),
    ],
)
def test_mailbox_settings_are_checked_by_field(tenant, change, field):
    with pytest.raises(InvalidInput) as caught:
        create_mailbox(tenant=tenant, **{**GOOD, **change})
    assert caught.value.field == field
    assert not SupportMailbox.objects.filter(tenant=tenant).exists()


def test_a_posted_false_turns_polling_off(tenant):
    box = create_mailbox(tenant=tenant, **{**GOOD, "poll_enabled": "false"})
    assert SupportMailbox.objects.get(pk=box.pk).poll_enabled is False


def test_mailbox_password_is_encrypted_and_folders_unique(tenant):
    from django.db import connection

    box = create_mailbox(tenant=tenant, **GOOD)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT password FROM {SupportMailbox._meta.db_table} WHERE id = %s", [box.pk]
        )
        assert "secret" not in cursor.fetchone()[0]
    assert SupportMailbox.objects.get(pk=box.pk).password == "secret"
    with pytest.raises(Conflict) as caught:
        create_mailbox(tenant=tenant, **{**GOOD, "name": "Again"})
    assert caught.value.field == "folder"
    moved = update_mailbox(mailbox=box, folder="Support")
    assert (moved.folder, moved.last_uid, moved.uidvalidity) == ("Support", 0, None)


def test_admin_page_adds_a_mailbox_and_names_the_wrong_field(tenant, make_staff, client):
    from django.urls import reverse

    client.force_login(make_staff(tenant, "admin"))
    url = reverse("admin:tickets_supportmailbox_add")
    form = {
        **{k: v for k, v in GOOD.items() if k != "password"},
        "replace_password": "Imap-Pw-7731",
        "poll_enabled": "on",
    }

    refused = client.post(url, {**form, "security": "none"})
    assert refused.status_code == 200
    assert "security" in refused.context["adminform"].form.errors
    missing = client.post(url, {**form, "replace_password": ""})
    assert "replace_password" in missing.context["adminform"].form.errors
    assert not SupportMailbox.objects.filter(tenant=tenant).exists()

    assert client.post(url, form).status_code == 302
    box = SupportMailbox.objects.get(tenant=tenant)
    assert (box.host, box.password) == ("imap.example.net", "Imap-Pw-7731")
    page = client.get(reverse("admin:tickets_supportmailbox_change", args=[box.pk]))
    assert page.status_code == 200 and b"Imap-Pw-7731" not in page.content


def test_broken_mail_is_imported_and_a_failing_import_stops_without_loss(
    dovecot, mailbox, tenant, monkeypatch
):
    raw = (
        b"From: not an address\r\nSubject: " + b"x" * 500 + b"\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nnul\x00byte \xff\xfe here\r\n"
    )
    dovecot.append(mailbox.folder, raw)
    ticket = Ticket.objects.get(pk=poll(mailbox).tickets[0])
    assert "\x00" not in ticket.description
    assert ticket.description.startswith("nul") and ticket.description.endswith("here")
    assert len(ticket.subject) == 200 and ticket.contact_email == ""

    def fail(**kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(services, "open_ticket", fail)
    deliver(dovecot, mailbox, mail(subject="second"))
    failed = poll(mailbox)
    mailbox.refresh_from_db()
    assert failed.imported == 0 and failed.error.startswith("UID 2: RuntimeError")
    assert mailbox.last_uid == 1 and mailbox.last_error == failed.error

    monkeypatch.undo()
    assert poll(mailbox).imported == 1
    assert Ticket.objects.filter(tenant=tenant, subject="second").count() == 1


def test_metrics_show_how_long_ago_the_mailbox_was_read(dovecot, mailbox, tenant, client):
    from tests.test_ops_health_metrics import scrape

    key = ("ispstack_last_run_age_seconds", (("job", "mail_poll"), ("tenant", tenant.slug)))
    assert key not in scrape(client)
    poll(mailbox)
    assert 0 <= scrape(client)[key] < 60


def test_one_failing_mailbox_does_not_stop_the_others(dovecot, mailbox, tenant, monkeypatch):
    other = create_mailbox(
        tenant=tenant,
        name="Billing",
        host="127.0.0.1",
        port=dovecot.port,
        security="none",
        username=dovecot.user,
        password=dovecot.password,
        folder=f"billing{next(_folders)}",
        support_address="billing@isp.test",
    )
    dovecot.recreate(other.folder)
    deliver(dovecot, mailbox, mail())
    real = imap.uidvalidity

    def broken(box, folder):
        if folder == other.folder:
            raise KeyError("UIDVALIDITY")  # a server answering outside RFC 3501
        return real(box, folder)

    monkeypatch.setattr(imap, "uidvalidity", broken)
    results = inbound.poll_all()

    assert results[mailbox.pk].imported == 1
    assert results[other.pk].error == "KeyError: 'UIDVALIDITY'"
    other.refresh_from_db()
    assert other.last_error == "KeyError: 'UIDVALIDITY'" and other.consecutive_failures == 1


@pytest.mark.django_db(transaction=True)
def test_two_polls_at_once_import_each_mail_once(dovecot, make_tenant):
    import threading

    from django.db import connections

    tenant = make_tenant()
    folder = f"race{next(_folders)}"
    dovecot.recreate(folder)
    box = create_mailbox(
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
    for n in range(6):
        dovecot.append(folder, mail(subject=f"race {n}"))
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            inbound.poll_mailbox(mailbox=SupportMailbox.objects.get(pk=box.pk))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert Ticket.objects.filter(tenant=tenant).count() == 6
    assert TicketEmail.objects.filter(tenant=tenant, direction=MailDirection.INBOUND).count() == 6
    assert SupportMailbox.objects.get(pk=box.pk).last_uid == 6
