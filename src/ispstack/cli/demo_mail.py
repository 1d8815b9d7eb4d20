"""The demo's invoice mail, sent by a second process while the simulation
goes on.

Rendering an invoice's PDF (WeasyPrint, about 50 ms a page) is most of what
a simulated billing day costs, and it holds up nothing the simulation does
next: payments, collections and accounting read the invoice, not its mail.
So the demo hands each day's ``billing.send_invoices`` jobs to a worker
process, which performs them through the outbox (``outbox.run_job``: the
same lease, retries and stored PDF as a Celery worker) with the business
clock at the instant each job fell due, so the mail and its PDF carry the
simulated day. With a Celery broker the workers already do this, and inside
an open transaction (a test's) a second process would not see the invoices:
in both cases the jobs run as ``outbox.drain`` runs them.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connection

from ispstack.core import clock

# The worker imports this module to find ``_start`` and ``_perform`` before
# Django is set up in it: the models (and the outbox, which imports them)
# are imported where they are used.

#: The job kinds the worker performs: the invoice mail with its PDF.
KINDS = ("billing.send_invoices",)

#: The settings the worker takes from this process rather than from the
#: environment, so its PDFs and mails go where this process' go (a test's
#: folder and mail backend, say).
INHERITED = ("MEDIA_ROOT", "EMAIL_BACKEND", "EMAIL_FILE_PATH", "DEFAULT_FROM_EMAIL")


class MailWorker:
    """Drains the outbox as ``outbox.drain`` does, the jobs of ``KINDS`` in a
    worker process; ``finish`` waits for them. Use as a context manager.

    Until ``finish`` returns, nothing else may perform jobs of ``KINDS``: the
    worker's lease on a job runs from the simulated instant it fell due, so
    a drain on a later clock (this process, a day on) would find the job due
    again and send it a second time. So every drain of the simulation goes
    through ``drain`` here, and a job that fails in the worker is retried by
    the plain drain of ``finish``.
    """

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        if not settings.CELERY_BROKER_URL and not connection.in_atomic_block:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                # A fresh interpreter: a forked one would share this one's
                # database socket.
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start,
                initargs=(
                    dict(connection.settings_dict),
                    {name: getattr(settings, name) for name in INHERITED},
                ),
            )
        self._sent: set[int] = set()
        self._futures: list[Future[bool]] = []
        if self._pool is not None:
            # Start a worker now: Django's set-up there overlaps the first
            # simulated days instead of holding up the first invoices.
            self._futures.append(self._pool.submit(_ready))

    def __enter__(self) -> MailWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def drain(self) -> None:
        """Perform the due jobs: those of ``KINDS`` in the worker, the rest here."""
        from ispstack.core import outbox
        from ispstack.core.models import Job

        if self._pool is None:
            outbox.drain()
            return
        outbox.drain(exclude=KINDS)
        due = Job.objects.filter(
            kind__in=KINDS, status=Job.Status.PENDING, next_attempt_at__lte=clock.now()
        ).exclude(pk__in=self._sent)
        for job_id, moment in due.order_by("pk").values_list("pk", "next_attempt_at"):
            self._sent.add(job_id)
            self._futures.append(self._pool.submit(_perform, job_id, moment))

    def finish(self) -> None:
        """Wait for the worker's jobs; then drain here what is still due (a
        job that failed in the worker is retried by the outbox as anywhere).
        Raises what the worker raised outside a job (a lost connection)."""
        from ispstack.core import outbox

        for future in self._futures:
            future.result()
        self._futures.clear()
        outbox.drain()


def _start(database: dict[str, Any], inherited: dict[str, Any]) -> None:
    """The worker's set-up: Django on the parent's database (a test's
    database under test, not the one the settings name) and ``INHERITED``
    settings, both in place before anything connects."""
    import django

    settings.DATABASES = {**settings.DATABASES, "default": database}
    for name, value in inherited.items():
        setattr(settings, name, value)
    django.setup()
    from django.db import connections

    # As the simulation's own connection (``demo._commits_unflushed``).
    with connections["default"].cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")


def _ready() -> bool:
    return True


def _perform(job_id: int, moment: dt.datetime) -> bool:
    """Perform one job with the business clock at ``moment``; whether it succeeded."""
    from ispstack.core import outbox

    with clock.simulated(moment):
        return outbox.run_job(job_id)
