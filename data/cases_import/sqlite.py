"""SQLite: the rows go straight into ``case_`` inside one transaction and a SAVEPOINT.

An optimistic ``INSERT ... ON CONFLICT DO NOTHING`` per chunk, and a slow path only for chunks
holding re-imported or duplicated references. Duplicates are found from the rows the insert could
not add, so the references are never kept in Python. If any row is bad, the savepoint is rolled
back and nothing is kept.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import json
import time
from collections import defaultdict
from typing import Any, Iterable

import numpy as np
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, DropIndex

from data.cases_import.readers import _Chunk
from data.cases_import.report import ImportReport, closed_case, other_customer
from data.cases_import.rollups import Contributions, _add, _rewrite_derived
from data.cases_import.validate import _Reference, _Validated, _validate_counted
from data.models import Case

# Bigger page cache for the import's connection only (KiB, negative = size); restored afterwards.
SQLITE_IMPORT_CACHE_KIB = 200_000
# SQLite: when a load is at least this share of the table, rebuilding the (cvr, goal, completed)
# index after the insert is cheaper than maintaining it row by row (about 2x on 1M rows).
SQLITE_REBUILD_INDEX_SHARE = 0.5
# One helper thread for SQLite's sorter: each costs about the cache size again in memory (10M cases:
# 23 s -> 18 s for the index rebuild, +195 MB; a second thread gives 17 s for another +195 MB, which
# would take the import past 1 GB).
SQLITE_IMPORT_SORT_THREADS = 1
_CASE_INDEX = "ix_case_cvr_goal_completed"


def _case_index_ddl(dialect: Any) -> tuple[str, str]:
    """Return (DROP, CREATE) of the case index as the model declares it (so a migration's change sticks)."""
    index = next(i for i in Case.__table__.indexes if i.name == _CASE_INDEX)
    return str(DropIndex(index).compile(dialect=dialect)), str(CreateIndex(index).compile(dialect=dialect))


# On SQLite the rows go straight into case_, one executemany per chunk, inside one transaction (a
# SAVEPOINT) that is rolled back when any row is bad: a staging table would write every row twice.
# The insert is optimistic, ``ON CONFLICT (case_ref) DO NOTHING``: in a fresh load every row goes
# in and nothing else is paid (SQLite's change counter says so). Only a chunk where some rows did
# not go in takes the slow path, which reads the stored rows of its references and tells apart
# * a re-import of a case stored before this import (row id <= the highest id at the start): its
#   stored version is taken out of the roll-ups, then the row is updated;
# * a duplicate within the file: the reference occurs earlier in the same chunk, or its row was
#   inserted by this import (id above the start), or a stored case is re-imported twice (seen at
#   the end from the ids updated). Line numbers of earlier occurrences come from the row ids:
#   SQLite gives inserted rows consecutive ids (max + 1), so each chunk keeps only its first id
#   and its lines (just the first line when they are consecutive).
# An UPDATE trigger could catch the old versions instead, but any trigger on case_ makes SQLite
# journal every row's statement, which doubles the insert time of a fresh load.
_SQLITE_COLUMNS = "case_ref, cvr, goal_id, unit_code, received_at, completed_at, days_taken, met"
_SQLITE_INSERT = f"INSERT INTO case_ ({_SQLITE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (case_ref) DO NOTHING"
_SQLITE_UPSERT = f"""
INSERT INTO case_ ({_SQLITE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (case_ref) DO UPDATE SET
    cvr = excluded.cvr, goal_id = excluded.goal_id, unit_code = excluded.unit_code,
    received_at = excluded.received_at, completed_at = excluded.completed_at,
    days_taken = excluded.days_taken, met = excluded.met,
    reopened = case_.reopened + (case_.completed_at IS NOT NULL AND excluded.completed_at IS NULL)
"""
_SQLITE_STORED = (
    "SELECT id, case_ref, cvr, goal_id, unit_code, substr(completed_at, 1, 7), days_taken, met FROM case_"
    " WHERE case_ref IN (SELECT value FROM json_each(?)) AND id <= ?"
)
# Fewer rows than this are cheaper to index row by row than to rebuild the index afterwards.
SQLITE_REBUILD_INDEX_MIN_ROWS = 100_000


def _line_block(lines: list[int]) -> int | np.ndarray:
    """Return increasing line numbers compactly: the first line when consecutive, else all of them."""
    return lines[0] if lines[-1] - lines[0] == len(lines) - 1 else np.asarray(lines, dtype=np.int64)


class _SqliteLoad:
    """The bookkeeping of one SQLite import: row ids -> lines, re-imported cases, duplicates."""

    def __init__(self, raw: Any, start_id: int, report: ImportReport) -> None:
        self.raw = raw
        self.start_id = start_id  # rows with a higher id were inserted by this import
        self.last_id = start_id
        self.report = report
        self.blocks: list[tuple[int, int, int | np.ndarray]] = []  # (first id - 1, rows, lines)
        self.updated_ids: list[np.ndarray] = []
        self.updated_lines: list[np.ndarray] = []
        self.old: dict[tuple, int] = defaultdict(int)  # (cvr, goal, unit, 'YYYY-MM', days, met) -> cases
        self.existing = 0

    def line_of(self, row_id: int) -> int:
        """Return the line that inserted row `row_id` in this import."""
        index = bisect.bisect_left(self.blocks, (row_id,)) - 1
        base, _count, lines = self.blocks[index]
        return lines + (row_id - base - 1) if isinstance(lines, int) else int(lines[row_id - base - 1])

    def load(self, validated: _Validated) -> None:
        """Insert one chunk's valid rows; re-imports and duplicates go the slow path."""
        rows = validated.rows
        before = self.raw.total_changes
        self.raw.executemany(_SQLITE_INSERT, rows)
        inserted = self.raw.total_changes - before
        if inserted == len(rows):
            self.blocks.append((self.last_id, inserted, _line_block(validated.lines)))
        else:
            self._conflicts(validated, inserted)
        self.last_id += inserted

    def _conflicts(self, validated: _Validated, inserted: int) -> None:
        refs, lines, report = validated.refs, validated.lines, self.report
        first: dict[str, int] = {}
        skipped: set[int] = set()
        for i, ref in enumerate(refs):
            j = first.setdefault(ref, i)
            if j != i:
                report.add_error(lines[i], f"sagsnummeret '{ref}' findes også i linje {lines[j]}")
                skipped.add(i)
        updates: list[tuple] = []
        ids: list[int] = []
        stored = self.raw.execute(_SQLITE_STORED, (json.dumps(list(first)), self.last_id))
        for row_id, ref, cvr, goal_id, unit, month, days, met in stored:
            i = first[ref]
            skipped.add(i)
            if row_id > self.start_id:
                report.add_error(lines[i], f"sagsnummeret '{ref}' findes også i linje {self.line_of(row_id)}")
                continue
            if cvr != validated.rows[i][1]:
                report.add_error(lines[i], other_customer(ref))
                continue
            if month is not None and validated.rows[i][5] is None and not validated.reopen[i]:
                # A blank completion never reopens a closed case by itself: the line must say so.
                report.add_error(lines[i], closed_case(ref))
                continue
            self.old[(cvr, goal_id, unit, month, days, met)] += 1
            ids.append(row_id)
            updates.append(validated.rows[i])
        went_in = [lines[i] for i in range(len(refs)) if i not in skipped]
        if len(went_in) != inserted:  # cannot happen while SQLite numbers new rows max(id) + 1
            raise RuntimeError(f"sagsimport: {inserted} rækker indsat, {len(went_in)} ventet")
        if went_in:
            self.blocks.append((self.last_id, inserted, _line_block(went_in)))
        if updates:
            self.raw.executemany(_SQLITE_UPSERT, updates)
            self.existing += len(updates)
            self.updated_ids.append(np.asarray(ids, dtype=np.int64))
            self.updated_lines.append(np.asarray([lines[first[u[0]]] for u in updates], dtype=np.int64))

    def report_reimported_twice(self) -> None:
        """Report stored cases that the file re-imports more than once (each later line)."""
        if not self.updated_ids:
            return
        ids = np.concatenate(self.updated_ids)
        lines = np.concatenate(self.updated_lines)
        order = np.lexsort((lines, ids))
        ids, lines = ids[order], lines[order]
        repeat = np.flatnonzero(ids[1:] == ids[:-1]) + 1
        if not len(repeat):
            return
        firsts = {}
        for k in repeat.tolist():
            row_id = int(ids[k])
            if row_id not in firsts:
                first_k = k
                while first_k > 0 and ids[first_k - 1] == row_id:
                    first_k -= 1
                firsts[row_id] = int(lines[first_k])
            ref = self.raw.execute("SELECT case_ref FROM case_ WHERE id = ?", (row_id,)).fetchone()[0]
            self.report.add_error(int(lines[k]), f"sagsnummeret '{ref}' findes også i linje {firsts[row_id]}")

    def old_versions(self) -> Contributions:
        """Return what the stored versions of the re-imported cases contributed to roll-ups."""
        contributions: Contributions = {}
        for (cvr, goal_id, unit, month, days, met), count in self.old.items():
            if month is not None:  # an open case counted nowhere
                key = (cvr, int(goal_id), unit, dt.date(int(month[:4]), int(month[5:7]), 1))
                _add(contributions, key, int(days), count, int(bool(met)) * count)
        return contributions


def _run_sqlite(session: Session, conn: Connection, chunks: Iterable[_Chunk], commit: bool,
                reopen: bool = False) -> ImportReport:
    started = time.perf_counter()
    report = ImportReport()
    raw = conn.connection.driver_connection
    # Our own transaction when nothing is pending: then it can take the write lock before the
    # reference data is read, so the CVRs, goals and units checked stay valid until the commit,
    # and SQLite's per-row foreign-key lookups (a third of the insert time) can be switched off.
    idle = not raw.in_transaction
    own = commit and idle
    old_cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
    old_threads = conn.exec_driver_sql("PRAGMA threads").scalar()
    old_fk = conn.exec_driver_sql("PRAGMA foreign_keys").scalar() if own else None
    conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    # A helper thread for SQLite's sorter: rebuilding the case index after a large load sorts every row.
    conn.exec_driver_sql(f"PRAGMA threads = {SQLITE_IMPORT_SORT_THREADS}")
    if own:
        conn.exec_driver_sql("PRAGMA foreign_keys = OFF")  # a no-op inside a transaction, so before BEGIN
    if idle:
        # Also for commit=False: a SAVEPOINT opening the transaction would commit it on RELEASE.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    def restore() -> None:
        # Pragmas live on the pooled connection: put them back before the session releases it. The
        # foreign-key switch only takes outside a transaction, so our own transaction is ended on the
        # driver connection first; the session's commit or rollback afterwards finds nothing left.
        raw.execute(f"PRAGMA cache_size = {int(old_cache)}")
        raw.execute(f"PRAGMA threads = {int(old_threads or 0)}")
        if old_fk is not None:
            raw.execute(f"PRAGMA foreign_keys = {int(old_fk)}")

    try:
        ref = dataclasses.replace(_Reference.load(session), reopen_all=reopen)
        raw.execute("SAVEPOINT kp_import")
        start_id = raw.execute("SELECT max(id) FROM case_").fetchone()[0] or 0
        load = _SqliteLoad(raw, start_id, report)
        # A load at least this large rebuilds the (cvr, goal, completed) index afterwards instead of
        # maintaining it row by row (about 2x faster for a large load); dropped once the load gets there.
        rebuild_at = max(SQLITE_REBUILD_INDEX_MIN_ROWS, SQLITE_REBUILD_INDEX_SHARE * start_id)
        drop_index, create_index = _case_index_ddl(conn.dialect)
        dropped = False
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        customers: set[str] = set()  # every CVR of the file's rows
        written = 0
        lap = time.perf_counter()
        for chunk in chunks:
            validated = _validate_counted(chunk, ref, report, parts, customers, with_lines=False)
            lap = report._lap("validate", lap)
            if not validated.rows:
                continue
            if not dropped and written + len(validated.rows) >= rebuild_at:
                # Transactional in SQLite: a rollback brings the index back with everything else.
                raw.execute(drop_index)
                dropped = True
            load.load(validated)
            written += len(validated.rows)
            del validated
            lap = report._lap("insert", lap)
        load.report_reimported_twice()
        if not report.ok:
            raw.execute("ROLLBACK TO kp_import")
            raw.execute("RELEASE kp_import")
            if own:
                raw.rollback()  # end the (now empty) transaction: releases the write lock
            restore()
            if own:
                session.rollback()
            report.errors.sort(key=lambda e: e.line)
            report.open_cases = 0
            report.seconds = time.perf_counter() - started
            return report
        if dropped:
            raw.execute(create_index)
            lap = report._lap("index", lap)
        old = load.old_versions()
        report.rollups_recomputed, keys = _rewrite_derived(conn, old, parts, ref, customers)
        raw.execute("RELEASE kp_import")
        lap = report._lap("rollups", lap)
        if own:
            raw.commit()
        restore()
        if commit:
            session.commit()
        lap = report._lap("commit", lap)
    except Exception:
        try:
            raw.rollback()
            restore()
        except Exception:  # noqa: BLE001 - the original error matters more
            pass
        session.rollback()
        raise
    report.updated = load.existing
    report.inserted = report.rows - load.existing
    if keys:
        report.first_month, report.last_month = min(key[3] for key in keys), max(key[3] for key in keys)
    report.seconds = time.perf_counter() - started
    return report
