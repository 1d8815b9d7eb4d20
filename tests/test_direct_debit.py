"""SEPA direct debit: a pain.008 that passes its XSD, FRST then RCUR, settlement
as payments, and the bank's returns (pain.002 with reason codes) reversing
payments, reopening invoices and charging the return fee."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ispstack.billing.models import Charge, Invoice
from ispstack.billing.services import run_billing
from ispstack.core.errors import InvalidInput
from ispstack.payments.direct_debit import create_batch, import_returns, settle_batch
from ispstack.payments.methods import add_bank_account
from ispstack.payments.models import DirectDebitItem, Payment
from ispstack.payments.selectors import account_balance, statement

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def creditor(make_tenant):
    return make_tenant(
        sepa_creditor_id="DE98ZZZ09999999999",
        sepa_creditor_iban="DE89370400440532013000",
        sepa_creditor_bic="COBADEFFXXX",
        direct_debit_return_fee=Decimal("3.50"),
    )


@pytest.fixture
def mandated(creditor, make_subscription):
    sub = make_subscription(creditor, start_date=D(2026, 1, 1))
    add_bank_account(
        customer=sub.customer,
        iban="DE44500105175407324931",
        holder_name="Ada L",
        mandate_reference="MNDT-0001",
        mandate_signed_on=D(2025, 12, 20),
    )
    return sub


def pain002(*rejected: tuple[str, str]) -> bytes:
    txs = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{e2e}</OrgnlEndToEndId><TxSts>RJCT</TxSts>"
        f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf></TxInfAndSts>"
        for e2e, code in rejected
    )
    return (
        f'<?xml version="1.0"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:'
        f'pain.002.001.03"><CstmrPmtStsRpt><GrpHdr><MsgId>R1</MsgId></GrpHdr>'
        f"<OrgnlPmtInfAndSts>{txs}</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    ).encode()


def test_a_batch_collects_due_invoices_first_then_recurring(creditor, mandated):
    run_billing(tenant=creditor, as_of=D(2026, 1, 1))
    first = create_batch(tenant=creditor, collection_date=D(2026, 1, 15))
    assert (first.count, first.total) == (1, Decimal("35.70"))
    assert "<SeqTp>FRST</SeqTp>" in first.xml and "<MndtId>MNDT-0001</MndtId>" in first.xml
    assert '<InstdAmt Ccy="EUR">35.70</InstdAmt>' in first.xml
    with pytest.raises(InvalidInput):  # the invoice is already in a pending collection
        create_batch(tenant=creditor, collection_date=D(2026, 1, 15))
    settle_batch(batch=first)
    assert Invoice.objects.get(customer=mandated.customer).status == "paid"
    run_billing(tenant=creditor, as_of=D(2026, 2, 1))
    second = create_batch(tenant=creditor, collection_date=D(2026, 2, 15))
    assert "<SeqTp>RCUR</SeqTp>" in second.xml


def test_a_returned_debit_reverses_the_payment_and_charges_the_fee(creditor, mandated):
    run_billing(tenant=creditor, as_of=D(2026, 1, 1))
    batch = settle_batch(batch=create_batch(tenant=creditor, collection_date=D(2026, 1, 15)))
    item = DirectDebitItem.objects.get(batch=batch)
    returns = pain002((item.end_to_end_id, "AM04"))
    assert [i.return_reason for i in import_returns(tenant=creditor, data=returns)] == ["AM04"]
    invoice = Invoice.objects.get(customer=mandated.customer)
    assert (invoice.status, invoice.amount_paid) == ("issued", 0)
    payment = Payment.objects.get(reference=item.end_to_end_id)
    assert payment.reversed_on == D(2026, 1, 15)
    assert account_balance(mandated.customer) == Decimal("35.70")
    assert Charge.objects.get(subscription=mandated).amount == Decimal("3.50")
    kinds = [e.kind for e in statement(mandated.customer, D(2026, 1, 1), D(2026, 1, 31)).entries]
    assert kinds == ["invoice", "payment", "payment_reversal"]
    assert import_returns(tenant=creditor, data=returns) == []  # seen before: nothing twice
    assert Charge.objects.filter(subscription=mandated).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (pain002(("UNKNOWN-E2E", "MD01")), "no such collection"),
        (b"<Document><oops>", "line 1"),
        (b"<Document/>", "not a pain.002"),
    ],
)
def test_bad_return_files_are_refused_whole(creditor, mandated, data, message):
    with pytest.raises(InvalidInput) as err:
        import_returns(tenant=creditor, data=data)
    assert message in err.value.message


def test_creditor_data_is_required(tenant, make_subscription):
    with pytest.raises(InvalidInput) as err:
        create_batch(tenant=tenant, collection_date=D(2026, 1, 15))
    assert err.value.field == "sepa_creditor_id"
