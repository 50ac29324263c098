"""The one import path for cases (Sager): validate, write, and update monthly roll-ups incrementally.

Used by `flask import-cases FILE` (data/cli_cases.py) and by the demo seeder.

How it works, and why:

1. **Validate.** Records are read in chunks (a CSV/XLSX file is streamed, never loaded whole).
   Each chunk is validated column-wise: CVR, unit and goal once per distinct value, dates parsed
   by numpy in C, days taken and met computed vectorised (`data.workdays`, `data.rules`), and
   timestamps written back as SQLAlchemy's text with lookup tables. Python holds one chunk at a
   time, so memory stays flat however large the file.
2. **Write.** SQLite: straight into ``case_`` inside one transaction and a SAVEPOINT (see
   "SQLite: straight into case_" below): an optimistic ``INSERT ... ON CONFLICT DO NOTHING`` per
   chunk, and a slow path only for chunks holding re-imported or duplicated references.
   PostgreSQL: COPY into a TEMPORARY staging table, then one ``INSERT ... SELECT ... ON CONFLICT
   (case_ref) DO UPDATE``.
3. **Duplicates** of a case reference within the file are errors wherever they occur (same chunk
   or not). SQLite finds them from the rows the insert could not add; PostgreSQL in SQL on the
   staging table (an index on case_ref). Neither keeps the references in Python.
4. **Atomic.** If any row is bad, nothing is kept (SQLite: the savepoint is rolled back;
   PostgreSQL: only the temporary table was written) and an `ImportReport` lists every bad row
   (line number + Danish reason, up to MAX_REPORTED_ERRORS; `error_count` is always the full count).
5. **Re-import** of a case reference updates its case; it is never counted twice.
6. **Roll-ups** are rewritten for exactly the touched (cvr, goal, unit, month) keys: stored
   roll-up - what the OLD versions of re-imported cases contributed (read before they are
   overwritten, so a case whose completion, goal, unit or CVR moved leaves its old month correct)
   + what the new rows contribute (aggregated in numpy while validating). This costs O(touched
   keys), not O(cases). Should stored roll-ups ever disagree with the cases (a count would go
   negative), the touched keys are recomputed from ``case_`` instead (`recompute_rollups`, also
   usable as a repair tool).

Line numbers: for files, the physical line (CSV) or sheet row (XLSX) with the header on line 1;
for `import_case_records`, the record's position counted from `first_line` (default 1).
`ImportReport.phases` gives the seconds of each step (validate, insert/stage, index, ...).
"""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import functools
import io
import json
import time
import warnings
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    delete,
    extract,
    func,
    select,
    true,
    tuple_,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, DropIndex

from data.models import AccountingUnit, Case, Customer, MonthlyRollup, PayrollGroup, ServiceGoal
from data.rules import RuleKind, by_day_deadline
from data.workdays import MAX_YEAR, MIN_YEAR, busday_calendar

FIELDS: tuple[str, ...] = ("cvr", "goal_code", "unit_code", "case_ref", "received_at", "completed_at")
REQUIRED_COLUMNS: tuple[str, ...] = FIELDS[:5]  # completed_at may be left out: every case is then open
DEFAULT_CHUNK_SIZE = 50_000
MAX_REPORTED_ERRORS = 100_000
CASE_REF_MAX = 64
UNIT_CODE_MAX = 20
LOCAL_TZ = ZoneInfo("Europe/Copenhagen")
# Bigger page cache for the import's connection only (KiB, negative = size); restored afterwards.
SQLITE_IMPORT_CACHE_KIB = 200_000

_META = MetaData()
# Temporary tables: private to the import's connection, gone with it.
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
    prefixes=["TEMPORARY"],
)
_STAGING_COLUMNS = ("line_no", "case_ref", "cvr", "goal_id", "unit_code", "received_at", "completed_at", "days_taken", "met")
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
_TEMP_TABLES = (_STAGING, _TOUCHED_RANGE, _TOUCHED_KEY)

