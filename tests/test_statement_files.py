"""Bank statement import on real bank files (camt.053, MT940, OFX): every line
read once with its own identity, nothing booked twice, nothing lost in
silence, and every bad file refused with the line or element at fault.

Real files come from PyPI sdists (``tests/bank_samples.py``); the others are
written here from the specifications (ISO 20022 camt.053.001.02 and .08,
SWIFT MT940, OFX 1.0.2 and 2.1.1).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from lxml import etree

from ispstack.billing.models import Invoice
from ispstack.billing.services import run_billing
from ispstack.core.errors import Conflict, InvalidInput
from ispstack.core.money import round_money
from ispstack.payments.models import BankStatement, Payment, StatementLine
from ispstack.payments.statements import import_statement, match_line

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def invoices(tenant, make_subscription):
    """Three customers, each with an open January invoice of 35.70 EUR."""
    subs = [make_subscription(tenant, start_date=dt.date(2026, 1, 1)) for _ in range(3)]
    run_billing(tenant=tenant, as_of=dt.date(2026, 1, 1))
    return [Invoice.objects.get(customer=s.customer) for s in subs]


def rows() -> tuple[int, int, int]:
    return BankStatement.objects.count(), StatementLine.objects.count(), Payment.objects.count()


def refused(tenant, data: bytes, **kwargs) -> InvalidInput:
    """Import ``data`` expecting InvalidInput on ``file``; nothing may be written."""
    before = rows()
    with pytest.raises(InvalidInput) as err:
        import_statement(tenant=tenant, data=data, filename="bad", **kwargs)
    assert err.value.field == "file"
    assert rows() == before
    return err.value


# Files written from the specifications ----------------------------------


def camt(*stmts: str, ns: str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02", msg="M1"):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{ns}"><BkToCstmrStmt>
  <GrpHdr><MsgId>{msg}</MsgId><CreDtTm>2026-01-11T08:00:00</CreDtTm></GrpHdr>
  {"".join(stmts)}
</BkToCstmrStmt></Document>""".encode()


def bal(code: str, amount: Decimal) -> str:
    side = "DBIT" if amount < 0 else "CRDT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="EUR">{abs(amount)}</Amt><CdtDbtInd>{side}</CdtDbtInd>'
        "<Dt><Dt>2026-01-10</Dt></Dt></Bal>"
    )


def stmt(stmt_id: str, entries: list[str], opening=None, closing=None, seq="1") -> str:
    balances = (bal("OPBD", opening) if opening is not None else "") + (
        bal("CLBD", closing) if closing is not None else ""
    )
    return f"""<Stmt><Id>{stmt_id}</Id><ElctrncSeqNb>{seq}</ElctrncSeqNb>
      <CreDtTm>2026-01-11T08:00:00</CreDtTm>
      <Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>{balances}{"".join(entries)}
    </Stmt>"""


def ntry(amount: str, side="CRDT", ref="", details=(), day="2026-01-10", extra="") -> str:
    ref_xml = f"<AcctSvcrRef>{ref}</AcctSvcrRef>" if ref else ""
    return f"""<Ntry><Amt Ccy="EUR">{amount}</Amt><CdtDbtInd>{side}</CdtDbtInd>{extra}
      <Sts>BOOK</Sts><BookgDt><Dt>{day}</Dt></BookgDt><ValDt><Dt>{day}</Dt></ValDt>{ref_xml}
      <BkTxCd/><NtryDtls>{"".join(details)}</NtryDtls></Ntry>"""


def txdtls(amount=None, e2e="NOTPROVIDED", txid="", text="", iban="") -> str:
    amt = f'<AmtDtls><TxAmt><Amt Ccy="EUR">{amount}</Amt></TxAmt></AmtDtls>' if amount else ""
    tx = f"<TxId>{txid}</TxId>" if txid else ""
    return f"""<TxDtls><Refs><EndToEndId>{e2e}</EndToEndId>{tx}</Refs>{amt}
      <RltdPties><Dbtr><Nm>Payer</Nm></Dbtr>
      <DbtrAcct><Id><IBAN>{iban or "NL91ABNA0417164300"}</IBAN></Id></DbtrAcct></RltdPties>
      <RmtInf><Ustrd>{text}</Ustrd></RmtInf></TxDtls>"""


