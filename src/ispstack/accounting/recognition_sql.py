"""The recognition run in SQL: each source kind (invoice lines, credit note
lines, voided invoices) is one ``INSERT ... SELECT`` that spreads every
not yet scheduled source over its months with ``generate_series``, applying
the rules of ``accounting.recognition`` set-based.

A source is scheduled whole, future months included, the first time a run
sees it, and never again (``NOT EXISTS`` on the idempotency key, and
``ON CONFLICT DO NOTHING`` for a concurrent run). Slices of months before
``%(first_open)s`` (the first open month) are booked into it. PostgreSQL's
``round(numeric, int)`` rounds halves away from zero, the rule of
``core.money``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

from babel.numbers import get_currency_precision, list_currencies
from django.db import connection

from ispstack.core import clock

_TABLE = "accounting_revenuescheduleentry"

_COLUMNS = (
    "tenant_id, created_at, updated_at, source, source_id, invoice_line_id, credit_note_line_id, "
    "obligation_id, kind, currency, month, amount, recognised_on, document_date"
)

_SCALE = (
    "scale(currency, digits) AS (SELECT * FROM unnest(%(currencies)s::text[], %(digits)s::int[]))"
)

# Spreads each piece (ps..pe, inclusive) over its months, cumulative rounding
# per day; then books each slice into max(its month, first open month).
_SPREAD_AND_INSERT = f"""
, slices AS (
    SELECT p.source_id, p.line_id, p.credit_id, p.obligation_id, p.kind, p.currency, p.doc,
           m.month::date AS month,
           round(p.amount * (least(p.pe, (m.month + interval '1 month - 1 day')::date) - p.ps + 1)
                 / (p.pe - p.ps + 1), p.digits)
           - round(p.amount * (greatest(m.month::date, p.ps) - p.ps) / (p.pe - p.ps + 1), p.digits)
             AS amount,
           least(p.pe, (m.month + interval '1 month - 1 day')::date) AS recognised_on
    FROM pieces p
    CROSS JOIN LATERAL generate_series(
        date_trunc('month', p.ps::timestamp), p.pe::timestamp, interval '1 month') AS m(month)
    UNION ALL
    SELECT s.source_id, s.line_id, s.credit_id, s.obligation_id, s.kind, s.currency, s.doc,
           (s.first_month + make_interval(months => k))::date,
           round(s.amount * (k + 1) / s.months, s.digits)
           - round(s.amount * k / s.months, s.digits),
           (s.first_month + make_interval(months => k + 1) - interval '1 day')::date
    FROM spread s CROSS JOIN LATERAL generate_series(0, s.months - 1) AS k
)
INSERT INTO {_TABLE} ({_COLUMNS})
SELECT %(tenant)s, %(now)s, %(now)s, %(source)s, source_id, line_id, credit_id, obligation_id,
       kind, currency, greatest(month, %(first_open)s::date), sum(amount),
       greatest(max(recognised_on), %(first_open)s::date), doc
FROM slices
GROUP BY source_id, line_id, credit_id, obligation_id, kind, currency, doc,
         greatest(month, %(first_open)s::date)
