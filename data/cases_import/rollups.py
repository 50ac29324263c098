"""Monthly roll-ups: the contributions of cases, and rewriting exactly the touched roll-up keys.

Roll-ups are rewritten for exactly the touched (cvr, goal, unit, month) keys: stored roll-up -
what the OLD versions of re-imported cases contributed (read before they are overwritten, so a
case whose completion, goal, unit or CVR moved leaves its old month correct) + what the new rows
contribute (aggregated in numpy while validating). This costs O(touched keys), not O(cases).
Should stored roll-ups ever disagree with the cases (a count would go negative), the touched keys
are recomputed from ``case_`` instead (`recompute_rollups`, also usable as a repair tool).

The open-case counts (``open_case_day``) are rewritten for every customer in the file from its open
cases (`refresh_open_counts`): a customer's open cases are few, and counted from their own index.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from typing import TYPE_CHECKING, Any, Collection, Sequence

import numpy as np
from sqlalchemy import (Column, Date, DateTime, Integer, MetaData, String, Table, and_, case, delete, func, insert, select,
                        true, tuple_)
from sqlalchemy.engine import Connection

from data.cases_import.readers import UNIT_CODE_MAX
from data.models import Case, MonthlyRollup, OpenCaseDay
from data.rules import add_months
from data.workdays import MIN_YEAR

if TYPE_CHECKING:
    from data.cases_import.validate import _Reference

_META = MetaData()
# Temporary tables: private to the import's connection, gone with it.
_TOUCHED_RANGE = Table(
    "kp_touched_range", _META,
    Column("cvr", String(8)),
    Column("goal_id", Integer),
    Column("month", Date),
    Column("start_at", DateTime),
    Column("end_at", DateTime),
    prefixes=["TEMPORARY"],
)
_TOUCHED_KEY = Table(
    "kp_touched_key", _META,
    Column("cvr", String(8)),
    Column("goal_id", Integer),
    Column("unit_code", String(UNIT_CODE_MAX)),
    Column("month", Date),
    prefixes=["TEMPORARY"],
)

RollupKey = tuple[str, int, str, dt.date]  # cvr, goal_id, unit_code, first day of month
Contributions = dict[RollupKey, list[Any]]  # key -> [handled, met, {days taken: count}]


def _add(target: Contributions, key: RollupKey, days: int, count: int, met: int, sign: int = 1) -> None:
    entry = target.setdefault(key, [0, 0, {}])
    entry[0] += sign * count
    entry[1] += sign * met
    entry[2][days] = entry[2].get(days, 0) + sign * count


# Roll-up contributions are aggregated in numpy as one int64 per (unit, goal, month, days, met):
# unit pair index 19 bits | goal id 16 | months since 1990-01 12 | days taken 16 | met 1. So `code >> 17` is
# the roll-up key (pair << 28 | goal << 12 | month) and `code >> 1` the key with its days taken.
_MONTH0 = (MIN_YEAR - 1970) * 12
_EPOCH_MONTH = dt.date(1970, 1, 1)  # month index 0, as numpy's datetime64[M]


def _encode(pair: np.ndarray, goal: np.ndarray, month: np.ndarray, days: np.ndarray, met: np.ndarray) -> np.ndarray:
    if len(pair) and (pair.max() >= 1 << 19 or goal.max() >= 1 << 16 or days.max() >= 1 << 16):
        raise ValueError("for mange enheder, servicemål eller dage til at samle månedstal")
    return ((((pair << 16 | goal) << 12 | (month - _MONTH0)) << 16 | days) << 1) | met.astype(np.int64)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day)


def _month_from_index(index: int) -> dt.date:
    return add_months(_EPOCH_MONTH, index)


def _insert_rows(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert plain tuples in bulk (PostgreSQL: COPY; SQLite: one executemany), bypassing per-row ORM/Core handling."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        # COPY, not executemany: 59,000 roll-up rows took 0.11 s instead of 0.94 s.
        with conn.connection.driver_connection.cursor() as cursor:
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES (?{', ?' * (len(columns) - 1)})", rows)


def _bind_date(conn: Connection, value: dt.date) -> Any:
    # SQLite stores dates as text in SQLAlchemy's format; PostgreSQL takes the object.
    return value.isoformat() if conn.dialect.name == "sqlite" else value


def _bind_datetime(conn: Connection, value: dt.datetime) -> Any:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if conn.dialect.name == "sqlite" else value


def _new_versions(parts: list[tuple[np.ndarray, np.ndarray]], ref: _Reference) -> Contributions:
    """Sum the per-chunk numpy aggregates of the imported (closed) cases into roll-up contributions."""
    contributions: Contributions = {}
    if not parts:
        return contributions
    codes, inverse = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
    counts = np.bincount(inverse, weights=np.concatenate([p[1] for p in parts])).astype(np.int64)
    # Codes are sorted, so each roll-up key (the bits above days and met) and each (key, days) is a
    # run: sums per run in numpy, one Python step per key and per histogram bar.
    key_bits, bar_bits = codes >> 17, codes >> 1

    def runs(bits: np.ndarray) -> np.ndarray:
        return np.flatnonzero(np.concatenate(([True], bits[1:] != bits[:-1])))

    bars, keys = runs(bar_bits), runs(key_bits)
    bar_counts = np.add.reduceat(counts, bars).tolist()
    bar_days = (bar_bits[bars] & 0xFFFF).tolist()
    handled = np.add.reduceat(counts, keys).tolist()
    met = np.add.reduceat(counts * (codes & 1), keys).tolist()
    key_values = key_bits[keys]
    first_bar = np.searchsorted(key_bits[bars], key_values).tolist() + [len(bars)]
    months = {m: _month_from_index(m + _MONTH0) for m in np.unique(key_values & 0xFFF).tolist()}
    pairs = ref.pairs
    for i, (pair, goal, month) in enumerate(zip((key_values >> 28).tolist(), ((key_values >> 12) & 0xFFFF).tolist(),
                                                (key_values & 0xFFF).tolist())):
        cvr, unit = pairs[pair]
        lo, hi = first_bar[i], first_bar[i + 1]
        contributions[(cvr, goal, unit, months[month])] = [handled[i], met[i], dict(zip(bar_days[lo:hi], bar_counts[lo:hi]))]
    return contributions


def _histogram_json(histogram: dict[int, int]) -> str:
    # What json.dumps({"0": n, ...}) gives for days in ascending order (empty bars left out), built directly.
    return "{" + ", ".join(f'"{day}": {histogram[day]}' for day in sorted(histogram) if histogram[day]) + "}"


def _touched_rollup() -> Any:
    """Return the condition "this roll-up row's key is in the touched-key table".

    A row-value IN (subquery), not a correlated EXISTS: SQLite would scan the unindexed temporary
    table once per roll-up row (minutes when a large re-import touches 50,000 keys); with IN it
    builds one lookup index from the subquery, and PostgreSQL plans a hash semi-join either way.
    """
    k = _TOUCHED_KEY.c
    return tuple_(MonthlyRollup.cvr, MonthlyRollup.goal_id, MonthlyRollup.unit_code, MonthlyRollup.month).in_(
        select(k.cvr, k.goal_id, k.unit_code, k.month))


def _apply_rollups(conn: Connection, old: Contributions, new: Contributions) -> int:
    """Rewrite the roll-ups of exactly the touched keys: stored - old versions + new versions.

    Returns the number of keys touched. If the stored roll-ups turn out inconsistent with the
    cases (a count would go negative), the touched keys are recomputed from the cases instead.
    """
    keys = set(old) | set(new) if old else set(new)
    if not keys:
        return 0
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_TOUCHED_KEY.name}")
    _TOUCHED_KEY.create(conn)
    bound = {month: _bind_date(conn, month) for month in {key[3] for key in keys}}
    _insert_rows(conn, _TOUCHED_KEY.name, ("cvr", "goal_id", "unit_code", "month"),
                 [(cvr, goal_id, unit, bound[month]) for cvr, goal_id, unit, month in keys])
    merged: Contributions = {}
    stored = select(MonthlyRollup.cvr, MonthlyRollup.goal_id, MonthlyRollup.unit_code, MonthlyRollup.month,
                    MonthlyRollup.handled, MonthlyRollup.met, MonthlyRollup.days_histogram).where(_touched_rollup())
    for cvr, goal_id, unit, month, handled, met, histogram in conn.execute(stored):
        merged[(cvr, goal_id, unit, month)] = [handled, met, {int(day): n for day, n in (histogram or {}).items()}]
    if merged or old:
        for source, sign in ((old, -1), (new, 1)):
            for key, (handled, met, histogram) in source.items():
                entry = merged.setdefault(key, [0, 0, {}])
                entry[0] += sign * handled
                entry[1] += sign * met
                for day, n in histogram.items():
                    entry[2][day] = entry[2].get(day, 0) + sign * n
        conn.execute(delete(MonthlyRollup).where(_touched_rollup()))
        consistent = all(
            0 <= met <= handled and all(n >= 0 for n in hist.values()) and sum(hist.values()) == handled
            for handled, met, hist in merged.values()
        )
    else:
        merged, consistent = new, True  # nothing stored, nothing taken out: the new counts as they are
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {_TOUCHED_KEY.name}")
    if not consistent:
        recompute_rollups(conn, keys)
        return len(keys)
    for month in {key[3] for key in merged} - bound.keys():
        bound[month] = _bind_date(conn, month)
    _insert_rows(conn, MonthlyRollup.__tablename__,
                 ("cvr", "goal_id", "unit_code", "month", "handled", "met", "days_histogram"), [
                     (cvr, goal_id, unit, bound[month], handled, met, _histogram_json(hist))
                     for (cvr, goal_id, unit, month), (handled, met, hist) in merged.items() if handled > 0
                 ])
    return len(keys)


def recompute_rollups(conn: Connection, keys: set[RollupKey]) -> int:
    """Recompute ``monthly_rollup`` for exactly `keys` by aggregating the cases; return rows written."""
    # The repair path (and the fallback of `_apply_rollups`): it reads every case of the keys, so
    # imports normally update roll-ups from their own aggregates instead.
    #
    # Keys whose cases all moved away lose their roll-up row. Reads cases through the
    # (cvr, goal_id, completed_at) index, one range per (cvr, goal, month).
    if not keys:
        return 0
    for table in (_TOUCHED_RANGE, _TOUCHED_KEY):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
        table.create(conn)
    ranges = {(cvr, goal_id, month) for cvr, goal_id, _unit, month in keys}
    d, ts = functools.partial(_bind_date, conn), functools.partial(_bind_datetime, conn)
    _insert_rows(conn, _TOUCHED_RANGE.name, ("cvr", "goal_id", "month", "start_at", "end_at"), [
        (cvr, goal_id, d(month), ts(dt.datetime(month.year, month.month, 1)), ts(_midnight(add_months(month, 1))))
        for cvr, goal_id, month in ranges
    ])
    _insert_rows(conn, _TOUCHED_KEY.name, ("cvr", "goal_id", "unit_code", "month"),
                 [(cvr, goal_id, unit, d(month)) for cvr, goal_id, unit, month in keys])
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"ANALYZE {_TOUCHED_RANGE.name}")

    r = _TOUCHED_RANGE.c
    stmt = (
        select(Case.cvr, Case.goal_id, Case.unit_code, r.month, Case.days_taken, func.count(),
               func.sum(case((Case.met == true(), 1), else_=0)))
        .select_from(_TOUCHED_RANGE.join(Case, and_(
            Case.cvr == r.cvr, Case.goal_id == r.goal_id,
            Case.completed_at >= r.start_at, Case.completed_at < r.end_at)))
        .group_by(Case.cvr, Case.goal_id, Case.unit_code, r.month, Case.days_taken)
    )
    totals: dict[RollupKey, list[Any]] = {}
    for cvr, goal_id, unit, month, days, count, met in conn.execute(stmt):
        key = (cvr, int(goal_id), unit, month)
        if key not in keys:
            continue  # same goal and month but another unit: not touched, left as it is
        entry = totals.setdefault(key, [0, 0, {}])
        entry[0] += int(count)
        entry[1] += int(met or 0)
        entry[2][int(days)] = entry[2].get(int(days), 0) + int(count)

    conn.execute(delete(MonthlyRollup).where(_touched_rollup()))
    values = [
        (cvr, goal_id, unit, d(month), handled, met, json.dumps({str(day): hist[day] for day in sorted(hist)}))
        for (cvr, goal_id, unit, month), (handled, met, hist) in totals.items()
    ]
    _insert_rows(conn, MonthlyRollup.__tablename__,
                 ("cvr", "goal_id", "unit_code", "month", "handled", "met", "days_histogram"), values)
    for table in (_TOUCHED_RANGE, _TOUCHED_KEY):
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")
    return len(values)



def _rewrite_derived(conn: Connection, old: Contributions, parts: list[tuple[np.ndarray, np.ndarray]],
                     ref: _Reference, customers: set[str]) -> tuple[int, set[RollupKey]]:
    """Rewrite what the pages read after an import's cases are written; return the roll-up keys rewritten and touched."""
    # Both back ends end their write with this: the touched roll-ups (stored - `old` + the file's
    # closed cases in `parts`) and the open counts of every customer in the file.
    new = _new_versions(parts, ref)
    rewritten = _apply_rollups(conn, old, new)
    refresh_open_counts(conn, customers)
    return rewritten, set(old) | set(new)

