"""The dashboard's cards: each a few figures read for one user.

A card is computed only when the user may read what it summarises (the
permission named in ``CARD_PERMS``), so a role never sees a figure of data
it cannot open, and pays no query for it. Every read goes through
``core.tenancy.scope``: a tenant's staff count their tenant's rows, the
platform operator every tenant's (money then per currency).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

from ispstack.billing import selectors as billing
from ispstack.billing.models import BillingRun, Invoice
from ispstack.collections.models import CollectionRun
from ispstack.core import clock
from ispstack.core.models import Job, JobExecution
from ispstack.core.money import ZERO
from ispstack.core.tenancy import scope
from ispstack.radius import selectors as radius
from ispstack.radius.models import CoaRequest
from ispstack.subscriptions import selectors as subscriptions
from ispstack.subscriptions.models import Subscription
from ispstack.usage.models import RollupState

CHANGE_OVER = dt.timedelta(days=30)
"""MRR and subscribers are compared with this many days ago."""

LATE_JOB = dt.timedelta(minutes=15)
"""A pending outbox job due longer ago than this is late: the worker (or
beat) that should have run it is not keeping up."""

FAILED_RUNS_SINCE = dt.timedelta(hours=24)
"""The job log card counts the periodic runs that failed this long ago or less."""

CARD_PERMS: dict[str, tuple[str, ...]] = {
    "mrr": ("subscriptions.view_subscription", "billing.view_invoice"),
    "subscribers": ("subscriptions.view_subscription",),
    "overdue": ("billing.view_invoice",),
    "suspended": ("subscriptions.view_subscription",),
    "sessions": ("radius.view_radacct",),
    "coa": ("radius.view_coarequest",),
    "jobs": ("core.view_job",),
    "job_runs": ("core.view_jobexecution",),
    "billing_run": ("billing.view_billingrun",),
    "collections_run": ("collections.view_collectionrun",),
    "rollup": ("usage.view_dailyusage",),
}
"""The permissions a user needs to see each card."""


@dataclass
class Jobs:
    """Outbox jobs that need a look: ``failed`` (out of attempts) and ``late``."""

    failed: int
    late: int


def visible_cards(user: Any) -> set[str]:
    """The keys of ``CARD_PERMS`` whose permissions ``user`` holds."""
    return {key for key, perms in CARD_PERMS.items() if user.has_perms(perms)}


def today_for(user: Any) -> dt.date:
    """The user's tenant's today; the UTC date for the platform operator."""
    tenant = getattr(user, "tenant", None)
    return clock.today(tenant) if tenant is not None else clock.now().astimezone(dt.UTC).date()


def dashboard(user: Any) -> dict[str, Any]:
    """The cards ``user`` may see, by key (absent: not allowed), in a bounded
    number of queries (at most about 16, whatever the data):

    - ``mrr``/``subscribers``: ``{"now": RecurringRevenue, "before": RecurringRevenue,
      "change": {currency: Decimal}, "subscribers_change": int}``;
    - ``overdue``: ``billing.selectors.Overdue``;
    - ``suspended``, ``sessions``, ``coa``: counts;
    - ``jobs``: ``Jobs``;
    - ``job_runs``: ``{"failed": int, "latest": [JobExecution]}``, periodic
      runs that failed in the last 24 hours (the latest five);
    - ``billing_run``, ``collections_run``: the latest run record or None;
    - ``rollup``: the instant the usage rollup last finished, or None.
    """
    cards = visible_cards(user)
    today = today_for(user)
    now = clock.now()
    data: dict[str, Any] = {"today": today, "visible": cards}
    subs = scope(Subscription.objects.all(), user)
    if cards & {"mrr", "subscribers"}:
        current = subscriptions.recurring_revenue(subs, today, today=today)
        before = subscriptions.recurring_revenue(subs, today - CHANGE_OVER, today=today)
        codes = sorted(set(current.mrr) | set(before.mrr))
        revenue = {
            "now": current,
            "before": before,
            "change": {
                code: current.mrr.get(code, ZERO) - before.mrr.get(code, ZERO) for code in codes
            },
            "subscribers_change": current.subscribers - before.subscribers,
        }
        for key in cards & {"mrr", "subscribers"}:
            data[key] = revenue
    if "overdue" in cards:
        data["overdue"] = billing.overdue(scope(Invoice.objects.all(), user), today)
    if "suspended" in cards:
        data["suspended"] = subscriptions.suspended_for_non_payment(subs)
    if "sessions" in cards:
        data["sessions"] = radius.open_session_count(subs)
    if "coa" in cards:
        data["coa"] = radius.coa_failure_count(scope(CoaRequest.objects.all(), user), now)
    if "jobs" in cards:
        counts = scope(Job.objects.all(), user).aggregate(
            failed=Count("id", filter=Q(status=Job.Status.FAILED)),
            late=Count(
                "id",
                filter=Q(status=Job.Status.PENDING, next_attempt_at__lt=now - LATE_JOB),
            ),
        )
        data["jobs"] = Jobs(failed=counts["failed"], late=counts["late"])
    if "job_runs" in cards:
        failed = scope(JobExecution.objects.all(), user).filter(
            status=JobExecution.Status.FAILED, started_at__gte=now - FAILED_RUNS_SINCE
        )
        latest = list(failed.order_by("-started_at", "-id")[:5])
        data["job_runs"] = {
            "failed": len(latest) if len(latest) < 5 else failed.count(),
            "latest": latest,
        }
    if "billing_run" in cards:
        data["billing_run"] = billing.last_billing_run(scope(BillingRun.objects.all(), user))
    if "collections_run" in cards:
        data["collections_run"] = (
            scope(CollectionRun.objects.all(), user).order_by("-created_at", "-id").first()
        )
    if "rollup" in cards:
        # Global: radacct is one table for every tenant, its rollup one pass.
        data["rollup"] = (
            RollupState.objects.filter(name="radacct").values_list("last_run_at", flat=True).first()
        )
    return data
