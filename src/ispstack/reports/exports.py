"""A report table (``reports.tables.Table``) as a CSV or XLSX file.

Reports are a few hundred rows at most (one per month, or per month and
plan), so the file is made inside the request, unlike the console's list
exports of up to a million rows (``console.exports``), which run in the
background.
"""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from ispstack.core.spreadsheet import cell_text
from ispstack.reports.tables import Table


def to_csv(table: Table) -> str:
    """The table as CSV text: a heading row, then amounts as plain decimals
    with a dot (``1234.50``) and empty cells for figures without a value."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([cell_text(h) for h in table.headings])
    for row in table.rows:
        writer.writerow(["" if v is None else cell_text(v) for v in row])
    return out.getvalue()


def to_xlsx(table: Table, title: str) -> bytes:
    """The table as an XLSX workbook of one sheet named ``title`` (31
    characters at most, Excel's limit); amounts are numbers with two decimals."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([cell_text(h) for h in table.headings])
    for row in table.rows:
        sheet.append([cell_text(v) for v in row])
    for column, is_money in enumerate(table.money, start=1):
        if is_money:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
                cell.number_format = "#,##0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
