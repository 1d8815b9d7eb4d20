"""Journal exports for an accountant: a general CSV and Xero's manual journal import.

General layout (one row per journal line, UTF-8, comma separated, RFC 4180
quoting, a header row): ``date`` (booking date, ISO 8601 ``YYYY-MM-DD``),
``entry_number``, ``account_code``, ``account_name``, ``debit``, ``credit``
(decimal point, the currency's decimals, no thousands separator, the empty
side ``0.00``), ``currency`` (ISO 4217), ``memo``, ``source`` (the source
document, e.g. ``invoice INV-2026-00001 issue``).

Xero layout: the manual journal import template of Xero, as Xero's help
page "Enter multiple manual journals using an import template" specifies
it: the columns ``*Narration, *Date, Description, *AccountCode, *TaxRate,
*Amount, TrackingName1, TrackingOption1, TrackingName2, TrackingOption2``
in that order (an asterisk marks a mandatory column); rows sharing a
narration and a date form one journal, so the narration starts with the
entry number; the date is ``dd mmm yyyy`` (``01 Jan 2026``), the one of the two formats
the specification accepts that no organisation's regional setting reads
the other way round (``dd/mm/yyyy`` is read month first by a US
organisation); the amount is positive for a
debit and negative for a credit; the tax rate is the full name of a Xero
tax rate, here one that carries no tax (the tax is already on its own VAT
payable lines); at most 300 lines per file, so a longer export is split
into several files, never inside a journal. Xero's manual journals are in
the organisation's base currency, so a Xero export takes one currency.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable
from decimal import Decimal

from ispstack.accounting.models import JournalLine
from ispstack.core.errors import InvalidInput
from ispstack.core.money import quantum
from ispstack.core.spreadsheet import cell_text

GENERAL_COLUMNS = (
    "date",
    "entry_number",
    "account_code",
    "account_name",
    "debit",
    "credit",
    "currency",
    "memo",
    "source",
)

XERO_COLUMNS = (
    "*Narration",
    "*Date",
    "Description",
    "*AccountCode",
    "*TaxRate",
    "*Amount",
    "TrackingName1",
    "TrackingOption1",
    "TrackingName2",
    "TrackingOption2",
)

#: Xero's limit of lines in one manual journal import file.
XERO_MAX_LINES = 300

#: The Xero tax rate carrying no tax, by the organisation's country (Xero's
#: default tax rates of each edition); other countries name it ``No Tax``.
XERO_NO_TAX = {
    "GB": "No VAT",
    "IE": "No VAT",
    "AU": "BAS Excluded",
    "NZ": "No GST",
    "US": "Tax Exempt",
    "CA": "Tax Exempt",
    "ZA": "No VAT",
    "SG": "No GST",
}


def amount_text(amount: Decimal, currency: str) -> str:
    """``amount`` with the currency's decimals and a decimal point: ``35.70``."""
    return str(amount.quantize(quantum(currency)))


def source_text(line: JournalLine) -> str:
    """``invoice INV-2026-00001 issue``: what the line's entry books."""
    entry = line.entry
    reference = entry.source_reference or f"#{entry.source_id}"
    return f"{entry.source_type} {reference} {entry.kind}"


def general_csv(lines: Iterable[JournalLine]) -> bytes:
    """The general layout (module docstring) of ``lines``, as UTF-8 bytes."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(GENERAL_COLUMNS)
    for line in lines:
        entry = line.entry
        writer.writerow(
            [
                entry.booking_date.isoformat(),
                entry.number,
                cell_text(line.account.code),
                cell_text(line.account.name),
                amount_text(line.debit, entry.currency),
                amount_text(line.credit, entry.currency),
                entry.currency,
                cell_text(entry.memo),
                cell_text(source_text(line)),
            ]
        )
    return out.getvalue().encode()


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def xero_date(day: dt.date) -> str:
    """``day`` as ``dd mmm yyyy`` with English month names, whatever the
    process's locale (``strftime("%b")`` follows it)."""
    return f"{day.day:02d} {_MONTHS[day.month - 1]} {day.year}"


def xero_files(lines: Iterable[JournalLine], *, tax_rate: str) -> list[bytes]:
    """Xero manual journal import files (module docstring) of ``lines``, all
    of one currency: each at most ``XERO_MAX_LINES`` lines, a journal never
    split between files. No line gives one file with the header only.

    Raises InvalidInput (field ``currency``) when the lines mix currencies.
    """
    journals: list[list[list[str]]] = []
    currencies: set[str] = set()
    current_entry = None
    for line in lines:
        entry = line.entry
        currencies.add(entry.currency)
        if len(currencies) > 1:
            raise InvalidInput("a Xero export takes the entries of one currency", field="currency")
        if entry.pk != current_entry:
            journals.append([])
            current_entry = entry.pk
        amount = line.debit - line.credit
        journals[-1].append(
            [
                cell_text(f"{entry.number} {entry.memo}"),
                xero_date(entry.booking_date),
                cell_text(source_text(line)),
                cell_text(line.account.code),
                tax_rate,
                amount_text(amount, entry.currency),
                "",
                "",
                "",
                "",
            ]
        )
    files: list[list[list[str]]] = [[]]
    for rows in journals:
        if files[-1] and len(files[-1]) + len(rows) > XERO_MAX_LINES:
            files.append([])
        files[-1].extend(rows)
    return [_csv([XERO_COLUMNS, *rows]) for rows in files]


def _csv(rows: Iterable[Iterable[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def bundle(files: list[bytes], stem: str) -> tuple[bytes, str, str]:
    """One file as itself, several as a ZIP: (content, file name, content type)."""
    if len(files) == 1:
        return files[0], f"{stem}.csv", "text/csv"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for n, content in enumerate(files, start=1):
            archive.writestr(f"{stem}-{n}.csv", content)
    return out.getvalue(), f"{stem}.zip", "application/zip"
