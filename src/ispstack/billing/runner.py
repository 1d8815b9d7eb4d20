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
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Sum

from ispstack.billing.engine import DiscountItem, Draft, OneTimeItem, RecurringItem, compute
from ispstack.billing.models import (
    BillingRun,
    BillingRunFailure,
    Charge,
    Invoice,
    InvoiceLine,
    LineKind,
    SubscriptionBilling,
)
from ispstack.catalog.models import Bundle, Plan, TaxRate
from ispstack.core import audit, clock, events, outbox
from ispstack.core.bulk import copy_rows, reserve_ids
from ispstack.core.errors import InvalidInput, ServiceError
from ispstack.core.locks import tenant_lock
from ispstack.core.models import Tenant
from ispstack.core.money import ZERO, round_money
from ispstack.core.numbering import next_numbers
from ispstack.subscriptions.models import Subscription, SubscriptionPromotion, SubscriptionStatus
from ispstack.subscriptions.services import apply_scheduled_plans

logger = logging.getLogger(__name__)

BILLABLE = [SubscriptionStatus.ACTIVE, SubscriptionStatus.SUSPENDED, SubscriptionStatus.TERMINATED]
CHUNK_SIZE = 1000
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Snapshot:
    """What the engine needs of one subscription, read in one query."""

    pk: int
    username: str
    customer_id: int
    currency: str
    billing_day: int
    start_date: dt.date
    end_date: dt.date | None
    billed_through: dt.date | None
    plan_id: int
    version: int
    tax_exempt: bool
    tax_exemption_reference: str
    region: str


@dataclass(frozen=True)
class PlanTerms:
    """What billing needs of a plan; a tenant has few, read once per chunk."""

    name: str
    code: str
    monthly_price: Decimal
    currency: str
    tax_rate: Decimal
    cycle_months: int
    timing: str
    tax_class: str


def plan_terms(plan_ids: set[int]) -> dict[int, PlanTerms]:
    """The terms of the given plans, by id."""
    rows = Plan.objects.filter(pk__in=plan_ids).values_list(
        "pk",
        "name",
        "code",
        "monthly_price",
        "currency",
        "tax_rate__rate",
        "cycle_months",
        "billing_timing",
        "tax_rate__tax_class",
    )
    return {row[0]: PlanTerms(*row[1:]) for row in rows}


