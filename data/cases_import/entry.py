"""The public entry points: records or a file in, chunks to the SQLite load or the PostgreSQL staging."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

from sqlalchemy.orm import Session

from data.cases_import.postgres import _run_staged
from data.cases_import.readers import (DEFAULT_CHUNK_SIZE, ImportFileError, _Chunk, _chunks_from_records, _chunks_from_rows,
                                       _csv_rows, _header_index, _xlsx_rows)
from data.cases_import.report import ImportReport
from data.cases_import.sqlite import _run_sqlite


def import_case_records(
    session: Session,
    records: Iterable[Mapping[str, Any]],
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    *,
    first_line: int = 1,
    commit: bool = True,
) -> ImportReport:
    """Import cases atomically: every record valid -> upsert and recompute roll-ups; else write nothing."""
    # Each record maps cvr, goal_code, unit_code, case_ref, received_at and completed_at (blank or
    # missing = open case) to values: strings (ISO 'YYYY-MM-DD[ HH:MM[:SS]]' or Danish
    # 'DD-MM-YYYY'), dates or datetimes. The unit must be a bogføringskreds or løngruppe of the CVR.
    # Records are consumed as a stream, `chunk_size` at a time. With `commit` the session is
    # committed on success; otherwise the caller commits. Returns an `ImportReport`; bad rows are
    # reported, not raised. Does no access check: callers are SA-side (CLI, seeder).
    return _run(session, _chunks_from_records(records, chunk_size, first_line), commit)


def import_case_file(session: Session, path: str | Path, chunk_size: int = DEFAULT_CHUNK_SIZE, *, commit: bool = True) -> ImportReport:
    """Import a CSV (UTF-8) or XLSX file of cases in chunks; raise ValueError (Danish) for an unusable file."""
    # The first line/row is a header naming the columns of `FIELDS` (any order, extra columns
    # ignored). Raises ValueError (Danish message) for an unsupported file type, ImportFileError (a
    # ValueError) for a file that cannot be read; otherwise behaves as `import_case_records`, with
    # line numbers of the file.
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            header, rows = _csv_rows(handle)
            return _run_rows(session, header, rows, chunk_size, commit)
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            workbook, header, rows = _xlsx_rows(path)
        except (zipfile.BadZipFile, KeyError, OSError, InvalidFileException):
            raise ImportFileError("Filen kan ikke læses som en Excel-projektmappe (XLSX). Intet er gemt.") from None
        try:
            return _run_rows(session, header, rows, chunk_size, commit)
        finally:
            workbook.close()
    raise ValueError(f"Filtypen '{path.suffix}' understøttes ikke: brug CSV eller XLSX.")


def _run_rows(session: Session, header: Sequence[Any] | None, rows: Iterator[tuple[int, Sequence[Any]]],
              chunk_size: int, commit: bool) -> ImportReport:
    if header is None:
        report = ImportReport()
        report.add_error(1, "filen er tom")
        return report
    report = ImportReport()
    index = _header_index(header, report)
    if index is None:
        return report
    return _run(session, _chunks_from_rows(rows, index, chunk_size), commit)


def _run(session: Session, chunks: Iterable[_Chunk], commit: bool) -> ImportReport:
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        return _run_sqlite(session, conn, chunks, commit)
    return _run_staged(session, conn, chunks, commit)
