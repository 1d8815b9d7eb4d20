"""The ispstack command: billing, collections, radius and the demo."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ispstack.billing.models import Invoice
from ispstack.core import clock
from ispstack.radius.models import RadCheck

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_billing_and_collections_commands(tenant, make_subscription):
    make_subscription(tenant, start_date=dt.date(2026, 1, 1))
    out = _run("billing", "run", "--as-of", "2026-01-01", "--tenant", tenant.slug)
    assert f"{tenant.slug}: billing 2026-01-01: 1 invoices (35.70 EUR), 0 failures" in out
    assert Invoice.objects.filter(tenant=tenant).count() == 1
    out = _run("collections", "run", "--as-of", "2026-01-26", "--tenant", tenant.slug)
    assert "1 reminders, 1 suspended, 0 reconnected" in out


def test_bad_options_name_the_option(tenant):
    with pytest.raises(CommandError, match="--as-of"):
        _run("billing", "run", "--as-of", "yesterday")
    with pytest.raises(CommandError, match="--tenant"):
        _run("billing", "run", "--tenant", "no-such-isp")


def test_radius_sync_rebuilds_rows_and_removes_orphans(tenant, make_subscription):
    sub = make_subscription(tenant)
    RadCheck.objects.filter(username=sub.username).delete()
    RadCheck.objects.create(
        tenant=tenant,
        username="ghost@isp.example",
        attribute="Cleartext-Password",
        op=":=",
        value="x",
    )
    out = _run("radius", "sync", "--tenant", tenant.slug)
    assert "1 subscriptions synced, 1 orphan rows removed" in out
    assert RadCheck.objects.filter(username=sub.username).count() == 1
    assert not RadCheck.objects.filter(username="ghost@isp.example").exists()


def test_demo_simulates_and_summarises():
    out = _run("demo", "--subscribers", "6", "--months", "2", "--end", "2026-06-30")
    assert "Summary 2026-04-01 .. 2026-06-30" in out
    assert "subscribers     6" in out
    for label in (
        "invoices",
        "revenue",
        "paid",
        "overdue",
        "suspensions",
        "reconnected",
        "invoice PDFs",
        "console login",
        "portal login",
    ):
        assert label in out
    from ispstack.core.models import Tenant

    demo = Tenant.objects.get(slug="demo")
    assert Invoice.objects.filter(tenant=demo).count() >= 12
    assert "revenue         R\u00a0" in out  # money with its symbol, not "13774.70 ZAR"
    assert "clock           events up to 2026-06-30 18:00 (Africa/Johannesburg)" in out
    _every_screen_has_data(demo)
    from ispstack.tickets.models import Outage, Ticket

    assert "outages         2; the active one hits" in out
    assert set(Outage.objects.filter(tenant=demo).values_list("state", flat=True)) == {
        "resolved",
        "active",
    }
    assert Ticket.objects.filter(tenant=demo, outage__state="active").exists()
    _timestamps_follow_the_simulated_clock(
        demo,
        start=clock.start_of_day(demo, dt.date(2026, 4, 1)),
        now=clock.start_of_day(demo, dt.date(2026, 6, 30)) + dt.timedelta(hours=18),
    )
    # After the clock check: signing in writes an audit row at the wall clock's time.
    _the_printed_portal_login_signs_in(out)
    _run("demo", "--subscribers", "2", "--months", "1", "--end", "2026-06-30")  # re-runnable
    assert Tenant.objects.filter(slug="demo").count() == 1


def _the_printed_portal_login_signs_in(out: str) -> None:
    import re

    from django.test import Client

    email, password = re.search(r"portal login +'([^']+)' .* password '([^']+)'", out).groups()
    browser = Client()
    answer = browser.post("/my/demo/login/", {"login": email, "password": password})
    assert answer.status_code == 302
    assert browser.get("/my/demo/").status_code == 200


def _every_screen_has_data(demo) -> None:
    """The console's dashboard, 360 view and NOC screens find rows to show."""
    from ispstack.collections.models import DunningCampaign, DunningExecution, Reminder
    from ispstack.network.models import Nas
    from ispstack.payments.models import Payment
    from ispstack.radius.models import CoaRequest, RadAcct, RadPostAuth
    from ispstack.subscriptions.models import Subscription

    usernames = Subscription.objects.filter(tenant=demo).values("username")
    assert Nas.objects.filter(tenant=demo).count() == 1
    assert DunningCampaign.objects.filter(tenant=demo, is_active=True).exists()
    assert Payment.objects.filter(tenant=demo).count() >= 3
    assert Reminder.objects.filter(tenant=demo).exists()
    assert DunningExecution.objects.filter(tenant=demo).exists()
    assert Subscription.objects.filter(tenant=demo, status="suspended").exists()
    online = RadAcct.objects.filter(username__in=usernames, acctstoptime__isnull=True)
    assert online.exists()
    assert RadAcct.objects.filter(username__in=usernames, acctstoptime__isnull=False).exists()
    assert RadPostAuth.objects.filter(username__in=usernames, reply="Access-Accept").exists()
    assert CoaRequest.objects.filter(tenant=demo, status="ack").exists()
    from ispstack.provisioning.models import Lead, OrderStep, ServiceOrder

    assert set(Lead.objects.filter(tenant=demo).values_list("status", flat=True)) >= {
        "new",
        "contacted",
        "survey_scheduled",
        "qualified",
        "converted",
        "lost",
    }
    assert set(ServiceOrder.objects.filter(tenant=demo).values_list("status", flat=True)) == {
        "open",
        "completed",
        "cancelled",
    }
    assert OrderStep.objects.filter(tenant=demo, status="blocked", name="allocate").exists()
    retried = OrderStep.objects.get(tenant=demo, name="cpe", attempts=2)
    assert retried.status == "done"


