"""PostgreSQL: each chunk COPYed, and stored in ``case_`` while the next chunk is validated.

A chunk is COPYed into a TEMPORARY staging table, which gets every row of the file, and, while
every reference is new (a first load, or new cases only), inserted into ``case_`` from there inside
a SAVEPOINT, by one writer thread while Python validates the next chunk (two CPUs busy, not one
after the other); nothing is read back and nothing is sorted. The first chunk whose insert meets a
stored or repeated reference (``case_ref``'s unique index refuses it) is rolled back to its
savepoint, and from then on chunks are only staged: duplicates of a reference within the file,
references stored under another CVR and blanked completions are found there in SQL (an index on
case_ref), the stored versions of re-imported cases are read before the upsert, so their old
contributions leave the roll-ups (`rollups`), and one ``INSERT ... ON CONFLICT
DO UPDATE`` writes the rest. A re-import updates its case, never counts twice. The whole import
runs inside a SAVEPOINT: if any row is bad, it is rolled back, and nothing is kept.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Iterable

import numpy as np
import psycopg
from sqlalchemy import BigInteger, Boolean, Column, DateTime, Integer, MetaData, String, Table, case, extract, func, select, true
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from data.cases_import.readers import CASE_REF_MAX, UNIT_CODE_MAX, _Chunk
from data.cases_import.report import ImportReport, closed_case, other_customer
from data.cases_import.rollups import _TOUCHED_KEY, _TOUCHED_RANGE, Contributions, _add, _rewrite_derived
from data.cases_import.validate import _Reference, _validate_counted
from data.models import Case

_META = MetaData()


# Temporary table: private to the import's connection, gone with it. Every valid row of the file.
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
# The key of the transaction-level advisory lock that lets one case import at a time write (any
# connection, any worker): a fixed number, the first 8 bytes of sha256("kundeportal.case_import").
IMPORT_LOCK_KEY = 0x4FC9_5AD5_9CD6_25BA
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


def _old_versions(conn: Connection, first_line: int) -> tuple[Contributions, int]:
    """Return what the stored versions of the staged cases from `first_line` on contribute to roll-ups, and how many exist.

    Runs before the upsert, so a case whose completion (or goal, unit, CVR) changes is taken out
    of its OLD month's roll-up. The lines before `first_line` were stored as new cases already.
    """
    year = extract("year", Case.completed_at)
    month = extract("month", Case.completed_at)
    met_flag = case((Case.met == true(), 1), else_=0)
    stmt = (
        select(Case.cvr, Case.goal_id, Case.unit_code, year, month, Case.days_taken, met_flag, func.count())
        .select_from(_STAGING.join(Case, Case.case_ref == _STAGING.c.case_ref))
        .where(_STAGING.c.line_no >= first_line)
        .group_by(Case.cvr, Case.goal_id, Case.unit_code, year, month, Case.days_taken, met_flag)
    )
    contributions: Contributions = {}
    existing = 0
    for cvr, goal_id, unit, y, mo, days, met, count in conn.execute(stmt):
        existing += int(count)
        if y is not None:
            _add(contributions, (cvr, int(goal_id), unit, dt.date(int(y), int(mo), 1)), int(days), int(count), int(met) * int(count))
    return contributions, existing


# The staged rows from a line on, as cases; the statements below add their own ends.
_INSERT_STAGED = f"""
INSERT INTO case_ (case_ref, cvr, goal_id, unit_code, received_at, completed_at, days_taken, met)
SELECT case_ref, cvr, goal_id, unit_code, received_at, completed_at, days_taken, met
FROM {_STAGING.name} WHERE line_no >= %(first_line)s
"""

_UPSERT = _INSERT_STAGED + """ORDER BY case_ref
ON CONFLICT (case_ref) DO UPDATE SET
    cvr = excluded.cvr, goal_id = excluded.goal_id, unit_code = excluded.unit_code,
    received_at = excluded.received_at, completed_at = excluded.completed_at,
    days_taken = excluded.days_taken, met = excluded.met,
    reopened = case_.reopened + CASE WHEN case_.completed_at IS NOT NULL AND excluded.completed_at IS NULL
                                     THEN 1 ELSE 0 END
