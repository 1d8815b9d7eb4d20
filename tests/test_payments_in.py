"""Money coming in: saved payment methods, transfers reviewed by a clerk, and
bank statements (camt.053, MT940, OFX) matched to customers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile

from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.core import outbox
from ispstack.core.errors import Conflict, InvalidInput, InvalidTransition
from ispstack.notifications.models import EmailLog
from ispstack.payments import statements
from ispstack.payments.methods import add_bank_account, add_card
from ispstack.payments.models import BankStatement, Payment, StatementLine
from ispstack.payments.statements import import_statement, match_line
from ispstack.payments.transfers import approve_transfer, reject_transfer, submit_transfer

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def billed(tenant, make_subscription):
    """Two customers each with an open January invoice of 35.70 EUR."""
    subs = [make_subscription(tenant, start_date=D(2026, 1, 1)) for _ in range(2)]
    run_billing(tenant=tenant, as_of=D(2026, 1, 1))
    return [Invoice.objects.get(customer=s.customer) for s in subs]


def camt053(entries: list[tuple[str, str, str, str, str]]) -> bytes:
    """A camt.053.001.02 statement; entries are (ref, amount, CRDT/DBIT, remittance, IBAN)."""
    ntry = "".join(
        f"""
      <Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{side}</CdtDbtInd><Sts>BOOK</Sts>
        <BookgDt><Dt>2026-01-10</Dt></BookgDt><ValDt><Dt>2026-01-10</Dt></ValDt>
        <AcctSvcrRef>{ref}</AcctSvcrRef>
        <NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          <RltdPties><Dbtr><Nm>Payer {ref}</Nm></Dbtr><DbtrAcct><Id><IBAN>{iban}</IBAN></Id>
          </DbtrAcct></RltdPties>
          <RmtInf><Ustrd>{remittance}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>"""
        for ref, amount, side, remittance, iban in entries
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
  <GrpHdr><MsgId>MSG1</MsgId><CreDtTm>2026-01-11T08:00:00</CreDtTm></GrpHdr>
  <Stmt><Id>STMT-{entries[0][0] if entries else 0}</Id><CreDtTm>2026-01-11T08:00:00</CreDtTm>
    <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>{ntry}
  </Stmt></BkToCstmrStmt></Document>""".encode()


def test_camt053_credits_are_matched_paid_queued_or_ignored(tenant, billed):
    first, second = billed
    data = camt053(
        [
            ("REF-1", "35.70", "CRDT", f"Payment {first.number} thanks", "DE44500105175407324931"),
            (
                "REF-2",
                "20.00",
                "CRDT",
                f"acct {second.customer.account_number}",
                "FR1420041010050500013M02606",
            ),
            ("REF-3", "12.00", "CRDT", "no idea what this is", "NL91ABNA0417164300"),
            ("REF-4", "99.00", "DBIT", "bank fees", "DE44500105175407324931"),
        ]
    )
    statement = import_statement(tenant=tenant, data=data, filename="jan.xml")
    assert (statement.format, statement.account_iban) == ("camt053", "DE89370400440532013000")
    assert (statement.lines_total, statement.lines_matched, statement.lines_unmatched) == (4, 2, 1)
    rules = dict(StatementLine.objects.values_list("bank_reference", "match_rule"))
    assert rules == {"REF-1": "invoice_number", "REF-2": "account_number", "REF-3": "", "REF-4": ""}
    assert Invoice.objects.get(pk=first.pk).status == "paid"
    assert Invoice.objects.get(pk=second.pk).amount_paid == Decimal("20.00")
    assert StatementLine.objects.get(bank_reference="REF-4").status == "ignored"

    with pytest.raises(Conflict) as err:
        import_statement(tenant=tenant, data=data, filename="jan-again.xml")
    assert err.value.field == "file"
    overlap = camt053([("REF-2", "20.00", "CRDT", "dup", ""), ("REF-5", "1.00", "DBIT", "x", "")])
    import_statement(tenant=tenant, data=overlap, filename="overlap.xml")
    assert Payment.objects.count() == 2  # REF-2 was not booked twice

    unmatched = StatementLine.objects.get(bank_reference="REF-3")
    match_line(line=unmatched, customer=second.customer)
    assert Invoice.objects.get(pk=second.pk).amount_paid == Decimal("32.00")
    with pytest.raises(InvalidTransition):
        match_line(line=unmatched, customer=second.customer)


def test_a_mandate_iban_identifies_the_customer(tenant, billed):
    add_bank_account(
        customer=billed[0].customer,
        iban="DE44 5001 0517 5407 3249 31",
        holder_name="A Customer",
        mandate_reference="MNDT-1",
        mandate_signed_on=D(2025, 12, 1),
    )
    import_statement(
        tenant=tenant,
        data=camt053([("R9", "35.70", "CRDT", "monthly internet", "DE44500105175407324931")]),
        filename="s",
    )
    assert StatementLine.objects.get().match_rule == "mandate_iban"
    assert Invoice.objects.get(pk=billed[0].pk).status == "paid"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<?xml version='1.0'?><Document><BkToCstmrStmt><Stmt>", "line 1"),
        (b":20:X\n:25:DE89\n:28C:1\n:60F:C260101EUR1,00\n:61:garbage\n", ":61:"),
        (b"OFXHEADER:100\nDATA:OFXSGML\n\n<OFX><BANKMSGSRSV1>", "OFX"),
        (b"hello, world", "not a camt.053, MT940 or OFX"),
    ],
)
def test_a_malformed_statement_is_refused_whole_naming_the_fault(tenant, data, message):
    with pytest.raises(InvalidInput) as err:
        import_statement(tenant=tenant, data=data, filename="bad")
    assert message in err.value.message
    assert err.value.field == "file"
    assert not BankStatement.objects.exists()