def mt940_block(number: str, opening: Decimal, lines: list[tuple[str, Decimal, str]]) -> str:
    """One MT940 statement; ``lines`` are (:61: value, its signed amount, :86: text)."""

    def fmt(amount: Decimal) -> str:
        return ("D" if amount < 0 else "C") + f"260110EUR{abs(amount):.2f}".replace(".", ",")

    closing = opening + sum((amount for _, amount, _ in lines), D(0))
    body = "".join(f":61:{value}\n:86:{text}\n" for value, _, text in lines)
    return (
        f":20:STARTUMSE\n:25:37040044/0532013000\n:28C:{number}\n"
        f":60F:{fmt(opening)}\n{body}:62F:{fmt(closing)}\n"
    )


def ofx(txns: list[tuple[str, str, str, str]], account="0532013000", server="20260111") -> bytes:
    """An OFX 1.0.2 bank statement; ``txns`` are (TRNTYPE, TRNAMT, FITID, MEMO)."""
    body = "".join(
        f"<STMTTRN><TRNTYPE>{kind}<DTPOSTED>20260110<TRNAMT>{amount}<FITID>{fitid}"
        f"<NAME>Payer<MEMO>{memo}</STMTTRN>\n"
        for kind, amount, fitid, memo in txns
    )
    return f"""OFXHEADER:100
DATA:OFXSGML
VERSION:102
SECURITY:NONE
ENCODING:USASCII
CHARSET:1252
COMPRESSION:NONE
OLDFILEUID:NONE
NEWFILEUID:NONE

<OFX><SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS><DTSERVER>{server}
<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0
<SEVERITY>INFO</STATUS><STMTRS><CURDEF>EUR<BANKACCTFROM><BANKID>37040044<ACCTID>{account}
<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST><DTSTART>20260101<DTEND>20260111
{body}</BANKTRANLIST><LEDGERBAL><BALAMT>100.00<DTASOF>20260111</LEDGERBAL></STMTRS>
</STMTTRNRS></BANKMSGSRSV1></OFX>
""".encode()


# 1. camt.053 batch entries ------------------------------------------------


def test_each_transaction_detail_of_a_camt_entry_is_its_own_line(tenant, invoices):
    batch = ntry(
        "107.10",
        ref="BATCH-1",
        details=[
            txdtls("35.70", e2e=f"E2E-{i}", text=inv.number) for i, inv in enumerate(invoices)
        ],
    )
    data = camt(stmt("S1", [batch], opening=D("100.00"), closing=D("207.10")))
    statement = import_statement(tenant=tenant, data=data, filename="batch.xml")
    assert (statement.lines_total, statement.lines_matched) == (3, 3)
    lines = StatementLine.objects.order_by("id")
    assert [(line.bank_reference, line.amount) for line in lines] == [
        ("E2E-0", D("35.70")),
        ("E2E-1", D("35.70")),
        ("E2E-2", D("35.70")),
    ]
    assert Invoice.objects.filter(status="paid").count() == 3
    # The bank sends the statement again in another message: nothing new.
    again = camt(stmt("S1", [batch], opening=D("100.00"), closing=D("207.10")), msg="M2")
    assert import_statement(tenant=tenant, data=again, filename="again.xml").lines_total == 0
    assert Payment.objects.count() == 3


def test_a_camt_batch_whose_details_dont_add_up_waits_for_a_clerk(tenant, invoices):
    batch = ntry(
        "50.00",
        ref="BATCH-2",
        details=[txdtls("35.70", text=invoices[0].number), txdtls("35.70", text="x")],
    )
    statement = import_statement(tenant=tenant, data=camt(stmt("S2", [batch])), filename="b")
    line = StatementLine.objects.get()
    assert (statement.lines_unmatched, line.amount, line.status) == (1, D("50.00"), "unmatched")
    assert "don't add up to the entry's 50.00 EUR" in line.note
    assert not Payment.objects.exists()


# 2. NOTPROVIDED is no reference -------------------------------------------