"""


# A chunk as it comes: stored as new cases, or not at all when one of its references is stored
# already (or repeated within it), which case_ref's unique index refuses; no sort, no conflict
# handling per row (ON CONFLICT DO NOTHING took 1.6 x as long: 1M cases 5.9 s against 3.5 s).
_INSERT_NEW = _INSERT_STAGED + "AND ctid >= format('(%%s,0)', %(from_block)s::bigint)::tid\n"


# A load at least this share of case_'s rows, and at least PG_REBUILD_INDEX_MIN_ROWS, drops case_'s
# secondary indexes over all rows (the partial ones stay) once it gets there and builds them again
# after it, inside the transaction (a rollback brings them back); a load into an empty case_ (a
# first load) drops them before its first chunk. Building beats maintaining them row by row: 1M cases without the key checks took 9.5 s with
# the three maintained and 2.5 s + 1.3 s to build them afterwards (the 1M benchmark database). The
# price: DROP INDEX locks case_ against readers too (ACCESS EXCLUSIVE) until the commit, where the
# maintained insert blocks no reader; hence only for a load as large as the table, or a table with
# nothing to read yet. The unique and primary-key indexes always stay.
PG_REBUILD_INDEX_SHARE = 0.5
PG_REBUILD_INDEX_MIN_ROWS = 2_000_000


def _case_rows(conn: Connection) -> int:
    """Return about how many rows case_ holds (the planner's estimate; counted when there is none)."""
    estimate = conn.exec_driver_sql("SELECT reltuples::bigint FROM pg_class WHERE oid = 'case_'::regclass").scalar()
    if estimate is None or estimate < 0:  # never vacuumed or analysed
        return int(conn.exec_driver_sql("SELECT count(*) FROM case_").scalar())
    return int(estimate)


def _rebuild_at(conn: Connection) -> float:
    """Return after how many loaded rows case_'s secondary indexes are dropped (to be built again at the end)."""
    # Emptiness counted exactly: the estimate can still say 0 right after a first load.
    if not conn.exec_driver_sql("SELECT EXISTS (SELECT 1 FROM case_)").scalar():
        return 0
    return max(PG_REBUILD_INDEX_MIN_ROWS, PG_REBUILD_INDEX_SHARE * _case_rows(conn))


def _secondary_indexes(conn: Connection, *, partial: bool = True) -> list[tuple[str, str]]:
    """Return (name, CREATE INDEX statement) of case_'s indexes that enforce nothing (without `partial`: of all rows)."""
    # Their own definitions (pg_get_indexdef), so a rebuild gives back exactly what the migrations made.
    return [(name, ddl) for name, ddl in conn.exec_driver_sql(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = 'case_'::regclass AND NOT x.indisunique AND NOT x.indisprimary "
        + ("" if partial else "AND x.indpred IS NULL ") + "ORDER BY i.relname")]


# SQLSTATE of a SET the role may not make (session_replication_role needs superuser, or PostgreSQL
# 15's GRANT SET ON PARAMETER session_replication_role TO <role>).
_INSUFFICIENT_PRIVILEGE = "42501"


def _key_checks_off(conn: Connection) -> bool:
    """Turn off case_'s row-by-row foreign-key checks for this transaction; return False when the role may not."""
    # The two foreign keys of case_ (customer, service goal) are checked by triggers, one lookup with
    # a row lock per inserted row: 10M cases took 250 s with them and 31 s without. The import has
    # already checked every row's CVR and goal against the customers and goals it read and locked
    # FOR KEY SHARE (`_Reference.load(lock_parents=True)`), which is the guarantee those triggers give,
    # held once per parent instead of once per row. The same switch pg_restore uses; SET LOCAL, so a
    # rollback or the commit ends it, and `_key_checks_on` ends it as soon as case_ is written.
    try:
        with conn.begin_nested():  # a refused SET rolls back to here, not the import
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
    except DBAPIError as exc:
        if getattr(exc.orig, "sqlstate", None) != _INSUFFICIENT_PRIVILEGE:
            raise
        return False
    return True


def _key_checks_on(conn: Connection) -> None:
    """Turn case_'s foreign-key checks back on for the rest of the transaction."""
    conn.exec_driver_sql("SET LOCAL session_replication_role = origin")


class _Writer:
    """The writer thread's side of a load: each chunk COPYed, stored in case_ while all its cases are new, and staged."""

    def __init__(self, conn: Connection, rebuild_at: float) -> None:
        self.conn = conn
        self.raw = conn.connection.driver_connection
        self.rebuild_at = rebuild_at
        self.dropped: list[tuple[str, str]] | None = None  # the secondary indexes dropped, to build again
        self.storing = True
        self.stored = 0  # rows stored in case_ as new cases, chunk by chunk
        self.first_staged: int | None = None  # the first line not stored that way (None: every line was)
        self.key_checks: bool | None = None  # does PostgreSQL check case_'s keys row by row? (None: not asked yet)
        self.seconds = {"bg_copy": 0.0, "bg_store": 0.0}

    def _lap(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.seconds[phase] += now - since
        return now

    def checks_off(self) -> None:
        """Turn case_'s row-by-row key checks off, once per import (when the role may)."""
        if self.key_checks is None:
            self.key_checks = not _key_checks_off(self.conn)

    def drop_indexes(self) -> None:
        """Drop case_'s secondary indexes (once); `rebuild` builds them again."""
        if self.dropped is None:
            # Only case_'s owner may drop its indexes; another role's load maintains them row by row.
            owner = self.conn.exec_driver_sql(
                "SELECT pg_has_role(relowner, 'USAGE') FROM pg_class WHERE oid = 'case_'::regclass").scalar()
            # The partial indexes (open cases, reopened ones) stay: a row outside their condition costs
            # them nothing, and building each would read the whole table once more.
            self.dropped = _secondary_indexes(self.conn, partial=False) if owner else []
            for name, _ddl in self.dropped:
                self.conn.exec_driver_sql(f'DROP INDEX "{name}"')

    def rebuild(self) -> bool:
        """Build the dropped secondary indexes again; return whether there were any."""
        for _name, ddl in self.dropped or ():
            self.conn.exec_driver_sql(ddl)
        return bool(self.dropped)

    def load(self, text: str, rows: int, first_line: int, store: bool) -> None:
        """Stage one chunk of `rows` valid rows (COPY); store them in case_ too if `store` and all of them are new."""
        lap = time.perf_counter()
        # The chunk's rows are appended to the staging table from its last block on (COPY fills that
        # block up first): case_ reads them from there, by block range (a TID range scan, not the
        # whole table) and line number, so each row is COPYed once and read once.
        from_block = max(self.conn.exec_driver_sql(
            f"SELECT pg_relation_size('{_STAGING.name}') / current_setting('block_size')::int").scalar() - 1, 0)
        _stage(self.raw, text)
        lap = self._lap("bg_copy", lap)
        stored = False
        if self.storing and store:
            if self.stored + rows >= self.rebuild_at:
                self.drop_indexes()
            self.checks_off()
            # A chunk of new cases goes in whole. A reference stored already (a re-import) or repeated
            # in the file is refused by case_ref's unique index: the chunk is undone, and it and every
            # chunk after it take the staged path, which reports or updates those properly.
            self.raw.execute("SAVEPOINT kp_chunk")
            try:
                added = self.raw.execute(_INSERT_NEW, {"from_block": from_block, "first_line": first_line}).rowcount
            except psycopg.errors.UniqueViolation:
                self.raw.execute("ROLLBACK TO SAVEPOINT kp_chunk")
            else:
                if added != rows:  # the block range missed a row: never commit a partial chunk
                    raise RuntimeError(f"case import: {added} of a chunk's {rows} rows read back from staging")
                stored = True
                self.stored += rows
            self.raw.execute("RELEASE SAVEPOINT kp_chunk")
            lap = self._lap("bg_store", lap)
        if not stored:
            self.storing = False
            if self.first_staged is None:
                self.first_staged = first_line



def _check_staged(conn: Connection, report: ImportReport) -> None:
    """Report the staged lines that repeat a reference, name another customer's case, or blank a closed one."""
    conn.exec_driver_sql(f"CREATE INDEX kp_case_staging_ref ON {_STAGING.name} (case_ref, line_no)")
    conn.exec_driver_sql(f"ANALYZE {_STAGING.name}")
    _report_duplicates(conn, report)
    _report_other_customers(conn, report)
    _report_closed_cases(conn, report)


def _run_staged(session: Session, conn: Connection, chunks: Iterable[_Chunk], commit: bool,
                reopen: bool = False) -> ImportReport:
    # Only PostgreSQL comes here: `entry._run` sends SQLite to `sqlite._run_sqlite`.
    started = time.perf_counter()
    report = ImportReport()
    # One import at a time: a second waits here until the first commits or rolls back. Two at once
    # would each rewrite roll-ups and open counts from what they read before the other committed (the
    # later one then fails on a key the other wrote). Taken before the reference data is read, so
    # the waiting import checks against what the first one left.
    conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%(key)s)", {"key": IMPORT_LOCK_KEY})
    ref = dataclasses.replace(_Reference.load(session, lock_parents=True), reopen_all=reopen)
    try:
        _drop_temp_tables(conn)
        # Everything the import writes is undone here when a row is bad (also inside a caller's transaction).
        conn.exec_driver_sql("SAVEPOINT kp_import")
        _STAGING.create(conn)
        load = _Writer(conn, _rebuild_at(conn))
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        customers: set[str] = set()  # every CVR of the file's rows
        lap = time.perf_counter()
        # The writer loads chunk k while Python reads and validates chunk k + 1. One chunk in flight
        # at most, so memory stays at two chunks; the main thread does not touch the connection until
        # the writer is done with it, and leaving the block (also on an error) waits for the writer
        # before anything is rolled back.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="kp-case-copy") as writer:
            pending: Future | None = None
            for chunk in chunks:
                validated = _validate_counted(chunk, ref, report, parts, customers, as_columns=True)
                columns = validated.columns
                rows = len(columns["line_no"]) if columns is not None else 0
                text = _copy_chunk(columns) if rows else None
                first_line = int(columns["line_no"][0]) if rows else 0
                del validated, columns
                lap = report._lap("validate", lap)
                if pending is not None:
                    pending.result()  # raises the writer's error here
                    pending = None
                lap = report._lap("stage", lap)  # only the wait for the writer
                if text is not None:
                    # A file with a bad row is rolled back whole: from then on nothing is stored.
                    pending = writer.submit(load.load, text, rows, first_line, report.ok)
            if pending is not None:
                pending.result()
        lap = report._lap("stage", lap)
        for phase, seconds in load.seconds.items():
            report.phases[phase] = seconds
        staged = load.first_staged is not None
        if staged:
            _check_staged(conn, report)
            lap = report._lap("duplicates", lap)
        # Every chunk stored as new cases cannot repeat or name a stored reference: nothing to check.
        if not report.ok:
            conn.exec_driver_sql("ROLLBACK TO SAVEPOINT kp_import")
            conn.exec_driver_sql("RELEASE SAVEPOINT kp_import")
            _drop_temp_tables(conn)
            if commit:
                session.rollback()  # ends the transaction and its locks on customers and goals
            report.errors.sort(key=lambda e: e.line)
            report.open_cases = 0
            report.seconds = time.perf_counter() - started
            return report

        existing = 0
        if staged:
            old, existing = _old_versions(conn, load.first_staged)
            lap = report._lap("old_versions", lap)
            if report.rows - load.stored >= load.rebuild_at:
                load.drop_indexes()
            load.checks_off()
            # A case stored by another import between _old_versions and here makes the plain insert
            # fail on case_ref's unique constraint: the import then rolls back whole, as on any error.
            conn.exec_driver_sql(_UPSERT if existing else _INSERT_STAGED, {"first_line": load.first_staged})
            lap = report._lap("upsert", lap)
        else:
            old = {}
        if load.key_checks is False:  # turned off: on again for the roll-ups and the caller's transaction
            _key_checks_on(conn)
        report.row_key_checks = bool(load.key_checks)
        if load.rebuild():
            lap = report._lap("case_indexes", lap)
        report.rollups_recomputed, keys = _rewrite_derived(conn, old, parts, ref, customers)
        _drop_temp_tables(conn)
        conn.exec_driver_sql("RELEASE SAVEPOINT kp_import")
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
