"""Reads on balances and customer statements."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import DecimalField, F, QuerySet, Sum
from django.db.models.expressions import RawSQL

from ispstack.billing.models import OPEN_STATUSES, CreditNote, Invoice, InvoiceStatus
from ispstack.core import tenant_settings
from ispstack.core.models import Tenant
from ispstack.core.money import ZERO
from ispstack.customers.models import Customer
from ispstack.payments.models import DirectDebitSettings, Payment, Refund


def open_amount(customer: Customer) -> Decimal:
    """Sum of what is still due on the customer's open invoices."""
    total = Invoice.objects.filter(customer=customer, status__in=OPEN_STATUSES).aggregate(
        due=Sum(F("total") - F("amount_paid") - F("amount_credited"))
    )["due"]
    return total or ZERO


def credit(customer: Customer) -> Decimal:
    """The customer's unused credit: payments and credit notes not yet allocated."""
    paid = Payment.objects.filter(customer=customer).aggregate(c=Sum("unallocated"))["c"]
    noted = CreditNote.objects.filter(customer=customer).aggregate(c=Sum("unallocated"))["c"]
    return (paid or ZERO) + (noted or ZERO)


def account_balance(customer: Customer) -> Decimal:
    """What the customer owes: open invoice amounts less credit (negative = in credit)."""
    return open_amount(customer) - credit(customer)


def balance_sql(customer_column: str) -> str:
    """``account_balance`` of the customer whose id is ``customer_column``, as
    one SQL expression of three sums on the customer's indexes. Its parameters
    are the open invoice statuses (an array), after ``customer_column`` where
    that is a placeholder (``balance`` shows the order). Public so that a
    page may read the balance in the same statement as its other figures."""
    return f"""
        COALESCE((SELECT SUM(total - amount_paid - amount_credited)
                    FROM {Invoice._meta.db_table}
                   WHERE customer_id = {customer_column} AND status = ANY(%s)), 0)
      - COALESCE((SELECT SUM(unallocated) FROM {Payment._meta.db_table}
                   WHERE customer_id = {customer_column}), 0)
      - COALESCE((SELECT SUM(unallocated) FROM {CreditNote._meta.db_table}
                   WHERE customer_id = {customer_column}), 0)
    """


def balance(customer: Customer) -> Decimal:
    """``account_balance`` in one SQL statement (three sums on the customer's
    indexes), for pages that show it on every view: the ORM's expressions
    cost more to compile than the sums cost to run."""
    open_statuses = [str(status) for status in OPEN_STATUSES]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {balance_sql('%s')}", [customer.pk, open_statuses, customer.pk, customer.pk]
        )
        (value,) = cursor.fetchone()
    return Decimal(value)


def with_balance(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """``customers`` annotated with ``balance_due``: what ``balance`` returns
    for each, read in the same query as the customer row (Decimal, in the
    customer's currency; positive owed, negative credit)."""
    table = Customer._meta.db_table
    column = f'"{table}"."id"'
    open_statuses = [str(status) for status in OPEN_STATUSES]
    return customers.annotate(
        balance_due=RawSQL(
            balance_sql(column),
            [open_statuses],
            output_field=DecimalField(max_digits=14, decimal_places=4),
        )
    )


@dataclass(frozen=True)
class StatementEntry:
    """One document on a statement; ``amount`` is positive when it raises what is owed."""

    day: dt.date
    kind: str
    reference: str
    description: str
    amount: Decimal
    balance: Decimal


@dataclass
class Statement:
    """A customer's account from ``start`` to ``end`` (inclusive), in its currency."""

    customer: Customer
    start: dt.date
    end: dt.date
    currency: str
    opening_balance: Decimal
    entries: list[StatementEntry] = field(default_factory=list)

    @property
    def closing_balance(self) -> Decimal:
        return self.entries[-1].balance if self.entries else self.opening_balance


def _movements(customer: Customer) -> list[tuple[dt.date, int, str, str, str, Decimal]]:
    rows: list[tuple[dt.date, int, str, str, str, Decimal]] = []
    invoices = Invoice.objects.filter(customer=customer).exclude(status=InvoiceStatus.VOID)
    for day, _, number, total in invoices.values_list("issue_date", "pk", "number", "total"):
        rows.append((day, 0, "invoice", number, f"Invoice {number}", total))
    for note in CreditNote.objects.filter(customer=customer).values_list(
        "issue_date", "pk", "number", "total", "invoice__number"
    ):
        rows.append((note[0], 1, "credit_note", note[2], f"Credit note for {note[4]}", -note[3]))
    for pay in Payment.objects.filter(customer=customer).values_list(
        "received_on", "pk", "reference", "amount", "method"
    ):
        rows.append(
            (
                pay[0],
                2,
                "payment",
                pay[2] or f"#{pay[1]}",
                f"Payment ({pay[4].replace('_', ' ')})",
                -pay[3],
            )
        )
    for rev in Payment.objects.filter(customer=customer, reversed_on__isnull=False).values_list(
        "reversed_on", "pk", "reference", "amount", "reversal_reason"
    ):
        rows.append(
            (  # type: ignore[arg-type]  # reversed_on is set: filtered above
                rev[0],
                3,
                "payment_reversal",
                rev[2] or f"#{rev[1]}",
                f"Payment returned ({rev[4]})",
                rev[3],
            )
        )
    for ref in Refund.objects.filter(customer=customer).values_list(
        "refunded_on", "pk", "reference", "amount"
    ):
        rows.append((ref[0], 3, "refund", ref[2] or f"#{ref[1]}", "Refund", ref[3]))
    rows.sort(key=lambda r: (r[0], r[1], r[3]))
    return rows


def statement(customer: Customer, start: dt.date, end: dt.date) -> Statement:
    """Opening balance at ``start``, every invoice, credit note, payment and
    refund dated ``start``..``end`` with the running balance, and the
    closing balance. Over all time the closing balance equals
    ``account_balance``."""
    opening = ZERO
    result = Statement(
        customer=customer, start=start, end=end, currency=customer.currency, opening_balance=ZERO
    )
    balance = ZERO
    for day, _, kind, reference, description, amount in _movements(customer):
        if day < start:
            opening += amount
            balance = opening
            continue
        if day > end:
            break
        balance += amount
        result.entries.append(
            StatementEntry(
                day=day,
                kind=kind,
                reference=reference,
                description=description,
                amount=amount,
                balance=balance,
            )
        )
    result.opening_balance = opening
    return result


def settings_for(tenant: Tenant) -> DirectDebitSettings:
    """The direct debit settings of ``tenant`` (one row per tenant, created with the defaults
    if missing); cached on the tenant instance, so reading it for every
    collection of a run costs one query."""
    return tenant_settings.settings_of(tenant, DirectDebitSettings)
