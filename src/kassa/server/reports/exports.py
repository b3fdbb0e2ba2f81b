"""A report as a file for the accountant: CSV (UTF-8, comma, decimal point, amounts as
they are, so a program reads them exactly) or XLSX (numbers as numbers, amounts with
two decimals)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any, cast

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from .sales import MONEY, Report

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def report_csv(report: Report) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([label for _, label in report.columns])
    for row in report.rows:
        writer.writerow([_text(row.get(name)) for name, _ in report.columns])
    totals = ["Total"] + [_text(report.totals.get(name, "")) for name, _ in report.columns[1:]]
    writer.writerow(totals)
    return out.getvalue().encode("utf-8")


def report_xlsx(report: Report) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(report.dimension.value)
    sheet.append([report.title])
    sheet.append([label for _, label in report.columns])

    def cell(name: str, value: Any) -> Any:
        if isinstance(value, Decimal):
            # A spreadsheet keeps numbers in binary floating point; shown at cents.
            result = WriteOnlyCell(sheet, value=cast(Any, value))
            result.number_format = "0.00" if name in MONEY else "0.###"
            return result
        if isinstance(value, date):
            result = WriteOnlyCell(sheet, value=cast(Any, value))
            result.number_format = "yyyy-mm-dd"
            return result
        return value

    for row in report.rows:
        sheet.append([cell(name, row.get(name)) for name, _ in report.columns])
    sheet.append(
        ["Total"] + [cell(name, report.totals.get(name)) for name, _ in report.columns[1:]]
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