def test_mt940_and_ofx(tenant, billed):
    first, second = billed
    mt940 = (
        f":20:STARTUMSE\n:25:DE89370400440532013000\n:28C:00001/001\n"
        f":60F:C260101EUR1000,00\n:61:2601100110CR35,70NTRFNONREF//BANK-A1\n"
        f":86:166?00GUTSCHRIFT?20{first.number}?32JOHN DOE\n:62F:C260110EUR1035,70\n"
    )
    assert import_statement(tenant=tenant, data=mt940.encode(), filename="a.sta").lines_matched == 1
    ofx = f"""OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>20260111
<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0
<SEVERITY>INFO</STATUS><STMTRS><CURDEF>EUR<BANKACCTFROM><BANKID>37040044<ACCTID>0532013000
<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST><DTSTART>20260101<DTEND>20260111<STMTTRN>
<TRNTYPE>CREDIT<DTPOSTED>20260110<TRNAMT>35.70<FITID>OFX-77<NAME>JANE<MEMO>{second.customer.account_number}
</STMTTRN></BANKTRANLIST><LEDGERBAL><BALAMT>100.00<DTASOF>20260111</LEDGERBAL></STMTRS>
</STMTTRNRS></BANKMSGSRSV1></OFX>
"""
    statement = import_statement(tenant=tenant, data=ofx.encode(), filename="s.ofx")
    assert (statement.format, statement.lines_matched) == ("ofx", 1)
    assert Invoice.objects.filter(status="paid").count() == 2


def test_an_import_killed_half_way_leaves_nothing_and_replays_whole(tenant, billed, monkeypatch):
    data = camt053(
        [
            ("K1", "35.70", "CRDT", billed[0].number, ""),
            ("K2", "35.70", "CRDT", billed[1].number, ""),
        ]
    )
    real_book = statements._book
    calls = []

    def dying(statement, txn, actor):
        calls.append(txn)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed")
        return real_book(statement, txn, actor)

    monkeypatch.setattr(statements, "_book", dying)
    with pytest.raises(KeyboardInterrupt):
        import_statement(tenant=tenant, data=data, filename="k.xml")
    assert (BankStatement.objects.count(), Payment.objects.count()) == (0, 0)
    monkeypatch.setattr(statements, "_book", real_book)
    assert import_statement(tenant=tenant, data=data, filename="k.xml").lines_matched == 2
    assert Payment.objects.count() == 2


def test_transfer_review_approve_and_reject(tenant, billed, smtp_server):
    customer = billed[0].customer
    proof = ContentFile(b"%PDF-1.4 proof", name="receipt.pdf")
    transfer = submit_transfer(
        customer=customer,
        amount="35.70",
        transferred_on=D(2026, 1, 5),
        proof=proof,
        reference="EFT 991",
    )
    assert transfer.status == "in_review"
    approved = approve_transfer(transfer=transfer)
    outbox.drain()
    assert approved.payment.amount == Decimal("35.70")
    assert Invoice.objects.get(pk=billed[0].pk).status == "paid"
    with pytest.raises(InvalidTransition):
        reject_transfer(transfer=approved, reason="late")
    other = submit_transfer(
        customer=billed[1].customer,
        amount="10",
        transferred_on="2026-01-06",
        proof=ContentFile(b"png", name="shot.png"),
    )
    with pytest.raises(InvalidInput) as err:
        reject_transfer(transfer=other, reason=" ")
    assert err.value.field == "reason"
    reject_transfer(transfer=other, reason="no such credit on our account")
    outbox.drain()
    subjects = sorted(
        m["Subject"] for m in smtp_server.messages if m["Subject"].startswith("Your transfer")
    )
    assert subjects == [
        "Your transfer of 10.00 EUR could not be confirmed",
        "Your transfer of 35.70 EUR was received",
    ]
    assert EmailLog.objects.filter(reference__startswith="transfer:").count() == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"proof": ContentFile(b"x", name="virus.exe")}, "proof"),
        ({"transferred_on": "2999-01-01"}, "transferred_on"),
    ],
)
def test_transfer_bad_input(tenant, billed, kwargs, field):
    values = {
        "amount": "1.00",
        "transferred_on": D(2026, 1, 5),
        "proof": ContentFile(b"%PDF", name="p.pdf"),
    }
    values.update(kwargs)
    with pytest.raises(InvalidInput) as err:
        submit_transfer(customer=billed[0].customer, **values)
    assert err.value.field == field


def test_payment_methods_are_masked_validated_and_one_is_primary(tenant, make_customer):
    customer = make_customer(tenant)
    card = add_card(
        customer=customer,
        token="tok_visa_123",
        brand="visa",
        last4="4242",
        exp_month=12,
        exp_year=2030,
    )
    bank = add_bank_account(
        customer=customer, iban="DE89 3704 0044 0532 0130 00", holder_name="A B", primary=True
    )
    assert (card.display, bank.display) == ("Visa ***4242", "Bank ***3000")
    card.refresh_from_db()
    assert (card.is_primary, bank.is_primary) == (False, True)
    with pytest.raises(InvalidInput) as err:
        add_bank_account(customer=customer, iban="DE89 3704 0044 0532 0130 01", holder_name="X")
    assert err.value.field == "iban"
