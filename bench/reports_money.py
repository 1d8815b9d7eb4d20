"""The money history of ``bench/reports.py`` and the floors of the money reports.

``fill_history`` writes, for each bench subscriber, a monthly invoice from
its start until it ends or the bench's today (up to 36 months): the plan's
line at its price on the issue day, the add-on's line and, for a promotion,
the discount line of its first three invoices. Customers pay by direct debit
(four in ten: a settled monthly batch; the bank returns the debit of an
invoice never paid and 3 % of the others, which stay open), card (three in
ten: 8 % of invoices after a declined first attempt), bank transfer (two in
ten) or cash (one in ten), between the issue day and 20 days later; 5 % of
invoices are never paid, and nothing is paid after today. 1 % of invoices
get a credit note for their plan line (allocated to it, so never paid), and
one customer in 200 a refund.
Subscriptions are served by 40 sectors on 10 sites.

The floors are each one hand-written statement answering a report's
question for this data only (one currency, no tag or plan filter, no void,
no top-up, no bank-transfer review), run with the reports' session settings.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

CENT = Decimal("0.01")
VAT = Decimal("0.15")
METHODS = ("direct_debit",) * 4 + ("card",) * 3 + ("bank_transfer",) * 2 + ("cash",)
REASONS = ("Outage credit", "Billing error", "Goodwill")
CHUNK = 5_000


@dataclass(frozen=True)
class Subscriber:
    """One bench subscriber as ``bench/reports.py`` made it: ``prices`` maps
    a day to the monthly price of its plan line (plan changes and price
    rises applied), ``addon``: its add-on's monthly price on a day or None."""

    number: int
    customer_id: int
    subscription_id: int
    start: dt.date
    end: dt.date | None
    plan_price: Any
    addon_price: Any
    promotion: bool


def issue_days(sub: Subscriber, today: dt.date) -> Iterator[dt.date]:
    """The start day, then the first of each following month, while live."""
    day = sub.start
    while day <= today and (sub.end is None or day < sub.end):
        yield day
        day = next_month(day)


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _tax(net: Decimal) -> Decimal:
    return (net * VAT).quantize(CENT)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def make_sites(tenant: Any) -> list[int]:
    """10 tower sites of 4 sectors each; returns the 40 sector ids."""
    from ispstack.network.inventory import Sector, Site

    sectors = []
    for s in range(10):
        site = Site.objects.create(
            tenant=tenant,
            kind="tower",
            name=f"Tower {s + 1:02d}",
            slug=f"tower-{s + 1:02d}",
            latitude=Decimal("-33.9") - Decimal(s) / 100,
            longitude=Decimal("18.4") + Decimal(s) / 100,
        )
        for azimuth in (0, 90, 180, 270):
            sector = Sector.objects.create(
                tenant=tenant, site=site, name=f"{site.name} {azimuth}", azimuth=azimuth
            )
            sectors.append(sector.pk)
    return sectors