RollupKey = tuple[str, int, str, dt.date]  # cvr, goal_id, unit_code, first day of month


# --- the report --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One bad row: its line number and the Danish reason(s)."""

    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import did, or why it did nothing.

    ``ok`` is False when any row was bad; then nothing was written and ``errors`` lists the bad
    rows (at most MAX_REPORTED_ERRORS, in line order) while ``error_count`` counts all of them.
    """

    rows: int = 0
    inserted: int = 0
    updated: int = 0
    open_cases: int = 0
    rollups_recomputed: int = 0
    first_month: dt.date | None = None
    last_month: dt.date | None = None
    seconds: float = 0.0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    # Seconds per phase (read+validate, stage, index, duplicates, upsert, roll-ups, commit): for benchmarks.
    phases: dict[str, float] = field(default_factory=dict)

    def _lap(self, phase: str, since: float) -> float:
        now = time.perf_counter()
        self.phases[phase] = self.phases.get(phase, 0.0) + now - since
        return now

    @property
    def ok(self) -> bool:
        """Tell whether the import was written (no bad rows)."""
        return self.error_count == 0

    @property
    def cases_per_second(self) -> float:
        """Return the throughput of the import in rows per second."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def add_error(self, line: int, reason: str) -> None:
        """Record one bad row (kept in the list up to MAX_REPORTED_ERRORS)."""
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(line, reason))

    def summary_lines(self) -> list[str]:
        """Return the Danish summary of the import (or of its bad rows) line by line."""
        if not self.ok:
            lines = [f"Importen er afvist: {self.error_count} fejlbehæftede rækker ud af {self.rows}. Intet er gemt."]
            lines += [f"Linje {e.line}: {e.reason}" for e in sorted(self.errors, key=lambda e: e.line)]
            if self.error_count > len(self.errors):
                lines.append(f"… og {self.error_count - len(self.errors)} fejl mere.")
            return lines
        lines = [
            f"{self.rows} sager indlæst: {self.inserted} nye og {self.updated} opdaterede"
            f" ({self.open_cases} åbne sager tæller først, når de er afsluttet).",
            f"{self.rollups_recomputed} månedstal genberegnet.",
        ]
        if self.first_month and self.last_month:
            lines.append(f"Berørte måneder: {self.first_month:%m-%Y} til {self.last_month:%m-%Y}.")
        if self.seconds > 0:
            lines.append(f"Tid: {self.seconds:.1f} s ({self.cases_per_second:,.0f} sager/s).".replace(",", "."))
        return lines


# --- reading input -----------------------------------------------------------------------------


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


def _shown(value: str, limit: int) -> str:
    """Return the start of a file's value for a report line, control characters replaced."""
    # A terminal would run an escape sequence, and a newline would forge a report line.
    return "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in value[:limit])


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


# --- validation of one chunk -------------------------------------------------------------------


@dataclass(frozen=True)
class _Reference:
    """The small reference data every row is checked against (loaded once per import)."""

    cvrs: frozenset[str]
    goals: dict[str, tuple[int, str, int]]  # upper-case code -> (id, rule_kind, rule_value)
    units: dict[tuple[str, str], int]  # (cvr, unit_code) -> position in `pairs`
    pairs: tuple[tuple[str, str], ...]

    @classmethod
    def load(cls, session: Session) -> "_Reference":
        cvrs = frozenset(session.scalars(select(Customer.cvr)))
        goals = {code.upper(): (gid, kind, int(value))
                 for gid, code, kind, value in session.execute(select(ServiceGoal.id, ServiceGoal.code, ServiceGoal.rule_kind, ServiceGoal.rule_value))}
        pairs = tuple(sorted(
            (cvr, code)
            for model in (AccountingUnit, PayrollGroup)
            for cvr, code in session.execute(select(model.cvr, model.code))
        ))
        return cls(cvrs, goals, {pair: i for i, pair in enumerate(pairs)}, pairs)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # spreadsheets turn 33391005 into 33391005.0
    return str(value).strip()


