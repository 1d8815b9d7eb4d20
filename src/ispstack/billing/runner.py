"""The billing run at scale: chunks of subscriptions, computed in memory,
written with COPY, each chunk one transaction.

A run for ``as_of`` selects the subscriptions whose ``next_bill_date`` has
come, splits them into chunks and bills each chunk:

1. load the chunk's snapshot in a couple of queries and compute every draft
   with the pure engine; a subscription whose data breaks a rule is
   recorded as a failure and left out, the others go on;
2. in one transaction: take the tenant's billing lock, drop any
   subscription that a concurrent run billed meanwhile, take a block of
   gap-free invoice numbers, COPY the invoices and their lines, queue one
   email job for the chunk, and move each subscription's billing state
   (``billed_through`` / ``next_bill_date``) on.

A chunk commits whole or not at all, so a run killed at any moment (even
SIGKILL) leaves whole invoices and an unbroken number sequence; run it again
and it bills what is left. Should a chunk fail to write, its subscriptions
are retried one by one so that one bad row fails alone. Without a broker
the chunks run here, one after the other; with ``CELERY_BROKER_URL`` each
chunk is a Celery task.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.conf import settings
from django.db.models import F, Sum

from ispstack.billing import writer
from ispstack.billing.engine import Draft
from ispstack.billing.models import BillingRun, BillingRunFailure, Invoice, SubscriptionBilling
from ispstack.billing.selectors import settings_for
from ispstack.billing.snapshot import (
    Snapshot,
    active_promotions,
    attached_addons,
    bundle_discounts,
    draft_for,
    load_snapshots,
    pending_charges,
    plan_terms,
    tenant_bundles,
)
from ispstack.billing.tax import TaxTable
from ispstack.core import audit, clock
from ispstack.core.errors import InvalidInput, ServiceError
from ispstack.core.inputs import check_date
from ispstack.core.models import Tenant
from ispstack.core.money import round_money
from ispstack.subscriptions.models import Subscription, SubscriptionStatus
from ispstack.subscriptions.services import apply_scheduled_plans

logger = logging.getLogger(__name__)

BILLABLE = [SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED, SubscriptionStatus.TERMINATED]
CHUNK_SIZE = 1000
Progress = Callable[[int, int], None]


def due_subscription_ids(tenant: Tenant, as_of: dt.date) -> list[int]:
    """Subscriptions with something to bill on ``as_of``, in id order.

    Suspended ones are left out when the tenant does not bill suspended days.
    """
    statuses = [
        s
        for s in BILLABLE
        if settings_for(tenant).bill_suspended_days or s != SubscriptionStatus.SUSPENDED
    ]
    return list(
        SubscriptionBilling.objects.filter(
            tenant=tenant, next_bill_date__lte=as_of, subscription__status__in=statuses
        )
        .order_by("subscription_id")
        .values_list("subscription_id", flat=True)
    )


def chunks(ids: Sequence[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield list(ids[i : i + size])


# Billing runs ahead of time only to issue in-advance invoices early; a date
# more than a year ahead is a typo that would bill every period up to it.
MAX_DAYS_AHEAD = 366


def check_as_of(tenant: Tenant, as_of: dt.date) -> None:
    """Refuse a run date the billing run would refuse: outside ``core.inputs``'
    range (1970..2199), or more than ``MAX_DAYS_AHEAD`` days after the
    tenant's today. Raises InvalidInput naming ``as_of``."""
    check_date(as_of, "as_of")
    if as_of > clock.today(tenant) + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidInput(
            f"must be at most {MAX_DAYS_AHEAD} days after today: billing further ahead "
            "would issue a year of invoices at once",
            field="as_of",
        )


def run_billing(
    *,
    tenant: Tenant,
    as_of: dt.date,
    actor: Any = None,
    chunk_size: int = CHUNK_SIZE,
    progress: Progress | None = None,
    run: BillingRun | None = None,
) -> BillingRun:
    """Bill everything due on ``as_of`` for ``tenant``; returns the run record.

    Idempotent: a second run for the same date bills only what is still
    missing. With a broker the run returns at once in status ``running``
    and the workers finish it. ``run``: a record written ``queued`` by
    ``billing.services.start_billing_run``, carried on instead of a new
    one. Raises InvalidInput when ``as_of`` is not a date within
    ``core.inputs``' range (1970..2199): periods computed from it would
    leave the calendar; or when it lies more than ``MAX_DAYS_AHEAD`` after
    the tenant's today.
    """
    check_as_of(tenant, as_of)
    apply_scheduled_plans(tenant=tenant, as_of=as_of)
    ids = due_subscription_ids(tenant, as_of)
    parts = list(chunks(ids, chunk_size))
    if run is None:
        run = BillingRun.objects.create(
            tenant=tenant,
            as_of=as_of,
            subscriptions_seen=len(ids),
            chunks_total=len(parts),
            started_by=actor if getattr(actor, "pk", None) else None,
        )
    else:
        run.status = BillingRun.Status.RUNNING
        run.subscriptions_seen = len(ids)
        run.chunks_total = len(parts)
        run.save(update_fields=["status", "subscriptions_seen", "chunks_total", "updated_at"])
    audit.record(
        tenant=tenant,
        actor=actor,
        action="billing_run.start",
        obj=run,
        after={"as_of": str(as_of), "subscriptions": len(ids)},
    )
    if not parts:
        _finish(run.pk)
    elif settings.CELERY_BROKER_URL:
        from ispstack.billing.tasks import bill_chunk_task

        for part in parts:
            bill_chunk_task.delay(run.pk, part)
    else:
        done = 0
        for part in parts:
            bill_chunk(run, part)
            done += len(part)
            if progress:
                progress(done, len(ids))
    run.refresh_from_db()
    return run


