"""Property tests of revenue recognition over random subscription histories.

The histories (monthly invoices in advance, a bundled add-on with its
discount, a set-up fee, plan changes in mid-period with their credit and
proration, goodwill credits, a refunded fee, a termination crediting the
unused days) are written straight with the models (``tests.revenue_world``):
the billing services have their own tests, and a hundred histories through
them would take minutes. The schedule is written by the SQL run; the
expectations come from the pure rules of ``accounting.recognition`` and
from the billing tables.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ispstack.accounting.models import RevenueScheduleEntry
from ispstack.accounting.recognition import allocate, daily_slices
from ispstack.accounting.selectors import deferred_balance, months
from ispstack.accounting.services import recognise_revenue
from ispstack.billing.models import CreditNoteLine, InvoiceLine
from ispstack.core import clock
from ispstack.core.clock import month_end
from ispstack.core.money import ZERO, round_money
from tests import revenue_world as w

D = dt.date
ONE = dt.timedelta(days=1)
pytestmark = pytest.mark.django_db
PRICES = ["29.99", "49.99", "10.00", "33.33", "0.07"]


@dataclass
class Expected:
    """What each source should recognise, per month, by the pure rules."""

    by_source: dict[tuple[str, int], dict[dt.date, Decimal]] = field(default_factory=dict)
    left: dict[int, Decimal] = field(default_factory=dict)  # creditable net per line

    def add(self, key: tuple[str, int], slices: dict[dt.date, Decimal]) -> None:
        mine = self.by_source.setdefault(key, {})
        for month, value in slices.items():
            mine[month] = mine.get(month, ZERO) + value

    def month_totals(self) -> dict[dt.date, Decimal]:
        out: dict[dt.date, Decimal] = {}
        for slices in self.by_source.values():
            for month, value in slices.items():
                out[month] = out.get(month, ZERO) + value
        return out


def prorated(net: Decimal, line: InvoiceLine, first: dt.date, last: dt.date) -> Decimal:
    days = (line.period_end - line.period_start).days + 1
    return round_money(net * ((last - first).days + 1) / days, "EUR")


def credit_days(exp: Expected, line: InvoiceLine, first: dt.date, on: dt.date) -> None:
    """Credit ``line``'s days from ``first`` to its end, on ``on``."""
    first = max(first, line.period_start)
    if first > line.period_end:
        return
    amount = min(prorated(line.net_amount, line, first, line.period_end), exp.left[line.pk])
    if amount <= ZERO:
        return
    cl = w.credit(line, amount, on, period=(first, line.period_end))
    exp.left[line.pk] -= amount
    exp.add(("credit", cl.pk), daily_slices(-amount, first, line.period_end, "EUR"))


def credit_amount(exp: Expected, line: InvoiceLine, cents: int, on: dt.date) -> None:
    """Credit an amount of ``line`` without days, on ``on``."""
    amount = min(Decimal(cents) / 100, exp.left[line.pk])
    if amount <= ZERO:
        return
    cl = w.credit(line, amount, on)
    exp.left[line.pk] -= amount
    if line.period_start:
        exp.add(("credit", cl.pk), daily_slices(-amount, line.period_start, line.period_end, "EUR"))
    else:
        exp.add(("credit", cl.pk), {on.replace(day=1): -amount})


def service_line(exp: Expected, inv, net: Decimal, period, sub, kind="recurring") -> InvoiceLine:
    line = w.line(inv, net, kind=kind, period=period, subscription=sub)
    exp.left[line.pk] = net
    exp.add(("line", line.pk), daily_slices(net, period[0], period[1], "EUR"))
    return line


histories = st.fixed_dictionaries(
    {
        "start": st.integers(0, 58),
        "cycles": st.integers(1, 6),
        "price": st.sampled_from(PRICES),
        "bundle": st.booleans(),
        "fee": st.booleans(),
        "events": st.lists(
            st.tuples(
                st.sampled_from(["change", "credit", "refund", "terminate"]),
                st.integers(1, 200),
                st.sampled_from(PRICES),
                st.integers(1, 5000),
            ),
            max_size=5,
        ),
        "first_run": st.integers(0, 240),
    }
)


