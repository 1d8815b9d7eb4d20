"""Posting revenue recognition: deferred revenue becomes revenue month by month."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from ispstack.accounting.chart import Chart
from ispstack.accounting.journal.entries import Leg, lock_books, write_entry
from ispstack.accounting.models import JournalEntry, PostingKind, PostingRole, SourceType
from ispstack.core import clock
from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant
from ispstack.core.money import ZERO, parse_amount


def month_source_id(month: dt.date) -> int:
    """The ``source_id`` of a month's recognition entry: ``YYYYMM``."""
    return month.year * 100 + month.month


@transaction.atomic
def post_recognition(
    *, tenant: Tenant, month: dt.date, amounts: Iterable[tuple[str, str, Decimal]]
) -> list[JournalEntry]:
    """Post the revenue recognised in ``month`` (the first day of a month, a
    local date): Dr deferred revenue / Cr revenue, one entry per currency.

    ``amounts`` are (revenue key, currency, amount): the key is an invoice
    line kind (``recurring``, ``addon``, ``proration``...) or another
    revenue key of the chart, picking both the deferred revenue and the
    revenue account (``AccountMapping``); amounts are Decimal in currency
    units, negative for a reduction (a credit note of a recognised month),
    and are summed per key. The entry is dated on the month's last day,
    or booked in the first open month when the month is closed.

    Idempotent per (tenant, month, currency): a month posted before is not
    posted again, and the entries written by this call are returned (none on
    a re-run). Raises InvalidInput (``month`` not a first day, an amount
    with too many decimals) and Conflict (field ``role``) for an unmapped key.
    """
    if not isinstance(month, dt.date) or month.day != 1:
        raise InvalidInput("must be the first day of a month", field="month")
    totals: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for n, (key, currency, amount) in enumerate(amounts):
        value = parse_amount(amount, currency, field=f"amounts[{n}]", allow_negative=True)
        totals[currency][key] += value
    chart = Chart(tenant)
    last_day = clock.month_end(month)
    last_closed = lock_books(tenant)
    written = []
    for currency, by_key in sorted(totals.items()):
        legs: list[Leg] = []
        for key, amount in sorted(by_key.items()):
            legs.append((chart.account(PostingRole.DEFERRED_REVENUE, key), amount))
            legs.append((chart.account(PostingRole.REVENUE, key), -amount))
        entry = write_entry(
            tenant=tenant,
            source_type=SourceType.RECOGNITION,
            source_id=month_source_id(month),
            kind=PostingKind.RECOGNITION,
            currency=currency,
            document_date=last_day,
            memo=f"Revenue recognised for {month:%Y-%m}",
            legs=legs,
            source_reference=f"{month:%Y-%m}",
            last_closed=last_closed,
        )
        if entry is not None:
            written.append(entry)
    return written