def fill_history(tenant: Any, subscribers: list[Subscriber], today: dt.date) -> dict[str, int]:
    """COPY the money history of ``subscribers`` (module docstring); returns
    rows written per table."""
    from ispstack.billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
    from ispstack.core.bulk import copy_rows, reserve_ids
    from ispstack.payments.models import (
        Allocation,
        CardPayment,
        CustomerPaymentMethod,
        DirectDebitBatch,
        DirectDebitItem,
        Payment,
        Refund,
    )

    rng = random.Random(36)
    counts: dict[str, int] = {}
    months = []
    month = min(s.start for s in subscribers).replace(day=1)
    while month <= today:
        months.append(month)
        month = next_month(month)
    batch_ids = dict(zip(months, reserve_ids(DirectDebitBatch, len(months)), strict=True))
    copy_rows(
        DirectDebitBatch,
        ("id", "tenant", "collection_date", "message_id", "status", "currency", "xml")
        + ("created_at", "updated_at"),
        [
            (bid, tenant.pk, m + dt.timedelta(days=6), f"BENCH-{m:%Y%m}", "settled", "ZAR", "")
            + (_at(m, 8), _at(m + dt.timedelta(days=6), 8))
            for m, bid in batch_ids.items()
        ],
    )
    for first in range(0, len(subscribers), CHUNK):
        chunk = subscribers[first : first + CHUNK]
        rows = _chunk_rows(tenant.pk, chunk, today, batch_ids, rng)
        ids = {
            name: reserve_ids(model, len(rows[name]))
            for name, model in (
                ("invoice", Invoice),
                ("line", InvoiceLine),
                ("payment", Payment),
                ("mandate", CustomerPaymentMethod),
                ("credit", CreditNote),
            )
        }
        for name, model, fields in (
            (
                "invoice",
                Invoice,
                ("id", "tenant", "customer", "number", "status", "currency")
                + ("issue_date", "due_date", "subtotal", "tax_total", "total", "amount_paid")
                + ("amount_credited", "paid_on", "created_at", "updated_at"),
            ),
            (
                "line",
                InvoiceLine,
                ("id", "tenant", "invoice", "subscription", "kind")
                + ("description", "period_start", "period_end", "unit_price", "net_amount")
                + ("tax_rate", "tax_amount", "total"),
            ),
            (
                "payment",
                Payment,
                ("id", "tenant", "customer", "amount", "currency")
                + ("received_on", "method", "reference", "created_at", "updated_at"),
            ),
            (
                "mandate",
                CustomerPaymentMethod,
                ("id", "tenant", "customer", "kind", "is_primary")
                + ("iban", "holder_name", "mandate_reference", "mandate_signed_on"),
            ),
            (
                "credit",
                CreditNote,
                ("id", "tenant", "customer", "invoice", "number")
                + ("issue_date", "reason", "currency", "subtotal", "tax_total", "total")
                + ("created_at", "updated_at"),
            ),
            (
                "credit_line",
                CreditNoteLine,
                ("tenant", "credit_note", "invoice_line")
                + ("description", "net_amount", "tax_rate", "tax_amount", "total"),
            ),
            (
                "allocation",
                Allocation,
                ("tenant", "payment", "credit_note", "invoice", "amount")
                + ("created_at", "updated_at"),
            ),
            (
                "card",
                CardPayment,
                ("tenant", "customer", "invoice", "intent_id", "amount")
                + ("currency", "status", "error", "payment", "created_at", "updated_at"),
            ),
            (
                "debit",
                DirectDebitItem,
                ("tenant", "batch", "invoice", "method", "amount")
                + ("sequence_type", "end_to_end_id", "status", "return_reason", "payment")
                + ("created_at", "updated_at"),
            ),
            (
                "refund",
                Refund,
                ("tenant", "customer", "amount", "currency", "refunded_on")
                + ("method", "reason", "created_at", "updated_at"),
            ),
        ):
            resolved = [_resolve(row, ids) for row in rows[name]]
            counts[name] = counts.get(name, 0) + copy_rows(model, fields, resolved)
    return counts


class Ref:
    """A primary key not reserved yet: the ``index``-th new row of ``table``."""

    __slots__ = ("index", "table")

    def __init__(self, table: str, index: int) -> None:
        self.table = table
        self.index = index


def _resolve(row: tuple[Any, ...], ids: dict[str, list[int]]) -> tuple[Any, ...]:
    return tuple(ids[v.table][v.index] if isinstance(v, Ref) else v for v in row)


