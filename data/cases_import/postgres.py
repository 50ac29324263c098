"""PostgreSQL: COPY into a TEMPORARY staging table, then one ``INSERT ... SELECT ... ON CONFLICT``.

Duplicates of a case reference within the file are found in SQL on the staging table (an index on
case_ref), so the references are never kept in Python. If any row is bad, only the temporary
table was written. The stored versions of re-imported cases are read before the upsert, so their
old contributions leave the roll-ups (`rollups`); a re-import updates its case, never counts twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Iterable

import numpy as np
from sqlalchemy import BigInteger, Boolean, Column, DateTime, Integer, MetaData, String, Table, case, extract, func, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from data.cases_import.readers import CASE_REF_MAX, UNIT_CODE_MAX, _Chunk
from data.cases_import.report import ImportReport, closed_case, other_customer
from data.cases_import.rollups import _TOUCHED_KEY, _TOUCHED_RANGE, Contributions, _add, _apply_rollups, _new_versions
from data.cases_import.validate import _Reference, _validate_counted
from data.models import Case

_META = MetaData()
# Temporary table: private to the import's connection, gone with it.
_STAGING = Table(
    "kp_case_staging", _META,
    Column("line_no", BigInteger),
    Column("case_ref", String(CASE_REF_MAX)),
    Column("cvr", String(8)),
    Column("goal_id", Integer),
    Column("unit_code", String(UNIT_CODE_MAX)),
    Column("received_at", DateTime),
    Column("completed_at", DateTime),
    Column("days_taken", Integer),
    Column("met", Boolean),
    Column("reopen", Boolean),  # the line may reopen a stored closed case (status 'genåbnet' or --reopen)
    prefixes=["TEMPORARY"],
)
_STAGING_COLUMNS = ("line_no", "case_ref", "cvr", "goal_id", "unit_code", "received_at", "completed_at", "days_taken", "met",
                    "reopen")
_TEMP_TABLES = (_STAGING, _TOUCHED_RANGE, _TOUCHED_KEY)


def _drop_temp_tables(conn: Connection) -> None:
    for table in _TEMP_TABLES:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")


_NULL = "\\N"  # COPY's text format: NULL
# COPY's text format: a backslash and the separators must be escaped inside a value.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_texts(values: list[str]) -> list[str]:
    """Return `values` escaped for COPY's text format (as they are when nothing needs escaping)."""
    joined = "".join(values)  # one C-speed scan; values are only rewritten when one needs it
    if "\\" in joined or "\t" in joined or "\n" in joined or "\r" in joined:
        return [v.translate(_COPY_ESCAPES) for v in values]
    return values


def _copy_chunk(columns: dict) -> str:
    """Return the COPY text (tab-separated, one line per row) of one validated chunk's columns."""
    # A line per row by str.join over ready-made strings, instead of psycopg's write_row, which adapts
    # every value on its own: per 1M cases 0.9 s validating + 2.4 s copying, against 1.6 s + 3.9 s
    # with a tuple per row and write_row (same machine, same load).
    closed = columns["closed"]
    days = np.where(closed, columns["days_taken"].astype("U6"), _NULL).tolist()
    met = np.where(closed, np.where(columns["met"], "t", "f"), _NULL).tolist()
    completed = [_NULL if c is None else c for c in columns["completed_at"]]
    fields = (
        map(str, columns["line_no"]), _copy_texts(columns["case_ref"]), _copy_texts(columns["cvr"]),
        columns["goal_id"].astype("U11").tolist(), _copy_texts(columns["unit_code"]), columns["received_at"],
        completed, days, met, np.where(columns["reopen"], "t", "f").tolist(),
    )
    return "\n".join(map("\t".join, zip(*fields))) + "\n"


def _stage(raw: Any, text: str) -> None:
    """Bulk-insert one chunk's COPY text (validated rows and their reopen permission) into the staging table."""
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY {_STAGING.name} ({', '.join(_STAGING_COLUMNS)}) FROM STDIN") as copy:
            copy.write(text)


def _report_duplicates(conn: Connection, report: ImportReport) -> None:
    s = _STAGING.c
    first = (
        select(s.case_ref, func.min(s.line_no).label("first_line"))
        .group_by(s.case_ref)
        .having(func.count() > 1)
        .subquery()
    )
    stmt = (
        select(s.line_no, s.case_ref, first.c.first_line)
        .join(first, first.c.case_ref == s.case_ref)
        .where(s.line_no > first.c.first_line)
        .order_by(s.line_no)
    )
    for line, ref, first_line in conn.execute(stmt):
        report.add_error(int(line), f"sagsnummeret '{ref}' findes også i linje {int(first_line)}")


