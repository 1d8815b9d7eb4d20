"""Celery tasks of reports: thin wrappers around services."""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from ispstack.core import clock
from ispstack.core.job_log import job_run, periodic_task
from ispstack.core.models import Tenant
from ispstack.reports import mrr_facts, revenue, sql, usage
from ispstack.reports.models import ReportSchedule
from ispstack.reports.services import ReportFailed, send_due_report
from ispstack.subscriptions.models import SubscriptionEvent
from ispstack.usage.models import DailyUsage

#: Schedules sent per run at most; the rest wait for the next run (a minute).
BATCH = 500


@periodic_task("ispstack.reports.send_scheduled")
def send_scheduled_reports_task() -> dict[str, int]:
    """Send every active report schedule that is due (every minute with
    celery beat). Each schedule's run is logged under its tenant
    (``core.job_log``); one that fails is recorded there and on the
    schedule, and the others go on. Returns ``{"sent", "failed"}``."""
    now = clock.now()
    due = list(
        ReportSchedule.objects.filter(is_active=True, next_run_at__lte=now)
        .order_by("next_run_at", "pk")
        .values_list("pk", "tenant_id")[:BATCH]
    )
    tenants = Tenant.objects.in_bulk({tenant_id for _pk, tenant_id in due})
    counts = {"sent": 0, "failed": 0}
    for pk, tenant_id in due:
        try:
            with job_run(
                send_scheduled_reports_task.name,
                tenant=tenants[tenant_id],
                arguments={"schedule": pk, "as_of": now.isoformat()},
            ) as logged:
                delivery = send_due_report(schedule_id=pk, now=now)
                logged.counts = {"sent": int(delivery is not None)}
        except ReportFailed:
            counts["failed"] += 1
            continue
        counts["sent"] += int(delivery is not None)
    return counts


@periodic_task("ispstack.reports.store_mrr_facts")
def store_mrr_facts_task() -> dict[str, int]:
    """Keep each tenant's MRR facts stored (hourly with celery beat): the
    month ends of the last ``mrr_facts.KEPT_MONTHS`` months and today, and
    the movements of the months they close, each computed only when missing
    (never stored, or forgotten by a change that reached it), and past days
    stored as "today" dropped. Returns
    ``{"tenants", "stored", "pruned"}``: days computed and days dropped."""
    counts = {"tenants": 0, "stored": 0, "pruned": 0}
    tenant_ids = SubscriptionEvent.objects.values_list("tenant_id", flat=True).distinct()
    for tenant in Tenant.objects.filter(pk__in=tenant_ids).order_by("pk"):
        counts["tenants"] += 1
        counts["pruned"] += mrr_facts.prune(tenant)
        kept = mrr_facts.kept_days(tenant)
        counts["stored"] += mrr_facts.store_days(tenant, mrr_facts.chain_of(kept))
        # Each kept day closes a month: its movements are stored too.
        mrr_facts.month_rows(tenant, kept)
    return counts


@periodic_task("ispstack.reports.store_revenue_facts")
def store_revenue_facts_task() -> dict[str, int]:
    """Keep each tenant's revenue by service stored (hourly with celery beat):
    the last ``revenue.KEPT_MONTHS`` closed months, each computed only when
    missing (never stored, or forgotten by a change that reached it), so a
    month that has just closed is stored within the hour. Returns
    ``{"tenants", "stored"}``: months computed."""
    counts = {"tenants": 0, "stored": 0}
    tenant_ids = SubscriptionEvent.objects.values_list("tenant_id", flat=True).distinct()
    for tenant in Tenant.objects.filter(pk__in=tenant_ids).order_by("pk"):
        counts["tenants"] += 1
        counts["stored"] += revenue.store_months(
            tenant, sql.closed_months_before(tenant, revenue.KEPT_MONTHS)
        )
    return counts


@periodic_task("ispstack.reports.store_usage_facts")
def store_usage_facts_task() -> dict[str, int]:
    """Keep each tenant's usage by plan stored (hourly with celery beat): the
    last ``usage.KEPT_MONTHS`` closed months, each computed only when missing
    (never stored, or forgotten by a change that reached it), so a month that
    has just closed is stored within the hour. Tenants without daily usage
    are skipped. Returns ``{"tenants", "stored"}``: months computed."""
    counts = {"tenants": 0, "stored": 0}
    with_usage = DailyUsage.objects.filter(tenant=OuterRef("pk"))
    for tenant in Tenant.objects.filter(Exists(with_usage)).order_by("pk"):
        counts["tenants"] += 1
        counts["stored"] += usage.store_months(
            tenant, sql.closed_months_before(tenant, usage.KEPT_MONTHS)
        )
    return counts
