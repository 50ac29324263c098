"""The one server-side export path: CSV and XLSX downloads of rows the server read itself (scoped).

`send_csv` and `send_xlsx` take the same rows and columns (`(field, header)` pairs or AG Grid column
dicts). CSV is the Danish Excel dialect (semicolon, decimal comma, UTF-8 with BOM); XLSX has typed
cells. Text in both goes through `safe_cell_text`, so no cell is ever run as a formula. The grid's
own in-browser CSV export applies the same rule in assets/grid.js (`pages._grid.CSV_CELL_GUARD`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from decimal import Decimal
from typing import Any, Iterable, Mapping, Sequence

import xlsxwriter
from dash import dcc

from data.workdays import danish_today
from core.formatting import iso_date, iso_datetime, local

Column = tuple[str, str] | Mapping[str, Any]

# Typed date cells shown like the screen's "6. dec. 2026" and "6. dec. 2026 kl. 11:08".
XLSX_DATE_FORMAT = "d. mmm. yyyy"
XLSX_DATETIME_FORMAT = 'd. mmm. yyyy "kl." hh:mm'
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")
_FILE_NAME_BAD = re.compile(r"[^A-Za-z0-9ÆØÅæøå._-]+")
# Spreadsheet programs run a cell that starts with one of these as a formula (CSV/XLSX injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell_text(value: Any) -> str:
    """Return `value` as text that a spreadsheet shows as text, never runs as a formula (CSV/XLSX injection)."""
    text = str(value)
    # Spreadsheets skip leading blanks (and a stray BOM or zero-width space) before they look for '='.
    if text.lstrip(" \t\r\n\u00a0\u3000\ufeff\u200b").startswith(_FORMULA_START) or text.startswith(_FORMULA_START):
        return "'" + text
    return text


def safe_sheet_name(name: str) -> str:
    """Return an Excel-legal sheet name (max 31 chars, no []:*?/\\)."""
    cleaned = _SHEET_NAME_BAD.sub(" ", str(name or "")).strip().strip("'")
    return (cleaned or "Data")[:31]


def safe_file_name(name: str, suffix: str) -> str:
    """Return a download name of letters, digits, æøå, '.', '_' and '-' only, ending in `suffix`."""
    stem = _FILE_NAME_BAD.sub("_", str(name or "")).strip("._") or "eksport"
    stem = stem[:100]
    return stem if stem.lower().endswith(suffix.lower()) else stem + suffix


def _field_header(col: Column) -> tuple[str, str]:
    if isinstance(col, Mapping):
        return str(col["field"]), str(col.get("headerName", col["field"]))
    return col[0], col[1]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, (float, Decimal)):
        # Danish Excel reads "80.0" as text or as 800; the dialect's decimal mark is a comma.
        return "" if value != value else str(value).replace(".", ",")
    if isinstance(value, dt.datetime):
        return iso_datetime(value)
    if isinstance(value, dt.date):
        return iso_date(value)
    if isinstance(value, str):
        return safe_cell_text(value)
    return str(value)


# CSV is for machines and spreadsheets: dates are ISO 8601, and the header of a date column says so.
ISO_DATE_HEADER = " (ÅÅÅÅ-MM-DD)"
ISO_DATETIME_HEADER = " (ISO 8601)"


def _date_header(header: str, values: Iterable[Any]) -> str:
    for value in values:
        if isinstance(value, dt.datetime):
            return header + ISO_DATETIME_HEADER
        if isinstance(value, dt.date):
            return header + ISO_DATE_HEADER
    return header


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column]) -> str:
    """Return `rows` as semicolon-separated CSV with a header row of the columns' Danish names."""
    pairs = [_field_header(c) for c in columns]
    rows = list(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_date_header(header, (row.get(field) for row in rows)) for field, header in pairs])
    for row in rows:
        writer.writerow([_cell(row.get(field)) for field, _ in pairs])
    return buffer.getvalue()