def test_notprovided_never_identifies_a_camt_transaction(tenant, invoices):
    first = camt(stmt("S-10", [ntry("35.70", details=[txdtls(text=invoices[0].number)])]))
    second = camt(
        stmt(
            "S-11",
            [ntry("35.70", day="2026-01-11", details=[txdtls(text=invoices[1].number)])],
            seq="2",
        )
    )
    import_statement(tenant=tenant, data=first, filename="10.xml")
    assert import_statement(tenant=tenant, data=second, filename="11.xml").lines_matched == 1
    assert Invoice.objects.filter(status="paid").count() == 2
    assert set(StatementLine.objects.values_list("bank_reference", flat=True)) == {""}


# 3. MT940 reversals -------------------------------------------------------


def test_mt940_reversal_marks_are_read_with_their_sign(tenant, invoices):
    first, second, _ = invoices
    data = mt940_block(
        "00001/001",
        D("1000.00"),
        [
            ("2601100110C35,70NTRFNONREF//B-1", D("35.70"), f"paid {first.number}"),
            ("2601100110RC35,70NTRFNONREF//B-2", D("-35.70"), f"back {second.number}"),
            ("2601100110RD10,00NTRFNONREF//B-3", D("10.00"), f"refund {second.number}"),
        ],
    )
    statement = import_statement(tenant=tenant, data=data.encode(), filename="r.sta")
    lines = {line.bank_reference: line for line in StatementLine.objects.all()}
    assert (lines["B-2"].amount, lines["B-2"].status) == (D("-35.70"), "ignored")
    assert "reversal of a credit (RC)" in lines["B-2"].note
    assert (lines["B-3"].amount, lines["B-3"].status) == (D("10.00"), "unmatched")
    assert "reversal of a debit (RD)" in lines["B-3"].note
    assert (statement.lines_matched, Payment.objects.count()) == (1, 1)
    assert Invoice.objects.get(pk=second.pk).amount_paid == D("0")


# 4. MT940 repeated statements without references --------------------------


def test_a_repeated_mt940_statement_without_references_is_booked_once(tenant, invoices):
    lines = [
        ("2601100110C20,00NTRFNONREF", D("20.00"), "monthly fee"),
        ("2601100110C20,00NTRFNONREF", D("20.00"), "monthly fee"),
        ("2601100110C35,70NTRFNONREF", D("35.70"), invoices[0].number),
    ]
    first = mt940_block("00001/001", D("1000.00"), lines)
    statement = import_statement(tenant=tenant, data=(first + first).encode(), filename="a.sta")
    # Two equal transfers are two lines; the statement sent twice adds none.
    assert (statement.lines_total, statement.lines_matched) == (3, 1)
    following = mt940_block(
        "00002/001", D("1075.70"), [("2601110111C20,00NTRFNONREF", D("20.00"), "monthly fee")]
    )
    statement = import_statement(tenant=tenant, data=(first + following).encode(), filename="b.sta")
    assert statement.lines_total == 1
    assert StatementLine.objects.count() == 4
    assert Payment.objects.count() == 1


# 5. and 6. MT940 lines that can't be read ----------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        # No type code: mt-940 merges the next :61: into this one.
        (":61:2601100110C35,70\n:61:2601100110C1,00NTRFNONREF", "line 5 (:61:2601100110C35,70)"),
        # An indented tag is no tag for mt-940, which would drop it.
        (":61:2601100110C35,70NTRFNONREF\n  :61:2601100110C1,00NTRFNONREF", "2 :61: lines"),
        (":61:2613400110C35,70NTRFNONREF", "value date 261340 is not a date"),
        (":61:2601101340C35,70NTRFNONREF", "entry date 1340 is not a date"),
        (":61:2601100110C,NTRFNONREF", "amount ',' is not digits"),
    ],
)
def test_an_mt940_line_that_cant_be_read_refuses_the_file_naming_it(tenant, line, message):
    data = f":20:X\n:25:DE89370400440532013000\n:28C:1\n:60F:C260101EUR1,00\n{line}\n"
    data += ":62F:C260110EUR37,70\n"
    err = refused(tenant, data.encode())
    assert message in err.message