ON CONFLICT DO NOTHING
"""

LINES_SQL = f"""
WITH {_SCALE},
todo AS (
    SELECT l.id, l.kind, l.invoice_id, l.subscription_id, l.charge_id, l.period_start,
           l.period_end, l.net_amount, i.issue_date, i.currency, s.digits
    FROM billing_invoiceline l
    JOIN billing_invoice i ON i.id = l.invoice_id
    JOIN scale s ON s.currency = i.currency
    WHERE l.tenant_id = %(tenant)s AND i.tenant_id = %(tenant)s
      AND i.issue_date <= %(through)s AND i.status <> 'void'
      AND NOT EXISTS (
          SELECT 1 FROM {_TABLE} e WHERE e.source = 'line' AND e.source_id = l.id)
),
-- A discount shared over the service lines of its invoice and subscription
-- by standalone selling price (their net), cumulative rounding.
components AS (
    SELECT d.id AS line_id, c.id AS obligation_id, c.kind, d.currency, d.digits, d.issue_date,
           c.period_start AS ps, c.period_end AS pe,
           round(d.net_amount * sum(c.net_amount) OVER w / sum(c.net_amount) OVER p, d.digits)
           - round(d.net_amount * (sum(c.net_amount) OVER w - c.net_amount)
                   / sum(c.net_amount) OVER p, d.digits) AS amount
    FROM todo d
    JOIN billing_invoiceline c
      ON c.invoice_id = d.invoice_id AND c.subscription_id IS NOT DISTINCT FROM d.subscription_id
     AND c.kind IN ('recurring', 'addon') AND c.net_amount > 0
     AND c.period_start IS NOT NULL AND c.period_end >= c.period_start
    WHERE d.kind = 'discount' AND d.period_start IS NULL
    WINDOW w AS (PARTITION BY d.id ORDER BY c.id), p AS (PARTITION BY d.id)
),
terms AS (
    SELECT t.id, t.kind, t.currency, t.digits, t.issue_date, t.net_amount, r.months,
           coalesce(r.start_month, date_trunc('month', t.issue_date::timestamp)::date)
             AS first_month
    FROM todo t JOIN accounting_chargerecognitionterm r ON r.charge_id = t.charge_id
    WHERE t.period_start IS NULL AND t.kind <> 'discount'
),
pieces AS (
    SELECT id AS source_id, id AS line_id, NULL::bigint AS credit_id, id AS obligation_id, kind,
           currency, digits, issue_date AS doc, period_start AS ps, period_end AS pe,
           net_amount AS amount
    FROM todo WHERE period_start IS NOT NULL AND period_end >= period_start
    UNION ALL
    SELECT line_id, line_id, NULL, obligation_id, kind, currency, digits, issue_date, ps, pe, amount
    FROM components
    UNION ALL
    SELECT t.id, t.id, NULL, t.id, t.kind, t.currency, t.digits, t.issue_date,
           coalesce(ch.charge_date, t.issue_date), coalesce(ch.charge_date, t.issue_date),
           t.net_amount
    FROM todo t LEFT JOIN billing_charge ch ON ch.id = t.charge_id
    WHERE (t.period_start IS NULL OR t.period_end < t.period_start)
      AND t.id NOT IN (SELECT id FROM terms)
      AND t.id NOT IN (SELECT line_id FROM components)
),
spread AS (
    SELECT id AS source_id, id AS line_id, NULL::bigint AS credit_id, id AS obligation_id, kind,
           currency, digits, issue_date AS doc, net_amount AS amount, months, first_month
    FROM terms
)
{_SPREAD_AND_INSERT}
"""

CREDITS_SQL = f"""
WITH {_SCALE},
todo AS (
    SELECT cl.id, cl.invoice_line_id, l.kind, cn.issue_date, cn.currency, s.digits,
           -cl.net_amount AS amount,
           coalesce(cl.period_start, l.period_start) AS ps,
           coalesce(cl.period_end, l.period_end) AS pe
    FROM billing_creditnoteline cl
    JOIN billing_creditnote cn ON cn.id = cl.credit_note_id
    JOIN billing_invoiceline l ON l.id = cl.invoice_line_id
    JOIN scale s ON s.currency = cn.currency
    WHERE cl.tenant_id = %(tenant)s AND cn.tenant_id = %(tenant)s
      AND cn.issue_date <= %(through)s
      AND NOT EXISTS (
          SELECT 1 FROM {_TABLE} e WHERE e.source = 'credit' AND e.source_id = cl.id)
),
-- Credited days are taken back day by day; a credit of an amount without
-- days lowers the line's price over its own period, or, for a line without
-- days, is recognised on the credit note's issue date.
pieces AS (
    SELECT id AS source_id, invoice_line_id AS line_id, id AS credit_id,
           invoice_line_id AS obligation_id, kind, currency, digits, issue_date AS doc,
           CASE WHEN pe >= ps THEN ps ELSE issue_date END AS ps,
           CASE WHEN pe >= ps THEN pe ELSE issue_date END AS pe, amount
    FROM todo
),
-- A credit is never spread by a term: the shared tail reads an empty set.
spread AS (
    SELECT NULL::bigint AS source_id, NULL::bigint AS line_id, NULL::bigint AS credit_id,
           NULL::bigint AS obligation_id, NULL::varchar AS kind, NULL::varchar AS currency,
           NULL::int AS digits, NULL::date AS doc, NULL::numeric AS amount, NULL::int AS months,
           NULL::date AS first_month
    WHERE false
)
{_SPREAD_AND_INSERT}
"""

# A voided invoice's lines are taken back as they were scheduled, each month
# no earlier than the void's own month (or the first open month).
VOIDS_SQL = f"""
WITH voided AS (
    SELECT i.id, i.voided_on
    FROM billing_invoice i
    WHERE i.tenant_id = %(tenant)s AND i.status = 'void'
)
INSERT INTO {_TABLE} ({_COLUMNS})
SELECT %(tenant)s, %(now)s, %(now)s, 'void', e.source_id, e.invoice_line_id, NULL,
       e.obligation_id, e.kind, e.currency,
       greatest(e.month, date_trunc('month', v.voided_on::timestamp)::date, %(first_open)s::date),
       -sum(e.amount), greatest(max(e.recognised_on), v.voided_on, %(first_open)s::date),
       v.voided_on
