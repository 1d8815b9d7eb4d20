"""Accounting writes: the recognition run and the month close around it,
which posts the month's recognised revenue to the journal."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Q, Sum, Value, When

from ispstack.accounting import periods, recognition_sql
from ispstack.accounting.chart import DEFERRED_KINDS
from ispstack.accounting.journal.recognition import post_recognition
from ispstack.accounting.models import (
    AccountingPeriod,
    ChargeRecognitionTerm,
    JournalEntry,
    PostingKind,
    RevenueScheduleEntry,
    SourceType,
)
from ispstack.accounting.recognition_sql import RunCounts
from ispstack.billing.models import Charge, LineKind
from ispstack.core import clock, inputs
from ispstack.core.clock import month_end
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.core.models import Tenant, User
from ispstack.sales.events import QuoteAccepted

__all__ = [
    "RunCounts",
    "close_month",
    "post_recognised_revenue",
    "recognise_revenue",
    "spread_charge",
]


def _lock(tenant: Tenant) -> None:
    """The tenant's close lock (``periods.close_period`` takes it too), so a
    run and a close never interleave and no row lands in a month being closed."""
    Tenant.objects.select_for_update().filter(pk=tenant.pk).first()


def _first_open(tenant: Tenant) -> dt.date | None:
    last = periods.last_closed_month(tenant)
    return None if last is None else clock.add_months(last, 1)


@transaction.atomic
def recognise_revenue(*, tenant: Tenant, through: Any) -> RunCounts:
    """Write the revenue schedule of every invoice line, credit note line and
    voided invoice of ``tenant`` dated on or before ``through`` (a local
    date) that has none yet. Each is scheduled whole, its future months
    too; what falls in a closed month is booked into the first open one
    (``periods.booking_day``). Idempotent: a second run for the same date
    writes nothing. Raises InvalidInput (field ``through``) on a bad date.
    """
    day = inputs.day(through, "through")
    _lock(tenant)
    return recognition_sql.run(tenant_id=tenant.pk, through=day, first_open=_first_open(tenant))


@transaction.atomic
def close_month(*, tenant: Tenant, month: Any, user: User | None = None) -> AccountingPeriod:
    """Recognise revenue through the last day of ``month`` (the first of a
    month, a local date), then close it (``periods.close_period``): a closed
    month's schedule never changes. Raises InvalidInput (field ``month``)
    and Conflict as ``close_period`` does."""
    first = inputs.day(month, "month")
    if first.day != 1:
        raise InvalidInput("must be the first day of a month", field="month")
    if clock.add_months(first, 1) > clock.today(tenant):
        raise InvalidInput("a month closes only after it has ended", field="month")
    recognise_revenue(tenant=tenant, through=month_end(first))
    post_recognised_revenue(tenant=tenant, month=first)
    return periods.close_period(tenant=tenant, month=first, user=user)


def post_recognised_revenue(*, tenant: Tenant, month: dt.date) -> None:
    """Post to the journal the revenue recognised in ``month`` (its first
    day) of what the journal defers when it posts an invoice (the kinds of
    ``chart.DEFERRED_KINDS``, the one-time charges spread by a term and the
    discounts allocated over service lines): Dr deferred revenue / Cr
    revenue per key and currency. A discount's share of a service is keyed
    ``discount``, so it reaches the discounts account (a contra-revenue)
    rather than lowering the service's revenue, and leaves deferred revenue
    as it entered it. Point-in-time items were credited to revenue at issue,
    so their schedule rows move nothing. Idempotent per month and currency."""
    spread = ChargeRecognitionTerm.objects.filter(tenant=tenant).values("charge_id")
    rows = (
        RevenueScheduleEntry.objects.filter(tenant=tenant, month=month)
        .filter(
            Q(kind__in=[str(kind) for kind in DEFERRED_KINDS]) | Q(obligation__charge_id__in=spread)
        )
        .annotate(
            key=Case(
                When(invoice_line__kind=LineKind.DISCOUNT, then=Value(str(LineKind.DISCOUNT))),
                default=F("kind"),
            )
        )
        .values_list("key", "currency")
        .annotate(total=Sum("amount"))
        .order_by("key", "currency")
    )
    post_recognition(tenant=tenant, month=month, amounts=list(rows))


@transaction.atomic
def spread_charge(*, charge: Charge, months: Any, start_month: Any = None) -> ChargeRecognitionTerm:
    """Recognise one-time ``charge`` evenly over ``months`` (1..120) calendar
    months from ``start_month`` (the first of a month; None: the month of the
    invoice that bills it) instead of on its charge date. Set before the
    charge's invoice line is scheduled and its invoice posted; raises
    InvalidInput (fields ``months``, ``start_month``) and Conflict (field
    ``charge``) when its line has a schedule or its invoice a journal entry
    already."""
    count = inputs.whole_number(months, "months")
    if not 1 <= count <= 120:
        raise InvalidInput("must be between 1 and 120 months", field="months")
    start = None
    if start_month is not None:
        start = inputs.day(start_month, "start_month")
        if start.day != 1:
            raise InvalidInput("must be the first day of a month", field="start_month")
    if RevenueScheduleEntry.objects.filter(
        source="line", invoice_line__charge_id=charge.pk
    ).exists():
        raise Conflict("this charge is recognised already", field="charge")
    invoiced = Charge.objects.filter(pk=charge.pk).values("invoice_id")
    if JournalEntry.objects.filter(
        source_type=SourceType.INVOICE, kind=PostingKind.ISSUE, source_id__in=invoiced
    ).exists():
        # Its invoice credited the charge to revenue: spreading it now would
        # book its revenue twice.
        raise Conflict("the charge's invoice is in the journal already", field="charge")
    term, _created = ChargeRecognitionTerm.objects.update_or_create(
        charge=charge,
        defaults={"tenant_id": charge.tenant_id, "months": count, "start_month": start},
    )
    return term


def on_quote_accepted(event: QuoteAccepted) -> None:
    """Event handler (in the acceptance's transaction): the one-time items of
    an accepted quote marked ``spread_over_term`` are recognised over the
    contract's term (``spread_charge``, from the month of the invoice that
    bills them; at most 120 months), not on their charge date."""
    months = min(event.term_months, 120)
    if not months:
        return
    for charge in Charge.objects.filter(tenant_id=event.tenant_id, pk__in=event.spread_charge_ids):
        spread_charge(charge=charge, months=months)