def test_a_bad_mt940_date_is_a_400_through_the_api(tenant, api_client_for):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = b":20:X\n:25:DE89\n:28C:1\n:60F:C260101EUR1,00\n:61:261340C1,00NTRFNONREF\n"
    client = api_client_for(tenant, role="billing")
    response = client.post(
        "/api/v1/bank-statements/",
        {"file": SimpleUploadedFile("bad.sta", data + b":62F:C260101EUR2,00\n")},
        format="multipart",
    )
    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"]) == ("invalid", "file")
    assert "line 5 (:61:261340C1,00NTRFNONREF): value date 261340 is not a date" in body["detail"]
    assert not BankStatement.objects.exists()


def test_balances_that_the_lines_dont_add_up_to_refuse_the_file(tenant):
    block = mt940_block("1", D("10.00"), [("2601100110C5,00NTRFNONREF", D("5.00"), "x")])
    err = refused(tenant, block.replace(":62F:C260110EUR15,00", ":62F:C260110EUR16,00").encode())
    assert "opening balance 10.00 EUR + lines 5.00 = 15.00, but the closing balance is 16" in (
        err.message
    )
    entry = ntry("5.00", ref="R1", details=[txdtls(text="x")])
    err = refused(tenant, camt(stmt("S", [entry], opening=D("-1.00"), closing=D("5.00"))))
    assert "Stmt S: opening balance -1.00 EUR + lines 5.00 = 4.00" in err.message


# 7. OFX investment statements ----------------------------------------------


@pytest.mark.parametrize("name", ["vanguard.ofx", "fidelity.ofx", "investment_medium.ofx"])
def test_an_ofx_investment_statement_is_refused(tenant, bank_samples, api_client_for, name):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = bank_samples[f"ofxparse/tests/fixtures/{name}"].data
    assert "investment statements (INVSTMTRS) are not supported" in refused(tenant, data).message
    client = api_client_for(tenant, role="billing")
    response = client.post(
        "/api/v1/bank-statements/", {"file": SimpleUploadedFile(name, data)}, format="multipart"
    )
    assert (response.status_code, response.json()["field"]) == (400, "file")


# 8. OFX FITIDs are unique per account --------------------------------------


def test_the_same_fitid_on_another_account_is_another_transaction(tenant, invoices):
    a = ofx([("CREDIT", "35.70", "1001", invoices[0].number)], account="111")
    b = ofx([("CREDIT", "35.70", "1001", invoices[1].number)], account="222")
    import_statement(tenant=tenant, data=a, filename="a.ofx")
    assert import_statement(tenant=tenant, data=b, filename="b.ofx").lines_matched == 1
    assert Invoice.objects.filter(status="paid").count() == 2
    redownload = ofx([("CREDIT", "35.70", "1001", invoices[0].number)], account="111", server="2")
    assert import_statement(tenant=tenant, data=redownload, filename="a2.ofx").lines_total == 0
    assert Payment.objects.count() == 2


# 9. Amounts finer than the currency ----------------------------------------


def test_an_amount_finer_than_the_currency_is_rounded_with_a_note_matched_or_not(tenant, invoices):
    data = ofx(
        [
            ("CREDIT", "35.7049", "F-1", invoices[0].number),
            ("CREDIT", "12.3450", "F-2", "who?"),
            ("CREDIT", "35.7000", "F-3", invoices[1].number),
        ]
    )
    statement = import_statement(tenant=tenant, data=data, filename="fine.ofx")
    assert (statement.lines_matched, statement.lines_unmatched) == (2, 1)
    lines = {line.bank_reference: line for line in StatementLine.objects.all()}
    assert [lines[f].amount for f in ("F-1", "F-2", "F-3")] == [D("35.70"), D("12.35"), D("35.70")]
    assert "the file gives 35.7049 EUR; EUR has 2 decimals, so 35.70 was booked" in (
        lines["F-1"].note
    )
    assert "12.3450 EUR" in lines["F-2"].note
    assert lines["F-3"].note == ""
    assert Invoice.objects.get(pk=invoices[0].pk).status == "paid"


# 10. camt namespaces --------------------------------------------------------


