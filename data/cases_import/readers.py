"""Reading input: records, CSV and XLSX files as chunks of columns, streamed and never loaded whole.

Line numbers: for files, the physical line (CSV) or sheet row (XLSX) with the header on line 1;
for `import_case_records`, the record's position counted from `first_line` (default 1).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from data.cases_import.report import ImportReport

FIELDS: tuple[str, ...] = ("cvr", "goal_code", "unit_code", "case_ref", "received_at", "completed_at", "status")
# completed_at may be left out (every case is then open), and so may status: it is only needed to
# reopen a closed case ('genåbnet' with a blank completion).
REQUIRED_COLUMNS: tuple[str, ...] = FIELDS[:5]
# The status that reopens a closed case (compared case-insensitively; 'genaabnet' without å too).
REOPEN_STATUSES = frozenset({"genåbnet", "genaabnet"})
DEFAULT_CHUNK_SIZE = 50_000
# Column lengths of ``case_`` (data.models.Case): longer values are rejected, not cut.
CASE_REF_MAX = 64
UNIT_CODE_MAX = 20


@dataclass
class _Chunk:
    """A batch of raw rows as columns, with their line numbers."""

    lines: list[int]
    columns: dict[str, list[Any]]


def _chunks_from_records(records: Iterable[Mapping[str, Any]], chunk_size: int, first_line: int) -> Iterator[_Chunk]:
    iterator = iter(records)
    line = first_line
    while True:
        batch = list(islice(iterator, chunk_size))
        if not batch:
            return
        columns = {name: [r.get(name) for r in batch] for name in FIELDS}
        yield _Chunk(list(range(line, line + len(batch))), columns)
        line += len(batch)


def _header_index(header: Sequence[Any], report: ImportReport) -> dict[str, int] | None:
    names = [str(h).strip().lower().lstrip("\ufeff") if h is not None else "" for h in header]
    index = {name: names.index(name) for name in FIELDS if name in names}
    missing = [name for name in REQUIRED_COLUMNS if name not in index]
    if missing:
        report.add_error(1, "overskriften mangler kolonnen " + ", ".join(f"'{m}'" for m in missing)
                         + " (forventet: " + ", ".join(FIELDS) + ")")
        return None
    return index


def _chunks_from_rows(rows: Iterator[tuple[int, Sequence[Any]]], index: dict[str, int], chunk_size: int) -> Iterator[_Chunk]:
    width = max(index.values()) + 1
    while True:
        batch = list(islice(rows, chunk_size))
        if not batch:
            return
        lines = [line for line, _ in batch]
        padded = [row if len(row) >= width else list(row) + [None] * (width - len(row)) for _, row in batch]
        columns = {name: ([row[index[name]] for row in padded] if name in index else [None] * len(padded)) for name in FIELDS}
        yield _Chunk(lines, columns)


class ImportFileError(ValueError):
    """The file itself cannot be read (encoding, CSV syntax, not a workbook); the message is Danish."""


# The text layer decodes the file in blocks, so the line of a bad byte is not known exactly.
NOT_UTF8 = ("Filen er ikke gemt som UTF-8. Gem den i Excel som »CSV UTF-8 (kommasepareret)« eller som XLSX, "
            "og prøv igen. Intet er gemt.")


def _csv_rows(handle: io.TextIOBase) -> tuple[list[str] | None, Iterator[tuple[int, list[str]]]]:
    try:
        first = handle.readline()
    except UnicodeDecodeError:
        raise ImportFileError(NOT_UTF8) from None
    if not first:
        return None, iter(())
    delimiter = max((";", ",", "\t"), key=first.count)
    header = next(csv.reader([first], delimiter=delimiter))
    reader = csv.reader(handle, delimiter=delimiter)

    def rows() -> Iterator[tuple[int, list[str]]]:
        try:
            for row in reader:
                # Skip blank lines and separator-only lines (";;;;;") that spreadsheets leave behind;
                # row[0] short-circuits the common case.
                if row and (row[0] or any(cell.strip() for cell in row)):
                    yield reader.line_num + 1, row  # + 1: the header line was read before the reader
        except UnicodeDecodeError:
            raise ImportFileError(NOT_UTF8) from None
        except csv.Error as exc:
            what = "et felt er for langt" if "field larger" in str(exc) else "linjen kan ikke læses som CSV"
            raise ImportFileError(f"Linje {reader.line_num + 1}: {what}. Intet er gemt.") from None

    return header, rows()


def _xlsx_rows(path: Path) -> tuple[Any, list[Any] | None, Iterator[tuple[int, Sequence[Any]]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    raw = sheet.iter_rows(values_only=True)
    header = next(raw, None)

    def rows() -> Iterator[tuple[int, Sequence[Any]]]:
        for number, row in enumerate(raw, start=2):
            if row and any(cell is not None and str(cell).strip() for cell in row):
                yield number, row

    return workbook, (list(header) if header else None), rows()