def due_subscription_ids(tenant: Tenant, as_of: dt.date) -> list[int]:
    """Subscriptions with something to bill on ``as_of``, in id order.

    Suspended ones are left out when the tenant does not bill suspended days.
    """
    statuses = [
        s for s in BILLABLE if tenant.bill_suspended_days or s != SubscriptionStatus.SUSPENDED
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


def run_billing(
    *,
    tenant: Tenant,
    as_of: dt.date,
    actor: Any = None,
    chunk_size: int = CHUNK_SIZE,
    progress: Progress | None = None,
) -> BillingRun:
    """Bill everything due on ``as_of`` for ``tenant``; returns the run record.

    Idempotent: a second run for the same date bills only what is still
    missing. With a broker the run returns at once in status ``running``
    and the workers finish it.
    """
    apply_scheduled_plans(tenant=tenant, as_of=as_of)
    ids = due_subscription_ids(tenant, as_of)
    parts = list(chunks(ids, chunk_size))
    run = BillingRun.objects.create(
        tenant=tenant,
        as_of=as_of,
        subscriptions_seen=len(ids),
        chunks_total=len(parts),
        started_by=actor if getattr(actor, "pk", None) else None,
    )
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


def bill_chunk(run: BillingRun, ids: list[int]) -> int:
    """Bill one chunk of a run; returns the number of invoices written."""
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
        written = write_drafts(run, drafts)
    except Exception as exc:  # noqa: BLE001 - isolate the row at fault, bill the rest
        if len(drafts) <= 1:
            for snap, _ in drafts:
                _fail(run, snap, f"{type(exc).__name__}: {exc}")
            written = 0
        else:
            logger.warning("chunk of run %s failed (%s); retrying one by one", run.pk, exc)
            written = sum(bill_chunk(run, [snap.pk]) for snap, _ in drafts)
            return written
    BillingRun.objects.filter(pk=run.pk).update(
        invoices_created=F("invoices_created") + written, chunks_done=F("chunks_done") + 1
    )
    if BillingRun.objects.filter(pk=run.pk, chunks_done__gte=F("chunks_total")).exists():
        _finish(run.pk)
    return written


_SNAPSHOT_SQL = """
SELECT b.subscription_id, s.username, s.customer_id, c.currency, s.billing_day, s.start_date,
       s.end_date, b.billed_through, s.plan_id, b.version, c.tax_exempt,
       c.tax_exemption_reference, COALESCE(NULLIF(c.service_country, ''), c.billing_country)
FROM billing_subscriptionbilling b
JOIN subscriptions_subscription s ON s.id = b.subscription_id
JOIN customers_customer c ON c.id = s.customer_id
WHERE b.subscription_id = ANY(%s)
ORDER BY b.subscription_id
"""


def load_snapshots(ids: list[int]) -> list[Snapshot]:
    """The chunk's subscriptions with their customer's currency, in one query.

    Plain SQL: this is the hot read of the run, 100,000 rows a night, and the
    ORM's per-row overhead would double its cost.
    """
    with connection.cursor() as cursor:
        cursor.execute(_SNAPSHOT_SQL, [ids])
        return [Snapshot(*row) for row in cursor.fetchall()]


def pending_charges(ids: list[int], as_of: dt.date) -> dict[int, list[OneTimeItem]]:
    """Charges due by ``as_of`` and not invoiced yet, per subscription (a partial index)."""
    found: dict[int, list[OneTimeItem]] = {}
    rows = (
        Charge.objects.filter(subscription_id__in=ids, invoice__isnull=True, charge_date__lte=as_of)
        .order_by("charge_date", "pk")
        .values_list("subscription_id", "pk", "kind", "description", "amount", "tax_rate")
    )
    for sub_id, pk, kind, description, amount, rate in rows:
        found.setdefault(sub_id, []).append(
            OneTimeItem(ref=pk, kind=kind, description=description, amount=amount, tax_rate=rate)
        )
    return found


class TaxTable:
    """A tenant's tax rates, read once per chunk: the rate windows of a tax
    class for a region (region-specific rates before the general ones)."""

    def __init__(
        self,
        rows: list[tuple[str, str, dt.date | None, dt.date | None, Decimal]],
        tenant_settings: tuple[bool, str] = (False, "line"),
    ):
        self.rows = rows
        self.tenant_settings = tenant_settings
        self._cache: dict[tuple[str, str], tuple[tuple[Any, Any, Decimal], ...]] = {}

    @classmethod
    def load(cls, tenant: Tenant) -> TaxTable:
        rows = (
            TaxRate.objects.filter(tenant=tenant)
            .exclude(valid_from__isnull=True, valid_to__isnull=True, region="")
            .values_list("tax_class", "region", "valid_from", "valid_to", "rate")
        )
        return cls(list(rows), (tenant.prices_include_tax, tenant.tax_rounding))

    def windows(self, tax_class: str, region: str) -> tuple[tuple[Any, Any, Decimal], ...]:
        key = (tax_class, region)
        if key not in self._cache:
            specific = [(f, t, r) for c, g, f, t, r in self.rows if c == tax_class and g == region]
            general = [(f, t, r) for c, g, f, t, r in self.rows if c == tax_class and not g]
            self._cache[key] = tuple(specific + general)
        return self._cache[key]


def draft_for(
    snap: Snapshot,
    terms: PlanTerms,
    as_of: dt.date,
    charges: list[OneTimeItem] | None = None,
    addons: list[AttachedAddOn] | None = None,
    discounts: list[DiscountItem] | None = None,
    taxes: TaxTable | None = None,
) -> Draft:
    """The engine's draft for one snapshot; raises InvalidInput on inconsistent data.

    Tax: an exempt customer pays none; otherwise each item's class gives the
    rate for the customer's region valid on each period's first day.
    """
    if terms.currency != snap.currency:
        raise InvalidInput(
            f"plan '{terms.code}' is priced in {terms.currency} but the customer is "
            f"invoiced in {snap.currency}",
            field="plan",
        )
    table = taxes or TaxTable([])

    def taxed(item: RecurringItem, tax_class: str) -> RecurringItem:
        if snap.tax_exempt:
            return replace(item, tax_rate=ZERO, rates=())
        return replace(item, rates=table.windows(tax_class, snap.region or ""))

    plan = RecurringItem(
        kind=LineKind.RECURRING,
        ref=snap.pk,
        name=terms.name,
        monthly_price=terms.monthly_price,
        tax_rate=terms.tax_rate,
        start=snap.start_date,
        billed_through=snap.billed_through,
        end=snap.end_date,
        cycle_months=terms.cycle_months,
        timing=terms.timing,
    )
    items = [taxed(plan, terms.tax_class)]
    for attached in addons or []:
        if attached.currency != snap.currency:
            raise InvalidInput(
                f"add-on '{attached.item.name}' is priced in {attached.currency} "
                f"but the customer is invoiced in {snap.currency}",
                field="addon",
            )
        items.append(taxed(attached.item, attached.tax_class))
    pending = (
        [replace(c, tax_rate=ZERO) for c in charges or []] if snap.tax_exempt else (charges or [])
    )
    tenant = table.tenant_settings
    return compute(
        items=items,
        charges=pending,
        billing_day=snap.billing_day,
        as_of=as_of,
        currency=snap.currency,
        discounts=discounts,
        inclusive=tenant[0],
        rounding=tenant[1],
    )


@dataclass(frozen=True)
class AttachedAddOn:
    """An add-on on a subscription: the engine's item, its currency and catalog id."""

    item: RecurringItem
    currency: str
    addon_id: int
    tax_class: str


def attached_addons(ids: list[int]) -> dict[int, list[AttachedAddOn]]:
    """Add-ons of the chunk's subscriptions still to bill, with their billing state."""
    found: dict[int, list[AttachedAddOn]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_ADDONS_SQL, [ids])
        for (
            sub_id,
            ref,
            addon_id,
            name,
            price,
            rate,
            start,
            end,
            quantity,
            cycle,
            currency,
            through,
            tax_class,
        ) in cursor.fetchall():
            item = RecurringItem(
                kind=LineKind.ADDON,
                ref=ref,
                name=name,
                monthly_price=price,
                tax_rate=rate,
                start=start,
                billed_through=through,
                end=end,
                quantity=Decimal(quantity),
                cycle_months=cycle,
            )
            found.setdefault(sub_id, []).append(AttachedAddOn(item, currency, addon_id, tax_class))
    return found


_ADDONS_SQL = """
SELECT sa.subscription_id, sa.id, a.id, a.name, a.monthly_price, t.rate, sa.start_date,
       sa.end_date, sa.quantity, a.cycle_months, a.currency, ab.billed_through, t.tax_class
FROM subscriptions_subscriptionaddon sa
JOIN catalog_addon a ON a.id = sa.addon_id
JOIN catalog_taxrate t ON t.id = a.tax_rate_id
LEFT JOIN billing_addonbilling ab ON ab.subscription_addon_id = sa.id
WHERE sa.subscription_id = ANY(%s)
  AND (sa.end_date IS NULL OR ab.billed_through IS NULL OR ab.billed_through < sa.end_date)
ORDER BY sa.id
"""


def active_promotions(ids: list[int]) -> dict[int, list[DiscountItem]]:
    """Promotions of the chunk's subscriptions with cycles left, as discounts on the plan."""
    found: dict[int, list[DiscountItem]] = {}
    rows = SubscriptionPromotion.objects.filter(
        subscription_id__in=ids, promotion__is_active=True
    ).values_list(
        "subscription_id",
        "pk",
        "promotion__name",
        "promotion__kind",
        "promotion__value",
        "promotion__cycles",
        "start_date",
        "cycles_used",
    )
    for sub_id, pk, name, kind, value, cycles, start, used in rows:
        left = None if cycles is None else cycles - used
        if left is not None and left <= 0:
            continue
        found.setdefault(sub_id, []).append(
            DiscountItem(
                ref=pk,
                name=name,
                discount_kind=kind,
                value=value,
                targets=frozenset({(LineKind.RECURRING, sub_id)}),
                start=start,
                cycles_left=left,
            )
        )
    return found


@dataclass(frozen=True)
class BundleTerms:
    """A bundle's products and discount."""

    pk: int
    name: str
    plan_ids: frozenset[int]
    addon_ids: frozenset[int]
    discount_kind: str
    value: Decimal
    requires_all: bool


def tenant_bundles(tenant_id: int) -> list[BundleTerms]:
    """The tenant's active bundles (a handful)."""
    return [
        BundleTerms(
            pk=b.pk,
            name=b.name,
            plan_ids=frozenset(p.pk for p in b.plans.all()),
            addon_ids=frozenset(a.pk for a in b.addons.all()),
            discount_kind=b.discount_kind,
            value=b.discount_value,
            requires_all=b.requires_all_products,
        )
        for b in Bundle.objects.filter(tenant_id=tenant_id, is_active=True).prefetch_related(
            "plans", "addons"
        )
    ]


def bundle_discounts(
    bundles: list[BundleTerms], snap: Snapshot, addons: list[AttachedAddOn]
) -> list[DiscountItem]:
    """The bundle discounts a subscription qualifies for (seed 001 requires_all_products)."""
    if not bundles:
        return []
    addon_products = {a.item.ref: a.addon_id for a in addons}
    found = []
    for bundle in bundles:
        has_plan = snap.plan_id in bundle.plan_ids
        has_addons = {ref for ref, product in addon_products.items() if product in bundle.addon_ids}
        if bundle.requires_all and (
            (bundle.plan_ids and not has_plan)
            or not bundle.addon_ids <= set(addon_products.values())
        ):
            continue
        targets = {(LineKind.ADDON, ref) for ref in has_addons}
        if has_plan:
            targets.add((LineKind.RECURRING, snap.pk))
        if targets:
            found.append(
                DiscountItem(
                    ref=bundle.pk,
                    name=bundle.name,
                    discount_kind=bundle.discount_kind,
                    value=bundle.value,
                    targets=frozenset(targets),
                )
            )
    return found


_INVOICE_FIELDS = (
    "id",
    "tenant",
    "customer",
    "number",
    "status",
    "currency",
    "issue_date",
    "due_date",
    "subtotal",
    "tax_total",
    "total",
    "paid_on",
    "billing_run",
    "tax_note",
)
_LINE_FIELDS = (
    "tenant",
    "invoice",
    "subscription",
    "charge",
    "subscription_addon",
    "kind",
    "description",
    "period_start",
    "period_end",
    "quantity",
    "unit_price",
    "net_amount",
    "tax_rate",
    "tax_amount",
    "total",
)


def write_drafts(run: BillingRun, drafts: list[tuple[Snapshot, Draft]]) -> int:
    """Write a chunk's drafts in one transaction; returns invoices written."""
    if not drafts:
        return 0
    tenant, as_of = run.tenant, run.as_of
    with transaction.atomic():
        # Durability of each chunk's commit is not needed: a chunk lost to a
        # crash in the next instant is whole or absent (numbers included) and
        # the next run bills it again. Waiting for the WAL flush a thousand
        # times a night would dominate the run.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
        tenant_lock(tenant, "billing")
        current = dict(
            SubscriptionBilling.objects.filter(
                subscription_id__in=[s.pk for s, _ in drafts]
            ).values_list("subscription_id", "version")
        )
        # Anything that changed this state since we read it (a concurrent
        # run, a plan change) bumped its version: skip it, a later run redoes it.
        fresh = [(s, d) for s, d in drafts if current.get(s.pk) == s.version]
        billable = [(s, d) for s, d in fresh if d.lines]
        numbers = next_numbers(
            tenant, "invoice", as_of.year, tenant.invoice_number_format, len(billable)
        )
        invoice_ids = reserve_ids(Invoice, len(billable))
        due = as_of + dt.timedelta(days=tenant.invoice_net_days)
        invoices, lines, billed_charges = [], [], []
        for (snap, draft), number, invoice_id in zip(billable, numbers, invoice_ids, strict=True):
            total = draft.total
            paid = total == ZERO
            invoices.append(
                (
                    invoice_id,
                    tenant.pk,
                    snap.customer_id,
                    number,
                    "paid" if paid else "issued",
                    snap.currency,
                    as_of,
                    due,
                    draft.subtotal,
                    draft.tax_total,
                    total,
                    as_of if paid else None,
                    run.pk,
                    f"Tax exempt: {snap.tax_exemption_reference}" if snap.tax_exempt else "",
                )
            )
            for line in draft.lines:
                charge_id = line.ref if line.kind in _CHARGE_KINDS else None
                addon_ref = line.ref if line.kind == LineKind.ADDON else None
                if charge_id is not None:
                    billed_charges.append((charge_id, invoice_id))
                lines.append(
                    (
                        tenant.pk,
                        invoice_id,
                        snap.pk,
                        charge_id,
                        addon_ref,
                        line.kind,
                        line.description,
                        line.period_start,
                        line.period_end,
                        line.quantity,
                        line.unit_price,
                        line.net_amount,
                        line.tax_rate,
                        line.tax_amount,
                        line.total,
                    )
                )
        copy_rows(Invoice, _INVOICE_FIELDS, invoices)
        copy_rows(InvoiceLine, _LINE_FIELDS, lines)
        _mark_charges(billed_charges)
        _advance(fresh)
        _advance_addons(fresh, tenant.pk)
        _count_promotions(fresh)
        if invoice_ids:
            events.publish(
                events.INVOICES_ISSUED,
                tenant_id=tenant.pk,
                invoice_ids=invoice_ids,
                customer_ids=[s.customer_id for s, _ in billable],
            )
            outbox.enqueue(
                tenant=tenant,
                kind="billing.send_invoices",
                payload={"invoice_ids": invoice_ids},
                defer_inline=True,
            )
    return len(billable)


def _advance(fresh: list[tuple[Snapshot, Draft]]) -> None:
    """Move each subscription's billing state on (one statement for the chunk)."""
    ids, through, upcoming = [], [], []
    for snap, draft in fresh:
        ids.append(snap.pk)
        through.append(draft.billed_through.get((LineKind.RECURRING, snap.pk), snap.billed_through))
        upcoming.append(draft.next_bill_date)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_subscriptionbilling AS s"
            " SET billed_through = v.billed_through, version = s.version + 1,"
            # a charge dated before the next period keeps the subscription due
            " next_bill_date = LEAST(v.next_bill_date, (SELECT min(c.charge_date)"
            " FROM billing_charge c WHERE c.subscription_id = s.subscription_id"
            " AND c.invoice_id IS NULL))"
            " FROM unnest(%s::bigint[], %s::date[], %s::date[])"
            " AS v(id, billed_through, next_bill_date) WHERE s.subscription_id = v.id",
            [ids, through, upcoming],
        )