def _texts(values: list[Any]) -> list[str]:
    return [v.strip() if type(v) is str else _text(v) for v in values]


_DANISH_FORMATS = ("%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y %H:%M", "%d-%m-%Y %H:%M:%S",
                   "%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S")


def _parse_one(value: Any) -> dt.datetime | None:
    """Return a naive local datetime, None for blank; raise ValueError when malformed."""
    if value is None:
        return None
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        try:
            result = dt.datetime.fromisoformat(s)
        except ValueError:
            for fmt in _DANISH_FORMATS:
                try:
                    result = dt.datetime.strptime(s, fmt)
                    break
                except ValueError:
                    continue
            else:
                raise
    elif isinstance(value, dt.datetime):
        result = value
    elif isinstance(value, dt.date):
        result = dt.datetime(value.year, value.month, value.day)
    else:
        raise ValueError(value)
    if result.tzinfo is not None:
        result = result.astimezone(LOCAL_TZ).replace(tzinfo=None)
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        raise ValueError(value)
    return result


# Lengths of 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM', '... HH:MM:SS' and '... HH:MM:SS.f' to '.ffffff'; 0 = blank.
_ISO_LENGTHS = frozenset({0, 10, 16, 19, 21, 22, 23, 24, 25, 26})
_NAT = np.datetime64("NaT", "us")
_FIRST_ALLOWED = np.datetime64(f"{MIN_YEAR}-01-01", "us")
_AFTER_ALLOWED = np.datetime64(f"{MAX_YEAR + 1}-01-01", "us")


