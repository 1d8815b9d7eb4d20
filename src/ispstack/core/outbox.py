"""The job outbox: external calls (email, CoA) made after commit and retried.

``enqueue`` writes a ``Job`` row in the caller's transaction and, once that
transaction commits, hands the job to Celery (``CELERY_BROKER_URL`` set) or
runs it in the process. A failing job is retried with exponential backoff
(1 min, 2 min, 4 min, ... capped at 6 h) until ``max_attempts``; its last
error is kept on the row. A rolled-back transaction leaves no job behind, so
nothing is sent for work that did not happen.

Long work started by a person (a billing or collections run from the
console, ``background=True``) must not hold their request: with a broker it
is a Celery task like any job; without one it runs in a daemon thread of the
web process once the request's transaction commits. A thread rather than a
subprocess because the job needs nothing but the database and starts in
microseconds; should the process die mid-run the job keeps its lease, and
``run_due_jobs`` (celery beat, or ``drain``) takes it up again once the
lease expires: the runs it performs are idempotent for their date.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from ispstack.core import audit, bulk, clock
from ispstack.core.errors import InvalidTransition
from ispstack.core.models import Job, Tenant

logger = logging.getLogger(__name__)

JobHandler = Callable[[Job], None]
_handlers: dict[str, JobHandler] = {}

LEASE = dt.timedelta(minutes=10)
MAX_BACKOFF = dt.timedelta(hours=6)


def handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    """Decorator registering the function that performs jobs of ``kind``."""

    def register(func: JobHandler) -> JobHandler:
        _handlers[kind] = func
        return func

    return register


def enqueue(
    *,
    tenant: Tenant | int,
    kind: str,
    payload: dict[str, Any],
    max_attempts: int = 8,
    defer_inline: bool = False,
    not_before: dt.datetime | None = None,
    background: bool = False,
) -> Job:
    """Create a job for ``kind`` and dispatch it after the current transaction commits.

    ``defer_inline``: without a broker, leave the job for ``drain`` (a billing
    run sends its emails after the run, not between chunks). ``not_before``
    (aware UTC): a job for later, run by ``run_due_jobs`` once it is due.
    ``tenant``: the row or its id (events carry only the id).
    ``background``: without a broker, run it in a thread of this process
    (``run_in_background``) instead of in the committing request.
    """
    if kind not in _handlers:
        raise ValueError(f"no outbox handler registered for '{kind}'")
    now = clock.now()
    job = Job.objects.create(
        tenant_id=tenant if isinstance(tenant, int) else tenant.pk,
        kind=kind,
        payload=payload,
        max_attempts=max_attempts,
        next_attempt_at=max(not_before or now, now),
    )
    if (settings.CELERY_BROKER_URL or not defer_inline) and job.next_attempt_at <= now:
        transaction.on_commit(lambda: dispatch(job.pk, background=background))
    return job


def enqueue_many(
    jobs: Sequence[tuple[Tenant | int, str, dict[str, Any]]], *, max_attempts: int = 8
) -> list[int]:
    """``enqueue`` for several jobs due now, written in one COPY: each item is
    ``(tenant or its id, kind, payload)``; returns the new jobs' ids in the
    order given. Each job is dispatched after the current transaction
    commits, as ``enqueue`` does. An unregistered kind raises ``ValueError``
    before anything is written."""
    for _tenant, kind, _payload in jobs:
        if kind not in _handlers:
            raise ValueError(f"no outbox handler registered for '{kind}'")
    if not jobs:
        return []
    now = clock.now()
    ids = bulk.reserve_ids(Job, len(jobs))
    payload_field, db = Job._meta.get_field("payload"), connections[DEFAULT_DB_ALIAS]
    bulk.copy_rows(
        Job,
        ("id", "tenant", "kind", "payload", "max_attempts", "next_attempt_at"),
        (
            (
                pk,
                tenant if isinstance(tenant, int) else tenant.pk,
                kind,
                payload_field.get_db_prep_save(body, db),
                max_attempts,
                now,
            )
            for pk, (tenant, kind, body) in zip(ids, jobs, strict=True)
        ),
    )
    for pk in ids:
        transaction.on_commit(functools.partial(dispatch, pk))
    return ids


def dispatch(job_id: int, *, background: bool = False) -> None:
    """Run the job in a Celery worker when a broker is configured, else here
    (``background``: in a thread of this process, see ``run_in_background``)."""
    if settings.CELERY_BROKER_URL:
        from ispstack.core.tasks import run_job_task

        run_job_task.delay(job_id)
    elif background:
        run_in_background(job_id)
    else:
        run_job(job_id)


def run_in_background(job_id: int) -> threading.Thread:
    """Start ``run_job(job_id)`` in a daemon thread with its own database
    connection, closed when the job ends; returns the thread (tests join it)."""

    def work() -> None:
        try:
            run_job(job_id)
        except Exception:  # noqa: BLE001 - a thread's exception would vanish; log it
            logger.exception("background job %s crashed", job_id)
        finally:
            connections.close_all()

    thread = threading.Thread(target=work, name=f"ispstack-job-{job_id}", daemon=True)
    thread.start()
    return thread


def backoff(attempts: int) -> dt.timedelta:
    """Delay before the next try after ``attempts`` failures: 1 min doubling, max 6 h."""
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def run_job(job_id: int) -> bool:
    """Perform one job if it is pending and due; returns True when it succeeded.

    The job is claimed with a lease (an UPDATE that only one worker wins), so
    two workers never perform it at once.
    """
    now = clock.now()
    claimed = Job.objects.filter(
        pk=job_id, status=Job.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + LEASE)
    if not claimed:
        return False
    job = Job.objects.get(pk=job_id)
    try:
        _handlers[job.kind](job)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded and retried
        job.attempts += 1
        job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if job.attempts >= job.max_attempts:
            job.status = Job.Status.FAILED
            job.finished_at = clock.now()
        else:
            job.next_attempt_at = clock.now() + backoff(job.attempts)
        job.save(
            update_fields=[
                "attempts",
                "last_error",
                "status",
                "finished_at",
                "next_attempt_at",
                "updated_at",
            ]
        )
        logger.warning("job %s (%s) failed: %s", job.pk, job.kind, job.last_error)
        return False
    job.attempts += 1
    job.status = Job.Status.DONE
    job.finished_at = clock.now()
    job.last_error = ""
    job.save(update_fields=["attempts", "status", "finished_at", "last_error", "updated_at"])
    return True


def drain(*, exclude: Sequence[str] = ()) -> int:
    """Without a broker, perform every due job now (after a billing run, say);
    with one, leave them to the workers. Returns how many succeeded.
    ``exclude``: job kinds left pending (another process performs them)."""
    if settings.CELERY_BROKER_URL:
        return 0
    done = 0
    while succeeded := run_due_jobs(exclude=exclude):
        done += succeeded
    return done


def run_due_jobs(limit: int = 500, *, exclude: Sequence[str] = ()) -> int:
    """Run pending jobs whose next try is due, but none of the kinds in
    ``exclude``; returns how many succeeded."""
    pending = Job.objects.filter(status=Job.Status.PENDING, next_attempt_at__lte=clock.now())
    if exclude:
        pending = pending.exclude(kind__in=exclude)
    # The id breaks ties so jobs queued in the same instant run in the order
    # they were queued (a confirmation before its decision).
    due = pending.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:limit]
    return sum(1 for job_id in list(due) if run_job(job_id))


def retry_now(*, job: Job, actor: Any = None) -> Job:
    """Try a failed job again at once (a clerk fixed the cause: a mail server
    back up, an address corrected).

    The job gets one more attempt (``max_attempts`` grows to ``attempts + 1``)
    and is dispatched after commit like a new one. Raises InvalidTransition
    for a job that is not failed: a pending job may be running under a
    worker's lease right now, and a second run would send twice.
    """
    with transaction.atomic():
        locked = Job.objects.select_for_update().get(pk=job.pk)
        if locked.status != Job.Status.FAILED:
            raise InvalidTransition(
                f"only failed jobs are retried at once; this one is {locked.status}",
                field="status",
            )
        before = audit.snapshot(locked, ["status", "attempts", "max_attempts", "next_attempt_at"])
        locked.status = Job.Status.PENDING
        locked.max_attempts = max(locked.max_attempts, locked.attempts + 1)
        locked.next_attempt_at = clock.now()
        locked.finished_at = None
        locked.save(
            update_fields=["status", "max_attempts", "next_attempt_at", "finished_at", "updated_at"]
        )
        audit.record(
            tenant=locked.tenant,
            actor=actor,
            action="job.retry",
            obj=locked,
            before=before,
            after=audit.snapshot(locked, ["status", "attempts", "max_attempts", "next_attempt_at"]),
        )
        transaction.on_commit(lambda: dispatch(locked.pk))
    return locked
