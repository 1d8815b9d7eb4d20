"""Bank statement import: camt.053 (ISO 20022, read with lxml), MT940 (mt-940)
and OFX (ofxparse).

A statement file is imported whole or not at all, in one transaction, and a
file is refused, naming the element or line at fault and the rule, when it
is not what it says it is: not well-formed, another message than camt.053
(camt.052/054, a foreign namespace), an MT940 ``:61:`` line the parser can't
read or would drop, an invalid date, an OFX investment statement, or
balances that the lines don't add up to (camt ``OPBD``/``PRCD`` + entries =
``CLBD``; MT940 ``:60F:``/``:60M:`` + lines = ``:62F:``/``:62M:``), which
means a line was lost or misread.

The same file twice is refused (its SHA-256 is kept). The same transaction
in two overlapping files is booked once: each line has an identity, the
account plus either

- the bank's own reference (camt ``AcctSvcrRef`` with the transaction's
  index in its entry, MT940 bank reference with date and amount, OFX
  ``FITID``, which OFX makes unique per account), or
- where the bank gave none, the statement (camt ``Stmt/Id`` and sequence
  numbers, MT940 ``:28C:`` number/sequence, and the opening balance) and the
  line's content,

counted among identical ones of that statement, so two equal transfers on
one statement are two lines while a statement sent again adds nothing.
Placeholders such as ``NOTPROVIDED`` (ISO 20022) and ``NONREF`` (SWIFT) are
never references. A camt entry with several transaction details (a batch)
gives one line per detail.

Each credit is matched to a customer by, in order:

1. an invoice number in the remittance text (the tenant's invoice format),
2. an account number in the remittance text (the tenant's account format),
3. the counterparty IBAN of a bank account a customer saved,

and becomes a payment allocated to that customer's oldest open invoices.
What can't be matched waits in the unmatched queue for a clerk
(``match_line``), and so does, with the reason in the line's ``note``, what
the import must not decide alone: an OFX line whose ``TRNTYPE`` contradicts
the sign of its ``TRNAMT``, a reversal of a debit (MT940 ``RD``, camt
``CRDT`` with ``RvslInd``: money coming back, not a customer paying), and a
camt batch whose details don't add up to the entry. Debits are kept for the
record and ignored; a reversal of a credit (``RC``) is a debit too, noted.

Amounts finer than the currency's minor unit (``35.7049`` EUR): the line is
rounded to the minor unit with ``core.money.round_money`` and the file's
exact amount is kept in the line's note, for matched, unmatched and ignored
lines alike. Banks keep accounts in the minor unit, so such a figure is an
export artefact (a converted amount printed at full precision) rather than
money that moved; queueing it instead would hold up a payment that is right
to the cent in practice, and refusing the file (as a payment would) loses
the whole statement for one digit.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F

from ispstack.billing.models import Invoice
from ispstack.billing.selectors import settings_for as billing_settings
from ispstack.core import audit, inputs
from ispstack.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from ispstack.core.models import Tenant
from ispstack.core.money import MAX_AMOUNT, minor_unit, round_money
from ispstack.customers.models import Customer
from ispstack.customers.selectors import settings_for as customer_settings
from ispstack.payments.models import (
    BankStatement,
    CustomerPaymentMethod,
    PaymentMethod,
    StatementLine,
)
from ispstack.payments.services import record_payment

#: Values that fill a mandatory reference field when there is none: ISO 20022
#: ``NOTPROVIDED`` and SWIFT ``NONREF``, with the spellings banks use.
PLACEHOLDERS = frozenset({"", "NOTPROVIDED", "NOT PROVIDED", "NONREF", "NONE", "N/A", "NA"})


@dataclass(frozen=True)
class BankTransaction:
    """One transaction as a parser hands it over.

    ``amount`` is signed (negative: money left the account) and exact as in
    the file; ``identity`` is what makes it the same transaction in another
    file (without the account's format, which ``import_statement`` adds);
    ``review`` is why a clerk must decide on it (never matched
    automatically), ``note`` what else a clerk should know.
    """

    identity: tuple[str, ...]
    bank_reference: str
    booked_on: dt.date
    amount: Decimal
    currency: str
    counterparty_name: str
    counterparty_iban: str
    remittance: str
    review: str = ""
    note: str = ""


@dataclass(frozen=True)
class ParsedStatement:
    """A parsed file: the account it is for (IBAN or the bank's account id) and its lines."""

    account: str
    transactions: list[BankTransaction]


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, field="file")


def _reference(value: Any) -> str:
    """A reference, or "" for a missing one or a placeholder (never an identity)."""
    text = " ".join(str(value or "").split())
    return "" if text.upper() in PLACEHOLDERS else text


def _amount(value: Any, where: str) -> Decimal:
    """A signed decimal amount with a decimal point (the parsers convert MT940's comma)."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise _refuse(f"{where}: amount '{value}' is not a number") from None
    if not amount.is_finite():
        raise _refuse(f"{where}: amount '{value}' is not a number")
    if abs(amount) >= MAX_AMOUNT:
        raise _refuse(f"{where}: amount {value} is beyond the 10 digits an amount may have")
    return amount


def _currency(code: Any, where: str) -> str:
    text = str(code or "").strip().upper()
    try:
        minor_unit(text)
    except InvalidInput:
        raise _refuse(f"{where}: currency '{text}' is not an ISO 4217 code") from None
    return text


def _numbered(transactions: list[BankTransaction]) -> list[BankTransaction]:
    """Append to each identity how many identical ones came before it in the same statement.

    Two equal transfers without a reference on one statement stay two lines;
    the same statement in another file numbers them the same way.
    """
    seen: Counter[tuple[str, ...]] = Counter()
    result = []
    for txn in transactions:
        seen[txn.identity] += 1
        result.append(replace(txn, identity=(*txn.identity, str(seen[txn.identity]))))
    return result


def _check_balance(
    where: str, opening: Decimal, lines: Iterable[Decimal], closing: Decimal, currency: str
) -> None:
    total = sum(lines, Decimal(0))
    if opening + total != closing:
        raise _refuse(
            f"{where}: opening balance {opening} {currency} + lines {total} = "
            f"{opening + total}, but the closing balance is {closing}: "
            "a line is missing or misread"
        )


# camt.053 ---------------------------------------------------------------

CAMT053 = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.\d{2}$")
CAMT_OTHER = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:(camt\.05[24])\.\d{3}\.\d{2}$")
CAMT_NAMES = {
    "camt.052": "camt.052 (an account report)",
    "camt.054": "camt.054 (a debit/credit notification)",
}


class _Camt:
    """XPath over one camt.053 document, in its own namespace."""

    def __init__(self, namespace: str) -> None:
        self.ns = {"c": namespace}

    def _path(self, path: str) -> str:
        return "/".join(
            f"c:{step}" if step and step[0].isalpha() else step for step in path.split("/")
        )

    def all(self, element: Any, path: str) -> list[Any]:
        return list(element.findall(self._path(path), self.ns))

    def one(self, element: Any, path: str) -> Any:
        return element.find(self._path(path), self.ns)

    def text(self, element: Any, *paths: str) -> str:
        """The text of the first of ``paths`` that is there, whitespace collapsed."""
        for path in paths:
            found = self.one(element, path)
            if found is not None and found.text and found.text.strip():
                return " ".join(found.text.split())
        return ""

    def amount(self, element: Any, path: str, where: str) -> tuple[Decimal, str] | None:
        found = self.one(element, path)
        if found is None:
            return None
        return _amount(found.text, f"{where} {path}"), _currency(found.get("Ccy"), where)

    def date(self, element: Any, path: str, where: str) -> dt.date | None:
        value = self.text(element, f"{path}/Dt", f"{path}/DtTm")
        if not value:
            return None
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            raise _refuse(f"{where}: {path} '{value}' is not a date") from None


def parse_camt053(data: bytes) -> ParsedStatement:
    """Booked entries (``Ntry``, status BOOK) of an ISO 20022 camt.053 statement.

    One line per transaction detail (``TxDtls``) of an entry, one for an
    entry without details. Pending and information entries are not money
    on the account and are left out (the bank books them on a later
    statement). Raises InvalidInput naming the element.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise _refuse(f"camt.053 is not well-formed XML, line {exc.lineno}: {exc.msg}") from None
    namespace = etree.QName(root).namespace or ""
    other = CAMT_OTHER.match(namespace)
    if other:
        raise _refuse(
            f"this is a {CAMT_NAMES[other.group(1)]}, not a camt.053 statement; "
            "import the bank's end-of-day camt.053"
        )
    if not CAMT053.match(namespace) or etree.QName(root).localname != "Document":
        raise _refuse(
            f"the root element is {{{namespace}}}{etree.QName(root).localname}, not a camt.053 "
            "Document (namespace urn:iso:std:iso:20022:tech:xsd:camt.053.001.nn)"
        )
    camt = _Camt(namespace)
    statements = camt.all(root, "BkToCstmrStmt/Stmt")
    if not statements:
        raise _refuse("camt.053 has no statement (BkToCstmrStmt/Stmt)")
    accounts: list[str] = []
    result: list[BankTransaction] = []
    for s, stmt in enumerate(statements, 1):
        stmt_id = camt.text(stmt, "Id")
        where = f"Stmt {stmt_id or s}"
        account = camt.text(stmt, "Acct/Id/IBAN", "Acct/Id/Othr/Id")
        if not account:
            raise _refuse(f"{where}: Acct/Id (the account's IBAN or other id) is missing")
        accounts.append(account)
        opening = _camt_balance(camt, stmt, ("OPBD", "PRCD"), where)
        closing = _camt_balance(camt, stmt, ("CLBD",), where)
        statement_key = (
            account,
            stmt_id,
            camt.text(stmt, "ElctrncSeqNb"),
            camt.text(stmt, "LglSeqNb"),
            str(opening[0]) if opening else "",
        )
        lines: list[BankTransaction] = []
        for n, entry in enumerate(camt.all(stmt, "Ntry"), 1):
            lines.extend(_camt_entry(camt, entry, f"{where} Ntry {n}", account, statement_key))
        if opening is not None and closing is not None:
            _check_balance(where, opening[0], (t.amount for t in lines), closing[0], closing[1])
        result.extend(_numbered(lines))
    return ParsedStatement(account=accounts[0], transactions=result)


def _camt_balance(
    camt: _Camt, stmt: Any, codes: tuple[str, ...], where: str
) -> tuple[Decimal, str] | None:
    for bal in camt.all(stmt, "Bal"):
        code = camt.text(bal, "Tp/CdOrPrtry/Cd")
        if code in codes:
            found = camt.amount(bal, "Amt", f"{where} Bal {code}")
            if found is None:
                raise _refuse(f"{where}: Bal {code} has no Amt")
            side = camt.text(bal, "CdtDbtInd")
            if side not in ("CRDT", "DBIT"):
                # Without its sign a balance can't check anything; the
                # entries carry their own.
                return None
            return (-found[0] if side == "DBIT" else found[0]), found[1]
    return None


def _camt_entry(
    camt: _Camt, entry: Any, where: str, account: str, statement_key: tuple[str, ...]
) -> list[BankTransaction]:
    status = camt.text(entry, "Sts/Cd", "Sts")
    if status and status != "BOOK":
        return []
    found = camt.amount(entry, "Amt", where)
    side = camt.text(entry, "CdtDbtInd")
    if found is None or side not in ("CRDT", "DBIT"):
        raise _refuse(f"{where}: Amt and CdtDbtInd (CRDT or DBIT) are required")
    unsigned, currency = found
    amount = -unsigned if side == "DBIT" else unsigned
    booked_on = camt.date(entry, "BookgDt", where) or camt.date(entry, "ValDt", where)
    if booked_on is None:
        raise _refuse(f"{where}: neither BookgDt nor ValDt is given")
    reversal = camt.text(entry, "RvslInd").lower() in ("true", "1")
    entry_ref = _reference(camt.text(entry, "AcctSvcrRef"))
    if entry_ref:
        entry_key: tuple[str, ...] = (account, "ref", entry_ref)
    else:
        entry_key = (
            *statement_key,
            "content",
            booked_on.isoformat(),
            camt.text(entry, "ValDt/Dt", "ValDt/DtTm"),
            str(amount),
            currency,
            camt.text(entry, "NtryRef"),
        )
    review = note = ""
    if reversal and amount > 0:
        review = (
            "reversal of a debit (RvslInd): money came back to the account; it is no "
            "customer's payment until a clerk says so"
        )
    elif reversal:
        note = "reversal of a credit (RvslInd): a payment received earlier was taken back"
    details = camt.all(entry, "NtryDtls/TxDtls")
    base = BankTransaction(
        identity=entry_key,
        bank_reference=entry_ref or _reference(camt.text(entry, "NtryRef")),
        booked_on=booked_on,
        amount=amount,
        currency=currency,
        counterparty_name="",
        counterparty_iban="",
        remittance=camt.text(entry, "AddtlNtryInf"),
        review=review,
        note=note,
    )
    if not details:
        return [replace(base, identity=(*entry_key, "entry", str(amount)))]
    parts = [_camt_detail(camt, d, f"{where} TxDtls {i}", side) for i, d in enumerate(details, 1)]
    if len(details) == 1:
        detail = parts[0]
        return [
            replace(
                base,
                identity=(*entry_key, "1", detail["key"], str(amount)),
                bank_reference=base.bank_reference or detail["reference"],
                counterparty_name=detail["name"] if amount > 0 else detail["creditor"],
                counterparty_iban=detail["iban"] if amount > 0 else detail["creditor_iban"],
                remittance=" ".join(filter(None, [detail["remittance"], base.remittance])),
            )
        ]
    amounts = [p["amount"] for p in parts]
    if (
        any(a is None or a[1] != currency for a in amounts)
        or sum((a[0] for a in amounts if a is not None), Decimal(0)) != amount
    ):
        return [
            replace(
                base,
                identity=(*entry_key, "batch", str(amount)),
                remittance=" ".join(
                    filter(None, [base.remittance, *(p["remittance"] for p in parts)])
                ),
                review=(
                    f"{where} holds {len(details)} transactions whose amounts are missing or "
                    f"don't add up to the entry's {amount} {currency}: split it by hand"
                ),
            )
        ]
    lines = []
    for i, detail in enumerate(parts, 1):
        value = detail["amount"][0]
        lines.append(
            replace(
                base,
                identity=(*entry_key, str(i), detail["key"], str(value)),
                bank_reference=detail["reference"]
                or (f"{entry_ref}/{i}" if entry_ref else f"Ntry/{i}"),
                amount=value,
                counterparty_name=detail["name"] if value > 0 else detail["creditor"],
                counterparty_iban=detail["iban"] if value > 0 else detail["creditor_iban"],
                remittance=detail["remittance"],
                review=review if value > 0 else "",
                note=note if value <= 0 else "",
            )
        )
    return lines


def _camt_detail(camt: _Camt, detail: Any, where: str, entry_side: str) -> dict[str, Any]:
    """What one ``TxDtls`` says: its signed amount (or None), references, parties, text."""
    found = camt.amount(detail, "Amt", where) or camt.amount(detail, "AmtDtls/TxAmt/Amt", where)
    side = camt.text(detail, "CdtDbtInd") or entry_side
    amount = None
    if found is not None:
        amount = (-found[0] if side == "DBIT" else found[0]), found[1]
    refs = {
        name: _reference(camt.text(detail, f"Refs/{name}"))
        for name in ("AcctSvcrRef", "TxId", "EndToEndId", "InstrId", "UETR")
    }
    unstructured = " ".join(
        " ".join(u.text.split()) for u in camt.all(detail, "RmtInf/Ustrd") if u.text
    )
    structured = " ".join(
        " ".join(r.text.split())
        for path in ("RmtInf/Strd/CdtrRefInf/Ref", "RmtInf/Strd/AddtlRmtInf")
        for r in camt.all(detail, path)
        if r.text
    )
    return {
        "amount": amount,
        "reference": refs["AcctSvcrRef"] or refs["TxId"] or refs["EndToEndId"],
        "key": "|".join(refs.values()),
        "name": camt.text(detail, "RltdPties/Dbtr/Nm", "RltdPties/Dbtr/Pty/Nm"),
        "iban": camt.text(detail, "RltdPties/DbtrAcct/Id/IBAN"),
        "creditor": camt.text(detail, "RltdPties/Cdtr/Nm", "RltdPties/Cdtr/Pty/Nm"),
        "creditor_iban": camt.text(detail, "RltdPties/CdtrAcct/Id/IBAN"),
        "remittance": " ".join(
            filter(None, [unstructured, structured, camt.text(detail, "AddtlTxInf")])
        ),
    }


# MT940 ------------------------------------------------------------------

#: Tags at the start of a line (the mt-940 parser's own rule), and the
#: statement boundary it splits on.
MT940_TAG = re.compile(r"^:(?:\d{2}[A-Z]?|NS):", re.MULTILINE)
MT940_BLOCK = re.compile(r"(?m)^(?=:20:)")


def _mt940_options() -> Any:
    import mt940

    # Each option fixes a 5.0.0 behaviour that misreads real files: RC and
    # lowercase marks signed as credits, ?31 glued to the name, values lost
    # when :86: lacks a sub-field, a BOM hiding :20:, :86: cut at 9 chunks.
    return mt940.Options(
        reversal_sign=True,
        case_insensitive_marks=True,
        applicant_iban=True,
        merge_keeps_values=True,
        strip_bom=True,
        unbounded_details=True,
    )


def _mt940_date(yy: str, mm: str, dd: str) -> dt.date:
    """A YYMMDD date; 29 and 30 February are read as February's last day, as mt-940
    does for the banks that count interest in 30-day months. Raises ValueError."""
    year, month, day = 2000 + int(yy), int(mm), int(dd)
    if month == 2 and day in (29, 30):
        day = calendar.monthrange(year, 2)[1]
    return dt.date(year, month, day)


MT940_BALANCE = re.compile(r"^(?P<mark>[CD])(?P<date>\d{6})(?P<currency>[A-Z]{3})(?P<amount>.*)$")
MT940_AMOUNT = re.compile(r"^\d+(,\d*)?$")


def _mt940_tags(block: str, first_line: int) -> list[tuple[str, int, str]]:
    """Each tag of a statement block: the tag, its line number in the file, its value."""
    text = "\n".join(line.strip() for line in block.split("\n"))
    tags = list(MT940_TAG.finditer(text))
    found = []
    for i, tag in enumerate(tags):
        end = tags[i + 1].start() if i + 1 < len(tags) else len(text)
        line_no = first_line + text.count("\n", 0, tag.start())
        found.append((tag.group(), line_no, text[tag.end() : end].strip()))
    return found


def _check_mt940_balance(tag: str, line_no: int, value: str) -> None:
    """Refuse a balance (:60F:, :62F:, ...) whose date or amount is not one."""
    where = f"line {line_no} ({tag}{value.splitlines()[0] if value else ''})"
    match = MT940_BALANCE.match(value.splitlines()[0] if value else "")
    if match is None:
        raise _refuse(f"{where}: a balance is mark C/D, date YYMMDD, currency and amount")
    date = match.group("date")
    try:
        _mt940_date(date[:2], date[2:4], date[4:])
    except ValueError:
        raise _refuse(f"{where}: date {date} is not a date (YYMMDD)") from None
    if not MT940_AMOUNT.match(match.group("amount")):
        raise _refuse(f"{where}: amount '{match.group('amount')}' is not digits with a comma")


def _check_mt940_line(line_no: int, value: str) -> None:
    """Refuse a ``:61:`` the parser would misread or merge into its neighbour."""
    import mt940

    where = f"line {line_no} (:61:{value.splitlines()[0] if value else ''})"
    match = mt940.tags.Statement().re.match(value)
    if match is None:
        raise _refuse(
            f"{where}: not a statement line (value date YYMMDD, optional entry date MMDD, "
            "mark C/D/RC/RD, amount, type code such as NTRF)"
        )
    parts = match.groupdict()
    try:
        _mt940_date(parts["year"], parts["month"], parts["day"])
    except ValueError:
        raise _refuse(f"{where}: value date {value[:6]} is not a date (YYMMDD)") from None
    entry = f"{parts['entry_month'] or ''}{parts['entry_day'] or ''}"
    if entry.isdigit():
        try:
            _mt940_date("00", entry[:2], entry[2:])
        except ValueError:
            raise _refuse(f"{where}: entry date {entry} is not a date (MMDD)") from None
    if not MT940_AMOUNT.match(parts["amount"]):
        raise _refuse(f"{where}: amount '{parts['amount']}' is not digits with a comma")
    if not parts["id"]:
        raise _refuse(
            f"{where}: the transaction type code (N or F and 3 characters, e.g. NTRF) is "
            "missing; MT940 requires it and without it the line can't be told apart"
        )


def parse_mt940(data: bytes) -> ParsedStatement:
    """Transactions (``:61:`` with its ``:86:``) of each statement of a SWIFT MT940 file.

    Every ``:61:`` must be read: the count of parsed lines is compared with
    the ``:61:`` tags, and the balances with the lines. Raises InvalidInput
    naming the line.
    """
    import mt940

    if b"\x00" in data:
        raise _refuse("MT940 is text, but the file holds NUL bytes (a binary file?)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        # German banks write :86: in ISO 8859-1; every byte decodes.
        text = data.decode("latin-1")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks = [b for b in MT940_BLOCK.split(text) if b.strip().startswith(":20:")]
    if not blocks:
        raise _refuse("no MT940 statement (tag :20: at the start of a line) in the file")
    accounts: list[str] = []
    result: list[BankTransaction] = []
    position = 0
    for block in blocks:
        position = text.index(block, position)
        first_line = text.count("\n", 0, position) + 1
        tags = _mt940_tags(block, first_line)
        for tag, line_no, value in tags:
            if tag in (":60F:", ":60M:", ":62F:", ":62M:", ":64:"):
                _check_mt940_balance(tag, line_no, value)
        raw_lines = [(line_no, value) for tag, line_no, value in tags if tag == ":61:"]
        for line_no, value in raw_lines:
            _check_mt940_line(line_no, value)
        statement = mt940.models.Transactions(options=_mt940_options())
        try:
            statement.parse(block)
        except Exception as exc:  # noqa: BLE001 - the parser raises bare errors on bad data
            detail = exc.args[2] if isinstance(exc, RuntimeError) and len(exc.args) > 2 else exc
            raise _refuse(
                f"MT940 statement at line {first_line} can't be read: {detail!r}"
            ) from None
        parsed = [t for t in statement if t.data.get("amount") is not None]
        if len(parsed) != len(raw_lines):
            raise _refuse(
                f"MT940 statement at line {first_line}: {len(raw_lines)} :61: lines but "
                f"{len(parsed)} transactions read; refusing rather than losing one"
            )
        account, lines = _mt940_statement(statement.data, parsed, first_line)
        accounts.append(account)
        result.extend(_numbered(lines))
    return ParsedStatement(account=accounts[0], transactions=result)


def _mt940_statement(
    data: dict[str, Any], items: list[Any], first_line: int
) -> tuple[str, list[BankTransaction]]:
    where = f"MT940 statement {data.get('transaction_reference') or ''} at line {first_line}"
    account = str(data.get("account_identification") or "").strip()
    if not account:
        raise _refuse(f"{where}: :25: (account identification) is missing")
    opening = data.get("final_opening_balance") or data.get("intermediate_opening_balance")
    closing = data.get("final_closing_balance") or data.get("intermediate_closing_balance")
    if opening is None or closing is None:
        raise _refuse(f"{where}: :60F:/:60M: and :62F:/:62M: (the balances) are required")
    currency = _currency(opening.amount.currency, f"{where} :60F:")
    open_amount = _amount(opening.amount.amount, f"{where} :60F:")
    statement_key = (
        account,
        "statement",
        str(data.get("statement_number") or ""),
        str(data.get("sequence_number") or ""),
        str(opening.date),
        str(open_amount),
        currency,
    )
    lines = []
    for n, item in enumerate(items, 1):
        d = item.data
        here = f"{where}, transaction {n}"
        amount = _amount(d["amount"].amount, here)
        mark = str(d.get("status") or "").upper()
        value_date = d["date"]
        booked_on = d.get("entry_date") or value_date
        bank_ref = _reference(d.get("bank_reference"))
        customer_ref = _reference(d.get("customer_reference"))
        details = str(d.get("transaction_details") or "")
        if bank_ref:
            key: tuple[str, ...] = (account, "ref", bank_ref, str(value_date), str(amount))
        else:
            key = (
                *statement_key,
                str(value_date),
                str(booked_on),
                str(amount),
                mark,
                str(d.get("id") or ""),
                customer_ref,
                str(d.get("extra_details") or ""),
                details,
            )
        review = note = ""
        if mark == "RD":
            review = (
                "reversal of a debit (RD): money came back to the account; it is no "
                "customer's payment until a clerk says so"
            )
        elif mark == "RC":
            note = "reversal of a credit (RC): a payment received earlier was taken back"
        lines.append(
            BankTransaction(
                identity=key,
                bank_reference=bank_ref or customer_ref,
                booked_on=dt.date(booked_on.year, booked_on.month, booked_on.day),
                amount=amount,
                currency=_currency(d.get("currency") or currency, here),
                counterparty_name=str(d.get("applicant_name") or ""),
                counterparty_iban=str(d.get("applicant_iban") or ""),
                remittance=" ".join(
                    str(v)
                    for v in (
                        d.get("purpose"),
                        d.get("additional_purpose"),
                        customer_ref,
                        details,
                    )
                    if v
                ),
                review=review,
                note=note,
            )
        )
    _check_balance(
        where,
        open_amount,
        (t.amount for t in lines),
        _amount(closing.amount.amount, f"{where} :62F:"),
        currency,
    )
    return account, lines


# OFX --------------------------------------------------------------------

#: TRNTYPE values that name a direction (OFX 2.1.1, 11.4.4.3); INT, ATM, POS,
#: XFER, CHECK, PAYMENT and OTHER go either way by the sign of TRNAMT.
OFX_CREDIT_TYPES = frozenset({"CREDIT", "DEP", "DIRECTDEP"})
OFX_DEBIT_TYPES = frozenset({"DEBIT", "DIRECTDEBIT", "FEE", "SRVCHG", "CASH"})


def parse_ofx(data: bytes) -> ParsedStatement:
    """Bank or credit card transactions (``STMTTRN``) of an OFX file with one account.

    Raises InvalidInput for an investment statement (``INVSTMTRS``), a file
    of several accounts, a transaction without ``FITID``, or a file the
    parser can't read.
    """
    from ofxparse import AccountType, OfxParser

    if b"\x00" in data:
        raise _refuse("OFX is text, but the file holds NUL bytes (a binary file?)")
    try:
        ofx = OfxParser.parse(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - ofxparse raises bare errors on bad data
        raise _refuse(f"OFX can't be read: {exc}") from None
    accounts = list(getattr(ofx, "accounts", []) or [])
    if not accounts:
        raise _refuse("OFX holds no statement (STMTRS or CCSTMTRS)")
    if any(a.type == AccountType.Investment for a in accounts):
        raise _refuse(
            "OFX investment statements (INVSTMTRS) are not supported: only bank and credit "
            "card statements (STMTRS, CCSTMTRS) carry customers' payments"
        )
    if len(accounts) > 1:
        ids = ", ".join(str(a.account_id) for a in accounts)
        raise _refuse(f"OFX holds the statements of {len(accounts)} accounts ({ids}): one a file")
    account = accounts[0]
    statement = getattr(account, "statement", None)
    if statement is None:
        raise _refuse("OFX holds no statement (STMTRS or CCSTMTRS)")
    currency = _currency(getattr(statement, "currency", ""), "OFX CURDEF")
    account_id = str(account.account_id or "").strip()
    account_key = f"{account.routing_number or ''}/{account_id}"
    lines = []
    for n, txn in enumerate(statement.transactions, 1):
        fitid = _reference(txn.id)
        where = f"STMTTRN {n} (FITID {fitid or 'missing'})"
        if not fitid:
            raise _refuse(f"STMTTRN {n}: FITID is required; it is how a re-download is recognised")
        if not isinstance(txn.date, dt.date):
            raise _refuse(f"{where}: DTPOSTED is not a date")
        amount = _amount(txn.amount, where)
        kind = str(txn.type or "").upper()
        review = ""
        if (kind in OFX_CREDIT_TYPES and amount < 0) or (kind in OFX_DEBIT_TYPES and amount > 0):
            review = (
                f"FITID {fitid}: TRNTYPE {kind} but TRNAMT {amount}; the type and the sign "
                "contradict each other, ask the bank which is right"
            )
        lines.append(
            BankTransaction(
                identity=(account_key, "fitid", fitid),
                bank_reference=fitid,
                booked_on=txn.date.date() if isinstance(txn.date, dt.datetime) else txn.date,
                amount=amount,
                currency=currency,
                counterparty_name=str(txn.payee or ""),
                counterparty_iban="",
                remittance=" ".join(filter(None, [str(txn.memo or ""), str(txn.payee or "")])),
                review=review,
            )
        )
    return ParsedStatement(account=account_id, transactions=_numbered(lines))


PARSERS: dict[str, Callable[[bytes], ParsedStatement]] = {
    BankStatement.Format.CAMT053: parse_camt053,
    BankStatement.Format.MT940: parse_mt940,
    BankStatement.Format.OFX: parse_ofx,
}


def detect_format(data: bytes) -> str:
    """camt.053, MT940 or OFX from the first bytes; raises InvalidInput.

    Any XML that isn't OFX goes to the camt.053 reader, which names what it
    is instead (camt.052, a foreign namespace).
    """
    head = data[:4096].removeprefix(b"\xef\xbb\xbf").lstrip()
    if b"OFXHEADER" in head or b"<OFX>" in head.upper():
        return BankStatement.Format.OFX
    if head.startswith(b"<"):
        return BankStatement.Format.CAMT053
    if head.startswith(b":20:") or b"\n:20:" in head or head.startswith(b"{1:"):
        return BankStatement.Format.MT940
    raise _refuse("not a camt.053, MT940 or OFX statement")


def _pattern(fmt: str) -> re.Pattern[str]:
    """A regex for numbers made with a numbering format (``INV-{year}-{seq:05d}``)."""
    parts = re.split(r"(\{year\}|\{seq[^}]*\})", fmt)
    body = "".join(
        r"\d{4}" if p == "{year}" else r"\d+" if p.startswith("{seq") else re.escape(p)
        for p in parts
    )
    return re.compile(body, re.IGNORECASE)


def match_customer(tenant: Tenant, txn: BankTransaction) -> tuple[Customer | None, str]:
    """The customer a credit is for, and the rule that found it."""
    text = txn.remittance or ""
    for number in _pattern(billing_settings(tenant).invoice_number_format).findall(text):
        invoice = (
            Invoice.objects.for_tenant(tenant)
            .filter(number__iexact=number)
            .select_related("customer")
            .first()
        )
        if invoice is not None:
            return invoice.customer, "invoice_number"
    for number in _pattern(customer_settings(tenant).account_number_format).findall(text):
        customer = Customer.objects.for_tenant(tenant).filter(account_number__iexact=number).first()
        if customer is not None:
            return customer, "account_number"
    if txn.counterparty_iban:
        method = (
            CustomerPaymentMethod.objects.for_tenant(tenant)
            .filter(iban=txn.counterparty_iban.replace(" ", "").upper())
            .select_related("customer")
            .first()
        )
        if method is not None:
            return method.customer, "mandate_iban"
    return None, ""


def _identity(kind: str, txn: BankTransaction) -> str:
    return hashlib.sha256("\x1f".join((kind, *txn.identity)).encode()).hexdigest()


def import_statement(
    *, tenant: Tenant, data: bytes, filename: str, format: str | None = None, actor: Any = None
) -> BankStatement:
    """Import a statement file whole: book matched credits as payments, queue the rest.

    ``data`` is the file's bytes (at most ``settings.STATEMENT_MAX_FILE_BYTES``,
    20 MB by default); ``format`` is camt053,
    mt940 or ofx, or None to recognise it. Transactions already imported
    from another file are skipped (see the module docstring). Raises
    InvalidInput (unreadable or inconsistent file, the line or element
    named), Conflict (this file was imported already).
    """
    if not data:
        raise _refuse("the file is empty (0 bytes)")
    if len(data) > settings.STATEMENT_MAX_FILE_BYTES:
        raise _refuse(f"the file is larger than {settings.STATEMENT_MAX_FILE_BYTES} bytes")
    if not data.strip():
        raise _refuse("the file holds only blank space")
    kind = format or detect_format(data)
    if not isinstance(kind, str) or kind not in PARSERS:
        raise InvalidInput("must be camt053, mt940 or ofx", field="format")
    digest = hashlib.sha256(data).hexdigest()
    _refuse_repeat(tenant, digest)
    parsed = PARSERS[kind](data)
    for n, txn in enumerate(parsed.transactions, 1):
        try:
            inputs.check_date(txn.booked_on, "booking date")
            inputs.check_values(StatementLine, _line_values(txn))
        except InvalidInput as exc:
            raise _refuse(
                f"transaction {n} ({txn.bank_reference or 'without a reference'}): "
                f"{exc.field} {exc.message}"
            ) from None
    with transaction.atomic():
        # Two imports of overlapping files at once would both find a line
        # new; one import at a time per tenant.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext('payments.statement_import'), %s)",
                [tenant.pk],
            )
        _refuse_repeat(tenant, digest)
        statement = BankStatement.objects.create(
            tenant=tenant,
            format=kind,
            filename=filename[:200],
            sha256=digest,
            account_iban=parsed.account[:34],
            imported_by=actor if getattr(actor, "pk", None) else None,
        )
        identities = [_identity(kind, t) for t in parsed.transactions]
        known = set(
            StatementLine.objects.for_tenant(tenant)
            .filter(identity__in=identities)
            .values_list("identity", flat=True)
        )
        for txn, identity in zip(parsed.transactions, identities, strict=True):
            if identity in known:
                continue
            known.add(identity)
            _book(statement, txn, actor)
        counts = {s: statement.lines.filter(status=s).count() for s in StatementLine.Status}
        statement.lines_total = sum(counts.values())
        statement.lines_matched = counts[StatementLine.Status.MATCHED]
        statement.lines_unmatched = counts[StatementLine.Status.UNMATCHED]
        statement.save()
        audit.record(
            tenant=tenant,
            actor=actor,
            action="bank_statement.import",
            obj=statement,
            after={"lines": statement.lines_total, "matched": statement.lines_matched},
        )
    return statement


def _refuse_repeat(tenant: Tenant, digest: str) -> None:
    earlier = BankStatement.objects.for_tenant(tenant).filter(sha256=digest).first()
    if earlier is not None:
        raise Conflict(f"this file was imported on {earlier.created_at:%Y-%m-%d}", field="file")


def _payment_reference(line: StatementLine) -> str:
    """The payment's reference: the bank's, made unique by the line's identity,
    since a payer's EndToEndId may repeat and payment references may not."""
    return f"{line.bank_reference[:120]} #{line.identity[:12]}".lstrip()


def _line_values(txn: BankTransaction) -> dict[str, Any]:
    """The columns of a transaction's line: the amount rounded to the currency
    (the file's figure in the note), long texts cut to their columns."""
    amount = round_money(txn.amount, txn.currency)
    notes = [txn.review, txn.note]
    if amount != txn.amount:
        notes.append(
            f"the file gives {txn.amount} {txn.currency}; {txn.currency} has "
            f"{minor_unit(txn.currency)} decimals, so {amount} was booked (rounded half away "
            "from zero)"
        )
    return {
        "bank_reference": txn.bank_reference[:140],
        "booked_on": txn.booked_on,
        "amount": amount,
        "currency": txn.currency,
        "counterparty_name": txn.counterparty_name[:140],
        "counterparty_iban": txn.counterparty_iban.replace(" ", "").upper()[:34],
        "remittance": txn.remittance,
        "note": "\n".join(filter(None, notes)),
    }


def _book(statement: BankStatement, txn: BankTransaction, actor: Any) -> StatementLine:
    tenant = statement.tenant
    line = StatementLine(
        tenant=tenant,
        statement=statement,
        identity=_identity(statement.format, txn),
        status=StatementLine.Status.UNMATCHED,
        **_line_values(txn),
    )
    amount = line.amount
    if txn.review:
        line.save()
        return line
    if amount <= 0:
        line.status = StatementLine.Status.IGNORED
        line.save()
        return line
    customer, rule = match_customer(tenant, txn)
    if customer is not None and customer.currency == line.currency:
        line.customer, line.match_rule = customer, rule
        line.payment = record_payment(
            tenant=tenant,
            customer=customer,
            amount=amount,
            received_on=txn.booked_on,
            method=PaymentMethod.BANK_TRANSFER,
            reference=_payment_reference(line),
            actor=actor,
        )
        line.status = StatementLine.Status.MATCHED
    line.save()
    return line


def match_candidates(line: StatementLine) -> tuple[list[Customer], str]:
    """The customers ``line``'s texts name now, by the first of the import's
    rules (``match_customer``: invoice number in the remittance, then account
    number, then the payer's IBAN on a saved bank account) that names any,
    and that rule; ``([], "")`` when none does. Several customers when the
    rule names more than one (two invoice numbers of different customers, an
    IBAN saved by two customers): the line is ambiguous."""
    tenant_id, text = line.tenant_id, line.remittance or ""
    tenant = line.tenant
    numbers = _pattern(billing_settings(tenant).invoice_number_format).findall(text)
    rules: list[tuple[str, Any]] = [
        (
            "invoice_number",
            Customer.objects.filter(
                tenant_id=tenant_id,
                pk__in=Invoice.objects.filter(
                    tenant_id=tenant_id, number__in=_upper(numbers)
                ).values("customer_id"),
            )
            if numbers
            else None,
        ),
    ]
    accounts = _pattern(customer_settings(tenant).account_number_format).findall(text)
    rules.append(
        (
            "account_number",
            Customer.objects.filter(tenant_id=tenant_id, account_number__in=_upper(accounts))
            if accounts
            else None,
        )
    )
    iban = line.counterparty_iban.replace(" ", "").upper()
    rules.append(
        (
            "mandate_iban",
            Customer.objects.filter(
                tenant_id=tenant_id,
                pk__in=CustomerPaymentMethod.objects.filter(tenant_id=tenant_id, iban=iban).values(
                    "customer_id"
                ),
            )
            if iban
            else None,
        )
    )
    for rule, customers in rules:
        if customers is None:
            continue
        found = list(customers.order_by("account_number")[:5])
        if found:
            return found, rule
    return [], ""


def _upper(values: list[str]) -> list[str]:
    # Numbers are stored in capitals; a remittance may type them in any case.
    return list({value.upper() for value in values} | set(values))


def match_by_rules(*, line: StatementLine, actor: Any = None) -> StatementLine:
    """Match an unmatched credit to the one customer the import's rules name
    now (``match_candidates``; a customer's IBAN or account may have been
    saved since the import): it becomes their payment (``match_line``,
    ``match_rule`` the rule that named them). A clerk's bulk "match" on the
    review queue.

    Raises NotFound (field ``line``) when no rule names a customer, Conflict
    (field ``line``) when the rule names several (they are listed), and what
    ``match_line`` raises (another currency, a debit, a line no longer
    unmatched).
    """
    customers, rule = match_candidates(line)
    if not customers:
        raise NotFound(
            "no candidate: no invoice number, account number or saved IBAN of a customer "
            "in this line",
            field="line",
        )
    if len(customers) > 1:
        names = ", ".join(customer.account_number for customer in customers)
        raise Conflict(
            f"ambiguous: the {rule.replace('_', ' ')} names several customers ({names}); "
            "match it by hand",
            field="line",
        )
    return match_line(line=line, customer=customers[0], actor=actor, rule=rule)


@transaction.atomic
def match_line(
    *, line: StatementLine, customer: Customer, actor: Any = None, rule: str = "manual"
) -> StatementLine:
    """A clerk matches an unmatched credit to a customer: it becomes their payment
    (``rule``: how the customer was found, kept in ``match_rule``).

    Raises InvalidTransition (the line is not unmatched), NotFound (customer
    of another tenant), InvalidInput (another currency, or the line is not
    a credit: an OFX contradiction can wait in the queue with a negative
    amount).
    """
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    if line.status != StatementLine.Status.UNMATCHED:
        raise InvalidTransition(f"the line is {line.status}", field="status")
    if customer.tenant_id != line.tenant_id:
        raise NotFound("no such customer in this tenant", field="customer")
    if line.amount <= 0:
        raise InvalidInput(
            f"only a credit can become a payment; this line is {line.amount} {line.currency}",
            field="line",
        )
    if customer.currency != line.currency:
        raise InvalidInput(
            f"the customer pays in {customer.currency}, the credit is in {line.currency}",
            field="customer",
        )
    line.payment = record_payment(
        tenant=line.tenant,
        customer=customer,
        amount=line.amount,
        received_on=line.booked_on,
        method=PaymentMethod.BANK_TRANSFER,
        reference=_payment_reference(line),
        actor=actor,
    )
    line.customer, line.match_rule = customer, rule
    line.status = StatementLine.Status.MATCHED
    line.save(update_fields=["payment", "customer", "match_rule", "status", "updated_at"])
    BankStatement.objects.filter(pk=line.statement_id).update(
        lines_matched=F("lines_matched") + 1, lines_unmatched=F("lines_unmatched") - 1
    )
    return line