FROM {_TABLE} e
JOIN billing_invoiceline l ON l.id = e.source_id
JOIN voided v ON v.id = l.invoice_id
WHERE e.tenant_id = %(tenant)s AND e.source = 'line' AND v.voided_on <= %(through)s
  AND NOT EXISTS (
      SELECT 1 FROM {_TABLE} x WHERE x.source = 'void' AND x.source_id = e.source_id)
GROUP BY e.source_id, e.invoice_line_id, e.obligation_id, e.kind, e.currency, v.voided_on,
         greatest(e.month, date_trunc('month', v.voided_on::timestamp)::date, %(first_open)s::date)
ON CONFLICT DO NOTHING
"""


@cache
def _scales() -> tuple[list[str], list[int]]:
    """Every ISO 4217 code and its minor unit, as ``core.money`` reads them."""
    codes = sorted(list_currencies())
    return codes, [int(get_currency_precision(code)) for code in codes]


@dataclass(frozen=True)
class RunCounts:
    """Rows a run wrote, per source kind."""

    lines: int
    credits: int
    voids: int


def run(*, tenant_id: int, through: dt.date, first_open: dt.date | None) -> RunCounts:
    """Schedule every source of the tenant dated on or before ``through`` (a
    local date) that has no schedule yet; ``first_open`` is the first open
    month (None: none is closed). Returns the rows written per kind. The
    caller holds the transaction and the tenant's close lock."""
    codes, digits = _scales()
    params: dict[str, Any] = {
        "tenant": tenant_id,
        "through": through,
        "first_open": first_open,
        "now": clock.now(),
        "currencies": codes,
        "digits": digits,
    }
    counts = []
    with connection.cursor() as cursor:
        # The planner takes every generate_series for 1,000 rows, so these
        # statements look a thousand times bigger than they are and JIT
        # compilation would cost seconds on a run of milliseconds.
        cursor.execute("SET LOCAL jit = off")
        for source, sql in (("line", LINES_SQL), ("credit", CREDITS_SQL), ("void", VOIDS_SQL)):
            cursor.execute(sql, {**params, "source": source})
            counts.append(cursor.rowcount)
    return RunCounts(*counts)
