"""core: gap-free numbering, the audit log, the outbox with retries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from ispstack.core import outbox
from ispstack.core.models import AuditLog, Job
from ispstack.core.numbering import next_number

pytestmark = pytest.mark.django_db


def test_numbers_are_sequential_per_tenant_and_year(make_tenant):
    a, b = make_tenant(), make_tenant()
    with transaction.atomic():
        got = [next_number(a, "invoice", 2026, "INV-{year}-{seq:05d}") for _ in range(3)]
        got.append(next_number(b, "invoice", 2026, "INV-{year}-{seq:05d}"))
        got.append(next_number(a, "invoice", 2027, "INV-{year}-{seq:05d}"))
    assert got == [
        "INV-2026-00001",
        "INV-2026-00002",
        "INV-2026-00003",
        "INV-2026-00001",
        "INV-2027-00001",
    ]


def test_a_rolled_back_transaction_gives_its_number_back(tenant):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        next_number(tenant, "invoice", 2026, "INV-{year}-{seq:05d}")
        raise Boom
    with transaction.atomic():
        assert next_number(tenant, "invoice", 2026, "INV-{year}-{seq:05d}") == "INV-2026-00001"


@pytest.mark.django_db(transaction=True)
def test_numbering_outside_a_transaction_is_refused(tenant):
    with pytest.raises(RuntimeError):
        next_number(tenant, "invoice", 2026, "{seq}")


def test_services_write_the_audit_log_with_actor_and_before_after(
    tenant, make_customer, make_staff
):
    from ispstack.customers.services import update_customer

    clerk = make_staff(tenant, "billing")
    customer = make_customer(tenant, name="Old Name")
    update_customer(customer=customer, actor=clerk, name="New Name")
    entry = AuditLog.objects.get(action="customer.update")
    assert entry.actor == clerk
    assert entry.before["name"] == "Old Name"
    assert entry.after["name"] == "New Name"
    assert entry.tenant == tenant


_calls: list[int] = []


@outbox.handler("test.flaky")
def _flaky(job: Job) -> None:
    _calls.append(job.pk)
    if len(_calls) < 3:
        raise ConnectionError("mail server down")


def _make_due(job: Job) -> None:
    Job.objects.filter(pk=job.pk).update(next_attempt_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))


def test_outbox_job_runs_after_commit_and_retries_with_backoff(
    tenant, django_capture_on_commit_callbacks
):
    _calls.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job = outbox.enqueue(tenant=tenant, kind="test.flaky", payload={})
        assert _calls == []  # nothing is sent before the commit
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert (job.status, job.attempts) == (Job.Status.PENDING, 1)
    assert "mail server down" in job.last_error
    assert job.next_attempt_at > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)
    assert outbox.run_due_jobs() == 0  # not due yet
    _make_due(job)
    assert outbox.run_job(job.pk) is False
    _make_due(job)
    assert outbox.run_due_jobs() == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.last_error) == (Job.Status.DONE, 3, "")
    assert len(_calls) == 3


def test_outbox_enqueue_many_writes_jobs_together_and_runs_them_after_commit(
    tenant, make_tenant, django_capture_on_commit_callbacks
):
    other = make_tenant()
    with pytest.raises(ValueError, match="no outbox handler"):
        outbox.enqueue_many([(tenant, "test.flaky", {}), (tenant, "test.unknown", {})])
    assert not Job.objects.filter(tenant__in=[tenant, other]).exists()
    assert outbox.enqueue_many([]) == []

    _calls.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ids = outbox.enqueue_many([(tenant, "test.flaky", {"n": 1}), (other.pk, "test.flaky", {})])
        assert _calls == []  # nothing is sent before the commit
    assert len(callbacks) == 2 and len(_calls) == 2
    jobs = Job.objects.in_bulk(ids)
    assert [(jobs[pk].tenant_id, jobs[pk].payload) for pk in ids] == [
        (tenant.pk, {"n": 1}),
        (other.pk, {}),
    ]


def test_outbox_gives_up_after_max_attempts(tenant):
    job = Job.objects.create(
        tenant=tenant,
        kind="test.flaky",
        payload={},
        max_attempts=1,
        next_attempt_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
    )
    _calls.clear()
    assert outbox.run_job(job.pk) is False
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED


@outbox.handler("test.counted")
def _counted(job: Job) -> None:
    _calls.append(job.pk)


def test_drain_leaves_the_excluded_kinds_pending(tenant, settings):
    settings.CELERY_BROKER_URL = ""
    due = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    kept, run = (
        Job.objects.create(tenant=tenant, kind=kind, payload={}, next_attempt_at=due)
        for kind in ("test.flaky", "test.counted")
    )
    _calls.clear()
    assert outbox.drain(exclude=["test.flaky"]) == 1
    assert _calls == [run.pk]
    kept.refresh_from_db()
    assert (kept.status, kept.attempts) == (Job.Status.PENDING, 0)
    run.refresh_from_db()
    assert run.status == Job.Status.DONE


def test_backoff_doubles_and_is_capped():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert outbox.backoff(30) == dt.timedelta(hours=6)


def test_the_simulated_clock_stamps_rows_and_stops_at_its_block(make_tenant):
    import datetime as dt

    from ispstack.core import clock
    from ispstack.core.models import AuditLog

    tenant = make_tenant(timezone="Africa/Johannesburg")
    moment = dt.datetime(2026, 3, 2, 7, 30, tzinfo=dt.UTC)
    with clock.simulated(moment):
        assert clock.now() == moment
        assert clock.today(tenant) == dt.date(2026, 3, 2)
        row = AuditLog.objects.create(tenant=tenant, action="test", object_type="x")
        assert row.created_at == row.updated_at == moment
        clock.move_to(moment + dt.timedelta(days=1))
        row.save()
        assert row.updated_at == moment + dt.timedelta(days=1)
        with pytest.raises(ValueError):
            clock.move_to(dt.datetime(2026, 3, 4))  # naive  # noqa: DTZ001
    assert clock.now() > moment + dt.timedelta(days=100)  # the wall clock again
    with pytest.raises(RuntimeError):
        clock.move_to(moment)
