"""The money reports, computed in PostgreSQL from dated facts: payment success
and failure by method, dunning effectiveness by campaign step, the payment
method mix, and credit notes and refunds (docs/metrics.md, "Money
reports"); net revenue by service type is ``reports.revenue``, which reads
the helpers here.

Like ``reports.selectors``, each report is one SQL statement over the lower
floors' tables (joined in one statement because a tenant has up to 100,000
subscribers and a report spans months), and a month's figures are read from
what happened and when, never from a row's current state:

- documents (invoices, credit notes) count in the month of their
  ``issue_date``, their legal date;
- money movements and their outcomes (payments, refunds, card attempts,
  direct-debit returns, reviewed transfers) count in the month they were
  recorded (``created_at``, a return's last write, a review's
  ``reviewed_at``), in the tenant's time zone, so an entry back-dated today
  (a transfer approved today for a day of last month) never rewrites a month
  already reported;
- dunning counts each step in the month it was executed and each recovery
  in the month it happened.

Amounts are ``Decimal`` in the tenant's currency: each row converted at the
latest ``core.ExchangeRate`` on or before its day and rounded to the minor
unit, as ``core.money.convert`` does; a currency without a rate by then is
NotFound (field ``currency``) naming it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ispstack.core import clock
from ispstack.core.clock import month_end
from ispstack.core.errors import NotFound
from ispstack.core.models import Tenant
from ispstack.core.money import minor_unit, round_money
from ispstack.payments.models import (
    PaymentMethod,
)
from ispstack.reports import sql
from ispstack.reports.selectors import Filters, months_between

ZERO = Decimal(0)
HUNDRED = Decimal(100)

#: The methods whose attempts can fail, in the order the report lists them.
ATTEMPT_METHODS = (PaymentMethod.CARD, PaymentMethod.DIRECT_DEBIT, PaymentMethod.BANK_TRANSFER)


# ``value``: ``amount`` of ``currency`` in the tenant's currency at the latest
# rate on or before ``day``, rounded once; NULL when no rate is known by then.
_CONVERTED = """
    round(amount * CASE WHEN currency = %(currency)s THEN 1 ELSE (
        SELECT x.rate FROM {rate} x
        WHERE x.tenant_id = %(tenant)s AND x.currency = f.currency AND x.day <= f.day
        ORDER BY x.day DESC LIMIT 1) END, %(minor)s) AS value
"""

# The months of the report: first day ``m`` and the day measured ``d`` (its
# last day, today for the current month).
_MONTHS = "months AS (SELECT unnest(%(starts)s::date[]) AS m, unnest(%(ends)s::date[]) AS d)"

_TAGGED = "(%(tag)s::jsonb IS NULL OR c.tags @> %(tag)s::jsonb)"


def _local(column: str) -> str:
    """A stored UTC instant as the tenant's calendar day."""
    return f"({column} AT TIME ZONE %(tz)s)::date"


def _in_month(day: str) -> str:
    """The join of a row dated ``day`` to its month of ``months``: an equality
    PostgreSQL hashes, where a range join would test every row against every
    month (twelve times the work for a year)."""
    return f"m.m = date_trunc('month', {day}::timestamp)::date AND {day} <= m.d"


def _params(tenant: Tenant, filters: Filters) -> dict[str, Any]:
    months = months_between(filters.start, filters.end)
    today = clock.today(tenant)
    return {
        "tenant": tenant.pk,
        "tz": tenant.timezone,
        "currency": tenant.currency,
        "minor": minor_unit(tenant.currency),
        "starts": months,
        "ends": [min(month_end(m), today) for m in months],
        "first": months[0],
        "last": min(month_end(months[-1]), today),
        "since": clock.start_of_day(tenant, months[0]),
        "until": clock.start_of_day(tenant, min(month_end(months[-1]), today) + dt.timedelta(1)),
        "plan": filters.plan_id,
        "tag": json.dumps([filters.tag]) if filters.tag else None,
    }


