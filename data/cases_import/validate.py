"""Validation of one chunk, column-wise: every bad row with its Danish reason, the good rows ready to write.

CVR, unit and goal are checked once per distinct value, dates parsed by numpy in C, days taken
and met computed vectorised (`data.workdays`, `data.rules`), and timestamps written back as
SQLAlchemy's text with lookup tables (`sqlite_text`). Python holds one chunk at a time, so
memory stays flat however large the file. The roll-up contributions of the chunk's closed cases
are aggregated in numpy on the way (`rollups._encode`).
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.cases_import.readers import CASE_REF_MAX, REOPEN_STATUSES, _Chunk
from data.cases_import.report import ImportReport
from data.cases_import.rollups import _encode
from data.cases_import.sqlite_text import _format_datetimes
from data import goals as goal_catalogue  # a module: data.goals imports the roll-ups of this package
from data.models import AccountingUnit, Customer, PayrollGroup, ServiceGoal
from data.rules import RuleKind, goals_met
from data.workdays import DANISH_TZ, MAX_YEAR, MIN_YEAR, days_taken



def _shown(value: str, limit: int) -> str:
    """Return the start of a file's value for a report line, control characters replaced."""
    # A terminal would run an escape sequence, and a newline would forge a report line.
    return "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in value[:limit])


@dataclass(frozen=True)
class _Reference:
    """The small reference data every row is checked against (loaded once per import)."""

    cvrs: frozenset[str]
    goals: dict[str, tuple[int, str, int]]  # upper-case code -> (id, rule_kind, rule_value) of its newest version
    units: dict[tuple[str, str], int]  # (cvr, unit_code) -> position in `pairs`
    pairs: tuple[tuple[str, str], ...]
    # Goal id -> its versions oldest first, as (first month as numpy month index, by_day_of_month,
    # rule_value), for goals changed at least once: a case is judged by the version in force in the
    # month it counts in (its completion), never by a later one.
    versions: dict[int, tuple[tuple[int, bool, int], ...]] = field(default_factory=dict)
    # The latest moment a case may have been received or completed: the time of the import in Danish
    # local time (as the file's times are), with a little room for clocks that run ahead.
    latest: np.datetime64 = field(default_factory=lambda: _latest_allowed())
    # The command's --reopen: every blank completion in the file reopens its case if it is closed.
    reopen_all: bool = False

    @classmethod
    def load(cls, session: Session, *, lock_parents: bool = False) -> "_Reference":
        """Load the reference data; with `lock_parents`, key-share lock the customers and goals read (until commit)."""
        # The lock is the one PostgreSQL's foreign-key check takes per inserted row (FOR KEY SHARE),
        # taken here once per parent, in the statement that reads them: a customer or goal the file's
        # rows are checked against can then not be deleted (or its key changed) before the import
        # commits, while readers and ordinary updates of those rows go on. SQLite ignores it.
        customers = select(Customer.cvr)
        goal_rows = select(ServiceGoal.id, ServiceGoal.code, ServiceGoal.rule_kind, ServiceGoal.rule_value)
        if lock_parents:
            customers = customers.with_for_update(read=True, key_share=True)
            goal_rows = goal_rows.with_for_update(read=True, key_share=True)
        cvrs = frozenset(session.scalars(customers))
        goals = {code.upper(): (gid, kind, int(value)) for gid, code, kind, value in session.execute(goal_rows)}
        # Only goals changed at least once have more than one version; the others keep the fast path.
        versions = {
            gid: tuple(((v.valid_from.year - 1970) * 12 + v.valid_from.month - 1,
                        v.rule_kind == RuleKind.BY_DAY_OF_MONTH, v.rule_value) for v in rules)
            for gid, rules in goal_catalogue.goal_versions(session).items() if len(rules) > 1
        }
        pairs = tuple(sorted(
            (cvr, code)
            for model in (AccountingUnit, PayrollGroup)
            for cvr, code in session.execute(select(model.cvr, model.code))
        ))
        return cls(cvrs, goals, {pair: i for i, pair in enumerate(pairs)}, pairs, versions)


# Room for the source system's clock running ahead of the portal's.
FUTURE_TOLERANCE = dt.timedelta(minutes=10)


