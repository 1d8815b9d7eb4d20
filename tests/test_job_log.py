"""The job log: each periodic task's run is a row with its duration, arguments
and counts, a failing run keeps its error and still raises, tenant staff see
their tenant's runs only (console list, dashboard, API), old runs are pruned."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.test import Client

from ispstack.billing.tasks import run_billing_task
from ispstack.core import clock, job_log
from ispstack.core.models import JobExecution
from ispstack.core.tasks import run_due_jobs_task
from ispstack.radius.tasks import retention_task

pytestmark = pytest.mark.django_db


def test_a_periodic_task_run_records_its_counts_and_duration():
    assert run_due_jobs_task() == 0
    run = JobExecution.objects.get()
    assert (run.job, run.tenant, run.status, run.error) == (
        "ispstack.core.run_due_jobs",
        None,
        "done",
        "",
    )
    assert run.counts == {"count": 0}
    assert run.duration_ms is not None and run.duration_ms >= 0
    assert run.finished_at >= run.started_at


def test_a_billing_run_is_logged_for_the_platform_and_for_each_tenant(
    make_tenant, make_subscription
):
    ours, theirs = make_tenant(), make_tenant()
    make_subscription(ours, start_date=dt.date(2026, 1, 1))
    make_subscription(ours, start_date=dt.date(2026, 1, 1))
    make_subscription(theirs, start_date=dt.date(2026, 1, 1))

    run_billing_task(as_of="2026-01-01")

    platform = JobExecution.objects.get(tenant=None)
    assert platform.job == "ispstack.billing.run_billing"
    assert platform.arguments == {"as_of": "2026-01-01"}
    assert platform.counts == {ours.slug: 2, theirs.slug: 1}
    mine = JobExecution.objects.get(tenant=ours)
    assert (mine.status, mine.counts, mine.arguments) == (
        "done",
        {"invoices": 2},
        {"as_of": "2026-01-01"},
    )
    assert JobExecution.objects.get(tenant=theirs).counts == {"invoices": 1}


def test_a_failing_task_records_the_error_without_secrets_and_still_raises(monkeypatch):
    def broken(limit: int = 500) -> int:
        raise ConnectionError("redis://worker:hunter2@cache:6379 refused, password=hunter2")

    monkeypatch.setattr("ispstack.core.outbox.run_due_jobs", broken)
    with pytest.raises(ConnectionError, match="refused"):
        run_due_jobs_task()
    run = JobExecution.objects.get()
    assert run.status == "failed"
    assert run.error == "ConnectionError: redis://***@cache:6379 refused, password=***"
    assert "hunter2" not in run.error
    assert run.finished_at is not None and run.counts == {}


def test_the_retention_job_prunes_runs_older_than_the_retention(settings):
    settings.JOB_LOG_RETENTION_DAYS = 90
    now = clock.now()
    for days in (91, 89):
        with job_log.job_run("ispstack.test.old"):
            pass
        JobExecution.objects.filter(
            job="ispstack.test.old", started_at__gt=now - dt.timedelta(1)
        ).update(started_at=now - dt.timedelta(days=days), job=f"ispstack.test.{days}")

    assert retention_task()["job_log"] == 1
    assert set(JobExecution.objects.values_list("job", flat=True)) == {
        "ispstack.test.89",
        "ispstack.radius.retention",
    }


def _failed_run(tenant, job, error="RuntimeError: boom", age=dt.timedelta(hours=1)):
    run = JobExecution.objects.create(
        tenant=tenant,
        job=job,
        status=JobExecution.Status.FAILED,
        started_at=clock.now() - age,
        error=error,
    )
    return run


def test_tenant_staff_see_their_tenants_runs_only(make_tenant, make_staff, api_client_for):
    mine, other = make_tenant(), make_tenant()
    own = _failed_run(mine, "ispstack.billing.run_billing", "RuntimeError: our billing broke")
    foreign = _failed_run(other, "ispstack.billing.run_billing", "RuntimeError: their secret")
    platform = _failed_run(None, "ispstack.core.run_due_jobs", "RuntimeError: platform")
    _failed_run(mine, "ispstack.usage.enforce_caps", "RuntimeError: old", dt.timedelta(days=2))

    api = api_client_for(mine, "noc")
    body = api.get("/api/v1/job-executions/?status=failed").json()
    assert {row["id"] for row in body["results"]} == {own.pk} | {
        r.pk for r in JobExecution.objects.filter(tenant=mine, job__endswith="enforce_caps")
    }
    assert api.get(f"/api/v1/job-executions/{foreign.pk}/").status_code == 404
    assert api.get(f"/api/v1/job-executions/{platform.pk}/").status_code == 404
    assert api.get("/api/v1/job-executions/?started_from=yesterday").status_code == 400
    assert api_client_for(mine, "support").get("/api/v1/job-executions/").status_code == 403

    client = Client()
    client.force_login(make_staff(mine, "noc"))
    page = client.get("/staff/job-runs/?status=failed&period=24h").content.decode()
    assert "our billing broke" in page
    assert "their secret" not in page and "RuntimeError: platform" not in page
    assert "RuntimeError: old" not in page
    home = client.get("/staff/").content.decode()
    assert 'data-card="job_runs"' in home and "our billing broke" in home
    assert "their secret" not in home

    operator = Client()
    operator.force_login(make_staff(None, role="", is_superuser=True))
    everything = operator.get("/staff/job-runs/").content.decode()
    assert "RuntimeError: platform" in everything and "their secret" in everything


def test_a_run_from_cron_through_the_command_is_logged_like_the_beat_task():
    call_command("radius", "close-stale", stdout=io.StringIO())
    run = JobExecution.objects.get()
    assert (run.job, run.status, run.counts) == (
        "ispstack.radius.close_stale_sessions",
        "done",
        {"count": 0},
    )