def _chunk_rows(
    tenant: int,
    chunk: list[Subscriber],
    today: dt.date,
    batch_ids: dict[dt.date, int],
    rng: random.Random,
) -> dict[str, list[tuple[Any, ...]]]:
    rows: dict[str, list[tuple[Any, ...]]] = {
        name: []
        for name in ("invoice", "line", "payment", "mandate", "credit", "credit_line")
        + ("allocation", "card", "debit", "refund")
    }

    def new(table: str, row: tuple[Any, ...]) -> Ref:
        ref = Ref(table, len(rows[table]))
        rows[table].append(row if table not in ids_first else (ref, *row))
        return ref

    ids_first = {"invoice", "line", "payment", "mandate", "credit"}
    for sub in chunk:
        method = METHODS[sub.number % len(METHODS)]
        mandate = None
        if method == "direct_debit":
            mandate = new(
                "mandate",
                (tenant, sub.customer_id, "bank_account", True, "DE89370400440532013000")
                + (f"Subscriber {sub.number}", f"MD-{sub.number}", sub.start),
            )
        for n, day in enumerate(issue_days(sub, today)):
            lines = [("recurring", "Plan", sub.plan_price(day))]
            if sub.addon_price is not None:
                lines.append(("addon", "Static IP", sub.addon_price(day)))
            if sub.promotion and n < 3:
                lines.append(("discount", "Half price", -(sub.plan_price(day) / 2).quantize(CENT)))
            subtotal = sum((amount for _, _, amount in lines), Decimal(0))
            tax = sum((_tax(amount) for _, _, amount in lines), Decimal(0))
            total = subtotal + tax
            due = day + dt.timedelta(days=14)
            paid_on = day + dt.timedelta(days=rng.randint(0, 20))
            # A discounted invoice is never credited: its plan line is more than its total.
            credited = rng.random() < 0.01 and len(lines) == 1 + (sub.addon_price is not None)
            unpaid = rng.random() < 0.05
            paid = not credited and not unpaid and paid_on <= today
            # A debit is collected on the 7th, from the first batch after the
            # invoice; the bank returns it for an invoice never paid.
            returned = method == "direct_debit" and (unpaid or rng.random() < 0.03)
            batch_day = day.replace(day=1) if day.day == 1 else next_month(day)
            if method == "direct_debit":
                paid_on = batch_day + dt.timedelta(days=6)
                paid = not credited and not returned and paid_on <= today
            invoice_values = [
                tenant,
                sub.customer_id,
                f"INV-{sub.number}-{n}",
                "paid" if paid else "issued",
                "ZAR",
                day,
                due,
                subtotal,
                tax,
                total,
                total if paid else Decimal(0),
                Decimal(0),
                paid_on if paid else None,
                _at(day, 2),
                _at(day, 2),
            ]
            invoice = new("invoice", ())
            line_refs = []
            for kind, description, amount in lines:
                line_refs.append(
                    new(
                        "line",
                        (
                            tenant,
                            invoice,
                            sub.subscription_id,
                            kind,
                            description,
                            day,
                            day + dt.timedelta(days=29),
                            amount,
                            amount,
                            Decimal(15),
                            _tax(amount),
                            amount + _tax(amount),
                        ),
                    )
                )
            if credited and day + dt.timedelta(days=10) <= today:
                net = lines[0][2]
                credit = new(
                    "credit",
                    (
                        tenant,
                        sub.customer_id,
                        invoice,
                        f"CN-{sub.number}-{n}",
                        day + dt.timedelta(days=10),
                        rng.choice(REASONS),
                        "ZAR",
                        net,
                        _tax(net),
                        net + _tax(net),
                        _at(day + dt.timedelta(days=10), 9),
                        _at(day + dt.timedelta(days=10), 9),
                    ),
                )
                new(
                    "credit_line",
                    (
                        tenant,
                        credit,
                        line_refs[0],
                        "Plan",
                        net,
                        Decimal(15),
                        _tax(net),
                        net + _tax(net),
                    ),
                )
                new(
                    "allocation",
                    (
                        tenant,
                        None,
                        credit,
                        invoice,
                        net + _tax(net),
                        _at(day + dt.timedelta(days=10), 9),
                        _at(day + dt.timedelta(days=10), 9),
                    ),
                )
                invoice_values[11] = net + _tax(net)
            rows["invoice"][invoice.index] = (invoice, *invoice_values)
            if method == "direct_debit" and paid_on <= today and not credited:
                payment = None
                if paid:
                    payment = _pay(new, tenant, sub, invoice, total, paid_on, method, n)
                new(
                    "debit",
                    (
                        tenant,
                        batch_ids[batch_day],
                        invoice,
                        mandate,
                        total,
                        "FRST" if n == 0 else "RCUR",
                        f"E2E-{sub.number}-{n}",
                        "returned" if returned else "collected",
                        "AM04" if returned else "",
                        payment,
                        _at(batch_day, 8),
                        _at(paid_on + dt.timedelta(days=3 if returned else 0), 10),
                    ),
                )
            elif paid:
                payment = _pay(new, tenant, sub, invoice, total, paid_on, method, n)
                if method == "card":
                    if rng.random() < 0.08:
                        new(
                            "card",
                            (
                                tenant,
                                sub.customer_id,
                                invoice,
                                f"pi_fail_{sub.number}_{n}",
                                total,
                                "ZAR",
                                "failed",
                                "card_declined",
                                None,
                                _at(paid_on, 9),
                                _at(paid_on, 9),
                            ),
                        )
                    new(
                        "card",
                        (
                            tenant,
                            sub.customer_id,
                            invoice,
                            f"pi_{sub.number}_{n}",
                            total,
                            "ZAR",
                            "succeeded",
                            "",
                            payment,
                            _at(paid_on, 11),
                            _at(paid_on, 11),
                        ),
                    )
        if sub.number % 200 == 7:
            refunded_on = min(today, sub.start + dt.timedelta(days=40))
            new(
                "refund",
                (
                    tenant,
                    sub.customer_id,
                    Decimal("120.00"),
                    "ZAR",
                    refunded_on,
                    "bank_transfer",
                    rng.choice(("Overpaid", "Moved away")),
                    _at(refunded_on, 12),
                    _at(refunded_on, 12),
                ),
            )
    return rows


