"""Invoice lifecycle after issue: partial payments, credit notes (full and
partial, numbered CN-YYYY-NNNNN), refunds of credit, and the customer
statement, whose closing balance always equals the account balance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ispstack.billing.credit_notes import create_credit_note
from ispstack.billing.models import CreditNote, Invoice
from ispstack.billing.services import run_billing
from ispstack.core.errors import InvalidInput, InvalidTransition, NotFound
from ispstack.payments.models import Refund
from ispstack.payments.selectors import account_balance, credit, statement
from ispstack.payments.services import record_payment, record_refund
from ispstack.subscriptions.models import Subscription

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def invoice(tenant, make_subscription):
    """An issued invoice: 30.00 + 19 % VAT = 35.70 EUR, due 15 Jan 2026."""
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    return Invoice.objects.get(customer=sub.customer)


def test_full_credit_note_settles_an_unpaid_invoice(invoice):
    note = create_credit_note(
        invoice=invoice, reason="service never delivered", issue_date=D(2026, 1, 5)
    )
    assert note.number == "CN-2026-00001"
    assert (note.subtotal, note.tax_total, note.total) == (
        Decimal("30.00"),
        Decimal("5.70"),
        Decimal("35.70"),
    )
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.status, invoice.amount_credited, invoice.amount_due) == (
        "paid",
        Decimal("35.70"),
        0,
    )
    assert invoice.total == Decimal("35.70")  # an issued total never changes
    assert CreditNote.objects.get(pk=note.pk).unallocated == 0
    assert account_balance(invoice.customer) == 0


def test_partial_credit_note_on_a_paid_invoice_becomes_credit_then_a_refund(tenant, invoice):
    record_payment(
        tenant=tenant, customer=invoice.customer, amount="35.70", received_on=D(2026, 1, 3)
    )
    line = invoice.lines.get()
    note = create_credit_note(
        invoice=invoice, reason="3 days outage", lines=[{"line": line.pk, "amount": "2.90"}]
    )
    assert (note.subtotal, note.tax_total, note.total) == (
        Decimal("2.90"),
        Decimal("0.55"),
        Decimal("3.45"),
    )
    assert credit(invoice.customer) == Decimal("3.45")
    assert account_balance(invoice.customer) == Decimal("-3.45")

    with pytest.raises(InvalidInput) as err:
        record_refund(tenant=tenant, customer=invoice.customer, amount="5.00")
    assert err.value.field == "amount"
    refund = record_refund(
        tenant=tenant, customer=invoice.customer, amount="3.45", reference="EFT back"
    )
    assert Refund.objects.get(pk=refund.pk).allocations.get().credit_note == note
    assert credit(invoice.customer) == 0
    assert account_balance(invoice.customer) == 0


def test_a_line_is_never_credited_beyond_what_it_charged(invoice):
    line = invoice.lines.get()
    create_credit_note(invoice=invoice, reason="part", lines=[{"line": line.pk, "amount": "20"}])
    with pytest.raises(InvalidInput) as err:
        create_credit_note(
            invoice=invoice, reason="too much", lines=[{"line": line.pk, "amount": "10.01"}]
        )
    assert err.value.field == "lines[0].amount"
    rest = create_credit_note(invoice=invoice, reason="the rest")
    assert (rest.subtotal, rest.tax_total) == (Decimal("10.00"), Decimal("1.90"))
    notes = CreditNote.objects.filter(invoice=invoice)
    assert sum(n.total for n in notes) == invoice.total  # no cent of drift
    with pytest.raises(InvalidInput):
        create_credit_note(invoice=invoice, reason="again")


@pytest.mark.parametrize(
    ("kwargs", "error", "field"),
    [
        ({"reason": ""}, InvalidInput, "reason"),
        ({"reason": "x", "lines": []}, InvalidInput, "lines"),
        ({"reason": "x", "lines": [{"line": 999999, "amount": "1"}]}, NotFound, "lines[0].line"),
        ({"reason": "x", "lines": [{"line": None, "amount": "1"}]}, InvalidInput, "lines[0].line"),
        ({"reason": "x", "lines": [{"line": "abc", "amount": "1"}]}, InvalidInput, "lines[0].line"),
    ],
)
def test_credit_note_bad_input(invoice, kwargs, error, field):
    with pytest.raises(error) as err:
        create_credit_note(invoice=invoice, **kwargs)
    assert err.value.field == field
    assert not CreditNote.objects.exists()


def test_a_void_invoice_cannot_be_credited(invoice):
    from ispstack.billing.services import void_invoice

    void_invoice(invoice=invoice, reason="duplicate")
    with pytest.raises(InvalidTransition):
        create_credit_note(invoice=Invoice.objects.get(pk=invoice.pk), reason="x")


def test_partial_payment_makes_the_invoice_partially_paid(tenant, invoice):
    record_payment(tenant=tenant, customer=invoice.customer, amount="10.00")
    invoice = Invoice.objects.get(pk=invoice.pk)
    assert (invoice.status, invoice.amount_due) == ("partially_paid", Decimal("25.70"))
    record_payment(tenant=tenant, customer=invoice.customer, amount="25.70")
    assert Invoice.objects.get(pk=invoice.pk).status == "paid"


def test_a_credit_note_that_clears_the_overdue_invoice_reconnects(
    tenant, invoice, django_capture_on_commit_callbacks
):
    from ispstack.collections.services import run_collections

    run_collections(tenant=tenant, as_of=D(2026, 1, 26))
    sub = Subscription.objects.get(customer=invoice.customer)
    assert sub.status == "suspended"
    with django_capture_on_commit_callbacks(execute=True):  # reconnects after commit
        create_credit_note(invoice=invoice, reason="billing error", issue_date=D(2026, 1, 27))
    assert Subscription.objects.get(pk=sub.pk).status == "active"


def test_statement_lists_documents_with_a_running_balance(tenant, invoice):
    customer = invoice.customer
    record_payment(
        tenant=tenant,
        customer=customer,
        amount="50.00",
        received_on=D(2026, 1, 10),
        reference="EFT 1",
    )
    run_billing(tenant=tenant, as_of=D(2026, 2, 1))
    create_credit_note(
        invoice=Invoice.objects.get(customer=customer, issue_date=D(2026, 2, 1)),
        reason="promo",
        issue_date=D(2026, 2, 2),
    )
    record_refund(tenant=tenant, customer=customer, amount="14.30", refunded_on=D(2026, 2, 3))

    jan = statement(customer, D(2026, 1, 1), D(2026, 1, 31))
    assert jan.opening_balance == 0
    assert [(e.kind, e.amount, e.balance) for e in jan.entries] == [
        ("invoice", Decimal("35.70"), Decimal("35.70")),
        ("payment", Decimal("-50.00"), Decimal("-14.30")),
    ]
    feb = statement(customer, D(2026, 2, 1), D(2026, 2, 28))
    assert feb.opening_balance == Decimal("-14.30")
    assert [e.kind for e in feb.entries] == ["invoice", "credit_note", "refund"]
    assert feb.closing_balance == account_balance(customer) == 0


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["pay", "credit", "refund"]), st.integers(min_value=1, max_value=6000)
        ),
        max_size=8,
    )
)
def test_statement_closing_balance_always_equals_the_account_balance(
    tenant, make_subscription, actions
):
    sub = make_subscription(tenant, start_date=D(2026, 1, 1))
    run_billing(tenant=tenant, as_of=D(2026, 3, 1))
    customer = sub.customer
    for kind, cents in actions:
        amount = Decimal(cents) / 100
        try:
            if kind == "pay":
                record_payment(tenant=tenant, customer=customer, amount=amount)
            elif kind == "refund":
                record_refund(tenant=tenant, customer=customer, amount=amount)
            else:
                invoice = Invoice.objects.filter(customer=customer).order_by("?").first()
                line = invoice.lines.first()
                create_credit_note(
                    invoice=invoice,
                    reason="goodwill",
                    lines=[{"line": line.pk, "amount": str(amount)}],
                )
        except InvalidInput:
            continue
    whole = statement(customer, D(2000, 1, 1), D(2100, 1, 1))
    assert whole.closing_balance == account_balance(customer)
    for invoice in Invoice.objects.filter(customer=customer):
        assert invoice.amount_paid + invoice.amount_credited + invoice.amount_due == invoice.total


def test_a_line_named_twice_is_never_credited_beyond_what_it_charged(invoice):
    line = invoice.lines.get()  # 30.00
    with pytest.raises(InvalidInput) as err:
        create_credit_note(
            invoice=invoice,
            reason="outage",
            lines=[{"line": line.pk, "amount": "20.00"}, {"line": line.pk, "amount": "20.00"}],
        )
    assert (err.value.field, err.value.message) == (
        "lines[1].amount",
        "only 10.00 of this line is left to credit",
    )
    assert CreditNote.objects.filter(invoice=invoice).count() == 0
    note = create_credit_note(
        invoice=invoice,
        reason="outage",
        lines=[{"line": line.pk, "amount": "20.00"}, {"line": line.pk, "amount": "10.00"}],
    )
    # the second part takes the line's whole remainder, tax included: 30.00 + 5.70
    assert (note.subtotal, note.tax_total) == (Decimal("30.00"), Decimal("5.70"))