@pytest.mark.parametrize(
    ("ns", "message"),
    [
        ("urn:example:not-camt", "{urn:example:not-camt}Document, not a camt.053 Document"),
        ("urn:iso:std:iso:20022:tech:xsd:camt.052.001.02", "a camt.052 (an account report)"),
        ("urn:iso:std:iso:20022:tech:xsd:camt.054.001.08", "a camt.054 (a debit/credit"),
        ("urn:iso:std:iso:20022:tech:xsd:pain.001.001.03", "not a camt.053 Document"),
    ],
)
def test_a_document_that_is_not_camt053_is_refused(tenant, ns, message):
    data = camt(stmt("S", [ntry("5.00", ref="R", details=[txdtls(text="x")])]), ns=ns)
    assert message in refused(tenant, data).message


# 11. OFX type and sign contradicting ----------------------------------------


def test_an_ofx_credit_with_a_negative_amount_waits_for_a_clerk(tenant, invoices):
    data = ofx([("CREDIT", "-35.70", "X-77", invoices[0].number), ("DEBIT", "-5.00", "X-78", "")])
    statement = import_statement(tenant=tenant, data=data, filename="c.ofx")
    line = StatementLine.objects.get(bank_reference="X-77")
    assert (line.status, line.amount, statement.lines_unmatched) == ("unmatched", D("-35.70"), 1)
    assert "FITID X-77: TRNTYPE CREDIT but TRNAMT -35.70" in line.note
    assert not Payment.objects.exists()
    with pytest.raises(InvalidInput) as err:
        match_line(line=line, customer=invoices[0].customer)
    assert err.value.field == "line"
    assert StatementLine.objects.get(bank_reference="X-78").status == "ignored"


# The general rules: any bad file is a clear InvalidInput ---------------------


GOOD_CAMT = camt(stmt("S", [ntry("5.00", ref="R", details=[txdtls(text="Zahlung")])]))


