"""Bulk "match" on the console's statement lines: each ticked unmatched
credit becomes the payment of the one customer it names (invoice or account
number in the remittance, the payer's saved IBAN), after a confirmation; a
line naming nobody or several customers is reported and left alone."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.payments.models import (
    BankStatement,
    CustomerPaymentMethod,
    Payment,
    StatementLine,
)

pytestmark = pytest.mark.django_db

D = dt.date
SHARED_IBAN = "DE89370400440532013000"


def _line(tenant: Any, n: int, **values: Any) -> StatementLine:
    statement, _ = BankStatement.objects.get_or_create(
        tenant=tenant,
        sha256=f"{tenant.pk}".ljust(64, "0"),
        defaults={"format": "camt053", "filename": "s.xml", "lines_unmatched": 9},
    )
    row = {
        "tenant": tenant,
        "statement": statement,
        "identity": f"{tenant.pk}-{n}".ljust(64, "1"),
        "bank_reference": f"REF-{n}",
        "booked_on": D(2026, 1, 20),
        "amount": Decimal("35.70"),
        "currency": "EUR",
        "counterparty_name": f"Payer {n}",
        "status": StatementLine.Status.UNMATCHED,
    }
    row.update(values)
    return StatementLine.objects.create(**row)


def _bank_account(customer: Any, iban: str) -> None:
    CustomerPaymentMethod.objects.create(
        tenant=customer.tenant,
        customer=customer,
        kind=CustomerPaymentMethod.Kind.BANK_ACCOUNT,
        iban=iban,
        holder_name=customer.name,
        mandate_reference=f"M-{customer.pk}",
    )


@pytest.fixture
def queue(tenant, make_tenant, make_subscription, make_customer):
    """Unmatched lines of one tenant: one naming an invoice, one an account
    number (typed in small letters), one from an IBAN two customers saved,
    one naming nobody, one in another currency; and another tenant's line."""
    first = make_subscription(tenant, start_date=D(2026, 1, 1)).customer
    second = make_customer(tenant)
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    invoice = Invoice.objects.get(customer=first)
    for customer in (first, second):
        _bank_account(customer, SHARED_IBAN)
    other_tenant = make_tenant()
    lines = {
        "invoice": _line(tenant, 1, remittance=f"Payment {invoice.number} thanks"),
        "account": _line(tenant, 2, remittance=f"acct {second.account_number.lower()}"),
        "shared_iban": _line(tenant, 3, counterparty_iban=SHARED_IBAN),
        "nobody": _line(tenant, 4, remittance="rent for March"),
        "currency": _line(tenant, 5, remittance=invoice.number, currency="USD"),
        "foreign": _line(other_tenant, 6, remittance=invoice.number),
    }
    return {"first": first, "second": second, "invoice": invoice, "lines": lines}


def test_bulk_match_confirms_then_matches_each_line_and_reports_the_rest(
    client: Client, tenant, queue, make_staff
):
    lines = queue["lines"]
    client.force_login(make_staff(tenant, "billing"))
    page = client.get("/staff/statement-lines/").content.decode()
    assert 'value="match"' in page
    ids = [line.pk for line in lines.values()]
    confirm = client.post("/staff/statement-lines/", {"action": "match", "pk": ids})
    assert confirm.status_code == 200 and "becomes that customer" in confirm.content.decode()
    assert not Payment.objects.exists()  # nothing until confirmed

    done = client.post(
        "/staff/statement-lines/", {"action": "match", "pk": ids, "confirm": "1"}
    ).content.decode()
    assert "2 rows changed" in done and "3 refused" in done and "1 not found" in done
    assert f"Matched to {queue['first'].account_number}" in done
    assert "invoice number in the remittance" in done
    assert "account number in the remittance" in done
    assert "ambiguous" in done and "no candidate" in done
    assert "the customer pays in EUR, the credit is in USD" in done

    state = {name: StatementLine.objects.get(pk=line.pk) for name, line in lines.items()}
    assert (state["invoice"].status, state["invoice"].customer_id) == (
        "matched",
        queue["first"].pk,
    )
    assert state["invoice"].match_rule == "invoice_number"
    assert state["invoice"].payment.amount == Decimal("35.70")
    assert (state["account"].customer_id, state["account"].match_rule) == (
        queue["second"].pk,
        "account_number",
    )
    # Refused lines are left as they were: no payment, still unmatched.
    for name in ("shared_iban", "nobody", "currency", "foreign"):
        assert (state[name].status, state[name].payment_id) == ("unmatched", None), name
    assert Payment.objects.count() == 2
    statement = state["invoice"].statement
    assert statement.lines_matched == 2 and statement.lines_unmatched == 7


def test_a_line_matched_already_is_refused_not_paid_twice(
    client: Client, tenant, queue, make_staff
):
    line = queue["lines"]["invoice"]
    client.force_login(make_staff(tenant, "billing"))
    for _ in range(2):
        client.post("/staff/statement-lines/", {"action": "match", "pk": [line.pk], "confirm": "1"})
    assert Payment.objects.count() == 1


def test_a_role_that_may_not_change_lines_has_no_match_action(
    client: Client, tenant, queue, make_staff
):
    client.force_login(make_staff(tenant, "support"))
    line = queue["lines"]["invoice"]
    assert 'value="match"' not in client.get("/staff/statement-lines/").content.decode()
    answer = client.post(
        "/staff/statement-lines/", {"action": "match", "pk": [line.pk], "confirm": "1"}
    )
    assert answer.status_code == 403
    assert not Payment.objects.exists()
