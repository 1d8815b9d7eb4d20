"""Invoice and reminder emails reach a real SMTP server (aiosmtpd), the
invoice with its PDF attached, rendered by WeasyPrint."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.collections.services import run_collections
from ispstack.core import outbox
from ispstack.core.models import Job
from ispstack.notifications.models import EmailLog

pytestmark = pytest.mark.django_db


def test_issued_invoice_is_emailed_with_its_pdf(
    tenant, make_subscription, smtp_server, django_capture_on_commit_callbacks, tmp_path
):
    sub = make_subscription(tenant, start_date=dt.date(2026, 1, 15))
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 15))
    assert smtp_server.messages == []  # emails leave through the outbox, after the run
    assert outbox.drain() == 1
    invoice = Invoice.objects.get(customer=sub.customer)
    [message] = smtp_server.messages
    assert message["To"] == sub.customer.email
    assert message["Subject"] == f"Invoice {invoice.number} from {tenant.name}"
    [attachment] = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert attachment.get_filename() == f"{invoice.number}.pdf"
    pdf = attachment.get_payload(decode=True)
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert invoice.number in text
    assert sub.customer.account_number in text
    flat = " ".join(text.split())
    assert "Total 19.58 EUR" in flat and "(prorated 17/31 days)" in flat
    assert Invoice.objects.get(pk=invoice.pk).pdf.name.endswith(f"{invoice.number}.pdf")
    assert EmailLog.objects.get(reference=f"invoice:{invoice.pk}").status == "sent"


def test_reminder_email_names_the_invoice_the_open_amount_and_the_suspension_day(
    tenant, make_customer, make_subscription, smtp_server, django_capture_on_commit_callbacks
):
    customer = make_customer(tenant, name="O'Brien & Sons <Ltd>")
    sub = make_subscription(tenant, customer=customer, start_date=dt.date(2026, 1, 1))
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        run_collections(tenant=tenant, as_of=dt.date(2026, 1, 21))
    [message] = smtp_server.messages
    invoice = Invoice.objects.get(customer=sub.customer)
    assert message["Subject"] == f"Payment reminder: invoice {invoice.number}"
    body = message.get_payload()
    # A plain-text template: the name as written, not HTML-escaped.
    assert body.startswith("Dear O'Brien & Sons <Ltd>,")
    assert "35.70 EUR is still open (6 days past due)" in body
    # The default campaign suspends 5 days after the reminder.
    assert "Unless it is paid, service is suspended on 2026-01-26." in body


def _message_bodies_built_in_code() -> list[str]:
    """Calls of send_email / send_sms whose body or text is an f-string, a
    concatenation or a %-format in code, rather than a rendered template."""
    import ast
    from pathlib import Path

    found = []
    for path in sorted((Path(__file__).parent.parent / "src" / "ispstack").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            if name not in ("send_email", "send_sms"):
                continue
            for keyword in node.keywords:
                if keyword.arg in ("body", "text") and isinstance(
                    keyword.value, (ast.JoinedStr, ast.BinOp, ast.Constant)
                ):
                    found.append(f"{path.name}:{node.lineno} {keyword.arg}")
    return found


def test_message_bodies_are_translatable_templates():
    assert _message_bodies_built_in_code() == []


def test_a_failed_email_is_retried_and_never_blocks_the_run(
    tenant, make_subscription, settings, django_capture_on_commit_callbacks
):
    from tests.peers import free_ports

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_ports(1)[0]
    settings.EMAIL_TIMEOUT = 2
    make_subscription(tenant, start_date=dt.date(2026, 1, 1))
    run = run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    assert outbox.drain() == 0
    assert run.invoices_created == 1
    job = Job.objects.get(kind="billing.send_invoices")
    assert (job.status, job.attempts) == ("pending", 1)
    assert "ConnectionRefused" in job.last_error
    assert EmailLog.objects.get().status == "failed"
