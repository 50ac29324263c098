"""Server-side CSV downloads in the Danish Excel dialect (semicolon, decimal comma, UTF-8 with BOM)."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
from typing import Any, Iterable, Mapping, Sequence

from dash import dcc

from core.formatting import da_date, da_datetime
from pages._grid import safe_cell_text, safe_file_name


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, (float, decimal.Decimal)):
        # Danish Excel reads "80.0" as text or as 800; the dialect's decimal mark is a comma.
        return "" if value != value else str(value).replace(".", ",")
    if isinstance(value, dt.datetime):
        return da_datetime(value)
    if isinstance(value, dt.date):
        return da_date(value)
    if isinstance(value, str):
        return safe_cell_text(value)
    return str(value)


def csv_text(rows: Iterable[Mapping[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    """Return `rows` as semicolon-separated CSV with a header row of the columns' Danish names."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([header for _, header in columns])
    for row in rows:
        writer.writerow([_cell(row.get(field)) for field, _ in columns])
    return buffer.getvalue()


def send_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[tuple[str, str]], file_name: str) -> dict:
    """Return the `dcc.Download` data of a CSV export (BOM first, so Excel reads æøå right)."""
    return dcc.send_string("\ufeff" + csv_text(rows, columns), safe_file_name(file_name, ".csv"), type="text/csv")
