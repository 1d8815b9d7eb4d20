"""The hourly billing beat leaves no empty run rows, and an HTTP request
never performs the outbox's queued work itself."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core import mail

from ispstack.billing.models import BillingRun, Invoice
from ispstack.billing.tasks import run_billing_task
from ispstack.core.models import Job

pytestmark = pytest.mark.django_db
D = dt.date
SRC = Path(__file__).resolve().parents[1] / "src" / "ispstack"


def test_the_hourly_billing_beat_creates_a_run_only_when_something_is_due(
    make_tenant, make_subscription
):
    busy, idle = make_tenant(), make_tenant()
    make_subscription(busy, start_date=D(2026, 1, 1))
    first = run_billing_task(as_of="2026-01-01")
    assert (first[busy.slug], first[idle.slug]) == (1, 0)
    for _ in range(3):  # the next hours of the same day
        again = run_billing_task(as_of="2026-01-01")
        assert (again[busy.slug], again[idle.slug]) == (0, 0)
    assert BillingRun.objects.filter(tenant=busy).count() == 1
    assert not BillingRun.objects.filter(tenant=idle).exists()
    assert Invoice.objects.filter(tenant=busy).count() == 1


def test_a_billing_run_through_the_api_leaves_its_emails_to_the_outbox(
    tenant, make_subscription, api_client_for, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_subscription(tenant, start_date=D(2026, 1, 1))
    response = api_client_for(tenant).post(
        "/api/v1/billing-runs/", {"as_of": "2026-01-01"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["invoices_created"] == 1
    job = Job.objects.get(tenant=tenant, kind="billing.send_invoices")
    assert (job.status, job.attempts) == ("pending", 0)
    assert mail.outbox == []


def test_no_admin_or_api_module_drains_the_outbox():
    """Admin actions and API views answer a request; draining would send every
    queued email and CoA of every tenant inside it."""
    modules = [*SRC.glob("*/admin.py"), *SRC.glob("*/api/*.py"), *SRC.glob("core/api/*.py")]
    assert modules
    offenders = [str(p.relative_to(SRC)) for p in modules if "drain(" in p.read_text()]
    assert offenders == []