def run_billing_if_due(*, tenant: Tenant, as_of: dt.date) -> BillingRun | None:
    """The periodic entry (the hourly beat): apply the plan changes scheduled
    up to ``as_of``, then start a run only when a subscription is due.

    Returns the run, or None when nothing was due: an hourly schedule would
    otherwise leave 24 empty run rows a day per tenant, hiding the runs that
    billed something. Raises what ``run_billing`` raises.
    """
    check_date(as_of, "as_of")
    apply_scheduled_plans(tenant=tenant, as_of=as_of)
    if not due_subscription_ids(tenant, as_of):
        return None
    return run_billing(tenant=tenant, as_of=as_of)


def bill_chunk(run: BillingRun, ids: list[int]) -> int:
    """Bill one chunk of a run and count it done; returns the number of invoices written."""
    written = _bill(run, ids)
    # updated_at moves with the progress: a run that stops moving is stale
    # (its process died) and no longer blocks the next start.
    BillingRun.objects.filter(pk=run.pk).update(
        invoices_created=F("invoices_created") + written,
        chunks_done=F("chunks_done") + 1,
        subscriptions_done=F("subscriptions_done") + len(ids),
        updated_at=clock.now(),
    )
    if BillingRun.objects.filter(pk=run.pk, chunks_done__gte=F("chunks_total")).exists():
        _finish(run.pk)
    return written


def _bill(run: BillingRun, ids: list[int]) -> int:
    """Draft and write some subscriptions; a failed write is retried one by one."""
    snapshots = load_snapshots(ids)
    plans = plan_terms({snap.plan_id for snap in snapshots})
    charges = pending_charges(ids, run.as_of)
    addons = attached_addons(ids)
    promotions = active_promotions(ids)
    bundles = tenant_bundles(run.tenant_id)
    taxes = TaxTable.load(run.tenant)
    drafts: list[tuple[Snapshot, Draft]] = []
    for snap in snapshots:
        try:
            extra = addons.get(snap.pk, [])
            discounts = promotions.get(snap.pk, []) + bundle_discounts(bundles, snap, extra)
            drafts.append(
                (
                    snap,
                    draft_for(
                        snap,
                        plans[snap.plan_id],
                        run.as_of,
                        charges.get(snap.pk, []),
                        extra,
                        discounts,
                        taxes,
                    ),
                )
            )
        except ServiceError as exc:
            _fail(run, snap, str(exc))
    try:
        return writer.write_drafts(run, drafts)
    except Exception as exc:  # noqa: BLE001 - isolate the row at fault, bill the rest
        if len(drafts) <= 1:
            for snap, _ in drafts:
                _fail(run, snap, f"{type(exc).__name__}: {exc}")
            return 0
        logger.warning("chunk of run %s failed (%s); retrying one by one", run.pk, exc)
        return sum(_bill(run, [snap.pk]) for snap, _ in drafts)


def bill_now(subscription: Subscription, as_of: dt.date) -> BillingRun:
    """Bill one subscription at once (a change billed immediately), as a run of one."""
    run = BillingRun.objects.create(
        tenant_id=subscription.tenant_id, as_of=as_of, subscriptions_seen=1, chunks_total=1
    )
    bill_chunk(BillingRun.objects.select_related("tenant").get(pk=run.pk), [subscription.pk])
    run.refresh_from_db()
    return run


def _fail(run: BillingRun, snap: Snapshot, error: str) -> None:
    logger.warning("billing %s failed: %s", snap.username, error)
    BillingRunFailure.objects.create(
        tenant_id=run.tenant_id,
        run=run,
        subscription_id=snap.pk,
        username=snap.username,
        error=error,
    )


def _finish(run_id: int) -> None:
    run = BillingRun.objects.get(pk=run_id)
    totals = (
        Invoice.objects.filter(billing_run_id=run_id)
        .values("currency")
        .annotate(amount=Sum("total"))
        .order_by("currency")
    )
    run.totals = {
        row["currency"]: str(round_money(row["amount"], row["currency"])) for row in totals
    }
    run.status = BillingRun.Status.DONE
    run.finished_at = clock.now()
    run.save(update_fields=["totals", "status", "finished_at", "updated_at"])