def _report_other_customers(conn: Connection, report: ImportReport) -> None:
    """Report staged lines whose case reference is stored under another CVR (a case never moves)."""
    s, c = _STAGING.c, Case.__table__.c
    stmt = (select(s.line_no, s.case_ref).join(Case.__table__, c.case_ref == s.case_ref)
            .where(c.cvr != s.cvr).order_by(s.line_no))
    for line, ref in conn.execute(stmt):
        report.add_error(int(line), other_customer(ref))


def _report_closed_cases(conn: Connection, report: ImportReport) -> None:
    """Report staged lines that blank the completion of a stored closed case without reopening it."""
    s, c = _STAGING.c, Case.__table__.c
    stmt = (select(s.line_no, s.case_ref).join(Case.__table__, c.case_ref == s.case_ref)
            .where(c.cvr == s.cvr, c.completed_at.is_not(None), s.completed_at.is_(None), s.reopen.is_not(True))
            .order_by(s.line_no))
    for line, ref in conn.execute(stmt):
        report.add_error(int(line), closed_case(ref))


def _old_versions(conn: Connection) -> tuple[Contributions, int]:
    """Return what the stored versions of the staged cases contribute to roll-ups, and how many exist.

    Runs before the upsert, so a case whose completion (or goal, unit, CVR) changes is taken out
    of its OLD month's roll-up.
    """
    year = extract("year", Case.completed_at)
    month = extract("month", Case.completed_at)
    met_flag = case((Case.met == true(), 1), else_=0)
    stmt = (
        select(Case.cvr, Case.goal_id, Case.unit_code, year, month, Case.days_taken, met_flag, func.count())
        .select_from(_STAGING.join(Case, Case.case_ref == _STAGING.c.case_ref))
        .group_by(Case.cvr, Case.goal_id, Case.unit_code, year, month, Case.days_taken, met_flag)
    )
    contributions: Contributions = {}
    existing = 0
    for cvr, goal_id, unit, y, mo, days, met, count in conn.execute(stmt):
        existing += int(count)
        if y is not None:
            _add(contributions, (cvr, int(goal_id), unit, dt.date(int(y), int(mo), 1)), int(days), int(count), int(met) * int(count))
    return contributions, existing


_UPSERT = f"""
INSERT INTO case_ (case_ref, cvr, goal_id, unit_code, received_at, completed_at, days_taken, met)
SELECT case_ref, cvr, goal_id, unit_code, received_at, completed_at, days_taken, met
FROM {_STAGING.name} WHERE true ORDER BY case_ref
ON CONFLICT (case_ref) DO UPDATE SET
    cvr = excluded.cvr, goal_id = excluded.goal_id, unit_code = excluded.unit_code,
    received_at = excluded.received_at, completed_at = excluded.completed_at,
    days_taken = excluded.days_taken, met = excluded.met,
    reopened = case_.reopened + CASE WHEN case_.completed_at IS NOT NULL AND excluded.completed_at IS NULL
                                     THEN 1 ELSE 0 END
"""


# When no staged reference is stored yet (a fresh load, or only new cases) there is nothing to
# update: a plain insert skips the conflict check per row, and staging (file) order skips the sort
# that ORDER BY case_ref needs (an external sort at work_mem's default; 1M cases: 18.2 s -> 12.4 s).
_INSERT = f"""
INSERT INTO case_ (case_ref, cvr, goal_id, unit_code, received_at, completed_at, days_taken, met)
SELECT case_ref, cvr, goal_id, unit_code, received_at, completed_at, days_taken, met
FROM {_STAGING.name}
"""


# A load at least this share of case_'s rows, and at least PG_REBUILD_INDEX_MIN_ROWS, drops case_'s
# secondary indexes before the insert and builds them again after it, inside the transaction (a
# rollback brings them back): on an empty table, 10M cases took 169 s with the indexes maintained
# row by row and 119 s + 20 s to build them afterwards; at 1M there was no gain (12.4 s vs 13.7 s).
# The price: DROP INDEX locks case_ against readers too (ACCESS EXCLUSIVE) until the commit, where
# the maintained insert blocks no reader; hence only for a load as large as the table (a first
# load or a reload of everything). The unique and primary-key indexes always stay.
PG_REBUILD_INDEX_SHARE = 0.5
PG_REBUILD_INDEX_MIN_ROWS = 2_000_000