def _pay(
    new: Any,
    tenant: int,
    sub: Subscriber,
    invoice: Any,
    total: Decimal,
    on: dt.date,
    method: str,
    n: int,
) -> Any:
    payment = new(
        "payment",
        (
            tenant,
            sub.customer_id,
            total,
            "ZAR",
            on,
            method,
            f"PAY-{sub.number}-{n}",
            _at(on, 11),
            _at(on, 11),
        ),
    )
    new("allocation", (tenant, payment, None, invoice, total, _at(on, 11), _at(on, 11)))
    return payment


# --- the floors ------------------------------------------------------------------

_MONTHS = "months AS (SELECT unnest(%(starts)s::date[]) AS m, unnest(%(ends)s::date[]) AS d)"

FLOOR_REVENUE = """
WITH lines AS (
    SELECT inv.issue_date AS day, il.kind, il.subscription_id, il.net_amount AS invoiced,
        0 AS credited
    FROM billing_invoiceline il JOIN billing_invoice inv ON inv.id = il.invoice_id
    WHERE inv.tenant_id = %(tenant)s AND inv.issue_date BETWEEN %(first)s AND %(last)s
    UNION ALL
    SELECT cn.issue_date, il.kind, il.subscription_id, 0, cl.net_amount
    FROM billing_creditnoteline cl JOIN billing_creditnote cn ON cn.id = cl.credit_note_id
    JOIN billing_invoiceline il ON il.id = cl.invoice_line_id
    WHERE cn.tenant_id = %(tenant)s AND cn.issue_date BETWEEN %(first)s AND %(last)s
)
SELECT date_trunc('month', l.day)::date, l.kind, COALESCE(s.connection_type, ''),
    sum(l.invoiced), sum(l.credited)
FROM lines l
LEFT JOIN subscriptions_subscription s ON s.id = l.subscription_id
GROUP BY 1, 2, 3
"""

FLOOR_METHODS = """
SELECT date_trunc('month', p.created_at AT TIME ZONE %(tz)s)::date, p.method, count(*),
    sum(p.amount)
FROM payments_payment p
WHERE p.tenant_id = %(tenant)s AND p.created_at >= %(since)s AND p.created_at < %(until)s
GROUP BY 1, 2
"""

_LOCAL = "({} AT TIME ZONE %(tz)s)::date"

FLOOR_OUTCOMES = f"""
WITH {_MONTHS},
a AS (
    SELECT 'card' AS method, cp.amount, {_LOCAL.format("cp.created_at")} AS made,
        {_LOCAL.format("p.created_at")} AS ok_on,
        CASE WHEN cp.status IN ('failed', 'canceled')
            THEN {_LOCAL.format("cp.updated_at")} END AS failed_on
    FROM payments_cardpayment cp LEFT JOIN payments_payment p ON p.id = cp.payment_id
    WHERE cp.tenant_id = %(tenant)s
    UNION ALL
    SELECT 'direct_debit', it.amount, {_LOCAL.format("it.created_at")},
        {_LOCAL.format("p.created_at")},
        CASE WHEN it.status = 'returned' THEN {_LOCAL.format("it.updated_at")} END
    FROM payments_directdebititem it LEFT JOIN payments_payment p ON p.id = it.payment_id
    WHERE it.tenant_id = %(tenant)s
)
SELECT date_trunc('month', a.ok_on)::date, a.method, 'succeeded', count(*), sum(a.amount)
FROM a WHERE a.ok_on BETWEEN %(first)s AND %(last)s GROUP BY 1, 2
UNION ALL
SELECT date_trunc('month', a.failed_on)::date, a.method, 'failed', count(*), sum(a.amount)
FROM a WHERE a.failed_on BETWEEN %(first)s AND %(last)s GROUP BY 1, 2
UNION ALL
SELECT m.m, a.method, 'pending', count(*), sum(a.amount)
FROM months m JOIN a ON a.made <= m.d AND (a.ok_on IS NULL OR a.ok_on > m.d)
    AND (a.failed_on IS NULL OR a.failed_on > m.d)
GROUP BY 1, 2
"""

