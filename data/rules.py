"""Service-goal rules: when a case met its goal, which month it counts in, and achievement.

The rules, written once (tests: tests/test_rules.py):

* A goal is met by one of two rules (``ServiceGoal.rule_kind`` / ``rule_value``):
  - ``within_days`` N: met when days taken (see `data.workdays.days_taken`) <= N;
  - ``by_day_of_month`` D: met when the case is completed no later than day D of the month it
    was received in; a case received after day D has until day D of the next month. D larger
    than a month's length means the month's last day.
* A case counts in the month it was completed. Open cases (no completion) count nowhere.
* Achievement = met / handled in per cent, shown with one decimal ROUNDED DOWN; no cases -> None
  (shown "–", never 0 % or 100 %). Met / not met is decided on the exact fraction
  (met × 100 >= target × handled), never on a rounded figure: 1.899 of 2.000 (94,95 %) shows
  94,9 % and misses a 95 % target, so a figure and its mark never disagree.
* The latest closed month is the last calendar month that has fully ended.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
from enum import StrEnum
from fractions import Fraction
from typing import Any

import numpy as np

from data.workdays import MIN_YEAR, busday_calendar, danish_today, days_taken, to_days

AREAS: tuple[str, ...] = ("Regnskab", "Løn", "Rejser", "Refusion")


class RuleKind(StrEnum):
    """The two kinds of service-goal rule, as stored in ``ServiceGoal.rule_kind``."""

    WITHIN_DAYS = "within_days"
    BY_DAY_OF_MONTH = "by_day_of_month"


# --- months ------------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    """Return the first day of the month of `day` (a date or datetime)."""
    return dt.date(day.year, day.month, 1)


def add_months(month: dt.date, n: int) -> dt.date:
    """Return the first day of the month `n` months after the month of `month` (n may be negative)."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def latest_closed_month(today: dt.date | None = None) -> dt.date:
    """Return the first day of the last calendar month that has fully ended before `today`."""
    today = today or danish_today()
    return add_months(month_start(today), -1)


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Return the first days of every month from `first` to `last` inclusive (empty if reversed)."""
    months: list[dt.date] = []
    month = month_start(first)
    last = month_start(last)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def year_to_date_months(year: int, today: dt.date | None = None) -> list[dt.date]:
    """Return the months of `year` up to and including the latest closed month (may be empty)."""
    return months_between(dt.date(year, 1, 1), min(dt.date(year, 12, 1), latest_closed_month(today)))


# --- the rules -----------------------------------------------------------------------------------


def by_day_deadline(received: Any, day: int) -> Any:
    """Return the deadline date(s) of a 'by day D of the month' goal for receipt date(s) `received`."""
    # Day D of the month received; received after day D: day D of the next month; D beyond the
    # month's end: the month's last day; on a non-working day: the next working day. Scalar in,
    # date out; array-like in, datetime64[D] array out.
    if not 1 <= int(day) <= 31:
        raise ValueError("Dag i måneden skal ligge mellem 1 og 31")
    scalar = isinstance(received, (dt.date, np.datetime64, str))
    rec = to_days(received)
    month = rec.astype("datetime64[M]")
    day_of_month = (rec - month.astype("datetime64[D]")).astype(np.int64) + 1
    month = np.where(day_of_month <= day, month, month + np.timedelta64(1, "M"))
    first = month.astype("datetime64[D]")
    last = (month + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    deadline = np.minimum(first + np.timedelta64(int(day) - 1, "D"), last)
    if deadline.size:
        # A deadline on a non-working day (weekend, Danish holiday, 5 June, 24 and 31 December)
        # moves to the next working day, which may lie in the next month or year.
        years = deadline.astype("datetime64[Y]").astype(np.int64) + 1970
        calendar = busday_calendar(int(years.min()), int(years.max()) + 1)
        deadline = np.busday_offset(deadline, 0, roll="forward", busdaycal=calendar)
    return deadline[0].astype(dt.date) if scalar else deadline


def evaluate(rule_kind: str, rule_value: int, received: Any, completed: Any, taken: Any = None) -> Any:
    """Return whether case(s) met a goal (bool or bool array); raise ValueError for a bad rule or dates."""
    # `taken` may pass precomputed days taken (within_days); otherwise it is computed. Raises
    # ValueError for an unknown rule kind or a completion before its receipt.
    scalar = isinstance(received, (dt.date, np.datetime64, str)) and isinstance(completed, (dt.date, np.datetime64, str))
    kind = RuleKind(rule_kind)
    if kind is RuleKind.WITHIN_DAYS:
        if taken is None:
            taken = days_taken(received, completed)
        result = within_days_met(taken, int(rule_value))
    else:
        rec = to_days(received)
        comp = to_days(completed)
        if (comp < rec).any():
            raise ValueError("afslutningsdato ligger før modtagelsesdato")
        result = by_day_met(rec, comp, int(rule_value))
    return bool(np.asarray(result).reshape(-1)[0]) if scalar else np.asarray(result, dtype=bool)


def within_days_met(taken: Any, days: Any) -> np.ndarray:
    """Return whether cases that took `taken` working days met a 'within N days' goal (N = `days`)."""
    return np.asarray(taken) <= days


def by_day_met(received: np.ndarray, completed: np.ndarray, day: int) -> np.ndarray:
    """Return whether cases (datetime64[D] receipt and completion) met a 'by day D of the month' goal."""
    return completed <= by_day_deadline(received, day)


def goals_met(by_day_of_month: np.ndarray, rule_values: np.ndarray, received: np.ndarray, completed: np.ndarray,
              taken: np.ndarray) -> np.ndarray:
    """Return whether each closed case met its own goal, the rule given per case (vectorised over mixed goals)."""
    # `by_day_of_month` is True where the case's goal is a 'by day D' rule, else 'within N days';
    # `rule_values` holds D or N per case; dates are datetime64[D], `taken` the days taken. One
    # deadline computation per distinct D, not per case.
    met = within_days_met(taken, rule_values)
    if by_day_of_month.any():
        for day in np.unique(rule_values[by_day_of_month]):
            sel = by_day_of_month & (rule_values == day)
            met[sel] = by_day_met(received[sel], completed[sel], int(day))
    return met


def deadline(rule_kind: str, rule_value: int, received: dt.date) -> dt.date:
    """Return the last working day (or day of receipt) a case can be completed on and meet the goal; raise ValueError for a bad rule."""
    # within_days N: the N-th working day after receipt (the day of receipt itself for N = 0; the
    # non-working days right after the deadline add no working day, so they would still meet);
    # by_day_of_month D: `by_day_deadline`. Checked against a plain reference by
    # tests/test_rules_properties.py.
    if RuleKind(rule_kind) is RuleKind.BY_DAY_OF_MONTH:
        return by_day_deadline(received, int(rule_value))
    if int(rule_value) <= 0:
        return received
    calendar = busday_calendar(received.year, received.year + 1 + int(rule_value) // 200)
    day = np.busday_offset(np.datetime64(received, "D") + np.timedelta64(1, "D"), int(rule_value) - 1,
                           roll="forward", busdaycal=calendar)
    return day.astype(dt.date)


@functools.lru_cache(maxsize=1024)
def first_not_overdue(rule_kind: str, rule_value: int, today: dt.date) -> dt.date:
    """Return the earliest receipt day whose still open case has not passed its deadline on `today`."""
    # An open case received before this day can no longer meet its goal: completing it today would
    # already be late. Deadlines never move back as receipts move forward, so a binary search over
    # `evaluate` (the one rule implementation) finds the day. Cases received today are never overdue.
    low, high = today - dt.timedelta(days=366 + 2 * int(rule_value)), today
    low = max(low, dt.date(MIN_YEAR, 1, 1))
    while low < high:
        mid = low + (high - low) // 2
        if evaluate(rule_kind, rule_value, mid, today):
            high = mid
        else:
            low = mid + dt.timedelta(days=1)
    return low


def is_met(goal: Any, received: dt.date, completed: dt.date) -> bool:
    """Return whether one case met `goal` (anything with rule_kind and rule_value, e.g. ServiceGoal)."""
    return bool(evaluate(goal.rule_kind, goal.rule_value, received, completed))


# --- achievement -----------------------------------------------------------------------------------


def achievement(met: int, handled: int) -> float | None:
    """Return met / handled in per cent rounded down to one decimal, or None when nothing was handled."""
    if not handled:
        return None
    # Integer arithmetic: exact truncation to 0.1 % (a float division could land just below).
    return (int(met) * 1000 // int(handled)) / 10


def achievement_array(met: Any, handled: Any) -> np.ndarray:
    """Return achievement per element (rounded down to 0.1 %) as float array with NaN where handled is 0."""
    met = np.asarray(met, dtype=np.int64)
    handled = np.asarray(handled, dtype=np.int64)
    safe = np.where(handled > 0, handled, 1)
    value = (met * 1000 // safe) / 10
    return np.where(handled > 0, value, np.nan)


def floor_tenth(value: Fraction) -> float:
    """Return an exact per-cent fraction rounded down to one decimal (the one display rule)."""
    return math.floor(value * 10) / 10


def target_fraction(target_pct: Any) -> Fraction:
    """Return a target % as the exact fraction `target_met` judges by (from its decimal text, not the float)."""
    return target_pct if isinstance(target_pct, Fraction) else Fraction(str(target_pct))


def target_met(met: int, handled: int, target_pct: Any) -> bool | None:
    """Tell whether met of handled cases reach `target_pct` %, on the exact fraction (None: no cases)."""
    # met × 100 >= target × handled, in exact rational arithmetic: the target may have two
    # decimals (Numeric(5, 2)), and a rounded achievement must never decide the mark. A caller
    # judging many months of one goal passes `target_fraction` once instead of the figure.
    if not handled:
        return None
    target = target_fraction(target_pct)
    return int(met) * 100 * target.denominator >= target.numerator * int(handled)


# --- a realistic catalogue of goals (for the demo seeder and tests) ------------------------------


def default_service_goals() -> list[dict[str, Any]]:
    """Return a fresh list of realistic service goals as ``ServiceGoal`` keyword dicts."""
    # Titles and rule texts follow the guide's Servicemålsrapport; use ``ServiceGoal(**spec)``.
    within = RuleKind.WITHIN_DAYS.value
    by_day = RuleKind.BY_DAY_OF_MONTH.value
    specs = [
        ("A1", "Regnskab", "Kreditortransaktioner",
         "Kreditortransaktioner bogføres inden 3 arbejdsdage fra modtagelse af opgaven.", 95, within, 3),
        ("A2", "Regnskab", "Debitortransaktioner",
         "Debitortransaktioner bogføres inden 3 arbejdsdage fra modtagelse af opgaven.", 95, within, 3),
        ("A3", "Regnskab", "DDI Posteringer",
         "Posteringer via DDI bogføres inden 3 arbejdsdage fra modtagelse af opgaven.", 95, within, 3),
        ("A4", "Regnskab", "DDI Stamdata",
         "Oprettelse af stamdata under oprettelse af anlægskort behandles inden 2 arbejdsdage fra modtagelse af opgaven.",
         95, within, 2),
        ("A5", "Regnskab", "Udarbejd perioderegnskab",
         "Regnskabstilknytningen udføres i SKS senest den 15. i hver måned til review hos kunden. "
         "I forbindelse med årsafslutning og sommerferien udmeldes særlig dato.", 100, by_day, 15),
        ("L1", "Løn", "Lønindberetninger",
         "Lønindberetninger behandles inden 2 arbejdsdage fra modtagelse af opgaven.", 98, within, 2),
        ("L2", "Løn", "Ansættelser og fratrædelser",
         "Ansættelser og fratrædelser registreres inden 5 arbejdsdage fra modtagelse af opgaven.", 95, within, 5),
        ("L3", "Løn", "Lønafstemning",
         "Lønafstemningen udføres senest den 10. i hver måned.", 100, by_day, 10),
        ("R1", "Rejser", "Rejseafregninger",
         "Rejseafregninger bogføres inden 3 arbejdsdage fra modtagelse af opgaven.", 95, within, 3),
        ("RF1", "Refusion", "Refusionsanmodninger",
         "Anmodninger om refusion af sygedagpenge og barselsdagpenge sendes inden 5 arbejdsdage fra modtagelse af opgaven.",
         95, within, 5),
    ]
    return [
        {"code": code, "area": area, "title": title, "rule_text": text, "target_pct": target,
         "rule_kind": kind, "rule_value": value, "sort_order": index}
        for index, (code, area, title, text, target, kind, value) in enumerate(specs, start=1)
    ]
