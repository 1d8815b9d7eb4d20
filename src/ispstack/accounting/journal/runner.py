"""The posting run: every source not yet in the journal, up to a date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Exists, Model, OuterRef, Prefetch, QuerySet

from ispstack.accounting.chart import Chart
from ispstack.accounting.journal import postings
from ispstack.accounting.journal.entries import Leg, lock_books, write_entry
from ispstack.accounting.models import JournalEntry, PostingKind, SourceType
from ispstack.billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceStatus
from ispstack.core.models import Tenant
from ispstack.payments.models import Payment, Refund

#: Sources per transaction: a run over a year of a large ISP commits as it
#: goes and holds the journal lock for one chunk at a time.
CHUNK = 500


@dataclass(frozen=True)
class Rule:
    """How one (source, kind) is posted: the rows, their date field, the legs."""

    source_type: str
    kind: str
    model: type[Model]
    date_field: str
    legs: Callable[[Chart, Any], list[Leg]]
    memo: Callable[[Any], str]
    reference: Callable[[Any], str]
    # What to prefetch with the rows, made per query (querysets are not shared).
    prefetch: Callable[[], tuple[Any, ...]] = tuple


RULES = (
    Rule(
        SourceType.INVOICE,
        PostingKind.ISSUE,
        Invoice,
        "issue_date",
        postings.invoice_legs,
        lambda i: f"Invoice {i.number} to {i.customer.account_number}",
        lambda i: i.number,
        lambda: (Prefetch("lines", queryset=postings.posting_lines()),),
    ),
    Rule(
        SourceType.CREDIT_NOTE,
        PostingKind.ISSUE,
        CreditNote,
        "issue_date",
        postings.credit_note_legs,
        lambda n: f"Credit note {n.number} on {n.invoice.number} to {n.customer.account_number}",
        lambda n: n.number,
        lambda: (
            Prefetch(
                "lines",
                queryset=CreditNoteLine.objects.prefetch_related(
                    Prefetch("invoice_line", queryset=postings.posting_lines())
                ),
            ),
        ),
    ),
    Rule(
        SourceType.PAYMENT,
        PostingKind.RECEIPT,
        Payment,
        "received_on",
        postings.payment_legs,
        lambda p: (
            f"Payment ({p.get_method_display()}) from {p.customer.account_number}"
            + (f", {p.reference}" if p.reference else "")
        ),
        lambda p: p.reference,
    ),
    Rule(
        SourceType.PAYMENT,
        PostingKind.REVERSAL,
        Payment,
        "reversed_on",
        postings.reversal_legs,
        lambda p: (
            f"Payment reversed ({p.reversal_reason or 'no reason'}) of {p.customer.account_number}"
        ),
        lambda p: p.reference,
    ),
    Rule(
        SourceType.REFUND,
        PostingKind.REFUND,
        Refund,
        "refunded_on",
        postings.refund_legs,
        lambda r: f"Refund ({r.get_method_display()}) to {r.customer.account_number}",
        lambda r: r.reference,
    ),
)


def _unposted(tenant: Tenant, rule: Rule, through: dt.date) -> QuerySet[Any]:
    posted = JournalEntry.objects.filter(
        tenant=tenant, source_type=rule.source_type, kind=rule.kind, source_id=OuterRef("pk")
    )
    return (
        rule.model.objects.filter(tenant=tenant, **{f"{rule.date_field}__lte": through})  # type: ignore[attr-defined]
        .filter(~Exists(posted))
        .order_by(rule.date_field, "pk")
    )


def _chunks(queryset: QuerySet[Any]) -> Iterator[list[int]]:
    """Ids of ``queryset`` a chunk at a time; each chunk is posted before the
    next is read, so the unposted filter moves on."""
    while ids := list(queryset.values_list("pk", flat=True)[:CHUNK]):
        yield ids


def _post_rule(tenant: Tenant, chart: Chart, rule: Rule, through: dt.date) -> int:
    written = 0
    for ids in _chunks(_unposted(tenant, rule, through)):
        with transaction.atomic():
            last_closed = lock_books(tenant)
            rows = (
                rule.model.objects.filter(pk__in=ids)  # type: ignore[attr-defined]
                .select_related("customer")
                .prefetch_related(*rule.prefetch())
                .order_by(rule.date_field, "pk")
            )
            if rule.model is CreditNote:
                rows = rows.select_related("invoice")
            for row in rows:
                entry = write_entry(
                    tenant=tenant,
                    source_type=rule.source_type,
                    source_id=row.pk,
                    kind=rule.kind,
                    currency=row.currency,
                    document_date=getattr(row, rule.date_field),
                    memo=rule.memo(row),
                    legs=rule.legs(chart, row),
                    source_reference=rule.reference(row),
                    last_closed=last_closed,
                )
                written += entry is not None
    return written


def _post_voids(tenant: Tenant, chart: Chart, through: dt.date) -> int:
    """Voided invoices whose issue is posted, dated by their ``voided_on``,
    never before their issue; a void dated after ``through`` waits for a
    later run."""
    posted = JournalEntry.objects.filter(
        tenant=tenant,
        source_type=SourceType.INVOICE,
        kind=PostingKind.VOID,
        source_id=OuterRef("pk"),
    )
    issued = JournalEntry.objects.filter(
        tenant=tenant,
        source_type=SourceType.INVOICE,
        kind=PostingKind.ISSUE,
        source_id=OuterRef("pk"),
    )
    pending = list(
        Invoice.objects.filter(tenant=tenant, status=InvoiceStatus.VOID)
        .filter(Exists(issued), ~Exists(posted))
        .order_by("pk")
        .values_list("pk", "issue_date", "voided_on")
    )
    due: dict[int, dt.date] = {}
    for pk, issue_date, voided_on in pending:
        # Every void has its date (void_invoice, billing migration 0017).
        day = max(voided_on or issue_date, issue_date)
        if day <= through:
            due[pk] = day
    ids = list(due)
    written = 0
    for start in range(0, len(ids), CHUNK):
        with transaction.atomic():
            last_closed = lock_books(tenant)
            invoices = Invoice.objects.filter(pk__in=ids[start : start + CHUNK])
            lines = Prefetch("lines", queryset=postings.posting_lines())
            for invoice in invoices.select_related("customer").prefetch_related(lines):
                entry = write_entry(
                    tenant=tenant,
                    source_type=SourceType.INVOICE,
                    source_id=invoice.pk,
                    kind=PostingKind.VOID,
                    currency=invoice.currency,
                    document_date=due[invoice.pk],
                    memo=f"Invoice {invoice.number} to {invoice.customer.account_number} voided",
                    legs=postings.void_legs(chart, invoice),
                    source_reference=invoice.number,
                    last_closed=last_closed,
                )
                written += entry is not None
    return written


def post_journal(*, tenant: Tenant, through: dt.date) -> dict[str, int]:
    """Post every source of ``tenant`` dated on or before ``through`` (a local
    date) that the journal does not hold yet; returns entries written per
    ``source_type.kind``.

    Idempotent: each (source, kind) is written once (a unique constraint),
    so a re-run, or a run killed halfway and started again, writes only what
    is missing. Works in chunks of ``CHUNK`` sources, one transaction each.
    A source dated in a closed month is booked in the first open month.
    Raises Conflict (field ``role``) when the tenant's chart maps no account
    for a role a source needs; what was posted before stays posted.
    """
    chart = Chart(tenant)
    counts = {
        f"{rule.source_type}.{rule.kind}": _post_rule(tenant, chart, rule, through)
        for rule in RULES
    }
    counts["invoice.void"] = _post_voids(tenant, chart, through)
    return counts