# Instants that lie ahead on purpose: when to retry, when something expires,
# when an outage is expected to end.
AHEAD = {
    "next_attempt_at",
    "expires",
    "promise_to_pay_until",
    "scheduled_at",
    "appointment_at",
    "expected_end_at",
}


def _timestamps_follow_the_simulated_clock(demo, *, start, now) -> None:
    """Every instant a row of the demo carries lies between the simulation's
    first morning and its "now", and they spread over the simulated months."""
    from django.apps import apps
    from django.db import models
    from django.db.models import Max, Min

    from ispstack.core.models import AuditLog
    from ispstack.radius.models import RadAcct, RadPostAuth
    from ispstack.subscriptions.models import Subscription

    usernames = Subscription.objects.filter(tenant=demo).values("username")
    checked = 0
    for model in apps.get_models():
        if not model.__module__.startswith("ispstack."):
            continue
        names = {f.name for f in model._meta.get_fields()}
        if model._meta.label == "core.Tenant":
            rows = model.objects.filter(pk=demo.pk)
        elif "tenant" in names:
            rows = model.objects.filter(tenant=demo)
        elif model in (RadAcct, RadPostAuth):
            rows = model.objects.filter(username__in=usernames)
        else:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.DateTimeField) or field.name in AHEAD:
                continue
            span = rows.aggregate(first=Min(field.name), last=Max(field.name))
            if span["first"] is None:
                continue
            checked += 1
            label = f"{model._meta.label}.{field.name}"
            assert span["first"] >= start, (label, span["first"])
            assert span["last"] <= now, (label, span["last"])
    assert checked > 20
    months = {
        (moment.year, moment.month)
        for moment in AuditLog.objects.filter(tenant=demo).values_list("created_at", flat=True)
    }
    assert len(months) >= 3  # April, May, June


@pytest.mark.django_db(transaction=True)
def test_the_demo_mails_its_invoices_once_each_from_a_second_process(settings):
    """Outside a transaction the demo hands the invoice mail to a worker
    process (``cli.demo_mail``): each invoice is mailed once, with its PDF
    stored, at the simulated instant its job fell due, and nothing it writes
    lies outside the simulated months."""
    from ispstack.core.models import Job, Tenant
    from ispstack.core.roles import ensure_roles
    from ispstack.notifications.models import EmailLog

    settings.CELERY_BROKER_URL = ""
    ensure_roles()  # an earlier transactional test may have flushed the groups
    _run("demo", "--subscribers", "4", "--months", "2", "--end", "2026-06-30")
    demo = Tenant.objects.get(slug="demo")
    invoices = list(Invoice.objects.filter(tenant=demo))
    assert len(invoices) >= 8
    mails = {
        log.reference: log
        for log in EmailLog.objects.filter(tenant=demo, reference__startswith="invoice:")
    }
    assert EmailLog.objects.filter(tenant=demo, reference__startswith="invoice:").count() == len(
        invoices
    )
    for invoice in invoices:
        assert invoice.sent_at is not None, invoice.number
        assert invoice.pdf and (settings.MEDIA_ROOT / invoice.pdf.name).exists(), invoice.number
        sent = clock.local_date(demo, mails[f"invoice:{invoice.pk}"].created_at)
        assert sent == invoice.issue_date, invoice.number
    assert not Job.objects.filter(tenant=demo, kind="billing.send_invoices").exclude(
        status=Job.Status.DONE
    )
    _timestamps_follow_the_simulated_clock(
        demo,
        start=clock.start_of_day(demo, dt.date(2026, 4, 1)),
        now=clock.start_of_day(demo, dt.date(2026, 6, 30)) + dt.timedelta(hours=18),
    )