# Above this many customers in one import, every customer's open counts are rewritten at once: one
# statement instead of many IN lists (a large file names most customers anyway).
_OPEN_COUNTS_ALL_FROM = 500


def refresh_open_counts(conn: Connection, cvrs: Collection[str] | None = None) -> None:
    """Rewrite ``open_case_day`` of `cvrs` (None: every customer) from their open cases."""
    # Counted from the partial index of open cases (ix_case_open holds every column read). date() is
    # the day of a timestamp on SQLite and PostgreSQL alike; a case is overdue by its day of receipt only.
    day = func.date(Case.received_at, type_=Date)
    counted = (select(Case.cvr, Case.goal_id, Case.unit_code, day, func.count())
               .where(Case.completed_at.is_(None))
               .group_by(Case.cvr, Case.goal_id, Case.unit_code, day))
    columns = ["cvr", "goal_id", "unit_code", "received_on", "open_cases"]
    if cvrs is None or len(cvrs) >= _OPEN_COUNTS_ALL_FROM:
        conn.execute(delete(OpenCaseDay))
        conn.execute(insert(OpenCaseDay).from_select(columns, counted))
        return
    if not cvrs:
        return
    part = sorted(cvrs)
    conn.execute(delete(OpenCaseDay).where(OpenCaseDay.cvr.in_(part)))
    conn.execute(insert(OpenCaseDay).from_select(columns, counted.where(Case.cvr.in_(part))))
