"""Writing one journal entry: balanced, numbered, booked in an open month, once."""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection

from ispstack.accounting.models import Account, JournalEntry, JournalLine
from ispstack.accounting.periods import book_on, booking_day, last_closed_month, month_of
from ispstack.core import locks
from ispstack.core.errors import InvalidInput
from ispstack.core.models import Tenant
from ispstack.core.money import ZERO
from ispstack.core.numbering import next_number

#: Entry numbers per tenant and booking year (a product default, in the
#: style of the invoice numbers).
NUMBER_FORMAT = "JE-{year}-{seq:06d}"

#: A leg of an entry: an account and a signed amount, debit positive, credit negative.
Leg = tuple[Account, Decimal]


class Unknown(enum.Enum):
    """Marks an argument the caller did not give (None is a value of it)."""

    TOKEN = 0


UNKNOWN = Unknown.TOKEN


class Unbalanced(InvalidInput):
    """The legs of an entry do not sum to zero."""


def net_legs(legs: Iterable[Leg]) -> list[tuple[Account, Decimal, Decimal]]:
    """Legs summed per account into (account, debit, credit) with one side
    zero, zero sums dropped, in the order the accounts first appear.

    Raises Unbalanced (field ``lines``) when debits and credits differ.
    """
    sums: dict[int, Decimal] = defaultdict(lambda: ZERO)
    accounts: dict[int, Account] = {}
    for account, amount in legs:
        accounts.setdefault(account.pk, account)
        sums[account.pk] += amount
    total = sum(sums.values(), ZERO)
    if total != ZERO:
        raise Unbalanced(f"debits and credits differ by {total}", field="lines")
    return [
        (accounts[pk], max(amount, ZERO), max(-amount, ZERO))
        for pk, amount in sums.items()
        if amount != ZERO
    ]


def write_entry(
    *,
    tenant: Tenant,
    source_type: str,
    source_id: int,
    kind: str,
    currency: str,
    document_date: dt.date,
    memo: str,
    legs: Iterable[Leg],
    source_reference: str = "",
    last_closed: dt.date | None | Unknown = UNKNOWN,
) -> JournalEntry | None:
    """Write the entry of (source, kind, currency) unless it exists; returns
    it, or None when it was written before (a re-run is a no-op).

    ``document_date`` is the source's local date; the entry is booked on
    ``periods.booking_day`` of it, so a closed month never receives an
    entry. Legs are amounts in ``currency`` units, debit positive. Must run
    inside the caller's transaction (the entry number is taken in it, so a
    rollback gives it back). ``last_closed`` is the tenant's last closed
    month as a run read it once under ``lock_books`` (else it is read here).
    Raises Unbalanced when the legs do not balance.
    """
    lines = net_legs(legs)
    existing = JournalEntry.objects.filter(
        tenant=tenant, source_type=source_type, source_id=source_id, kind=kind, currency=currency
    )
    if existing.exists():
        return None
    if isinstance(last_closed, Unknown):
        booked = booking_day(tenant, document_date)
    else:
        booked = book_on(document_date, last_closed)
    entry = JournalEntry.objects.create(
        tenant=tenant,
        number=next_number(tenant, "journal_entry", booked.year, NUMBER_FORMAT),
        document_date=document_date,
        booking_date=booked,
        period=month_of(booked),
        source_type=source_type,
        source_id=source_id,
        kind=kind,
        source_reference=source_reference[:60],
        memo=memo[:300],
        currency=currency,
    )
    JournalLine.objects.bulk_create(
        [
            JournalLine(tenant=tenant, entry=entry, account=account, debit=debit, credit=credit)
            for account, debit, credit in lines
        ]
    )
    return entry


def lock_books(tenant: Tenant) -> dt.date | None:
    """Serialise journal writers of ``tenant`` and keep its periods from
    closing until the transaction ends; returns the last closed month.

    The advisory lock orders two posting runs; the tenant row's share lock
    waits for a running ``close_period`` (which locks the row for update) and
    holds the next one off, without blocking the inserts that reference the
    tenant as a row lock for update would. Must run inside a transaction.
    """
    locks.tenant_lock(tenant, "journal")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {Tenant._meta.db_table} WHERE id = %s FOR SHARE", [tenant.pk]
        )
    return last_closed_month(tenant)