def _case_rows(conn: Connection) -> int:
    """Return about how many rows case_ holds (the planner's estimate; counted when there is none)."""
    estimate = conn.exec_driver_sql("SELECT reltuples::bigint FROM pg_class WHERE oid = 'case_'::regclass").scalar()
    if estimate is None or estimate < 0:  # never vacuumed or analysed
        return int(conn.exec_driver_sql("SELECT count(*) FROM case_").scalar())
    return int(estimate)


def _secondary_indexes(conn: Connection) -> list[tuple[str, str]]:
    """Return (name, CREATE INDEX statement) of case_'s indexes that enforce nothing, as the database has them."""
    # Their own definitions (pg_get_indexdef), so a rebuild gives back exactly what the migrations made.
    return [(name, ddl) for name, ddl in conn.exec_driver_sql(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = 'case_'::regclass AND NOT x.indisunique AND NOT x.indisprimary ORDER BY i.relname")]


def _upsert(conn: Connection, existing: int) -> None:
    """Upsert the staged rows into case_ (inside the import's transaction); `existing` of them are stored."""
    # A case stored by another import between _old_versions and here makes the plain insert fail on
    # case_ref's unique constraint: the import then rolls back whole, as on any error.
    conn.exec_driver_sql(_UPSERT if existing else _INSERT)


def _run_staged(session: Session, conn: Connection, chunks: Iterable[_Chunk], commit: bool,
                reopen: bool = False) -> ImportReport:
    # Only PostgreSQL comes here: `entry._run` sends SQLite to `sqlite._run_sqlite`.
    started = time.perf_counter()
    report = ImportReport()
    ref = dataclasses.replace(_Reference.load(session), reopen_all=reopen)
    try:
        _drop_temp_tables(conn)
        _STAGING.create(conn)
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        raw = conn.connection.driver_connection
        lap = time.perf_counter()
        # The server copies chunk k while Python reads and validates chunk k + 1 (two CPUs busy, not
        # one after the other). One chunk in flight at most, so memory stays at two chunks; the main
        # thread does not touch the connection until the writer is done with it, and leaving the
        # block (also on an error) waits for the writer before anything is rolled back.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kp-case-copy") as writer:
            pending: Future | None = None
            for chunk in chunks:
                validated = _validate_counted(chunk, ref, report, parts, as_columns=True)
                columns = validated.columns
                text = _copy_chunk(columns) if columns is not None and len(columns["line_no"]) else None
                del validated, columns
                lap = report._lap("validate", lap)
                if pending is not None:
                    pending.result()  # raises the writer's error here
                    pending = None
                lap = report._lap("stage", lap)  # only the wait for the server's COPY
                if text is not None:
                    pending = writer.submit(_stage, raw, text)
            if pending is not None:
                pending.result()
        lap = report._lap("stage", lap)
        conn.exec_driver_sql(f"CREATE INDEX kp_case_staging_ref ON {_STAGING.name} (case_ref, line_no)")
        conn.exec_driver_sql(f"ANALYZE {_STAGING.name}")
        lap = report._lap("index", lap)
        _report_duplicates(conn, report)
        _report_other_customers(conn, report)
        _report_closed_cases(conn, report)
        lap = report._lap("duplicates", lap)
        if not report.ok:
            # Nothing but the temporary table was written: drop it and report.
            report.errors.sort(key=lambda e: e.line)
            report.open_cases = 0
            _drop_temp_tables(conn)
            report.seconds = time.perf_counter() - started
            return report

        old, existing = _old_versions(conn)
        lap = report._lap("old_versions", lap)
        rebuild: list[tuple[str, str]] = []
        if report.rows >= max(PG_REBUILD_INDEX_MIN_ROWS, PG_REBUILD_INDEX_SHARE * _case_rows(conn)):
            rebuild = _secondary_indexes(conn)
            for name, _ddl in rebuild:
                conn.exec_driver_sql(f'DROP INDEX "{name}"')
        _upsert(conn, existing)
        lap = report._lap("upsert", lap)
        for _name, ddl in rebuild:
            conn.exec_driver_sql(ddl)
        if rebuild:
            lap = report._lap("case_indexes", lap)
        new = _new_versions(parts, ref)
        keys = set(old) | set(new)
        report.rollups_recomputed = _apply_rollups(conn, old, new)
        _drop_temp_tables(conn)
        lap = report._lap("rollups", lap)
    except Exception:
        session.rollback()
        raise
    report.updated = existing
    report.inserted = report.rows - existing
    if keys:
        months = sorted({key[3] for key in keys})
        report.first_month, report.last_month = months[0], months[-1]
    if commit:
        session.commit()
        report._lap("commit", lap)
    report.seconds = time.perf_counter() - started
    return report