@pytest.mark.parametrize(
    ("data", "kwargs", "message"),
    [
        (b"", {}, "the file is empty (0 bytes)"),
        (b" \r\n\t", {}, "only blank space"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", {}, "not a camt.053, MT940 or OFX"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", {"format": "mt940"}, "NUL bytes"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", {"format": "ofx"}, "NUL bytes"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", {"format": "camt053"}, "not well-formed XML"),
        (GOOD_CAMT[: len(GOOD_CAMT) // 2], {}, "not well-formed XML, line"),
        (
            GOOD_CAMT.replace(b"Zahlung", "Zahlung für".encode("latin-1")),
            {},
            "line 11: Invalid bytes",
        ),
        (GOOD_CAMT.replace(b"5.00", b"5,00"), {}, "amount '5,00' is not a number"),
        (GOOD_CAMT.replace(b"2026-01-10", b"2026-13-10"), {}, "BookgDt '2026-13-10' is not"),
        (GOOD_CAMT.replace(b"2026-01-10", b"1900-01-10"), {}, "transaction 1 (R): booking date"),
        (GOOD_CAMT.replace(b'Ccy="EUR"', b'Ccy="EURO"'), {}, "currency 'EURO' is not an ISO"),
        (GOOD_CAMT.replace(b"5.00", b"12345678901.00"), {}, "beyond the 10 digits"),
        (b":20:X\n:25:A\n:28C:1\n:60F:C260101EUR1,00\n", {}, ":62F:/:62M:"),
        (b":20:X\n:25:A\n:28C:1\n:60F:C261301EUR1,00\n:62F:C260101EUR1,00\n", {}, "line 4"),
        (ofx([("CREDIT", "1.00", "", "x")]), {}, "Empty FIT id"),
        (ofx([("CREDIT", "1.00", "A", "x")]).replace(b"EUR", b"XYZ"), {}, "'XYZ' is not"),
    ],
)
def test_a_bad_file_is_refused_whole_naming_the_fault(tenant, data, kwargs, message):
    assert message in refused(tenant, data, **kwargs).message


def test_a_file_over_the_size_limit_is_refused(tenant, settings):
    settings.STATEMENT_MAX_FILE_BYTES = len(GOOD_CAMT) - 1
    assert "larger than" in refused(tenant, GOOD_CAMT).message


def test_a_camt052_from_pycamt_is_refused_as_a_report(tenant, bank_samples):
    data = bank_samples["pycamt/tests/test_parser.py:57"].data
    assert "a camt.052 (an account report), not a camt.053" in refused(tenant, data).message


# Real files -----------------------------------------------------------------

#: Real samples that are statements and must import; the others must be refused.
IMPORTS = [
    "bankfile/corpus/banks/chase/blank-line-before-header-none-after.qfx",
    "bankfile/corpus/banks/chase/non-ascii-byte-declared-usascii.qfx",
    "bankfile/corpus/banks/hsbc-brasil/dtstart-ddmmyy.ofx",
    "bankfile/corpus/banks/lcl/check-without-payee.ofx",
    "bankfile/corpus/banks/onpoint-community-credit-union/self-closing-memo-tag.ofx",
    "bankfile/corpus/banks/unnamed-bank/amount-comma-decimal.ofx",
    "bankfile/corpus/banks/unnamed-bank/amount-plus-sign-and-space.ofx",
    "bankfile/corpus/banks/unnamed-bank/blank-line-before-header.ofx",
    "bankfile/corpus/banks/unnamed-bank/character-outside-latin1.ofx",
    "bankfile/corpus/banks/unnamed-bank/charset-8859-1-without-iso-prefix.qfx",
    "bankfile/corpus/banks/unnamed-bank/chknum-instead-of-checknum.ofx",
    "bankfile/corpus/banks/unnamed-bank/mixed-case-trntype.ofx",
    "bankfile/corpus/banks/unnamed-bank/tags-outside-spec.ofx",
    "bankfile/corpus/banks/unnamed-bank/zero-date.ofx",
    "bankfile/corpus/template/ofx-1.0.2.ofx",
    "beangulp-mt940/tests/fixture.mt940",
    "camt053-loader-mt940/fuzz/corpus/regression-bic-only-account.mt940",
    "camt053-loader-mt940/fuzz/corpus/regression-booking-year-end.mt940",
    "camt053-loader-mt940/fuzz/corpus/regression-date-february-30.mt940",
    "camt053-loader-mt940/fuzz/corpus/seed-one-statement.mt940",
    "camt053-loader-mt940/fuzz/corpus/seed-proprietary-account.mt940",
    "ofxparse/tests/fixtures/anzcc.ofx",
    "ofxparse/tests/fixtures/bank_medium.ofx",
    "ofxparse/tests/fixtures/checking.ofx",
    "ofxparse/tests/fixtures/suncorp.ofx",
    "ofxstatement/doc/ofx_sample_files/ofx_spec201_stmtrs_example.xml",
    "pycamt/tests/test_parser.py:157",
    "pycamt/tests/test_parser.py:224",
    "pycamt/tests/test_parser.py:274",
    "pycamt/tests/test_parser.py:326",
    "pycamt/tests/test_parser.py:428",
    "pycamt/tests/test_parser.py:5",
    "pycamt/tests/test_parser.py:560",
    "pycamt/tests/test_transaction.py:8",
    "trytond-account-statement-mt940/tests/MT940.txt",
]

#: Real samples refused, each with what the refusal must name.
REFUSES = {
    "bankfile/corpus/banks/etrade/charset-none-with-encoding-usascii.ofx": "cpNONE",
    "bankfile/corpus/banks/unnamed-bank/empty-tags-curdef-fitid-name.ofx": "OFX can't be read",
    "bankfile/corpus/banks/unnamed-bank/xml-declaration-ofx-2.ofx": "can't decode byte 0xc3",
    "bankfile/corpus/banks/wells-fargo/header-on-one-line.qfx": "OFX can't be read",
    "camt053-loader-mt940/fuzz/corpus/regression-amount-bare-comma.mt940": "line 5",
    "camt053-loader-mt940/fuzz/corpus/regression-amount-commas.mt940": "line 4 (:60F:",
    "camt053-loader-mt940/fuzz/corpus/regression-booking-month-13.mt940": "entry date 1301",
    "camt053-loader-mt940/fuzz/corpus/regression-date-zero.mt940": "date 000000 is not",
    "camt053-loader-mt940/fuzz/corpus/regression-no-account.mt940": ":25:",
    "camt053-loader-mt940/fuzz/corpus/regression-two-statements.mt940": "closing balance",
    "ofxparse/tests/fixtures/account_listing_aggregation.ofx": "statements of 4 accounts",
    "ofxparse/tests/fixtures/bank_small.ofx": "no statement",
    "ofxparse/tests/fixtures/error_message.ofx": "no statement",
    "ofxparse/tests/fixtures/fail_nice/date_missing.ofx": "Missing Transaction Date",
    "ofxparse/tests/fixtures/fail_nice/decimal_error.ofx": "Invalid Transaction Amount",
    "ofxparse/tests/fixtures/fail_nice/empty_balance.ofx": "Empty ledger balance",
    "ofxparse/tests/fixtures/fidelity-savings.ofx": "INVSTMTRS",
    "ofxparse/tests/fixtures/fidelity.ofx": "INVSTMTRS",
    "ofxparse/tests/fixtures/investment_401k.ofx": "INVSTMTRS",
    "ofxparse/tests/fixtures/investment_medium.ofx": "INVSTMTRS",
    "ofxparse/tests/fixtures/multiple_accounts.ofx": "statements of 2 accounts",
    "ofxparse/tests/fixtures/multiple_accounts2.ofx": "statements of 2 accounts",
    "ofxparse/tests/fixtures/ofx-v102-empty-tags.ofx": "OFX can't be read",
    "ofxparse/tests/fixtures/signon_fail.ofx": "no statement",
    "ofxparse/tests/fixtures/signon_success.ofx": "no statement",
    "ofxparse/tests/fixtures/signon_success_no_message.ofx": "no statement",
    "ofxparse/tests/fixtures/td_ameritrade.ofx": "INVSTMTRS",
    "ofxparse/tests/fixtures/tiaacref.ofx": "INVSTMTRS",
    "ofxparse/tests/fixtures/vanguard.ofx": "INVSTMTRS",
    "ofxparse/tests/fixtures/vanguard401k.ofx": "INVSTMTRS",
    "ofxstatement/doc/ofx_sample_files/ofx_spec201_invest_transactions_example.xml": "INVSTMTRS",
    "pycamt/tests/test_batch_entries.py:16": "not well-formed XML, line 25",
    "pycamt/tests/test_batch_entries.py:382": "Acct/Id",
    "pycamt/tests/test_parser.py:409": "no statement (BkToCstmrStmt/Stmt)",
    "pycamt/tests/test_parser.py:456": "not well-formed XML, line 1",
    "pycamt/tests/test_parser.py:484": "not well-formed XML, line 20",
    "pycamt/tests/test_parser.py:57": "camt.052",
}


def test_the_samples_are_the_ones_listed(bank_samples):
    assert sorted(bank_samples) == sorted([*IMPORTS, *REFUSES])


@pytest.mark.parametrize("name", sorted(REFUSES))
def test_a_real_sample_that_is_no_usable_statement_is_refused(tenant, bank_samples, name):
    assert REFUSES[name] in refused(tenant, bank_samples[name].data).message


def mutilated(data: bytes) -> list[bytes]:
    """Damaged copies of a file: cut short, wrong encoding, binary junk, shuffled, doubled."""
    middle = len(data) // 2
    digit = next((i for i in range(middle, len(data)) if data[i : i + 1].isdigit()), middle)
    return [
        data[:middle],
        data[:-12],
        data[:middle] + b"\xfc\xe4" + data[middle:],
        data.decode("latin-1").encode("utf-16"),
        data + bytes(range(256)),
        data[:digit] + b"X" + data[digit + 1 :],
        b"\n".join(reversed(data.split(b"\n"))),
        data + data,
        data.replace(b"\n", b"\r\n"),
    ]


@pytest.mark.parametrize("package", sorted({n.split("/")[0] for n in [*IMPORTS, *REFUSES]}))
def test_every_real_sample_and_its_damaged_copies_import_or_are_refused(
    tenant, bank_samples, package
):
    """Never an unhandled error: a statement, or InvalidInput/Conflict with nothing written."""
    for name, sample in sorted(bank_samples.items()):
        if not name.startswith(f"{package}/"):
            continue
        for n, data in enumerate([sample.data, *mutilated(sample.data)]):
            before = rows()
            try:
                statement = import_statement(tenant=tenant, data=data, filename=name)
            except (InvalidInput, Conflict) as exc:
                assert exc.field == "file" and exc.message, (name, n)
                assert rows() == before, (name, n)
            else:
                assert statement.pk and rows()[0] == before[0] + 1, (name, n)


def _mt940_expected(text: str) -> tuple[list[Decimal], Decimal]:
    """Signed amounts of the :61: lines, and the sum of closing - opening balances."""
    amounts = []
    for mark, amount in re.findall(r"(?m)^:61:\d{6}(?:\d{4})?(R?[CD])[A-Z]?(\d+,?\d*)", text):
        value = D(amount.replace(",", "."))
        amounts.append(-value if mark in ("D", "RC") else value)
    moved = D(0)
    for kind in ("60", "62"):
        for mark, amount in re.findall(rf"(?m)^:{kind}[FM]:([CD])\d{{6}}[A-Z]{{3}}([\d,]+)", text):
            value = D(amount.replace(",", ".")) * (-1 if mark == "D" else 1)
            moved += value if kind == "62" else -value
    return amounts, moved


def _camt_expected(data: bytes) -> tuple[list[Decimal], Decimal | None]:
    """Signed amounts of each booked entry or its details, and closing - opening where given."""
    root = etree.fromstring(data)
    ns = {"c": etree.QName(root).namespace}

    def signed(element, amount_path: str, default_side: str = "CRDT") -> Decimal:
        side = element.findtext("c:CdtDbtInd", default_side, ns)
        value = D(element.findtext(amount_path, namespaces=ns))
        return -value if side == "DBIT" else value

    amounts, moved = [], D(0)
    has_balances = False
    for stmt_el in root.iterfind("c:BkToCstmrStmt/c:Stmt", ns):
        for entry in stmt_el.iterfind("c:Ntry", ns):
            details = entry.findall("c:NtryDtls/c:TxDtls", ns)
            if len(details) > 1:
                side = entry.findtext("c:CdtDbtInd", "", ns)
                amounts += [signed(d, "c:AmtDtls/c:TxAmt/c:Amt", side) for d in details]
            else:
                amounts.append(signed(entry, "c:Amt"))
        balances = {
            b.findtext("c:Tp/c:CdOrPrtry/c:Cd", "", ns): b for b in stmt_el.iterfind("c:Bal", ns)
        }
        if {"OPBD", "CLBD"} <= set(balances) and all(
            b.findtext("c:CdtDbtInd", "", ns) for b in balances.values()
        ):
            has_balances = True
            moved += signed(balances["CLBD"], "c:Amt") - signed(balances["OPBD"], "c:Amt")
    return amounts, (moved if has_balances else None)


def _ofx_expected(text: str) -> list[Decimal]:
    found = re.findall(r"(?i)<TRNAMT>\s*([^<\r\n]+)", text)
    return [D(v.replace(" ", "").replace(",", ".")) for v in found]


@pytest.mark.parametrize("name", IMPORTS)
def test_a_real_statement_imports_with_the_files_own_amounts_and_totals(tenant, bank_samples, name):
    data = bank_samples[name].data
    statement = import_statement(tenant=tenant, data=data, filename=name)
    lines = list(StatementLine.objects.filter(statement=statement))
    stored = sorted(line.amount for line in lines)
    currency = lines[0].currency if lines else "EUR"
    if statement.format == "mt940":
        amounts, moved = _mt940_expected(data.decode("latin-1"))
        assert sum(amounts, D(0)) == moved  # the file's own totals: :62F: = :60F: + lines
    elif statement.format == "camt053":
        amounts, camt_moved = _camt_expected(data)
        if camt_moved is not None:
            assert sum(amounts, D(0)) == camt_moved  # CLBD = OPBD + entries
    else:
        amounts = _ofx_expected(data.decode("latin-1"))
    assert len(lines) == len(amounts) == statement.lines_total
    assert stored == sorted(round_money(a, currency) for a in amounts)
    for line in lines:
        expected = "ignored" if line.amount <= 0 and not line.note else None
        assert expected is None or line.status == expected, line
        assert line.status != "matched"  # no customer of this tenant is named in them
    # A copy with other line ends (another file, the same transactions) adds nothing.
    again = import_statement(tenant=tenant, data=data.replace(b"\n", b"\r\n"), filename="2")
    assert again.lines_total == 0
    assert StatementLine.objects.count() == len(lines)