FLOOR_CREDITS = """
SELECT date_trunc('month', cn.issue_date)::date, 'credit_note', cn.reason, count(*),
    sum(cn.subtotal), sum(cn.total)
FROM billing_creditnote cn
WHERE cn.tenant_id = %(tenant)s AND cn.issue_date BETWEEN %(first)s AND %(last)s
GROUP BY 1, 3
UNION ALL
SELECT date_trunc('month', r.created_at AT TIME ZONE %(tz)s)::date, 'refund', r.reason,
    count(*), sum(r.amount), sum(r.amount)
FROM payments_refund r
WHERE r.tenant_id = %(tenant)s AND r.created_at >= %(since)s AND r.created_at < %(until)s
GROUP BY 1, 3
"""

FLOOR_OVERDUE_BY_SITE = """
WITH paid AS (
    SELECT invoice_id, sum(amount) AS amount FROM payments_allocation
    WHERE tenant_id = %(tenant)s AND created_at < %(day_after)s GROUP BY invoice_id
),
o AS (
    SELECT i.id, i.customer_id, %(as_of)s::date - i.due_date AS days,
        i.total - COALESCE(paid.amount, 0) AS open_amount
    FROM billing_invoice i LEFT JOIN paid ON paid.invoice_id = i.id
    WHERE i.tenant_id = %(tenant)s AND i.issue_date <= %(as_of)s AND i.due_date < %(as_of)s
      AND i.total > COALESCE(paid.amount, 0)
)
SELECT se.site_id, count(DISTINCT o.customer_id), count(*), sum(o.open_amount)
FROM o LEFT JOIN network_sector se ON se.id = (
    SELECT s.sector_id FROM billing_invoiceline l
    JOIN subscriptions_subscription s ON s.id = l.subscription_id
    WHERE l.invoice_id = o.id ORDER BY l.id LIMIT 1
)
GROUP BY 1
"""


def _nonzero(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(row for row in rows if any(v for v in row[2:]))


def money_reports(tenant: Any, filters: Any, as_of: dt.date) -> list[tuple[Any, ...]]:
    """(name, report, floor statement, figures of the report's rows, figures
    of the floor's rows) for each money report over ``filters``'s months
    (aging and overdue by site on ``as_of``): the figures are what both must
    agree on."""
    from ispstack.reports import money, operations, revenue

    outcome_methods = ("card", "direct_debit")
    return [
        (
            "revenue by service",
            lambda: revenue.revenue_by_service(tenant, filters),
            FLOOR_REVENUE,
            lambda rows: sorted(
                (r.month, r.line_type, r.service, r.invoiced, r.credited) for r in rows
            ),
            lambda rows: sorted(tuple(r) for r in rows),
        ),
        (
            "payment outcomes",
            lambda: money.payment_outcomes(tenant, filters),
            FLOOR_OUTCOMES,
            lambda rows: sorted(
                (r.month, r.method, outcome, count, amount)
                for r in rows
                if r.method in outcome_methods
                for outcome, count, amount in (
                    ("succeeded", r.succeeded, r.succeeded_amount),
                    ("failed", r.failed, r.failed_amount),
                    ("pending", r.pending, r.pending_amount),
                )
                if count
            ),
            lambda rows: sorted(tuple(r) for r in rows),
        ),
        (
            "payment method mix",
            lambda: money.payment_method_mix(tenant, filters),
            FLOOR_METHODS,
            lambda rows: _nonzero([(r.month, r.method, r.payments, r.amount) for r in rows]),
            lambda rows: sorted(tuple(r) for r in rows),
        ),
        (
            "credit notes and refunds",
            lambda: money.credit_notes_and_refunds(tenant, filters),
            FLOOR_CREDITS,
            lambda rows: sorted((r.month, r.kind, r.reason, r.count, r.net, r.total) for r in rows),
            lambda rows: sorted(tuple(r) for r in rows),
        ),
        (
            "overdue by site",
            lambda: operations.overdue_by_site(tenant, as_of=as_of),
            FLOOR_OVERDUE_BY_SITE,
            lambda rows: sorted((r.site_id or 0, r.customers, r.invoices, r.total) for r in rows),
            lambda rows: sorted((r[0] or 0, *r[1:]) for r in rows),
        ),
    ]
