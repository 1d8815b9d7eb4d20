"""Billing and collections runs started from the console (and the admin's
"Run now") are queued as background jobs: the request returns at once, the
run's page follows its progress, and a second start while one runs is refused."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.test import Client

from ispstack.billing import runner
from ispstack.billing.models import BillingRun, Invoice
from ispstack.collections.models import CollectionRun
from ispstack.core import clock, outbox
from ispstack.core.models import Job

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk_client(tenant, make_staff, client: Client) -> Client:
    client.force_login(make_staff(tenant, "billing"))
    return client


def _due_subscriptions(tenant, make_subscription, n=3):
    today = clock.today(tenant)
    for _ in range(n):
        make_subscription(tenant, start_date=today, billing_day=min(today.day, 28))
    return today


def _start(client: Client, kind: str, as_of) -> object:
    return client.post(f"/staff/runs/{kind}/start/", {f"{kind}-as_of": str(as_of)})


def test_a_billing_run_from_the_console_is_queued_and_its_page_follows_it(
    tenant, make_subscription, clerk_client
):
    today = _due_subscriptions(tenant, make_subscription)
    clerk_client.get("/staff/runs/")  # load the templates and the session first
    started = time.monotonic()
    answer = _start(clerk_client, "billing", today)
    assert time.monotonic() - started < 1.0
    run = BillingRun.objects.get(tenant=tenant)
    assert answer.status_code == 303
    assert answer.url == f"/staff/runs/billing/{run.pk}/"
    # Queued, nothing billed yet: the work is the job's.
    assert run.status == BillingRun.Status.QUEUED
    job = Job.objects.get(kind="billing.run")
    assert (job.status, job.payload) == (Job.Status.PENDING, {"run_id": run.pk})
    assert not Invoice.objects.filter(tenant=tenant).exists()
    page = clerk_client.get(answer.url).content.decode()
    assert 'hx-trigger="every 1s"' in page and 'data-state="queued"' in page

    assert outbox.run_job(job.pk)  # the worker (thread or Celery) runs it

    fragment = clerk_client.get(f"/staff/runs/billing/{run.pk}/progress/").content.decode()
    assert 'data-state="done"' in fragment
    assert "hx-trigger" not in fragment  # polling stops
    assert "3 of 3" in fragment
    assert '<dd data-outcome="invoices">3</dd>' in fragment
    assert f"/staff/invoices/?billing_run={run.pk}" in fragment
    run.refresh_from_db()
    assert (run.status, run.invoices_created, run.subscriptions_done) == ("done", 3, 3)
    assert run.started_by is not None
    assert Invoice.objects.filter(tenant=tenant, billing_run=run).count() == 3


def test_a_second_start_while_a_run_is_queued_is_refused(tenant, make_subscription, clerk_client):
    today = _due_subscriptions(tenant, make_subscription, 1)
    assert _start(clerk_client, "billing", today).status_code == 303
    again = _start(clerk_client, "billing", today)
    assert again.status_code == 400
    assert "already queued" in again.content.decode()
    assert BillingRun.objects.filter(tenant=tenant).count() == 1
    assert Job.objects.filter(kind="billing.run").count() == 1


def test_a_run_that_stopped_moving_long_ago_no_longer_blocks_a_start(
    tenant, make_subscription, clerk_client
):
    today = _due_subscriptions(tenant, make_subscription, 1)
    dead = BillingRun.objects.create(tenant=tenant, as_of=today, status="running")
    BillingRun.objects.filter(pk=dead.pk).update(updated_at=clock.now() - dt.timedelta(hours=2))
    assert _start(clerk_client, "billing", today).status_code == 303


@pytest.mark.parametrize(
    ("as_of", "says"),
    [
        ("2030-01-01", "at most 366 days after today"),
        ("yesterday", "Enter a valid date"),
        ("99999-01-01", "Enter a valid date"),
        ("", "This field is required"),
    ],
)
def test_a_bad_date_is_shown_on_the_field_and_starts_nothing(tenant, clerk_client, as_of, says):
    answer = clerk_client.post("/staff/runs/billing/start/", {"billing-as_of": as_of})
    assert answer.status_code == 400
    page = answer.content.decode()
    assert says in page
    assert 'class="field-error"' in page
    assert not BillingRun.objects.exists() and not Job.objects.exists()


def test_a_run_that_raises_shows_failed_with_its_error(
    tenant, make_subscription, clerk_client, monkeypatch
):
    today = _due_subscriptions(tenant, make_subscription, 1)
    _start(clerk_client, "billing", today)
    run = BillingRun.objects.get()

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr("ispstack.billing.jobs.run_billing", broken)
    assert not outbox.run_job(Job.objects.get(kind="billing.run").pk)
    fragment = clerk_client.get(f"/staff/runs/billing/{run.pk}/progress/").content.decode()
    assert 'data-state="failed"' in fragment
    assert "the database went away" in fragment
    assert Job.objects.get(kind="billing.run").status == Job.Status.FAILED
    # A failed run does not block the next start.
    assert _start(clerk_client, "billing", today).status_code == 303


def test_a_collections_run_from_the_console(tenant, clerk_client):
    today = clock.today(tenant)
    answer = _start(clerk_client, "collections", today)
    run = CollectionRun.objects.get(tenant=tenant)
    assert answer.status_code == 303 and run.status == "queued"
    assert _start(clerk_client, "collections", today).status_code == 400
    assert outbox.run_job(Job.objects.get(kind="collections.run").pk)
    fragment = clerk_client.get(f"/staff/runs/collections/{run.pk}/progress/").content.decode()
    assert 'data-state="done"' in fragment and "1 of 1" in fragment
    run.refresh_from_db()
    assert run.finished_at is not None


def test_the_runs_page_lists_runs_and_offers_the_forms_by_role(
    tenant, make_staff, client: Client, django_assert_max_num_queries
):
    BillingRun.objects.create(
        tenant=tenant,
        as_of=dt.date(2026, 1, 1),
        status="done",
        invoices_created=13,
        totals={"EUR": "390.00"},
    )
    CollectionRun.objects.create(tenant=tenant, as_of=dt.date(2026, 1, 2), suspended=4)
    client.force_login(make_staff(tenant, "billing"))
    client.get("/staff/runs/")
    with django_assert_max_num_queries(12):
        page = client.get("/staff/runs/").content.decode()
    assert "Run billing now" in page and "Run collections now" in page
    assert 'value="' + str(clock.today(tenant)) + '"' in page
    assert "2026-01-01" in page and "2026-01-02" in page

    client.force_login(make_staff(tenant, "support"))
    page = client.get("/staff/runs/").content.decode()
    assert "2026-01-01" in page and "Run billing now" not in page
    assert _start(client, "billing", "2026-01-01").status_code == 403

    client.force_login(make_staff(tenant, "noc"))
    assert client.get("/staff/runs/").status_code == 403
    assert client.get("/staff/runs/billing/1/").status_code == 403


def test_another_tenants_run_is_not_found(tenant, make_tenant, make_staff, client: Client):
    theirs = BillingRun.objects.create(tenant=make_tenant(), as_of=dt.date(2026, 1, 1))
    client.force_login(make_staff(tenant, "admin"))
    assert client.get(f"/staff/runs/billing/{theirs.pk}/").status_code == 404
    assert client.get(f"/staff/runs/billing/{theirs.pk}/progress/").status_code == 404
    assert client.get("/staff/runs/evil/1/").status_code == 404
    assert client.get("/staff/runs/billing/99999999999/").status_code == 404
    assert "2026-01-01" not in client.get("/staff/runs/").content.decode()


def test_the_platform_operator_reads_runs_but_starts_none(tenant, make_staff, client: Client):
    BillingRun.objects.create(tenant=tenant, as_of=dt.date(2026, 1, 1))
    client.force_login(make_staff(None, "", is_superuser=True))
    page = client.get("/staff/runs/")
    assert page.status_code == 200 and "Run billing now" not in page.content.decode()
    assert _start(client, "billing", "2026-01-01").status_code == 404


def test_the_admins_run_now_queues_and_sends_to_the_progress_page(
    tenant, make_subscription, make_staff, client: Client
):
    today = _due_subscriptions(tenant, make_subscription, 2)
    client.force_login(make_staff(tenant, "admin"))
    answer = client.post("/admin/billing/billingrun/run/", {"as_of": str(today)})
    run = BillingRun.objects.get()
    assert answer.status_code == 302
    assert answer.url == f"/staff/runs/billing/{run.pk}/"
    assert run.status == "queued" and not Invoice.objects.exists()
    answer = client.post("/admin/collections/collectionrun/run/", {"as_of": str(today)})
    assert answer.url == f"/staff/runs/collections/{CollectionRun.objects.get().pk}/"


def test_the_periodic_run_still_bills_in_one_call(tenant, make_subscription):
    today = _due_subscriptions(tenant, make_subscription, 2)
    run = runner.run_billing(tenant=tenant, as_of=today)
    assert (run.status, run.invoices_created, run.subscriptions_done) == ("done", 2, 2)


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_run_goes_on_in_a_thread_after_the_request_returned(
    make_tenant, make_subscription, make_staff, monkeypatch, settings
):
    import threading

    from ispstack.billing import jobs

    settings.CELERY_BROKER_URL = ""
    tenant = make_tenant()
    today = _due_subscriptions(tenant, make_subscription, 2)
    release = threading.Event()
    real = jobs.run_billing

    def held(**kwargs):
        assert release.wait(30), "the test never released the run"
        return real(**kwargs)

    monkeypatch.setattr(jobs, "run_billing", held)
    client = Client()
    client.force_login(make_staff(tenant, "billing"))
    answer = _start(client, "billing", today)
    # The request answered while the run is still held in its thread.
    assert answer.status_code == 303
    run = BillingRun.objects.get()
    assert run.status == "queued"
    release.set()
    job = Job.objects.get(kind="billing.run")
    deadline = time.monotonic() + 30
    # The run finishes first, then its job is marked done: wait for both.
    while (run.status, job.status) != ("done", Job.Status.DONE) and time.monotonic() < deadline:
        time.sleep(0.1)
        run.refresh_from_db()
        job.refresh_from_db()
    assert (run.status, run.invoices_created) == ("done", 2)
    assert job.status == Job.Status.DONE


def test_with_a_broker_the_run_is_a_celery_task(
    tenant,
    make_subscription,
    clerk_client,
    settings,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    from ispstack.core import tasks

    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    sent = []
    monkeypatch.setattr(tasks.run_job_task, "delay", lambda job_id: sent.append(job_id))
    today = _due_subscriptions(tenant, make_subscription, 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert _start(clerk_client, "billing", today).status_code == 303
    assert sent == [Job.objects.get(kind="billing.run").pk]
    assert BillingRun.objects.get().status == "queued"