def _fetch(statement: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Rows of ``statement``, whose last two columns name a currency without a
    rate and its first day (NULL when every row was converted).

    Raises NotFound (field ``currency``) for such a row.
    """
    rows = sql.fetch(statement, params)
    missing = sorted((row[-1], row[-2]) for row in rows if row[-2] is not None)
    if missing:
        day, currency = missing[0]
        raise NotFound(f"no {currency} exchange rate on or before {day}", field="currency")
    return [row[:-2] for row in rows]


def _tagged(customer_id: str) -> str:
    """True for a row of customer ``customer_id`` when no tag is asked for or
    the customer has it: with no tag PostgreSQL drops the test, and the
    customers are not read."""
    return (
        "(%(tag)s::jsonb IS NULL OR EXISTS (SELECT 1 FROM {customer} c "
        f"WHERE c.id = {customer_id} AND c.tags @> %(tag)s::jsonb))"
    )


def _sum(weight: str = "") -> str:
    """The aggregate columns every statement ends with: count, converted sum,
    and the first currency and day without a rate. ``weight``: the column
    counting the rows a converted row stands for, when rows alike (same
    amount, currency and day, so the same converted value) were grouped
    before their conversion."""
    if weight:
        return (
            f"sum({weight}) AS n, COALESCE(sum({weight} * value), 0) AS total, "
            "min(currency) FILTER (WHERE value IS NULL) AS no_rate, "
            "min(day) FILTER (WHERE value IS NULL) AS no_rate_day"
        )
    return (
        "count(*) AS n, COALESCE(sum(value), 0) AS total, "
        "min(currency) FILTER (WHERE value IS NULL) AS no_rate, "
        "min(day) FILTER (WHERE value IS NULL) AS no_rate_day"
    )


def rate_percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """``part / whole`` in percent, unrounded; None when ``whole`` is zero."""
    return HUNDRED * Decimal(part) / Decimal(whole) if whole else None


# --- payment success and failure ----------------------------------------------


@dataclass(frozen=True)
class PaymentOutcomeMonth:
    """One month of one method's payment attempts, amounts in the tenant's currency.

    ``succeeded``: attempts that became a payment in the month (a card payment
    that succeeded, a direct debit collected when its batch was settled, a
    transfer approved); ``failed``: attempts that failed in the month (a card
    refused or abandoned at 3-D Secure, a collection returned or rejected by
    the bank, a transfer rejected); ``pending``: attempts made by the month's
    last day and still open then (a card waiting for the bank, a collection
    not settled, a transfer in review), at their value on that day.
    """

    month: dt.date
    method: str
    succeeded: int
    succeeded_amount: Decimal
    failed: int
    failed_amount: Decimal
    pending: int
    pending_amount: Decimal

    @property
    def success_rate(self) -> Decimal | None:
        """succeeded / (succeeded + failed), in percent; None without outcomes."""
        return rate_percent(self.succeeded, self.succeeded + self.failed)


# Each attempt with the day it was made, the day it became a payment and the
# day it failed (tenant's calendar); only attempts still open or settled
# since the report's first day (``since``): one settled before was neither
# open, paid nor failed in any month shown. A settled attempt's last write
# is its outcome, after the payment it made, so its ``updated_at`` (a
# transfer's ``reviewed_at``) is no earlier than its outcome. A returned
# collection has both: it was collected when its batch settled and failed
# when the bank returned it (a returned item is written once more, by the
# return, so its ``updated_at`` is the return's time); a card attempt
# waiting for the bank is written again only when it ends, so a failed or
# canceled one failed at its ``updated_at``.
#
# Payments are read from ``since`` on, once for every kind of attempt: an
# attempt whose payment is older was paid before the first month, which
# only its place before ``first`` needs to say (not pending at a month's
# end). Attempts alike (same kind, amount, currency and days) are counted
# together before they are dated and converted, so a year's attempts cost
# one group per day and amount, and only those groups are tested against
# the months for being pending at a month's end.
_PAYMENT_OUTCOMES = (
    "WITH "
    + _MONTHS
    + """,
tried AS (
    SELECT 'card' AS method, cp.amount, cp.currency, cp.created_at AS made_at,
        cp.payment_id, NULL::timestamptz AS ok_at,
        CASE WHEN cp.status IN ('failed', 'canceled') THEN cp.updated_at END AS failed_at
    FROM {card} cp
    WHERE cp.tenant_id = %(tenant)s
      AND (cp.status = 'requires_action' OR cp.updated_at >= %(since)s)
      AND """
    + _tagged("cp.customer_id")
    + """
    UNION ALL
    SELECT 'direct_debit', it.amount, b.currency, it.created_at, it.payment_id, NULL,
        CASE WHEN it.status = 'returned' THEN it.updated_at END
    FROM {dd_item} it JOIN {dd_batch} b ON b.id = it.batch_id
    WHERE it.tenant_id = %(tenant)s AND (it.status = 'pending' OR it.updated_at >= %(since)s)
      AND (%(tag)s::jsonb IS NULL OR EXISTS (
        SELECT 1 FROM {invoice} inv JOIN {customer} c ON c.id = inv.customer_id
        WHERE inv.id = it.invoice_id AND c.tags @> %(tag)s::jsonb))
    UNION ALL
    SELECT 'bank_transfer', t.amount, t.currency, t.created_at, NULL,
        CASE WHEN t.status = 'approved' THEN t.reviewed_at END,
        CASE WHEN t.status = 'rejected' THEN t.reviewed_at END
    FROM {transfer} t
    WHERE t.tenant_id = %(tenant)s AND (t.status = 'in_review' OR t.reviewed_at >= %(since)s)
      AND """
    + _tagged("t.customer_id")
    + """
),
attempts AS (
    SELECT a.method, a.amount, a.currency, """
    + _local("a.made_at")
    + """ AS made,
        CASE WHEN a.ok_at IS NOT NULL THEN """
    + _local("a.ok_at")
    + """
            WHEN p.id IS NOT NULL THEN """
    + _local("p.created_at")
    + """
            WHEN a.payment_id IS NOT NULL THEN %(first)s::date - 1 END AS ok_on, """
    + _local("a.failed_at")
    + """ AS failed_on
    FROM tried a LEFT JOIN {payment} p ON p.id = a.payment_id AND p.created_at >= %(since)s
),
alike AS (
    SELECT a.method, a.amount, a.currency, a.made, a.ok_on, a.failed_on, count(*) AS n
    FROM attempts a WHERE a.made <= %(last)s
    GROUP BY a.method, a.amount, a.currency, a.made, a.ok_on, a.failed_on
),
outcomes AS (
    SELECT a.method, o.outcome, o.day, a.currency, a.amount, sum(a.n) AS weight
    FROM alike a CROSS JOIN LATERAL (
        SELECT 'succeeded' AS outcome, a.ok_on AS day WHERE a.ok_on BETWEEN %(first)s AND %(last)s
        UNION ALL
        SELECT 'failed', a.failed_on WHERE a.failed_on BETWEEN %(first)s AND %(last)s
        UNION ALL
        SELECT 'pending', m.d FROM months m
        WHERE a.made <= m.d AND (a.ok_on IS NULL OR a.ok_on > m.d)
            AND (a.failed_on IS NULL OR a.failed_on > m.d)
    ) o
    GROUP BY a.method, o.outcome, o.day, a.currency, a.amount
),
converted AS (
    SELECT date_trunc('month', f.day::timestamp)::date AS m, f.*, """
    + _CONVERTED
    + """ FROM outcomes f)
SELECT m, method, outcome, """
    + _sum("weight")
    + """
FROM converted GROUP BY m, method, outcome
"""
)


def payment_outcomes(tenant: Tenant, filters: Filters) -> list[PaymentOutcomeMonth]:
    """Card, direct-debit and bank-transfer attempts per month of ``filters``
    (customers tagged ``filters.tag``), oldest month first, methods in the
    order of ``ATTEMPT_METHODS``; every month and method listed.

    Raises NotFound (field ``currency``) when an amount's currency has no
    exchange rate on or before its day.
    """
    params = _params(tenant, filters)
    found = {
        (row[0], row[1], row[2]): (row[3], row[4]) for row in _fetch(_PAYMENT_OUTCOMES, params)
    }

    none = (0, round_money(ZERO, tenant.currency))

    def get(month: dt.date, method: str, outcome: str) -> tuple[int, Decimal]:
        return found.get((month, method, outcome), none)

    return [
        PaymentOutcomeMonth(
            month,
            str(method),
            *get(month, method, "succeeded"),
            *get(month, method, "failed"),
            *get(month, method, "pending"),
        )
        for month in params["starts"]
        for method in ATTEMPT_METHODS
    ]


# --- dunning effectiveness ------------------------------------------------------


@dataclass(frozen=True)
class DunningStepMonth:
    """One month of one step of a dunning campaign; amounts in the tenant's currency.

    ``position`` 0 stands for "started, before the first step". ``reached``:
    accounts (executions) whose step ran in the month (for position 0: whose
    campaign started in it); ``recovered``: accounts that paid everything
    overdue in the month after this step and before the next one ran, and
    ``recovered_amount`` the overdue amount they had when the campaign
    started; ``suspended``: accounts this step suspended in the month;
    ``reconnected``: of the recovered accounts, those the campaign had
    suspended and whose service was reconnected by the month's last day.
    """

    month: dt.date
    campaign_id: int
    campaign: str
    position: int
    action: str
    reached: int
    recovered: int
    recovered_amount: Decimal
    suspended: int
    reconnected: int


# Steps reached come from the action log (one row per step run); a recovery
# is the execution ending ``recovered`` on ``finished_on`` and belongs to the
# last step that ran on or before that day (a step never runs after its
# execution has recovered, so a step of the same day came first). Steps run
# only while an execution is active, so one ended before the first month or
# started after the last has nothing in them: two thirds of three years'
# executions, not read.
_DUNNING = (
    "WITH "
    + _MONTHS
    + """,
execs AS (
    SELECT e.id, e.campaign_id, e.customer_id, e.status, e.started_on, e.finished_on,
        e.recovered_amount, c.currency
    FROM {execution} e JOIN {customer} c ON c.id = e.customer_id
    WHERE e.tenant_id = %(tenant)s AND e.started_on <= %(last)s
      AND (e.finished_on IS NULL OR e.finished_on >= %(first)s) AND """
    + _TAGGED
    + """
),
steps AS (
    SELECT m.m, e.campaign_id, l.position, l.action, l.execution_id,
        l.action = 'suspend' AND l.ok AS suspended
    FROM months m JOIN {log} l ON l.tenant_id = %(tenant)s
        AND """
    + _in_month("l.executed_on")
    + """
    JOIN execs e ON e.id = l.execution_id
    UNION ALL
    SELECT m.m, e.campaign_id, 0, '', e.id, false
    FROM months m JOIN execs e ON """
    + _in_month("e.started_on")
    + """
),
recoveries AS (
    SELECT m.m, m.d, e.*, COALESCE(last.position, 0) AS position,
        COALESCE(last.action, '') AS action
    FROM months m JOIN execs e ON e.status = 'recovered' AND """
    + _in_month("e.finished_on")
    + """
    LEFT JOIN LATERAL (
        SELECT l.position, l.action FROM {log} l
        WHERE l.execution_id = e.id AND l.executed_on <= e.finished_on
        ORDER BY l.executed_on DESC, l.id DESC LIMIT 1
    ) last ON true
),
f AS (
    SELECT r.m, r.campaign_id, r.position, r.action, r.recovered_amount AS amount, r.currency,
        r.finished_on AS day,
        EXISTS (
            SELECT 1 FROM {log} l
            JOIN {sub} s ON s.customer_id = r.customer_id
            JOIN {event} ev ON ev.subscription_id = s.id AND ev.from_status = 'suspended'
                AND ev.to_status = 'active'
                AND ev.effective_date BETWEEN l.executed_on AND r.d
            WHERE l.execution_id = r.id AND l.action = 'suspend' AND l.ok
              AND l.executed_on <= r.finished_on
        ) AS reconnected
    FROM recoveries r
),
converted AS (SELECT f.*, """
    + _CONVERTED
    + """ FROM f),
recovered AS (
    SELECT m, campaign_id, position, action, count(*) FILTER (WHERE reconnected) AS reconnected,
        """
    + _sum()
    + """
    FROM converted GROUP BY m, campaign_id, position, action
),
reached AS (
    SELECT m, campaign_id, position, action, count(DISTINCT execution_id) AS reached,
        count(DISTINCT execution_id) FILTER (WHERE suspended) AS suspended
    FROM steps GROUP BY m, campaign_id, position, action
)
SELECT COALESCE(a.m, r.m), COALESCE(a.campaign_id, r.campaign_id), cp.name,
    COALESCE(a.position, r.position), COALESCE(a.action, r.action),
    COALESCE(a.reached, 0), COALESCE(r.n, 0), COALESCE(r.total, 0),
    COALESCE(a.suspended, 0), COALESCE(r.reconnected, 0), r.no_rate, r.no_rate_day
FROM reached a FULL JOIN recovered r ON r.m = a.m AND r.campaign_id = a.campaign_id
    AND r.position = a.position AND r.action = a.action
JOIN {campaign} cp ON cp.id = COALESCE(a.campaign_id, r.campaign_id)
ORDER BY 1, 3, 2, 4
"""
)


def dunning_effectiveness(tenant: Tenant, filters: Filters) -> list[DunningStepMonth]:
    """Per month of ``filters``, campaign and step (customers tagged
    ``filters.tag``): accounts reached, recovered (and the amount),
    suspended and reconnected; months by date, campaigns by name, steps by
    position. Months and steps where nothing happened have no row.

    Raises NotFound (field ``currency``) when a recovered amount's currency has
    no exchange rate on or before the recovery.
    """
    rows = _fetch(_DUNNING, _params(tenant, filters))
    return [DunningStepMonth(*row) for row in rows]


# --- payment method mix ---------------------------------------------------------


@dataclass(frozen=True)
class MethodMonth:
    """Payments recorded in one month by one method: how many and how much, in
    the tenant's currency (reversed payments included: they were received)."""

    month: dt.date
    method: str
    payments: int
    amount: Decimal


# Payments alike (method, currency, day and amount) are counted together
# before they are converted, each group once: a month holds a few thousand
# such groups for hundreds of thousands of payments.
_METHODS = (
    "WITH "
    + _MONTHS
    + """,
alike AS (
    SELECT p.method, p.currency, """
    + _local("p.created_at")
    + """ AS day, p.amount, count(*) AS weight
    FROM {payment} p
    WHERE p.tenant_id = %(tenant)s AND p.created_at >= %(since)s AND p.created_at < %(until)s
      AND """
    + _tagged("p.customer_id")
    + """
    GROUP BY 1, 2, 3, 4
),
f AS (SELECT m.m, a.* FROM alike a JOIN months m ON """
    + _in_month("a.day")
    + """),
converted AS (SELECT f.*, """
    + _CONVERTED
    + """ FROM f)
SELECT m, method, """
    + _sum("weight")
    + """
FROM converted GROUP BY m, method
"""
)


def payment_method_mix(tenant: Tenant, filters: Filters) -> list[MethodMonth]:
    """Payments per month of ``filters`` and method (customers tagged
    ``filters.tag``), every month and method listed in ``PaymentMethod``'s
    order.

    Raises NotFound (field ``currency``) when a payment's currency has no
    exchange rate on or before the day it was recorded.
    """
    params = _params(tenant, filters)
    found = {(row[0], row[1]): (row[2], row[3]) for row in _fetch(_METHODS, params)}
    none = (0, round_money(ZERO, tenant.currency))
    return [
        MethodMonth(month, str(method), *found.get((month, method), none))
        for month in params["starts"]
        for method in PaymentMethod.values
    ]


# --- credit notes and refunds ---------------------------------------------------


@dataclass(frozen=True)
class CreditMonth:
    """Credit notes (``kind`` ``credit_note``, by issue date) or refunds
    (``refund``, by the day recorded) of one month with one ``reason`` (as
    written, trimmed; empty when none was given): how many, their net amount
    and their total (with tax; a refund's net is its amount) in the tenant's
    currency."""

    month: dt.date
    kind: str
    reason: str
    count: int
    net: Decimal
    total: Decimal


_CREDITS = (
    "WITH "
    + _MONTHS
    + """,
f AS (
    SELECT m.m, 'credit_note' AS kind, btrim(cn.reason) AS reason, cn.issue_date AS day,
        cn.currency, cn.subtotal AS net, cn.total AS amount
    FROM {cn} cn JOIN months m ON """
    + _in_month("cn.issue_date")
    + """
    WHERE cn.tenant_id = %(tenant)s AND cn.issue_date BETWEEN %(first)s AND %(last)s AND """
    + _tagged("cn.customer_id")
    + """
    UNION ALL
    SELECT m.m, 'refund', btrim(r.reason), r.day, r.currency, r.amount, r.amount
    FROM (
        SELECT r.*, """
    + _local("r.created_at")
    + """ AS day FROM {refund} r
        WHERE r.tenant_id = %(tenant)s AND r.created_at >= %(since)s AND r.created_at < %(until)s
    ) r JOIN months m ON """
    + _in_month("r.day")
    + """
    WHERE """
    + _tagged("r.customer_id")
    + """
),
converted AS (
    SELECT f.*, """
    + _CONVERTED.replace("amount *", "net *").replace("AS value", "AS net_value")
    + """, """
    + _CONVERTED
    + """ FROM f
)
SELECT m, kind, reason, count(*), COALESCE(sum(net_value), 0), COALESCE(sum(value), 0),
    min(currency) FILTER (WHERE value IS NULL), min(day) FILTER (WHERE value IS NULL)
FROM converted GROUP BY m, kind, reason ORDER BY m, kind, reason
"""
)


def credit_notes_and_refunds(tenant: Tenant, filters: Filters) -> list[CreditMonth]:
    """Credit notes and refunds per month of ``filters``, kind and reason
    (customers tagged ``filters.tag``); credit notes before refunds, reasons
    alphabetically; combinations without a document have no row.

    Raises NotFound (field ``currency``) when a currency has no exchange rate
    on or before the document's day.
    """
    return [CreditMonth(*row) for row in _fetch(_CREDITS, _params(tenant, filters))]
