"""What a billing run writes: a chunk's drafts, in one transaction, with COPY.

The transaction takes the tenant's billing lock, keeps only the drafts whose
billing state is unchanged since it was read (its version), takes a block of
gap-free invoice numbers, COPYs invoices and lines, marks the charges
invoiced, moves the billing state on and queues one email job for the chunk.
Its commit does not wait for the WAL flush: a chunk lost in a crash right
after is whole or absent, numbers included, and the next run bills it again.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

from ispstack.billing.engine import Draft
from ispstack.billing.events import InvoicesIssued
from ispstack.billing.models import BillingRun, Invoice, InvoiceLine, LineKind, SubscriptionBilling
from ispstack.billing.selectors import settings_for
from ispstack.billing.snapshot import Snapshot
from ispstack.core import events, outbox
from ispstack.core.bulk import copy_rows, reserve_ids
from ispstack.core.locks import tenant_lock
from ispstack.core.money import ZERO
from ispstack.core.numbering import next_numbers
from ispstack.subscriptions.services import count_promotion_cycles

INVOICE_FIELDS = (
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
LINE_FIELDS = (
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
        terms = settings_for(tenant)
        numbers = next_numbers(
            tenant, "invoice", as_of.year, terms.invoice_number_format, len(billable)
        )
        invoice_ids = reserve_ids(Invoice, len(billable))
        due = as_of + dt.timedelta(days=terms.invoice_net_days)
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
                charge_id = line.charge_id
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
        copy_rows(Invoice, INVOICE_FIELDS, invoices)
        copy_rows(InvoiceLine, LINE_FIELDS, lines)
        _mark_charges(billed_charges)
        _advance(fresh)
        _advance_addons(fresh, tenant.pk)
        _count_promotions(fresh)
        if invoice_ids:
            events.publish(
                InvoicesIssued(
                    tenant_id=tenant.pk,
                    invoice_ids=invoice_ids,
                    customer_ids=[s.customer_id for s, _ in billable],
                )
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
    count_promotion_cycles(
        (ref, n) for _, draft in fresh for ref, n in draft.discount_cycles.items()
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
