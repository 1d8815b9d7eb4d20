"""Reads of the journal shared by the console, the API and the exports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum

from ispstack.accounting.models import AccountMapping, JournalEntry, JournalLine, PostingRole
from ispstack.core import clock
from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant
from ispstack.core.money import ZERO

#: The longest range one export or page covers (a product default): a
#: fiscal year and its neighbours, while one request stays bounded.
MAX_RANGE_DAYS = 3 * 366


@dataclass(frozen=True)
class Range:
    """Booking dates ``start``..``end``, both inclusive (local dates)."""

    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        """``2026-01`` for a calendar month, else ``2026-01-01_2026-03-31``."""
        if self.start.day == 1 and clock.add_months(self.start, 1) - dt.timedelta(1) == self.end:
            return f"{self.start:%Y-%m}"
        return f"{self.start:%Y-%m-%d}_{self.end:%Y-%m-%d}"


def month_range(value: str, field: str = "month") -> Range:
    """The calendar month ``YYYY-MM`` as a Range; InvalidInput naming ``field`` otherwise."""
    try:
        year, month = (int(part) for part in str(value).split("-"))
        first = dt.date(year, month, 1)
        return Range(first, clock.add_months(first, 1) - dt.timedelta(1))
    except (TypeError, ValueError, OverflowError):
        raise InvalidInput(f"'{value}' is not a month (YYYY-MM)", field=field) from None


def date_range(start: dt.date, end: dt.date) -> Range:
    """``start``..``end`` checked: in order and at most ``MAX_RANGE_DAYS`` long.

    Raises InvalidInput naming ``end``.
    """
    if end < start:
        raise InvalidInput("must not be before the start", field="end")
    if (end - start).days > MAX_RANGE_DAYS:
        raise InvalidInput(f"a range covers at most {MAX_RANGE_DAYS} days", field="end")
    return Range(start, end)


def entries(tenant: Tenant, period: Range | None = None) -> QuerySet[JournalEntry]:
    """The tenant's entries (booked in ``period``), in booking order."""
    rows = JournalEntry.objects.for_tenant(tenant)
    if period is not None:
        rows = rows.filter(booking_date__range=(period.start, period.end))
    return rows.order_by("booking_date", "number")


def export_lines(
    tenant: Tenant, period: Range, currency: str | None = None
) -> QuerySet[JournalLine]:
    """Lines of entries booked in ``period`` (of one ``currency``, or all),
    with their entry and account, in booking order: what an export writes."""
    rows = JournalLine.objects.filter(
        tenant=tenant, entry__booking_date__range=(period.start, period.end)
    )
    if currency:
        rows = rows.filter(entry__currency=currency)
    return rows.select_related("entry", "account").order_by(
        "entry__booking_date", "entry__number", "id"
    )


def months(tenant: Tenant) -> list[tuple[dt.date, int]]:
    """(first day of a month, entries booked in it) for every month with
    entries, newest first."""
    rows = (
        JournalEntry.objects.for_tenant(tenant)
        .values_list("period")
        .annotate(count=Count("id"))
        .order_by("-period")
    )
    return [(period, count) for period, count in rows]


def role_balance(tenant: Tenant, role: str, currency: str) -> Decimal:
    """Debits less credits, in ``currency`` units, on the accounts mapped to
    ``role`` (e.g. the receivable: what customers owe, less their credit)."""
    totals = JournalLine.objects.filter(
        tenant=tenant,
        entry__currency=currency,
        account_id__in=AccountMapping.objects.filter(tenant=tenant, role=role).values("account_id"),
    ).aggregate(debit=Sum("debit"), credit=Sum("credit"))
    return (totals["debit"] or ZERO) - (totals["credit"] or ZERO)


def receivable_balance(tenant: Tenant, currency: str) -> Decimal:
    """The receivable in the journal, in ``currency`` units."""
    return role_balance(tenant, PostingRole.RECEIVABLE, currency)
