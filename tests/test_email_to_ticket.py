"""Email to ticket against a real IMAP server (dovecot, tests/dovecot_peer.py)
and a real SMTP server (aiosmtpd): new mail, replies, unknown senders,
hostile HTML, oversized attachments, closed tickets, a server that is down,
polls run again and a UIDVALIDITY change."""

from __future__ import annotations

import itertools
from email.message import EmailMessage

import pytest

from ispstack.tickets.mail import imap, parsing

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