def _parse_dates(values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Parse a column of dates into datetime64[us] (NaT = blank or bad) and a mask of bad values.

    numpy parses well-formed ISO strings, dates and datetimes in C; anything else (padded
    strings, Danish formats, time zones, garbage) goes one by one through `_parse_one`.
    """
    n = len(values)
    odd = [i for i, v in enumerate(values)
           if not ((type(v) is str and len(v) in _ISO_LENGTHS) or v is None or isinstance(v, dt.date))]
    fast = values
    if odd:
        fast = list(values)
        for i in odd:
            fast[i] = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # numpy only warns about time zones: treat as malformed here
            parsed = np.array(fast, dtype="datetime64[us]")
    except (ValueError, TypeError, OverflowError, Warning):
        parsed = np.full(n, _NAT)
        odd = list(range(n))
    bad = np.zeros(n, dtype=bool)
    for i in odd:
        try:
            value = _parse_one(values[i])
        except (ValueError, TypeError, OverflowError):
            bad[i] = True
            continue
        if value is not None:
            parsed[i] = np.datetime64(value, "us")
    out_of_range = (parsed < _FIRST_ALLOWED) | (parsed >= _AFTER_ALLOWED)  # NaT compares False
    if out_of_range.any():
        bad |= out_of_range
        parsed[out_of_range] = _NAT
    return parsed, bad


# --- writing timestamps as SQLAlchemy stores them in SQLite ---------------------------------------
#
# SQLAlchemy keeps SQLite DATETIMEs as text 'YYYY-MM-DD HH:MM:SS.ffffff', and range filters compare
# that text, so every value must have exactly this form. numpy's datetime_as_string takes ~300 ns
# a value; these tables take ~60: each output string is 13 little-endian uint64 words of two UCS-4
# characters, filled by looking up whole words ("20", "24", "-0", "3-", ...) and viewed as '<U26'.


def _word(a: str, b: str) -> int:
    return int(np.array([ord(a), ord(b)], dtype="<u4").view("<u8")[0])


_DIGITS = "0123456789"
_TWO = np.array([_word(_DIGITS[i // 10], _DIGITS[i % 10]) for i in range(100)], dtype="<u8")  # "NN"


def _words(before: str, after: str) -> np.ndarray:
    # before + digit (when `before` is given), else digit + after, for the digits 0..9
    return np.array([_word(before, d) if before else _word(d, after) for d in _DIGITS], dtype="<u8")


_DASH_D, _D_DASH, _SPACE_D = _words("-", ""), _words("", "-"), _words(" ", "")
_D_COLON, _COLON_D, _D_DOT = _words("", ":"), _words(":", ""), _words("", ".")
_US_PER_DAY = 86_400_000_000


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (year, month, day) of days since 1970-01-01 (proleptic Gregorian, as numpy's datetime64)."""
    # H. Hinnant's civil_from_days in integer arithmetic.
    z = days + 719_468
    era = z // 146_097
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    return yoe + era * 400 + (month <= 2), month, day


def _date_words(first: int, last: int) -> np.ndarray:
    """Return the words of 'YYYY-MM-DD' for each day from `first` to `last` (days since 1970)."""
    year, month, day = _civil(np.arange(first, last + 1, dtype=np.int64))
    words = np.empty((len(year), 5), dtype="<u8")
    words[:, 0], words[:, 1] = _TWO[year // 100], _TWO[year % 100]
    words[:, 2], words[:, 3], words[:, 4] = _DASH_D[month // 10], _D_DASH[month % 10], _TWO[day]
    return words


@functools.lru_cache(maxsize=1)
def _time_words() -> np.ndarray:
    """Return the (read-only) words of ' HH:MM:SS.' for every second of a day."""
    second = np.arange(86_400, dtype=np.int64)
    hour, minute, second = second // 3600, second // 60 % 60, second % 60
    words = np.empty((86_400, 5), dtype="<u8")
    words[:, 0], words[:, 1], words[:, 2] = _SPACE_D[hour // 10], _D_COLON[hour % 10], _TWO[minute]
    words[:, 3], words[:, 4] = _COLON_D[second // 10], _D_DOT[second % 10]
    words.flags.writeable = False
    return words


def _format_datetimes(values: np.ndarray) -> list[str | None]:
    """Return datetime64[us] values as 'YYYY-MM-DD HH:MM:SS.ffffff' strings (None for NaT)."""
    n = len(values)
    if n == 0:
        return []
    nat = np.isnat(values)
    micros = values.astype(np.int64)
    if nat.all():
        return [None] * n
    if nat.any():
        micros = np.where(nat, micros[~nat].min(), micros)
    days = micros // _US_PER_DAY
    rest = micros - days * _US_PER_DAY
    seconds = rest // 1_000_000
    fraction = rest - seconds * 1_000_000
    first = int(days.min())
    words = np.empty((n, 13), dtype="<u8")
    words[:, 0:5] = np.take(_date_words(first, int(days.max())), days - first, axis=0)
    words[:, 5:10] = np.take(_time_words(), seconds, axis=0)
    if fraction.any():
        words[:, 10], words[:, 11], words[:, 12] = _TWO[fraction // 10_000], _TWO[fraction // 100 % 100], _TWO[fraction % 100]
    else:
        words[:, 10:13] = _TWO[0]
    out: list[str | None] = words.view("<U26").ravel().tolist()
    for i in np.flatnonzero(nat).tolist():
        out[i] = None
    return out


def _factorize(values: Sequence[Any]) -> tuple[np.ndarray, list[str]]:
    """Return (codes, texts) for a column with few distinct values: row i holds texts[codes[i]].

    Texts are cleaned like `_text` (blank and None -> ""), but once per distinct value instead of
    once per row; pandas finds the distinct values in C.
    """
    import pandas as pd

    try:
        codes, uniques = pd.factorize(np.fromiter(values, dtype=object, count=len(values)))
    except TypeError:  # an unhashable value: clean row by row first
        codes, uniques = pd.factorize(np.fromiter(_texts(list(values)), dtype=object, count=len(values)))
    texts = [_text(u) for u in uniques.tolist()] + [""]
    codes = np.asarray(codes, dtype=np.int64)
    codes[codes < 0] = len(texts) - 1  # None and NaN
    return codes, texts


@dataclass
class _Validated:
    """The valid rows of one chunk, ready for the staging table, and their roll-up keys."""

    rows: list[tuple]  # (line_no if with_lines,) case_ref, cvr, goal_id, unit_code, received, completed, days, met
    agg: tuple[np.ndarray, np.ndarray]  # unique contribution codes (see _encode) and their counts
    open_cases: int
    lines: list[int] = field(default_factory=list)  # line numbers of `rows`
    refs: list[str] = field(default_factory=list)  # case references of `rows`


def _validate_chunk(chunk: _Chunk, ref: _Reference, report: ImportReport, with_lines: bool = True) -> _Validated:
    n = len(chunk.lines)
    columns = chunk.columns
    # CVR, unit and goal repeat a lot: cleaned and looked up once per distinct value, then by code.
    cvr_codes, cvr_texts = _factorize(columns["cvr"])
    unit_codes, unit_texts = _factorize(columns["unit_code"])
    goal_codes, goal_texts = _factorize(columns["goal_code"])
    refs = _texts(columns["case_ref"])
    rec_all, bad_received = _parse_dates(columns["received_at"])
    comp_all, bad_completed = _parse_dates(columns["completed_at"])

    width = len(unit_texts)
    pairs, pair_of_row = np.unique(cvr_codes * width + unit_codes, return_inverse=True)
    known_units = ref.units
    pair_idx = np.array([known_units.get((cvr_texts[p // width], unit_texts[p % width]), -1) for p in pairs.tolist()],
                        dtype=np.int64)[pair_of_row]
    goal_specs = [ref.goals.get(text.upper()) for text in goal_texts]
    goal_ids = np.array([g[0] if g else -1 for g in goal_specs], dtype=np.int64)[goal_codes]
    ref_lengths = np.fromiter(map(len, refs), dtype=np.int64, count=n)

    problems: dict[int, list[str]] = defaultdict(list)
    # Cheap whole-chunk scans first; reasons are only worked out for the rows that fail.
    for i in np.flatnonzero(pair_idx < 0).tolist():
        cvr, unit = cvr_texts[cvr_codes[i]], unit_texts[unit_codes[i]]
        if cvr not in ref.cvrs:
            problems[i].append("CVR-nummer mangler" if not cvr else f"ukendt CVR-nummer '{_shown(cvr, 20)}'")
        else:
            problems[i].append("enhed mangler" if not unit
                               else f"enheden '{_shown(unit, 30)}' er ikke en bogføringskreds eller løngruppe hos CVR-nummer {cvr}")
    for i in np.flatnonzero(goal_ids < 0).tolist():
        code = goal_texts[goal_codes[i]]
        problems[i].append("servicemål mangler" if not code else f"ukendt servicemål '{_shown(code, 20)}'")
    for i in np.flatnonzero((ref_lengths == 0) | (ref_lengths > CASE_REF_MAX)).tolist():
        problems[i].append("sagsnummer mangler" if not refs[i] else f"sagsnummeret er længere end {CASE_REF_MAX} tegn")
    if not "".join(refs).isprintable():  # one C-speed scan; rows only looked at when something is off
        for i, case_ref in enumerate(refs):
            if not case_ref.isprintable():
                problems[i].append("sagsnummeret indeholder kontroltegn")
    for i in np.flatnonzero(bad_received).tolist():
        problems[i].append(f"ugyldig modtagelsesdato '{_shown(_text(columns['received_at'][i]), 30)}'")
    for i in np.flatnonzero(bad_completed).tolist():
        problems[i].append(f"ugyldig afslutningsdato '{_shown(_text(columns['completed_at'][i]), 30)}'")
    for i in np.flatnonzero(np.isnat(rec_all) & ~bad_received).tolist():
        problems[i].append("modtagelsesdato mangler")
    reversed_ = comp_all < rec_all  # NaT compares False
    if reversed_.any():
        # Many systems give the completion as a date alone (midnight): on the day of receipt that is the
        # same day, which the rules count as 0 days taken, not a completion before the receipt.
        comp_day = comp_all.astype("datetime64[D]")
        reversed_ &= ~((comp_all == comp_day) & (comp_day == rec_all.astype("datetime64[D]")))
    for i in np.flatnonzero(reversed_).tolist():
        problems[i].append("afslutningsdato ligger før modtagelsesdato")
    for i in sorted(problems):
        report.add_error(chunk.lines[i], "; ".join(problems[i]))

    lines = chunk.lines
    if problems:
        keep = np.ones(n, dtype=bool)
        keep[list(problems)] = False
        kept = np.flatnonzero(keep)
        lines = [lines[i] for i in kept.tolist()]
        refs = [refs[i] for i in kept.tolist()]
        cvr_codes, unit_codes, goal_codes = cvr_codes[kept], unit_codes[kept], goal_codes[kept]
        pair_idx, goal_ids, rec, comp = pair_idx[kept], goal_ids[kept], rec_all[kept], comp_all[kept]
    else:
        rec, comp = rec_all, comp_all
    m = len(lines)
    if m == 0:
        return _Validated([], (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)), 0)

    closed = ~np.isnat(comp)
    specs = [g or (0, "", 0) for g in goal_specs]
    rule_values = np.array([g[2] for g in specs], dtype=np.int64)[goal_codes]
    by_day = np.array([g[1] == RuleKind.BY_DAY_OF_MONTH for g in specs], dtype=bool)[goal_codes]

    days = np.full(m, -1, dtype=np.int64)
    met = np.zeros(m, dtype=bool)
    if closed.any():
        rec_d = rec[closed].astype("datetime64[D]")
        comp_d = comp[closed].astype("datetime64[D]")
        lo = int(rec_d.min().astype("datetime64[Y]").astype(int)) + 1970
        hi = int(comp_d.max().astype("datetime64[Y]").astype(int)) + 1971
        one = np.timedelta64(1, "D")
        taken = np.busday_count(rec_d + one, comp_d + one, busdaycal=busday_calendar(lo, hi))
        values_c, by_day_c = rule_values[closed], by_day[closed]
        met_c = taken <= values_c
        if by_day_c.any():
            for day in np.unique(values_c[by_day_c]):
                sel = by_day_c & (values_c == day)
                met_c[sel] = comp_d[sel] <= by_day_deadline(rec_d[sel], int(day))
        days[closed] = taken
        met[closed] = met_c

    rec_s = _format_datetimes(rec)
    comp_s = _format_datetimes(comp)  # None for open cases
    days_l: list[Any] = days.tolist()
    met_l: list[Any] = met.tolist()
    open_idx = np.flatnonzero(~closed).tolist()
    for i in open_idx:
        days_l[i] = met_l[i] = None
    cvrs = np.array(cvr_texts, dtype=object)[cvr_codes].tolist()
    units = np.array(unit_texts, dtype=object)[unit_codes].tolist()
    goal_l = goal_ids.tolist()
    if with_lines:
        rows = list(zip(lines, refs, cvrs, goal_l, units, rec_s, comp_s, days_l, met_l))
    else:
        rows = list(zip(refs, cvrs, goal_l, units, rec_s, comp_s, days_l, met_l))

    if closed.any():
        months = comp.astype("datetime64[M]").astype(np.int64)
        codes = _encode(pair_idx[closed], goal_ids[closed], months[closed], days[closed], met[closed])
        agg = np.unique(codes, return_counts=True)
    else:
        agg = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    return _Validated(rows, agg, len(open_idx), lines, refs)


# Roll-up contributions are aggregated in numpy as one int64 per (unit, goal, month, days, met):
# unit pair index 19 bits | goal id 16 | months since 1990-01 12 | days taken 16 | met 1. So `code >> 17` is
# the roll-up key (pair << 28 | goal << 12 | month) and `code >> 1` the key with its days taken.
_MONTH0 = (MIN_YEAR - 1970) * 12


def _encode(pair: np.ndarray, goal: np.ndarray, month: np.ndarray, days: np.ndarray, met: np.ndarray) -> np.ndarray:
    if len(pair) and (pair.max() >= 1 << 19 or goal.max() >= 1 << 16 or days.max() >= 1 << 16):
        raise ValueError("for mange enheder, servicemål eller dage til at samle månedstal")
    return ((((pair << 16 | goal) << 12 | (month - _MONTH0)) << 16 | days) << 1) | met.astype(np.int64)


def _month_from_index(index: int) -> dt.date:
    return dt.date(1970 + index // 12, index % 12 + 1, 1)


# --- database work -------------------------------------------------------------------------------


def _drop_temp_tables(conn: Connection) -> None:
    for table in _TEMP_TABLES:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table.name}")


def _stage(conn: Connection, rows: list[tuple]) -> None:
    """Bulk-insert validated rows into the staging table (COPY on PostgreSQL)."""
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor:
            with cursor.copy(f"COPY {_STAGING.name} ({', '.join(_STAGING_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    marks = ", ".join(["?"] * len(_STAGING_COLUMNS))
    conn.exec_driver_sql(f"INSERT INTO {_STAGING.name} ({', '.join(_STAGING_COLUMNS)}) VALUES ({marks})", rows)


def _insert_rows(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple]) -> None:
    """Insert plain tuples with one executemany, bypassing per-row ORM/Core parameter handling."""
    if not rows:
        return
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})", rows)


def _bind_date(conn: Connection, value: dt.date) -> Any:
    # SQLite stores dates as text in SQLAlchemy's format; PostgreSQL takes the object.
    return value.isoformat() if conn.dialect.name == "sqlite" else value


def _bind_datetime(conn: Connection, value: dt.datetime) -> Any:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if conn.dialect.name == "sqlite" else value


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


Contributions = dict[RollupKey, list[Any]]  # key -> [handled, met, {days taken: count}]


def _add(target: Contributions, key: RollupKey, days: int, count: int, met: int, sign: int = 1) -> None:
    entry = target.setdefault(key, [0, 0, {}])
    entry[0] += sign * count
    entry[1] += sign * met
    entry[2][days] = entry[2].get(days, 0) + sign * count


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


_UPSERT = f"""
INSERT INTO case_ (case_ref, cvr, goal_id, unit_code, received_at, completed_at, days_taken, met)
SELECT case_ref, cvr, goal_id, unit_code, received_at, completed_at, days_taken, met
FROM {_STAGING.name} WHERE true ORDER BY case_ref
ON CONFLICT (case_ref) DO UPDATE SET
    cvr = excluded.cvr, goal_id = excluded.goal_id, unit_code = excluded.unit_code,
    received_at = excluded.received_at, completed_at = excluded.completed_at,
    days_taken = excluded.days_taken, met = excluded.met
"""


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


def _upsert(conn: Connection, staged: int) -> None:
    """Upsert the staged rows into case_ (inside the import's transaction)."""
    rebuild = False
    if conn.dialect.name == "sqlite":
        size = conn.execute(select(func.max(Case.id))).scalar() or 0
        rebuild = staged >= SQLITE_REBUILD_INDEX_SHARE * size and staged >= 100_000
    drop_index, create_index = _case_index_ddl(conn.dialect)
    if rebuild:
        # Transactional in SQLite: a failure rolls the DROP back with everything else.
        conn.exec_driver_sql(drop_index)
    conn.exec_driver_sql(_UPSERT)
    if rebuild:
        conn.exec_driver_sql(create_index)


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
        (cvr, goal_id, d(month), ts(dt.datetime(month.year, month.month, 1)),
         ts(dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1)))
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


# --- SQLite: straight into case_ ------------------------------------------------------------------

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
    days_taken = excluded.days_taken, met = excluded.met
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


def _run_sqlite(session: Session, conn: Connection, chunks: Iterable[_Chunk], commit: bool) -> ImportReport:
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
        ref = _Reference.load(session)
        raw.execute("SAVEPOINT kp_import")
        start_id = raw.execute("SELECT max(id) FROM case_").fetchone()[0] or 0
        load = _SqliteLoad(raw, start_id, report)
        # A load at least this large rebuilds the (cvr, goal, completed) index afterwards instead of
        # maintaining it row by row (about 2x faster for a large load); dropped once the load gets there.
        rebuild_at = max(SQLITE_REBUILD_INDEX_MIN_ROWS, SQLITE_REBUILD_INDEX_SHARE * start_id)
        drop_index, create_index = _case_index_ddl(conn.dialect)
        dropped = False
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        written = 0
        lap = time.perf_counter()
        for chunk in chunks:
            report.rows += len(chunk.lines)
            validated = _validate_chunk(chunk, ref, report, with_lines=False)
            report.open_cases += validated.open_cases
            if len(validated.agg[0]):
                parts.append(validated.agg)
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
        new = _new_versions(parts, ref)
        keys = set(old) | set(new)
        report.rollups_recomputed = _apply_rollups(conn, old, new)
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


# --- the public entry points ---------------------------------------------------------------------


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


def _run_staged(session: Session, conn: Connection, chunks: Iterable[_Chunk], commit: bool) -> ImportReport:
    started = time.perf_counter()
    report = ImportReport()
    ref = _Reference.load(session)
    sqlite = conn.dialect.name == "sqlite"
    old_cache = conn.exec_driver_sql("PRAGMA cache_size").scalar() if sqlite else None
    if sqlite:
        conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")

    def restore() -> None:
        # The pragma lives on the pooled connection: put it back before the connection is released.
        if old_cache is not None:
            conn.exec_driver_sql(f"PRAGMA cache_size = {int(old_cache)}")

    try:
        _drop_temp_tables(conn)
        _STAGING.create(conn)
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        lap = time.perf_counter()
        for chunk in chunks:
            report.rows += len(chunk.lines)
            validated = _validate_chunk(chunk, ref, report)
            report.open_cases += validated.open_cases
            if len(validated.agg[0]):
                parts.append(validated.agg)
            lap = report._lap("validate", lap)
            _stage(conn, validated.rows)
            lap = report._lap("stage", lap)
        conn.exec_driver_sql(f"CREATE INDEX kp_case_staging_ref ON {_STAGING.name} (case_ref, line_no)")
        if not sqlite:
            conn.exec_driver_sql(f"ANALYZE {_STAGING.name}")
        lap = report._lap("index", lap)
        _report_duplicates(conn, report)
        lap = report._lap("duplicates", lap)
        if not report.ok:
            # Nothing but the temporary table was written: drop it and report.
            report.errors.sort(key=lambda e: e.line)
            report.open_cases = 0
            _drop_temp_tables(conn)
            restore()
            report.seconds = time.perf_counter() - started
            return report

        old, existing = _old_versions(conn)
        lap = report._lap("old_versions", lap)
        _upsert(conn, staged=report.rows - report.error_count)
        lap = report._lap("upsert", lap)
        new = _new_versions(parts, ref)
        keys = set(old) | set(new)
        report.rollups_recomputed = _apply_rollups(conn, old, new)
        _drop_temp_tables(conn)
        restore()
        lap = report._lap("rollups", lap)
    except Exception:
        try:
            restore()
        except Exception:  # noqa: BLE001 - the original error matters more
            pass
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
