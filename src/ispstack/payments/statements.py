"""Bank statement import: camt.053 (pycamt), MT940 (mt-940) and OFX (ofxparse).

A statement is imported whole or not at all, in one transaction. The same
file twice is refused (its SHA-256 is kept); the same transaction in two
overlapping statements is booked once (its bank reference is unique).
Each credit is matched to a customer by, in order:

1. an invoice number in the remittance text (the tenant's invoice format),
2. an account number in the remittance text (the tenant's account format),
3. the counterparty IBAN of a bank account a customer saved,

and becomes a payment allocated to that customer's oldest open invoices.
What can't be matched waits in the unmatched queue for a clerk
(``match_line``). Debits are kept for the record and ignored. A malformed
file is refused with the line or element at fault.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import F

from ispstack.billing.models import Invoice
from ispstack.core import audit
from ispstack.core.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from ispstack.core.models import Tenant
from ispstack.customers.models import Customer
from ispstack.payments.models import (
    BankStatement,
    CustomerPaymentMethod,
    PaymentMethod,
    StatementLine,
)
from ispstack.payments.services import record_payment

MAX_FILE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True)
class BankTransaction:
    """One booked transaction as the parsers hand it over; ``amount`` is signed."""

    bank_reference: str
    booked_on: dt.date
    amount: Decimal
    currency: str
    counterparty_name: str
    counterparty_iban: str
    remittance: str


def _decimal(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError):
        raise InvalidInput(f"{where}: amount '{value}' is not a number", field="file") from None
    if not amount.is_finite():
        raise InvalidInput(f"{where}: amount '{value}' is not a number", field="file")
    return amount


def _date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InvalidInput(f"{where}: booking date '{value}' is not a date", field="file") from None


def parse_camt053(data: bytes) -> tuple[str, list[BankTransaction]]:
    """Entries (``Ntry``) of an ISO 20022 camt.053 statement."""
    from lxml.etree import XMLSyntaxError
    from pycamt.parser import Camt053Parser

    try:
        parser = Camt053Parser(data)
        entries = parser.get_transactions()
    except XMLSyntaxError as exc:
        raise InvalidInput(
            f"camt.053 is not well-formed XML, line {exc.lineno}: {exc.msg}", field="file"
        ) from None
    except Exception as exc:  # noqa: BLE001 - pycamt raises plain errors on missing elements
        raise InvalidInput(
            f"camt.053 has no statement (Stmt) or is incomplete: {exc}", field="file"
        ) from None
    iban = ""
    result = []
    for n, entry in enumerate(entries, 1):
        where = f"Ntry {n}"
        if entry.get("Amount") is None or entry.get("CreditDebitIndicator") not in ("CRDT", "DBIT"):
            raise InvalidInput(f"{where}: Amt or CdtDbtInd missing", field="file")
        iban = iban or entry.get("AccountIBAN") or ""
        amount = _decimal(entry["Amount"], where)
        if entry["CreditDebitIndicator"] == "DBIT":
            amount = -amount
        credit = amount > 0
        reference = (
            entry.get("TransactionID")
            or entry.get("EndToEndId")
            or f"camt:{entry.get('BookingDate')}:{entry['Amount']}:{n}"
        )
        result.append(
            BankTransaction(
                bank_reference=str(reference),
                booked_on=_date(entry.get("BookingDate") or entry.get("ValueDate"), where),
                amount=amount,
                currency=entry.get("Currency") or "",
                counterparty_name=(entry.get("DebtorName") if credit else entry.get("CreditorName"))
                or "",
                counterparty_iban=(entry.get("DebtorIBAN") if credit else entry.get("CreditorIBAN"))
                or "",
                remittance=" ".join(
                    filter(
                        None,
                        [
                            entry.get("RemittanceInformationFull")
                            or entry.get("RemittanceInformation"),
                            entry.get("AdditionalEntryInformation"),
                        ],
                    )
                ),
            )
        )
    return iban, result


def parse_mt940(data: bytes) -> tuple[str, list[BankTransaction]]:
    """Transactions (tag :61: with its :86:) of a SWIFT MT940 statement."""
    import mt940

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    statement = mt940.models.Transactions()
    try:
        statement.parse(text)
    except RuntimeError as exc:
        tag = getattr(exc.args[1], "id", "?") if len(exc.args) > 1 else "?"
        value = exc.args[2] if len(exc.args) > 2 else ""
        raise InvalidInput(f"MT940 tag :{tag}: can't be read: {value!r}", field="file") from None
    if not statement.transactions and ":61:" not in text:
        raise InvalidInput("no MT940 transactions (tag :61:) in the file", field="file")
    iban = str(statement.data.get("account_identification") or "")
    result = []
    for n, item in enumerate(statement, 1):
        d = item.data
        where = f"transaction {n} (:61:)"
        amount = _decimal(d["amount"].amount, where)
        reference = d.get("bank_reference") or d.get("customer_reference") or ""
        if not reference or reference == "NONREF":
            reference = f"mt940:{d['date']}:{amount}:{d.get('purpose') or ''}:{n}"
        result.append(
            BankTransaction(
                bank_reference=str(reference),
                booked_on=_date(d["date"], where),
                amount=amount,
                currency=str(d.get("currency") or d["amount"].currency),
                counterparty_name=str(d.get("applicant_name") or ""),
                counterparty_iban=str(d.get("applicant_iban") or ""),
                remittance=" ".join(
                    str(v)
                    for v in (
                        d.get("purpose"),
                        d.get("additional_purpose"),
                        d.get("customer_reference"),
                        d.get("transaction_details"),
                    )
                    if v
                ),
            )
        )
    return iban, result


def parse_ofx(data: bytes) -> tuple[str, list[BankTransaction]]:
    """Bank transactions (``STMTTRN``) of an OFX statement."""
    from ofxparse import OfxParser, OfxParserException

    try:
        ofx = OfxParser.parse(io.BytesIO(data))
        account = ofx.account
        statement = account.statement
    except (OfxParserException, AttributeError, ValueError, IndexError) as exc:
        raise InvalidInput(f"OFX can't be read: {exc}", field="file") from None
    currency = (getattr(statement, "currency", "") or "").upper()
    result = []
    for n, txn in enumerate(statement.transactions, 1):
        where = f"STMTTRN {n} (FITID {txn.id})"
        if not txn.id:
            raise InvalidInput(f"STMTTRN {n}: FITID missing", field="file")
        result.append(
            BankTransaction(
                bank_reference=f"ofx:{txn.id}",
                booked_on=_date(txn.date, where),
                amount=_decimal(txn.amount, where),
                currency=currency,
                counterparty_name=str(txn.payee or ""),
                counterparty_iban="",
                remittance=" ".join(filter(None, [str(txn.memo or ""), str(txn.payee or "")])),
            )
        )
    return str(getattr(account, "account_id", "") or ""), result


PARSERS: dict[str, Callable[[bytes], tuple[str, list[BankTransaction]]]] = {
    BankStatement.Format.CAMT053: parse_camt053,
    BankStatement.Format.MT940: parse_mt940,
    BankStatement.Format.OFX: parse_ofx,
}


def detect_format(data: bytes) -> str:
    """camt.053, MT940 or OFX from the first bytes; raises InvalidInput."""
    head = data[:2048].lstrip()
    if b"camt.053" in head or (head.startswith(b"<?xml") and b"BkToCstmrStmt" in data[:8192]):
        return BankStatement.Format.CAMT053
    if b"OFXHEADER" in head or b"<OFX>" in head.upper():
        return BankStatement.Format.OFX
    if head.startswith(b":20:") or b"\n:20:" in head or head.startswith(b"{1:"):
        return BankStatement.Format.MT940
    raise InvalidInput("not a camt.053, MT940 or OFX statement", field="file")


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
    for number in _pattern(tenant.invoice_number_format).findall(text):
        invoice = (
            Invoice.objects.for_tenant(tenant)
            .filter(number__iexact=number)
            .select_related("customer")
            .first()
        )
        if invoice is not None:
            return invoice.customer, "invoice_number"
    for number in _pattern(tenant.account_number_format).findall(text):
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


def import_statement(
    *, tenant: Tenant, data: bytes, filename: str, format: str | None = None, actor: Any = None
) -> BankStatement:
    """Import a statement file whole: book matched credits as payments, queue the rest.

    Raises InvalidInput (unreadable file, the line or element named),
    Conflict (this file was imported already).
    """
    if not data:
        raise InvalidInput("the file is empty", field="file")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidInput("the file is larger than 20 MB", field="file")
    kind = format or detect_format(data)
    if not isinstance(kind, str) or kind not in PARSERS:
        raise InvalidInput("must be camt053, mt940 or ofx", field="format")
    digest = hashlib.sha256(data).hexdigest()
    earlier = BankStatement.objects.for_tenant(tenant).filter(sha256=digest).first()
    if earlier is not None:
        raise Conflict(f"this file was imported on {earlier.created_at:%Y-%m-%d}", field="file")
    iban, transactions = PARSERS[kind](data)
    with transaction.atomic():
        statement = BankStatement.objects.create(
            tenant=tenant,
            format=kind,
            filename=filename[:200],
            sha256=digest,
            account_iban=iban[:34],
            imported_by=actor if getattr(actor, "pk", None) else None,
        )
        known = set(
            StatementLine.objects.for_tenant(tenant)
            .filter(bank_reference__in=[t.bank_reference for t in transactions])
            .values_list("bank_reference", flat=True)
        )
        for txn in transactions:
            if txn.bank_reference in known:
                continue
            known.add(txn.bank_reference)
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


def _book(statement: BankStatement, txn: BankTransaction, actor: Any) -> StatementLine:
    tenant = statement.tenant
    line = StatementLine(
        tenant=tenant,
        statement=statement,
        bank_reference=txn.bank_reference[:140],
        booked_on=txn.booked_on,
        amount=txn.amount,
        currency=txn.currency.upper()[:3],
        counterparty_name=txn.counterparty_name[:140],
        counterparty_iban=txn.counterparty_iban.replace(" ", "").upper()[:34],
        remittance=txn.remittance,
        status=StatementLine.Status.UNMATCHED,
    )
    if txn.amount <= 0:
        line.status = StatementLine.Status.IGNORED
        line.save()
        return line
    customer, rule = match_customer(tenant, txn)
    if customer is not None and customer.currency == line.currency:
        line.customer, line.match_rule = customer, rule
        line.payment = record_payment(
            tenant=tenant,
            customer=customer,
            amount=txn.amount,
            received_on=txn.booked_on,
            method=PaymentMethod.BANK_TRANSFER,
            reference=line.bank_reference,
            actor=actor,
        )
        line.status = StatementLine.Status.MATCHED
    line.save()
    return line


@transaction.atomic
def match_line(*, line: StatementLine, customer: Customer, actor: Any = None) -> StatementLine:
    """A clerk matches an unmatched credit to a customer: it becomes their payment."""
    line = StatementLine.objects.select_for_update().get(pk=line.pk)
    if line.status != StatementLine.Status.UNMATCHED:
        raise InvalidTransition(f"the line is {line.status}", field="status")
    if customer.tenant_id != line.tenant_id:
        raise NotFound("no such customer in this tenant", field="customer")
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
        reference=line.bank_reference,
        actor=actor,
    )
    line.customer, line.match_rule = customer, "manual"
    line.status = StatementLine.Status.MATCHED
    line.save(update_fields=["payment", "customer", "match_rule", "status", "updated_at"])
    BankStatement.objects.filter(pk=line.statement_id).update(
        lines_matched=F("lines_matched") + 1, lines_unmatched=F("lines_unmatched") - 1
    )
    return line
