"""Properties of the journal over random histories made with the real
billing, payments and subscription services: invoices (monthly runs,
one-time charges), plan changes with their proration and credit,
terminations crediting the unused days, credit notes, payments by every
method, reversals, refunds and voids, posted at random moments in between.

After any history: every entry balances; the receivable in the journal
equals what customers owe less their credit (``payments.selectors``); the
VAT payable equals the tax of the invoices not voided less the credit
notes'; and a second posting run changes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import F, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ispstack.accounting.journal.runner import post_journal
from ispstack.accounting.journal.selectors import receivable_balance, role_balance
from ispstack.accounting.models import (
    JournalEntry,
    JournalLine,
    PostingRole,
    RevenueScheduleEntry,
)
from ispstack.accounting.services import recognise_revenue
from ispstack.billing.credit_notes import create_credit_note
from ispstack.billing.models import CreditNote, Invoice, InvoiceStatus
from ispstack.billing.proration import add_charge
from ispstack.billing.services import change_plan, run_billing, void_invoice
from ispstack.core import clock
from ispstack.core.errors import ServiceError
from ispstack.customers.models import Customer
from ispstack.payments.models import Payment, PaymentMethod
from ispstack.payments.selectors import account_balance
from ispstack.payments.services import record_payment, record_refund, reverse_payment
from ispstack.subscriptions.services import terminate

pytestmark = pytest.mark.django_db
D = dt.date
ZERO = Decimal(0)

OPERATIONS = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "bill",
                "charge",
                "pay",
                "credit",
                "refund",
                "reverse",
                "void",
                "post",
                "change",
                "terminate",
            ]
        ),
        st.integers(min_value=1, max_value=9000),
        st.integers(min_value=0, max_value=50),
        st.sampled_from(PaymentMethod.values),
    ),
    min_size=1,
    max_size=14,
)


def history(tenant, subs, plans, operations) -> None:
    """Apply ``operations`` to the subscriptions ``subs``, skipping any the
    services refuse (paying a void invoice, refunding more than the credit,
    changing a terminated subscription's plan). A plan change (to one of
    ``plans``, prorated from its day) and a termination (crediting the days
    after it) happen on their day."""
    month = D(2026, 1, 1)
    run_billing(tenant=tenant, as_of=month)
    for op, cents, pick, method in operations:
        amount = Decimal(cents) / 100
        sub = subs[pick % len(subs)]
        customer = sub.customer
        invoices = list(Invoice.objects.filter(customer=customer).order_by("pk"))
        day = month + dt.timedelta(days=pick % 27)
        try:
            if op == "bill" and month < D(2026, 6, 1):
                month = D(month.year, month.month + 1, 1)
                run_billing(tenant=tenant, as_of=month)
            elif op == "charge":
                add_charge(subscription=sub, description="Router", amount=amount, charge_date=month)
            elif op == "pay":
                record_payment(
                    tenant=tenant, customer=customer, amount=amount, received_on=day, method=method
                )
            elif op == "credit" and invoices:
                invoice = invoices[pick % len(invoices)]
                line = invoice.lines.order_by("pk").first()
                lines = None if cents % 3 == 0 else [{"line": line.pk, "amount": str(amount)}]
                create_credit_note(invoice=invoice, reason="goodwill", lines=lines, issue_date=day)
            elif op == "refund":
                record_refund(
                    tenant=tenant, customer=customer, amount=amount, refunded_on=day, method=method
                )
            elif op == "reverse":
                payments = list(Payment.objects.filter(customer=customer).order_by("pk"))
                if payments:
                    reverse_payment(payment=payments[pick % len(payments)], reason="R01", on=day)
            elif op == "void" and invoices:
                void_invoice(invoice=invoices[pick % len(invoices)], reason="duplicate")
            elif op == "post":
                post_journal(tenant=tenant, through=day)
            elif op == "change":
                with clock.simulated(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)):
                    change_plan(subscription=sub, plan=plans[cents % len(plans)].pk, on=day)
            elif op == "terminate":
                with clock.simulated(dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)):
                    terminate(subscription=sub, reason="moving", on=day)
        except ServiceError:
            continue


def snapshot() -> list[tuple]:
    return list(
        JournalLine.objects.order_by("pk").values_list(
            "pk", "entry_id", "account_id", "debit", "credit"
        )
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(OPERATIONS)
def test_the_journal_balances_and_agrees_with_billing(
    tenant, make_subscription, make_plan, operations
):
    with transaction.atomic():
        subs = [make_subscription(tenant, start_date=D(2026, 1, 1)) for _ in range(2)]
        plans = [make_plan(tenant, monthly_price=price) for price in ("19.99", "45.50")]
        history(tenant, subs, plans, operations)
        post_journal(tenant=tenant, through=D(2100, 1, 1))

        unbalanced = (
            JournalEntry.objects.for_tenant(tenant)
            .annotate(debit=Sum("lines__debit"), credit=Sum("lines__credit"))
            .exclude(debit=F("credit"))
        )
        assert not unbalanced.exists()

        owed = sum((account_balance(c) for c in Customer.objects.for_tenant(tenant)), ZERO)
        assert receivable_balance(tenant, "EUR") == owed

        live = Invoice.objects.for_tenant(tenant).exclude(status=InvoiceStatus.VOID)
        tax = (live.aggregate(t=Sum("tax_total"))["t"] or ZERO) - (
            CreditNote.objects.for_tenant(tenant).aggregate(t=Sum("tax_total"))["t"] or ZERO
        )
        assert -role_balance(tenant, PostingRole.TAX_PAYABLE, "EUR") == tax

        # Every invoiced amount is scheduled as revenue, whole: what the
        # invoices not voided bill less what their credit notes credit.
        recognise_revenue(tenant=tenant, through=D(2100, 1, 1))
        credited = CreditNote.objects.for_tenant(tenant).exclude(invoice__status=InvoiceStatus.VOID)
        invoiced = (live.aggregate(n=Sum("subtotal"))["n"] or ZERO) - (
            credited.aggregate(n=Sum("subtotal"))["n"] or ZERO
        )
        scheduled = RevenueScheduleEntry.objects.for_tenant(tenant).aggregate(n=Sum("amount"))
        assert (scheduled["n"] or ZERO) == invoiced

        before = snapshot()
        again = post_journal(tenant=tenant, through=D(2100, 1, 1))
        assert sum(again.values()) == 0
        assert snapshot() == before
        transaction.set_rollback(True)