def _latest_allowed() -> np.datetime64:
    """Return the latest receipt or completion an import accepts: now (Danish time) plus FUTURE_TOLERANCE."""
    return np.datetime64((dt.datetime.now(DANISH_TZ) + FUTURE_TOLERANCE).replace(tzinfo=None), "us")


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
        result = result.astimezone(DANISH_TZ).replace(tzinfo=None)
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        raise ValueError(value)
    return result


# Lengths of 'YYYY-MM-DD', 'YYYY-MM-DD HH:MM', '... HH:MM:SS' and '... HH:MM:SS.f' to '.ffffff'; 0 = blank.
_ISO_LENGTHS = frozenset({0, 10, 16, 19, 21, 22, 23, 24, 25, 26})
_PLAIN_KINDS = frozenset({str, type(None)})
_NAT = np.datetime64("NaT", "us")
_FIRST_ALLOWED = np.datetime64(f"{MIN_YEAR}-01-01", "us")
_AFTER_ALLOWED = np.datetime64(f"{MAX_YEAR + 1}-01-01", "us")


def _parse_dates(values: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Parse a column of dates into datetime64[us] (NaT = blank or bad) and a mask of bad values.

    numpy parses well-formed ISO strings, dates and datetimes in C; anything else (padded
    strings, Danish formats, time zones, garbage) goes one by one through `_parse_one`.
    """
    n = len(values)
    # The usual column (ISO strings, blanks as None or '') is recognised in C-speed passes over types
    # and lengths; only a column with anything else is looked at value by value.
    kinds = set(map(type, values))
    if kinds <= _PLAIN_KINDS and set(map(len, filter(None, values))) <= _ISO_LENGTHS:
        odd = []
    else:
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


def _rules_in_force(ref: _Reference, goal_ids: np.ndarray, completed: np.ndarray, by_day: np.ndarray,
                    rule_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return (by_day_of_month, rule value) per closed case from the goal version in force in its month."""
    # Vectorised per changed goal: one searchsorted over its few version months, so a file costs
    # the same however many versions the catalogue keeps.
    by_day, rule_values = by_day.copy(), rule_values.copy()
    months = completed.astype("datetime64[M]").astype(np.int64)
    for goal_id in np.intersect1d(np.unique(goal_ids), np.fromiter(ref.versions, dtype=np.int64)).tolist():
        rules = ref.versions[goal_id]
        sel = np.flatnonzero(goal_ids == goal_id)
        starts = np.array([r[0] for r in rules], dtype=np.int64)
        # Before the first version (cannot happen for a base version from 1990): the first one.
        which = np.maximum(np.searchsorted(starts, months[sel], side="right") - 1, 0)
        by_day[sel] = np.array([r[1] for r in rules], dtype=bool)[which]
        rule_values[sel] = np.array([r[2] for r in rules], dtype=np.int64)[which]
    return by_day, rule_values


@dataclass
class _Validated:
    """The valid rows of one chunk, ready for the staging table, and their roll-up keys."""

    rows: list[tuple]  # (line_no if with_lines,) case_ref, cvr, goal_id, unit_code, received, completed, days, met
    agg: tuple[np.ndarray, np.ndarray]  # unique contribution codes (see _encode) and their counts
    open_cases: int
    lines: list[int] = field(default_factory=list)  # line numbers of `rows`
    refs: list[str] = field(default_factory=list)  # case references of `rows`
    # Per row of `rows`: may this line reopen a stored closed case (status 'genåbnet' or --reopen)?
    reopen: list[bool] = field(default_factory=list)
    # With as_columns: the valid rows column by column instead of `rows` (PostgreSQL's COPY formats
    # them a chunk at a time): line_no, case_ref, cvr, unit_code (lists), goal_id, days, met, closed,
    # reopen (arrays), received_at and completed_at (text, None for an open case).
    columns: dict[str, Any] | None = None
    customers: frozenset[str] = frozenset()  # the CVRs of `rows` (their open counts are rewritten)


def _validate_chunk(chunk: _Chunk, ref: _Reference, report: ImportReport, with_lines: bool = True,
                    as_columns: bool = False) -> _Validated:
    n = len(chunk.lines)
    columns = chunk.columns
    # CVR, unit and goal repeat a lot: cleaned and looked up once per distinct value, then by code.
    cvr_codes, cvr_texts = _factorize(columns["cvr"])
    unit_codes, unit_texts = _factorize(columns["unit_code"])
    goal_codes, goal_texts = _factorize(columns["goal_code"])
    status = columns.get("status")
    if status is None or not any(status):  # the usual file: no status column, or nothing in it
        status_codes, status_texts = np.zeros(n, dtype=np.int64), [""]
    else:
        status_codes, status_texts = _factorize(status)
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
    # A case cannot be reported from the future: it would count in a month that has not happened.
    for i in np.flatnonzero(rec_all > ref.latest).tolist():
        problems[i].append("modtagelsesdato ligger i fremtiden")
    for i in np.flatnonzero(comp_all > ref.latest).tolist():
        problems[i].append("afslutningsdato ligger i fremtiden")
    # Status: blank, or 'genåbnet' to reopen a closed case explicitly (with a blank completion).
    status_known = [t.lower() in REOPEN_STATUSES or not t for t in status_texts]
    status_reopen = np.array([t.lower() in REOPEN_STATUSES for t in status_texts], dtype=bool)[status_codes]
    for i in np.flatnonzero(~np.array(status_known, dtype=bool)[status_codes]).tolist():
        problems[i].append(f"ukendt status '{_shown(status_texts[status_codes[i]], 20)}' (tom eller 'genåbnet')")
    for i in np.flatnonzero(status_reopen & ~np.isnat(comp_all)).tolist():
        problems[i].append("status 'genåbnet' kræver en tom afslutningsdato")
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
        status_reopen = status_reopen[kept]
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
        # Validation above leaves no completion before its receipt's day, so the rules' checks pass.
        rec_d = rec[closed].astype("datetime64[D]")
        comp_d = comp[closed].astype("datetime64[D]")
        taken = days_taken(rec_d, comp_d)
        days[closed] = taken
        closed_by_day, closed_values = by_day[closed], rule_values[closed]
        if ref.versions:
            closed_by_day, closed_values = _rules_in_force(ref, goal_ids[closed], comp[closed], closed_by_day,
                                                           closed_values)
        met[closed] = goals_met(closed_by_day, closed_values, rec_d, comp_d, taken)

    rec_s = _format_datetimes(rec)
    comp_s = _format_datetimes(comp)  # None for open cases
    if closed.any():
        months = comp.astype("datetime64[M]").astype(np.int64)
        codes = _encode(pair_idx[closed], goal_ids[closed], months[closed], days[closed], met[closed])
        agg = np.unique(codes, return_counts=True)
    else:
        agg = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    cvrs = np.array(cvr_texts, dtype=object)[cvr_codes].tolist()
    customers = frozenset(cvr_texts[i] for i in np.unique(cvr_codes).tolist())
    units = np.array(unit_texts, dtype=object)[unit_codes].tolist()
    if as_columns:
        # No tuple per row: the caller formats whole columns.
        reopen_arr = status_reopen | ref.reopen_all
        columns = {"line_no": lines, "case_ref": refs, "cvr": cvrs, "goal_id": goal_ids, "unit_code": units,
                   "received_at": rec_s, "completed_at": comp_s, "days_taken": days, "met": met, "closed": closed,
                   "reopen": reopen_arr}
        return _Validated([], agg, m - int(closed.sum()), lines, refs, reopen_arr.tolist(), columns, customers)
    days_l: list[Any] = days.tolist()
    met_l: list[Any] = met.tolist()
    open_idx = np.flatnonzero(~closed).tolist()
    for i in open_idx:
        days_l[i] = met_l[i] = None
    goal_l = goal_ids.tolist()
    if with_lines:
        rows = list(zip(lines, refs, cvrs, goal_l, units, rec_s, comp_s, days_l, met_l))
    else:
        rows = list(zip(refs, cvrs, goal_l, units, rec_s, comp_s, days_l, met_l))
    reopen = (status_reopen | ref.reopen_all).tolist()
    return _Validated(rows, agg, len(open_idx), lines, refs, reopen, customers=customers)


def _validate_counted(chunk: _Chunk, ref: _Reference, report: ImportReport,
                      parts: list[tuple[np.ndarray, np.ndarray]], customers: set[str], **options: bool) -> _Validated:
    """Validate `chunk` (`_validate_chunk`) and count it: rows read and open cases in `report`, roll-up parts, CVRs."""
    # The bookkeeping both back ends do per chunk, whatever they then write.
    report.rows += len(chunk.lines)
    validated = _validate_chunk(chunk, ref, report, **options)
    report.open_cases += validated.open_cases
    customers |= validated.customers
    if len(validated.agg[0]):
        parts.append(validated.agg)
    return validated