_CHARGE_KINDS = (LineKind.ONE_TIME, LineKind.PRORATION)


def _advance_addons(fresh: list[tuple[Snapshot, Draft]], tenant_id: int) -> None:
    """Record how far each billed add-on is billed now."""
    rows = [
        (ref, through)
        for _, draft in fresh
        for (kind, ref), through in draft.billed_through.items()
        if kind == LineKind.ADDON
    ]
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO billing_addonbilling (subscription_addon_id, tenant_id, billed_through)"
            " SELECT v.id, %s, v.through FROM unnest(%s::bigint[], %s::date[]) AS v(id, through)"
            " ON CONFLICT (subscription_addon_id) DO UPDATE"
            " SET billed_through = EXCLUDED.billed_through",
            [tenant_id, [r for r, _ in rows], [t for _, t in rows]],
        )


def _count_promotions(fresh: list[tuple[Snapshot, Draft]]) -> None:
    """Count the cycles each limited promotion has now discounted."""
    rows = [(ref, n) for _, draft in fresh for ref, n in draft.discount_cycles.items()]
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE subscriptions_subscriptionpromotion AS p"
            " SET cycles_used = p.cycles_used + v.n"
            " FROM unnest(%s::bigint[], %s::int[]) AS v(id, n) WHERE p.id = v.id",
            [[r for r, _ in rows], [n for _, n in rows]],
        )


def _mark_charges(billed: list[tuple[int, int]]) -> None:
    """Record which invoice each charge went on."""
    if not billed:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE billing_charge AS c SET invoice_id = v.invoice_id"
            " FROM unnest(%s::bigint[], %s::bigint[]) AS v(id, invoice_id) WHERE c.id = v.id",
            [[c for c, _ in billed], [i for _, i in billed]],
        )


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
