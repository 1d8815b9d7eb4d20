"""The figures behind ``/healthz`` and ``/metrics``, read at request time.

Per tenant where a row belongs to one (labelled with the tenant's slug);
radacct rows are attributed through the subscription with the same
User-Name (docs/architecture.md, Tenancy), and an open session of a
User-Name no subscription has is counted under the empty slug.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Count, Max, Min

from ispstack.billing.models import BillingRun
from ispstack.collections.models import CollectionRun
from ispstack.core import clock
from ispstack.core.models import Job, Tenant
from ispstack.radius.models import CoaRequest, RadAcct
from ispstack.subscriptions.models import Subscription
from ispstack.tickets.models import SupportMailbox
from ispstack.usage.models import RollupState

COA_FAILURE_WINDOW = dt.timedelta(hours=24)
"""CoA and Disconnect failures are counted over the last day: long enough to
see a NAS that stopped answering overnight, short enough to clear once fixed."""


def _slugs() -> dict[int, str]:
    return dict(Tenant.objects.values_list("pk", "slug"))


def _seconds_since(instant: dt.datetime | None) -> float | None:
    return None if instant is None else max((clock.now() - instant).total_seconds(), 0.0)


def oldest_due_job_age() -> float:
    """Seconds since the oldest pending outbox job became due; 0 when none is due."""
    now = clock.now()
    oldest = Job.objects.filter(status=Job.Status.PENDING, next_attempt_at__lte=now).aggregate(
        oldest=Min("next_attempt_at")
    )["oldest"]
    return 0.0 if oldest is None else (now - oldest).total_seconds()


def jobs_by_tenant(status: str, *, due_only: bool = False) -> dict[str, int]:
    """Outbox jobs in ``status`` per tenant slug; ``due_only``: those whose
    next attempt time has come."""
    jobs = Job.objects.filter(status=status)
    if due_only:
        jobs = jobs.filter(next_attempt_at__lte=clock.now())
    slugs = _slugs()
    counts = jobs.values("tenant_id").annotate(n=Count("id")).order_by()
    return {slugs[row["tenant_id"]]: row["n"] for row in counts}


def coa_failures() -> dict[tuple[str, str, str], int]:
    """CoA and Disconnect requests not acknowledged (NAK, no answer, NAS not
    registered) in the last ``COA_FAILURE_WINDOW``, per (tenant slug, kind, status)."""
    since = clock.now() - COA_FAILURE_WINDOW
    rows = (
        CoaRequest.objects.filter(created_at__gte=since)
        .exclude(status=CoaRequest.Status.ACK)
        .values("tenant_id", "kind", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    slugs = _slugs()
    return {(slugs[r["tenant_id"]], r["kind"], r["status"]): r["n"] for r in rows}


def last_run_ages() -> dict[tuple[str, str], float]:
    """Seconds since the last successful run per (job, tenant slug): ``billing``
    (a run that finished ``done``), ``collections`` (a run recorded),
    ``mail_poll`` (the support mailbox polled successfully least recently,
    of those with polling on: one failing mailbox shows) and
    ``usage_rollup`` (global: radacct is one table, tenant slug empty). A job
    that never ran has no entry."""
    slugs = _slugs()
    ages: dict[tuple[str, str], float] = {}
    billing = (
        BillingRun.objects.filter(status=BillingRun.Status.DONE)
        .values("tenant_id")
        .annotate(last=Max("finished_at"))
        .order_by()
    )
    collections = CollectionRun.objects.values("tenant_id").annotate(last=Max("created_at"))
    # The stalest mailbox of the tenant: Min over each mailbox's last success.
    mail = (
        SupportMailbox.objects.filter(poll_enabled=True, last_success_at__isnull=False)
        .values("tenant_id")
        .annotate(last=Min("last_success_at"))
        .order_by()
    )
    for job, rows in (
        ("billing", billing),
        ("collections", collections.order_by()),
        ("mail_poll", mail),
    ):
        for row in rows:
            age = _seconds_since(row["last"])
            if age is not None:
                ages[(job, slugs[row["tenant_id"]])] = age
    rollup = RollupState.objects.filter(name="radacct").values_list("last_run_at", flat=True)
    age = _seconds_since(next(iter(rollup), None))
    if age is not None:
        ages[("usage_rollup", "")] = age
    return ages


def online_sessions() -> dict[str, int]:
    """Open radacct sessions (no ``acctstoptime``) per tenant slug."""
    sql = f"""
        SELECT t.slug, COUNT(*)
        FROM {RadAcct._meta.db_table} r
        LEFT JOIN {Subscription._meta.db_table} s ON lower(s.username) = lower(r.username)
        LEFT JOIN {Tenant._meta.db_table} t ON t.id = s.tenant_id
        WHERE r.acctstoptime IS NULL
        GROUP BY t.slug
    """
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return {slug or "": n for slug, n in cursor.fetchall()}