def build(tenant, make_customer, history) -> Expected:
    """Write one subscription's invoices and credit notes; return what the rules expect."""
    exp = Expected()
    customer = make_customer(tenant)
    start = D(2026, 1, 1) + dt.timedelta(days=history["start"])
    sub = None  # a line's subscription plays no part but pairing a discount with its lines
    events = sorted(history["events"], key=lambda e: e[1])
    end = min(
        (start + dt.timedelta(days=d) for k, d, *_ in events if k == "terminate"), default=None
    )
    price = Decimal(history["price"])
    plan_lines: list[InvoiceLine] = []
    fee_line = None
    for k in range(history["cycles"]):
        ps = clock.add_months(start, k)
        if end is not None and ps > end:
            break
        pe = clock.add_months(start, k + 1) - ONE
        changes = [e for e in events if e[0] == "change" and start + dt.timedelta(days=e[1]) <= ps]
        if changes:
            price = Decimal(changes[-1][2])
        inv = w.invoice(tenant, customer, ps)
        plan = service_line(exp, inv, price, (ps, pe), sub)
        plan_lines.append(plan)
        if history["bundle"]:
            addon = service_line(exp, inv, Decimal("5.00"), (ps, pe), sub, kind="addon")
            discount_net = -round_money((price + Decimal("5.00")) / 10, "EUR")
            disc = w.line(inv, discount_net, kind="discount", subscription=sub)
            exp.left[disc.pk] = ZERO
            for comp, share in zip(
                (plan, addon), allocate(discount_net, [price, Decimal("5.00")], "EUR"), strict=True
            ):
                exp.add(("line", disc.pk), daily_slices(share, ps, pe, "EUR"))
                del comp
        if k == 0 and history["fee"]:
            fee_line = w.line(inv, "49.00", kind="one_time", subscription=sub)
            exp.left[fee_line.pk] = Decimal("49.00")
            exp.add(("line", fee_line.pk), {ps.replace(day=1): Decimal("49.00")})
    last_issue = max(line.invoice.issue_date for line in plan_lines)
    changed: set[int] = set()
    for kind, offset, new_price, cents in events:
        on = start + dt.timedelta(days=offset)
        if on > last_issue + dt.timedelta(days=40):
            continue
        current = [p for p in plan_lines if p.period_start <= on <= p.period_end]
        if (
            kind == "change"
            and current
            and current[0].pk not in changed
            and on > current[0].period_start
        ):
            old = current[0]
            changed.add(old.pk)
            credit_days(exp, old, on, on)
            inv = w.invoice(tenant, customer, on)
            service_line(
                exp,
                inv,
                prorated(Decimal(new_price), old, on, old.period_end),
                (on, old.period_end),
                sub,
                kind="proration",
            )
        elif kind == "credit":
            issued = [p for p in plan_lines if p.invoice.issue_date <= on]
            if issued:
                credit_amount(exp, issued[-1], cents, on)
        elif kind == "refund" and fee_line is not None and on >= fee_line.invoice.issue_date:
            credit_amount(exp, fee_line, 4900, on)
        elif kind == "terminate" and current:
            for line in InvoiceLine.objects.filter(
                invoice__customer=customer, period_end__gte=on + ONE, period_start__isnull=False
            ).exclude(kind="discount"):
                credit_days(exp, line, on + ONE, on)
    return exp


def billing_invoiced(tenant, on: dt.date) -> Decimal:
    lines = InvoiceLine.objects.for_tenant(tenant).filter(invoice__issue_date__lte=on)
    credits = CreditNoteLine.objects.for_tenant(tenant).filter(credit_note__issue_date__lte=on)
    return sum((x.net_amount for x in lines), ZERO) - sum((c.net_amount for c in credits), ZERO)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(history=histories)
def test_schedule_follows_the_days_and_balances_at_every_date(make_tenant, make_customer, history):
    tenant = make_tenant()
    exp = build(tenant, make_customer, history)
    # Two runs: one part way, one through the end; the result is the same.
    recognise_revenue(
        tenant=tenant, through=D(2026, 1, 1) + dt.timedelta(days=history["first_run"])
    )
    recognise_revenue(tenant=tenant, through=D(2027, 12, 31))
    assert recognise_revenue(tenant=tenant, through=D(2027, 12, 31)).lines == 0

    got: dict[tuple[str, int], dict[dt.date, Decimal]] = {}
    for e in RevenueScheduleEntry.objects.for_tenant(tenant):
        key = (e.source, e.credit_note_line_id if e.source == "credit" else e.source_id)
        got.setdefault(key, {})
        got[key][e.month] = got[key].get(e.month, ZERO) + e.amount
    # Every source is scheduled by the rules, and its rows sum to its net.
    assert got == exp.by_source
    for line in InvoiceLine.objects.for_tenant(tenant):
        assert sum(got[("line", line.pk)].values()) == line.net_amount
    for cl in CreditNoteLine.objects.for_tenant(tenant):
        assert sum(got[("credit", cl.pk)].values()) == -cl.net_amount

    # A month's revenue is the sum of the day slices of the service delivered in it.
    per_month = {m.month: m.recognised for m in months(tenant, D(2026, 1, 1), D(2027, 12, 31))}
    assert {m: v for m, v in per_month.items() if v} == {
        m: v for m, v in exp.month_totals().items() if v
    }

    # Invoiced (from the billing tables) = recognised + deferred, at every date.
    day = D(2025, 12, 31)
    while day <= D(2027, 3, 1):
        balances = deferred_balance(tenant, day)
        invoiced = billing_invoiced(tenant, day)
        if balances:
            (b,) = balances
            assert b.invoiced == invoiced
            assert b.recognised + b.deferred == invoiced
        else:
            assert invoiced == ZERO
        day = month_end(day + ONE) if day.day != 15 else day + dt.timedelta(days=16)
        day = min(day, month_end(day))
