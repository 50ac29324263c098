"""The public entry points: records or a file in, chunks to the SQLite load or the PostgreSQL staging."""

from __future__ import annotations

import contextlib
import gc
import zipfile
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from sqlalchemy.orm import Session

from data.cases_import.postgres import _run_staged
from data.cases_import.readers import (DEFAULT_CHUNK_SIZE, ImportFileError, _Chunk, _chunks_from_records, _chunks_from_rows,
                                       _csv_rows, _header_index, _xlsx_rows)
from data.cases_import.report import ImportReport
from data.cases_import.sqlite import _run_sqlite

# Called after each chunk is read with the rows read so far and the share of the file read (0..1).
Progress = Callable[[int, float], None]


def import_case_records(
    session: Session,
    records: Iterable[Mapping[str, Any]],
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    *,
    first_line: int = 1,
    commit: bool = True,
    reopen: bool = False,
) -> ImportReport:
    """Import cases atomically: every record valid -> upsert and recompute roll-ups; else write nothing."""
    # Each record maps cvr, goal_code, unit_code, case_ref, received_at and completed_at (blank or
    # missing = open case) to values: strings (ISO 'YYYY-MM-DD[ HH:MM[:SS]]' or Danish
    # 'DD-MM-YYYY'), dates or datetimes. The unit must be a bogføringskreds or løngruppe of the CVR.
    # Records are consumed as a stream, `chunk_size` at a time. With `commit` the session is
    # committed on success; otherwise the caller commits. Returns an `ImportReport`; bad rows are
    # reported, not raised. A blank completion for a stored closed case is refused unless the record's
    # status is 'genåbnet' or `reopen` is set (the command's --reopen); then it reopens the case and
    # counts it (Case.reopened). Does no access check: callers are SA-side (CLI, seeder).
    return _run(session, _chunks_from_records(records, chunk_size, first_line), commit, reopen)


def import_case_file(session: Session, path: str | Path, chunk_size: int = DEFAULT_CHUNK_SIZE, *, commit: bool = True,
                     progress: Progress | None = None, reopen: bool = False) -> ImportReport:
    """Import a CSV (UTF-8) or XLSX file of cases in chunks; raise ValueError (Danish) for an unusable file."""
    # The first line/row is a header naming the columns of `FIELDS` (any order, extra columns
    # ignored). Raises ValueError (Danish message) for an unsupported file type, ImportFileError (a
    # ValueError) for a file that cannot be read; otherwise behaves as `import_case_records`, with
    # line numbers of the file. `progress(rows, share)` is called after each chunk is read (the
    # background worker shows it as a progress bar); the share is bytes read / file size for CSV
    # and rows read / the sheet's row count for XLSX.
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        size = path.stat().st_size
        with path.open("r", encoding="utf-8-sig", newline="") as handle:
            header, rows = _csv_rows(handle)
            # The text layer reads ahead in blocks, so the binary position is the bytes consumed
            # to within one block: exact enough for a progress bar, and free.
            share = (lambda _rows: handle.buffer.tell() / size) if size else (lambda _rows: 1.0)
            return _run_rows(session, header, rows, chunk_size, commit, _reporter(progress, share), reopen)
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl.utils.exceptions import InvalidFileException

        try:
            workbook, header, rows = _xlsx_rows(path)
        except (zipfile.BadZipFile, KeyError, OSError, InvalidFileException):
            raise ImportFileError("Filen kan ikke læses som en Excel-projektmappe (XLSX). Intet er gemt.") from None
        # The sheet's row count comes from its dimension record, which a writer may leave out (0 then).
        total = max((workbook.worksheets[0].max_row or 0) - 1, 0)
        try:
            return _run_rows(session, header, rows, chunk_size, commit,
                             _reporter(progress, lambda rows: rows / total if total else 0.0), reopen)
        finally:
            workbook.close()
    raise ValueError(f"Filtypen '{path.suffix}' understøttes ikke: brug CSV eller XLSX.")


def _reporter(progress: Progress | None, share: Callable[[int], float]) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda rows: progress(rows, min(share(rows), 1.0))


def _reporting(chunks: Iterable[_Chunk], report_rows: Callable[[int], None]) -> Iterator[_Chunk]:
    rows = 0
    for chunk in chunks:
        rows += len(chunk.lines)
        report_rows(rows)
        yield chunk


def _run_rows(session: Session, header: Sequence[Any] | None, rows: Iterator[tuple[int, Sequence[Any]]],
              chunk_size: int, commit: bool, report_rows: Callable[[int], None] | None = None,
              reopen: bool = False) -> ImportReport:
    if header is None:
        report = ImportReport()
        report.add_error(1, "filen er tom")
        return report
    report = ImportReport()
    index = _header_index(header, report)
    if index is None:
        return report
    chunks = _chunks_from_rows(rows, index, chunk_size)
    return _run(session, chunks if report_rows is None else _reporting(chunks, report_rows), commit, reopen)


def _run(session: Session, chunks: Iterable[_Chunk], commit: bool, reopen: bool = False) -> ImportReport:
    conn = session.connection()
    with _collector_paused():
        if conn.dialect.name == "sqlite":
            return _run_sqlite(session, conn, chunks, commit, reopen)
        return _run_staged(session, conn, chunks, commit, reopen)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the import runs; switch it back on after (also on an error)."""
    # Reading creates a list or dict per row, and a chunk lives while the next one is read, so the
    # collector's full passes walked the same rows again and again: a 500,000-line CSV spent 9.7 of
    # its 16.4 s reading and validating, 3.8 s with the collector paused. The import makes no
    # reference cycles of its own; reference counting frees its rows as before. The switch is
    # process-wide: of two imports in one process, the first to end switches it back on.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