def send_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], file_name: str) -> dict:
    """Return the `dcc.Download` data of a CSV export (BOM first, so Excel reads æøå right)."""
    return dcc.send_string("\ufeff" + csv_text(rows, columns), safe_file_name(file_name, ".csv"), type="text/csv")


def xlsx_bytes(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], sheet_name: str = "Data") -> bytes:
    """Return an XLSX workbook (one sheet, header row, autofilter) of `rows` as bytes."""
    # Values are written with explicit types: text is always text (never a formula), dates as
    # Excel dates shown as on screen ("6. dec. 2026", Excel names the month), numbers as numbers, booleans as Ja/Nej.
    pairs = [_field_header(c) for c in columns]
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_urls": False, "strings_to_numbers": False})
    try:
        sheet = workbook.add_worksheet(safe_sheet_name(sheet_name))
        header = workbook.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1})
        date_fmt = workbook.add_format({"num_format": XLSX_DATE_FORMAT})
        datetime_fmt = workbook.add_format({"num_format": XLSX_DATETIME_FORMAT})
        widths = [len(h) for _, h in pairs]
        for col, (_, title) in enumerate(pairs):
            sheet.write_string(0, col, title, header)
        n = 0
        for n, row in enumerate(rows, start=1):
            for col, (field, _) in enumerate(pairs):
                value = row.get(field)
                # A missing figure (None, NaN, ±inf: no cases) is an empty cell; xlsxwriter refuses NaN.
                if value is None or value == "" or (isinstance(value, float) and not math.isfinite(value)):
                    sheet.write_blank(n, col, None)
                    continue
                if isinstance(value, bool):
                    text = "Ja" if value else "Nej"
                    sheet.write_string(n, col, text)
                elif isinstance(value, (int, float, Decimal)):
                    sheet.write_number(n, col, float(value))
                    text = str(value)
                elif isinstance(value, dt.datetime):
                    sheet.write_datetime(n, col, _local_naive(value), datetime_fmt)
                    text = "00. mmm. 0000 kl. 00:00"
                elif isinstance(value, dt.date):
                    sheet.write_datetime(n, col, dt.datetime.combine(value, dt.time()), date_fmt)
                    text = "00. mmm. 0000"
                else:
                    text = safe_cell_text(value)
                    sheet.write_string(n, col, text)
                widths[col] = max(widths[col], min(len(text), 60))
        for col, width in enumerate(widths):
            sheet.set_column(col, col, width + 2)
        sheet.freeze_panes(1, 0)
        if pairs:
            sheet.autofilter(0, 0, max(n, 1), len(pairs) - 1)
    finally:
        workbook.close()
    return buffer.getvalue()


def _local_naive(value: dt.datetime) -> dt.datetime:
    # Excel has no time zones: a timestamp is written as the Danish wall-clock time.
    return local(value).replace(tzinfo=None)


def send_xlsx(rows: Iterable[Mapping[str, Any]], columns: Sequence[Column], sheet_name: str, file_name: str) -> dict:
    """Return the `dcc.Download` data of an XLSX export (for a guarded callback's output)."""
    data = xlsx_bytes(rows, columns, sheet_name)
    return dcc.send_bytes(data, safe_file_name(file_name, ".xlsx"), type=XLSX_MIMETYPE)


def export_file_name(prefix: str, cvr: str | None, today: dt.date | None = None) -> str:
    """Return a download name like 'Dispensationer_33391005_2024-05-01'."""
    day = (today or danish_today()).isoformat()
    parts = [prefix] + ([cvr] if cvr else []) + [day]
    return "_".join(parts)


__all__ = [
    "Column",
    "XLSX_MIMETYPE",
    "csv_text",
    "export_file_name",
    "safe_cell_text",
    "safe_file_name",
    "safe_sheet_name",
    "send_csv",
    "send_xlsx",
    "xlsx_bytes",
]
