"""Scoped reads for the Servicemålsrapport (Information) and the KPI dashboard (Rapporter).

Every function takes an `AccessScope` and a CVR: a CVR outside the scope gives an empty result
(never an error, never another customer's rows), and the SQL filters by the scope as well.
All figures come from ``monthly_rollup`` (small, indexed by cvr and month). The two reports the pages
open most (KPI table, Servicemålsrapport) are read in two statements (goals with their versions; the
figures with reopened and open cases beside them) and built as plain rows, a frame only on demand
(`MonthlyReport.frame`); series and medians are shaped with pandas. Cases are read for today's open and
the reopened counts (partial indexes) and by `drill_through`, for one customer, goal and month, through
the (cvr, goal_id, completed_at) index. Nothing is kept between calls.

Achievement values are per cent rounded down to one decimal (`data.rules.achievement`); None where
a month or period had no cases: pages show "–" for it, never 0 % or 100 %. Whether a figure meets
its target is decided on the exact fraction (`data.rules.target_met`) and handed to the pages as
``target_met`` (KPI table) or `MonthlyReport.met` (Servicemålsrapport), never recomputed from the
rounded figure.
"""

from __future__ import annotations

import datetime as dt
import functools
from fractions import Fraction
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

import numpy as np
import pandas as pd
from sqlalchemy import (CompoundSelect, Date, DateTime, Integer, Select, bindparam, case, cast, func, literal_column,
                        null, select, union_all)

from core.access import AccessScope, bound_clause
from data import goals as goal_data
from data import units as unit_data
from data.db import get_session
from data.models import Case, MonthlyRollup, OpenCaseDay, ServiceGoal, ServiceGoalVersion
from data.rules import (AREAS, achievement, add_months, first_not_overdue, floor_tenth, target_fraction,
                        target_met, deadline as rule_deadline, latest_closed_month, month_start,
                        year_to_date_months)
from data.workdays import danish_today, days_taken

GOAL_COLUMNS = ["goal_id", "code", "area", "title", "rule_text", "target_pct"]
KPI_COLUMNS = GOAL_COLUMNS + ["achievement", "handled", "met", "not_met", "target_met", "reopened"]
SERIES_COLUMNS = ["goal_id", "code", "area", "title", "target_pct", "month", "handled", "met", "achievement"]
HISTOGRAM_COLUMNS = ["days_taken", "count"]
MEDIAN_COLUMNS = ["goal_id", "code", "median_achievement", "customers"]
DRILL_COLUMNS = ["case_ref", "unit_code", "received_at", "completed_at", "days_taken", "met"]
OPEN_COLUMNS = ["goal_id", "open", "overdue"]
OPEN_CASE_COLUMNS = ["case_ref", "unit_code", "received_at", "deadline", "working_days", "overdue"]


@dataclass(frozen=True, eq=False)
class MonthlyReport:
    """A report's rows (plain dicts, as a frame on demand) together with the months it covers, oldest first."""

    columns: tuple[str, ...]
    rows: tuple[Mapping[str, Any], ...]
    months: tuple[dt.date, ...]
    # (goal_id, month) -> target % in force that month, for goals whose target differs from the
    # row's `target_pct` in some month shown (a catalogue change); `target` reads it.
    targets: Mapping[tuple[int, dt.date], float] = field(default_factory=dict)
    # (goal_id, month) -> whether that month's exact fraction met its target (months with cases only).
    marks: Mapping[tuple[int, dt.date], bool] = field(default_factory=dict)
    # (goal_id, month) -> of the cases handled that month, how many had been reopened ("heraf genåbnet").
    reopened: Mapping[tuple[int, dt.date], int] = field(default_factory=dict)
    # goal_id -> (open, overdue) today, when asked for (`with_open`): read in the same statement as the figures.
    open_counts: Mapping[int, tuple[int, int]] | None = None

    @functools.cached_property
    def frame(self) -> pd.DataFrame:
        """Return the rows as a frame (built once, on first use: the pages walk `records` instead)."""
        if not self.rows:
            return pd.DataFrame(columns=list(self.columns))
        data = {}
        for name in self.columns:
            values = [row[name] for row in self.rows]
            # Figures that may be None (the month columns too) stay objects: None, not NaN ("–" on the pages).
            data[name] = pd.Series(values, dtype=_DTYPES.get(name, None if name in _TEXT_COLUMNS else object))
        return pd.DataFrame(data)

    def records(self) -> list[dict[str, Any]]:
        """Return the rows as new dicts (the caller may add to them)."""
        return [dict(row) for row in self.rows]

    def target(self, goal_id: int, month: dt.date, default: float) -> float:
        """Return the target % goal `goal_id` was judged against in `month` (`default`: the row's own)."""
        return self.targets.get((int(goal_id), month), default)

    def reopened_in(self, goal_id: int, month: dt.date) -> int:
        """Return how many of goal `goal_id`'s cases handled in `month` had been reopened."""
        return self.reopened.get((int(goal_id), month), 0)

    def met(self, goal_id: int, month: dt.date) -> bool | None:
        """Return whether goal `goal_id` met its target in `month` (exact fraction); None without cases."""
        return self.marks.get((int(goal_id), month))


# The frame's column types (`MonthlyReport.frame`): text columns inferred, every other column (the
# Servicemålsrapport's months, 'YYYY-MM') objects.
_TEXT_COLUMNS = frozenset({"code", "area", "title", "rule_text"})
_DTYPES = {"goal_id": "int64", "target_pct": "float64", "achievement": object, "handled": "int64", "met": "int64",
           "not_met": "int64", "target_met": object, "reopened": "int64"}


class _Goal(NamedTuple):
    """A service goal as the reports read it: the catalogue row, its versions, and the rule today's open cases use."""

    goal_id: int
    code: str
    area: str
    title: str
    rule_text: str
    target_pct: float
    # The catalogue row's rule (its newest version): what today's open cases are judged by.
    rule_kind: str
    rule_value: int
    # Oldest first; empty for a goal never changed (its catalogue row holds for every month).
    versions: tuple[goal_data.GoalRule, ...] = ()

    def head(self) -> dict[str, Any]:
        """Return the goal's report columns (GOAL_COLUMNS) as a dict."""
        return {"goal_id": self.goal_id, "code": self.code, "area": self.area, "title": self.title,
                "rule_text": self.rule_text, "target_pct": self.target_pct}


# The reads every report and dashboard request makes run statements built once per shape (whether
# the scope is every customer, whether a unit filters, how many goals' deadlines), every value a
# bound parameter: SQLAlchemy then neither builds ~180 clauses per request nor walks them for its
# cache key (memoized on the statement). The scope stays in SQL (`core.access.bound_clause`); its
# CVRs come with each run's parameters (`_bound`), and a run without them fails, never reads unscoped.
# The caches hold statements only, no values: the shapes are few (two scopes × units or not × up to
# the number of goals).


def _bound(scope: AccessScope, cvr: str, units: list[str] | None = None, **values: Any) -> dict[str, Any]:
    """Return the parameters of a statement built by the shape-cached builders below."""
    params = {"cvr": cvr, **scope.bound_params(), **values}
    if units:
        params["units"] = units
    return params


def _bound_rollups(stmt: Select, all_customers: bool, by_unit: bool) -> Select:
    """Add the scope, the CVR and (with `by_unit`) the units to a statement on the roll-ups, as parameters."""
    stmt = stmt.where(bound_clause(MonthlyRollup.cvr, all_customers), MonthlyRollup.cvr == bindparam("cvr"))
    if by_unit:
        stmt = stmt.where(MonthlyRollup.unit_code.in_(bindparam("units", expanding=True)))
    return stmt


@functools.lru_cache(maxsize=2)
def _customer_goal_ids_stmt(all_customers: bool) -> Select:
    """Return the statement of the goal ids a customer has roll-ups for (read alone, or as the goals' subquery)."""
    return _bound_rollups(select(MonthlyRollup.goal_id).distinct(), all_customers, False)


@functools.lru_cache(maxsize=16)
def _goals_stmt(by_ids: bool, customer: bool | None, by_area: bool) -> Select:
    """Return `_read_goals`' statement: by ids, by a customer's roll-ups (`customer`: scope of all?), by area."""
    version = ServiceGoalVersion
    stmt = (
        select(ServiceGoal.id, ServiceGoal.code, ServiceGoal.area, ServiceGoal.title, ServiceGoal.rule_text,
               ServiceGoal.target_pct, ServiceGoal.sort_order, ServiceGoal.rule_kind, ServiceGoal.rule_value,
               version.valid_from, version.title, version.rule_text, version.rule_kind, version.rule_value,
               version.target_pct)
        .outerjoin(version, version.goal_id == ServiceGoal.id)
    )
    if by_ids:
        stmt = stmt.where(ServiceGoal.id.in_(bindparam("goal_ids", expanding=True)))
    if customer is not None:
        stmt = stmt.where(ServiceGoal.id.in_(_customer_goal_ids_stmt(customer).scalar_subquery()))
    if by_area:
        stmt = stmt.where(ServiceGoal.area == bindparam("area"))
    return stmt


def _read_goals(goal_ids: Iterable[int] | None = None, area: str | None = None, *,
                customer: tuple[AccessScope, str] | None = None) -> list[_Goal]:
    """Return the service goals (optionally only `goal_ids` / one `area` / a customer's) in report order."""
    # One statement: the goals with their versions (outer-joined: a goal never changed has none), and
    # with `customer` (scope, cvr) only the goals the customer has roll-ups for (`customer_goal_ids` as a
    # subquery). Sorted and converted in plain Python: a few dozen goals.
    params: dict[str, Any] = {}
    if goal_ids is not None:
        params["goal_ids"] = sorted({int(g) for g in goal_ids})
    if customer is not None:
        params |= _bound(*customer)
    if area:
        params["area"] = area
    stmt = _goals_stmt(goal_ids is not None, None if customer is None else customer[0].all_customers, bool(area))
    goals: dict[int, tuple[tuple, list[goal_data.GoalRule]]] = {}
    for row in get_session().execute(stmt, params).all():
        _head, versions = goals.setdefault(row[0], (row[:9], []))
        if row[9] is not None:
            versions.append(goal_data.GoalRule(row[9], row[10], row[11], row[12], int(row[13]), float(row[14])))
    ordered = sorted(goals.values(), key=lambda g: (_area_order(g[0][2]), g[0][6], g[0][1]))
    return [_Goal(int(g), c, a, t, text, float(target), kind, int(value),
                  tuple(sorted(versions, key=lambda v: v.valid_from)))
            for (g, c, a, t, text, target, _order, kind, value), versions in ordered]


def _in_force(goals: list[_Goal], month: dt.date | None, months: Sequence[dt.date] = ()) -> tuple[
        list[_Goal], dict[tuple[int, dt.date], float]]:
    """Return `goals` with title, rule text and target of the version in force in `month`, and per-month targets."""
    # The catalogue row is the newest version; a goal changed since (or changing later) reads each
    # month's version instead, so a change never rewrites what an earlier month was judged against.
    if month is None:
        return goals, {}
    targets: dict[tuple[int, dt.date], float] = {}
    shown = []
    for goal in goals:
        if goal.versions:
            rule = goal_data.rule_in_force(goal.versions, month)
            goal = goal._replace(title=rule.title, rule_text=rule.rule_text, target_pct=rule.target_pct)
            for m in months:
                targets[(goal.goal_id, m)] = goal_data.rule_in_force(goal.versions, m).target_pct
        shown.append(goal)
    return shown, targets


def _frame_of(goals: list[_Goal]) -> pd.DataFrame:
    return pd.DataFrame([(g.goal_id, g.code, g.area, g.title, g.rule_text, g.target_pct) for g in goals],
                        columns=GOAL_COLUMNS)


def _units(unit_code: str | Sequence[str] | None) -> list[str] | None:
    if unit_code is None or unit_code == "" or unit_code == []:
        return None
    return [unit_code] if isinstance(unit_code, str) else [str(u) for u in unit_code]


def _rollup_filter(stmt: Select, scope: AccessScope, cvr: str, units: list[str] | None) -> Select:
    stmt = stmt.where(scope.clause(MonthlyRollup.cvr), MonthlyRollup.cvr == cvr)
    if units:
        stmt = stmt.where(MonthlyRollup.unit_code.in_(units))
    return stmt


def _area_order(area: str) -> int:
    return AREAS.index(area) if area in AREAS else len(AREAS)


def _goals_frame(goal_ids: Iterable[int] | None = None, area: str | None = None) -> pd.DataFrame:
    """Return the service goals (optionally only `goal_ids` / one `area`) in report order, as a frame."""
    return _frame_of(_read_goals(goal_ids, area))


def customer_goal_ids(scope: AccessScope, cvr: str) -> list[int]:
    """Return the ids of the goals customer `cvr` has any roll-up for (empty outside `scope`)."""
    if not scope.allows(cvr):
        return []
    return sorted(get_session().scalars(_customer_goal_ids_stmt(scope.all_customers), _bound(scope, cvr)))


def goal_codes() -> list[str]:
    """Return every service goal's code in report order (goals are not customer data)."""
    return _goals_frame()["code"].tolist()


def goal_choices(scope: AccessScope, cvr: str, area: str | None = None) -> list[dict[str, Any]]:
    """Return the goals customer `cvr` has cases for (only `area`'s when given), in report order."""
    # Dicts of goal_id, code, title, area. Empty outside `scope`.
    if not scope.allows(cvr):
        return []
    stmt = (
        _rollup_filter(select(MonthlyRollup.goal_id), scope, cvr, None)
        .group_by(MonthlyRollup.goal_id)
        .having(func.sum(MonthlyRollup.handled) > 0)
    )
    used = list(get_session().scalars(stmt))
    if not used:
        return []
    goals = _goals_frame(used, area)
    return [{"goal_id": int(g), "code": c, "title": t, "area": a}
            for g, c, t, a in zip(goals["goal_id"], goals["code"], goals["title"], goals["area"])]


def area_units(scope: AccessScope, cvr: str, area: str | None) -> list[dict[str, str]]:
    """Return the customer's units that fit `area` (every unit when None), as `units.unit_options` does."""
    units = unit_data.unit_options(scope, cvr)
    if area is None or not units:
        return units
    # The convention (Regnskab/Rejser on bogføringskredse, Løn/Refusion on løngrupper) decides,
    # and a unit that does hold cases of the area's goals stays too: the importer does not enforce it.
    kind = unit_data.UNIT_KIND_OF_AREA.get(area)
    stmt = (
        _rollup_filter(select(MonthlyRollup.unit_code).distinct(), scope, cvr, None)
        .join(ServiceGoal, ServiceGoal.id == MonthlyRollup.goal_id)
        .where(ServiceGoal.area == area, MonthlyRollup.handled > 0)
    )
    with_cases = set(get_session().scalars(stmt))
    return [u for u in units if u["kind"] == kind or u["code"] in with_cases]


def filter_options(scope: AccessScope, cvr: str, today: dt.date | None = None) -> dict[str, list[Any]]:
    """Return the choices for the pickers: areas, unit codes, months with roll-ups, and years up to this one."""
    if not scope.allows(cvr):
        return {"areas": [], "units": [], "months": [], "years": []}
    session = get_session()
    units = sorted(session.scalars(_rollup_filter(select(MonthlyRollup.unit_code).distinct(), scope, cvr, None)))
    months = sorted(session.scalars(_rollup_filter(select(MonthlyRollup.month).distinct(), scope, cvr, None)))
    areas = sorted({goal.area for goal in _read_goals(customer=(scope, cvr))}, key=_area_order)
    # A case completed in a future year (bad source data) must not offer a year the dashboard refuses.
    this_year = (today or danish_today()).year
    return {"areas": areas, "units": units, "months": months,
            "years": sorted({m.year for m in months if m.year <= this_year})}


# The parts of `_read_figures`' statement, told apart by its first column.
_COUNTS, _REOPENED, _OPEN = 0, 1, 2


def _tag(part: int) -> Any:
    return literal_column(str(part), Integer)


@functools.lru_cache(maxsize=16)
def _counts_stmt(all_customers: bool, by_unit: bool, tagged: bool = False) -> Select:
    """Return the statement of (goal_id, handled, met, month) per goal and month from first_month to last_month."""
    # `tagged`: as `_read_figures`' first part (its tag before, a NULL stamp after those four).
    lead, tail = ([_tag(_COUNTS)], [cast(null(), DateTime)]) if tagged else ([], [])
    stmt = (
        select(*lead, MonthlyRollup.goal_id, func.sum(MonthlyRollup.handled), func.sum(MonthlyRollup.met),
               MonthlyRollup.month, *tail)
        .where(MonthlyRollup.month >= bindparam("first_month"), MonthlyRollup.month <= bindparam("last_month"))
        .group_by(MonthlyRollup.goal_id, MonthlyRollup.month)
    )
    return _bound_rollups(stmt, all_customers, by_unit)


def _months_bound(months: list[dt.date]) -> dict[str, dt.date]:
    return {"first_month": months[0], "last_month": months[-1]}


def _monthly_counts(scope: AccessScope, cvr: str, months: list[dt.date],
                    units: list[str] | None) -> list[tuple[int, dt.date, int, int]]:
    """Return (goal_id, month, handled, met) per goal and month (only month/goal pairs with roll-ups)."""
    # Plain tuples: at most goals × months rows, which every caller walks once (a frame cost more to build).
    if not months:
        return []
    stmt = _counts_stmt(scope.all_customers, bool(units))
    rows = get_session().execute(stmt, _bound(scope, cvr, units, **_months_bound(months))).all()
    return [(int(g), m, int(h), int(met)) for g, h, met, m in rows]


@functools.lru_cache(maxsize=128)
def _open_stmt(all_customers: bool, by_unit: bool, goals: int, tagged: bool = False) -> Select:
    """Return the statement of (goal_id, open, overdue) per goal of `goals` deadlines (`_open_bound` fills them in)."""
    # Read from the open cases counted per goal, unit and day of receipt (OpenCaseDay, kept by every
    # import): a few hundred rows where a large customer has thousands of open cases. One deadline
    # per goal picked by the row's own goal (a simple CASE on goal_id: integer equality, then one
    # date comparison per row), built as one construct, not a branch of comparisons per goal.
    # `tagged`: as `_read_figures`' third part (its tag before, NULL month and stamp after).
    day = OpenCaseDay.received_on
    deadline = case({bindparam(f"goal_{i}", type_=Integer): bindparam(f"cutoff_{i}", type_=Date)
                     for i in range(goals)}, value=OpenCaseDay.goal_id)
    late = case((day < deadline, OpenCaseDay.open_cases), else_=0)
    lead, tail = ([_tag(_OPEN)], [cast(null(), Date), cast(null(), DateTime)]) if tagged else ([], [])
    stmt = (
        select(*lead, OpenCaseDay.goal_id, func.sum(OpenCaseDay.open_cases), func.sum(late), *tail)
        .where(bound_clause(OpenCaseDay.cvr, all_customers), OpenCaseDay.cvr == bindparam("cvr"),
               OpenCaseDay.goal_id.in_(bindparam("open_goals", expanding=True)))
        .group_by(OpenCaseDay.goal_id)
    )
    if by_unit:
        stmt = stmt.where(OpenCaseDay.unit_code.in_(bindparam("units", expanding=True)))
    return stmt


def _open_bound(cutoffs: Mapping[int, dt.date]) -> dict[str, Any]:
    """Return `_open_stmt`'s goals and deadlines as its parameters."""
    params: dict[str, Any] = {"open_goals": list(cutoffs)}
    for i, (goal_id, cutoff) in enumerate(cutoffs.items()):
        params[f"goal_{i}"], params[f"cutoff_{i}"] = goal_id, cutoff
    return params


def _cutoffs(goals: Iterable[tuple[int, str, int]], today: dt.date) -> dict[int, dt.date]:
    """Return goal id -> the first receipt day whose open case is not overdue `today`, per (id, rule kind, value)."""
    return {g: first_not_overdue(kind, value, today) for g, kind, value in goals}


class _Figures(NamedTuple):
    """What one statement reads for a report: roll-up counts, reopened cases and (when asked) open cases."""

    counts: list[tuple[int, dt.date, int, int]]  # (goal_id, month, handled, met)
    reopened: dict[tuple[int, dt.date], int]  # (goal_id, month) -> cases completed then that had been reopened
    open_counts: dict[int, tuple[int, int]] | None  # goal_id -> (open, overdue) today; None: not asked for


@functools.lru_cache(maxsize=128)
def _figures_stmt(all_customers: bool, by_unit: bool, with_months: bool, open_goals: int) -> Select | CompoundSelect:
    """Return `_read_figures`' statement: counts and reopened cases (`with_months`), open cases of `open_goals`."""
    # UNION ALL of up to three parts, each on its own index (roll-ups by cvr and month, the partial
    # index of reopened cases, the open counts' key): one round trip instead of three. Every part is
    # filtered by the scope. The open cases and the figures count by the same units.
    null_date, null_count = cast(null(), Date), cast(null(), Integer)
    parts: list[Select] = []
    if with_months:
        parts.append(_counts_stmt(all_customers, by_unit, tagged=True))
        reopened = (
            select(_tag(_REOPENED), Case.goal_id, null_count, null_count, null_date, Case.completed_at)
            .where(bound_clause(Case.cvr, all_customers), Case.cvr == bindparam("cvr"), Case.reopened > 0,
                   Case.completed_at >= bindparam("from_stamp"), Case.completed_at < bindparam("to_stamp"))
        )
        if by_unit:
            reopened = reopened.where(Case.unit_code.in_(bindparam("units", expanding=True)))
        parts.append(reopened)
    if open_goals:
        parts.append(_open_stmt(all_customers, by_unit, open_goals, tagged=True))
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _read_figures(scope: AccessScope, cvr: str, months: list[dt.date], units: list[str] | None, *,
                  open_goals: Sequence[_Goal] | None = None,
                  today: dt.date | None = None) -> _Figures:
    """Return the roll-up counts and reopened cases of `months`, and today's open cases of `open_goals`, at once."""
    cutoffs = _cutoffs(((g.goal_id, g.rule_kind, g.rule_value) for g in open_goals), today or danish_today()) \
        if open_goals else {}
    result = _Figures([], {}, None if open_goals is None else {})
    if not months and not cutoffs:
        return result
    params = _bound(scope, cvr, units, **_open_bound(cutoffs) if cutoffs else {})
    if months:
        first, nxt = month_start(months[0]), add_months(month_start(months[-1]), 1)
        params |= _months_bound(months)
        params |= {"from_stamp": dt.datetime(first.year, first.month, 1),
                   "to_stamp": dt.datetime(nxt.year, nxt.month, 1)}
    stmt = _figures_stmt(scope.all_customers, bool(units), bool(months), len(cutoffs))
    found: dict[int, tuple[int, int]] = {}
    # Each row: part, goal_id, handled or open, met or overdue, month, completed_at (NULL where another part's).
    for part, goal_id, n, m, month, completed in get_session().execute(stmt, params).all():
        if part == _COUNTS:
            result.counts.append((int(goal_id), month, int(n), int(m)))
        elif part == _REOPENED:
            key = (int(goal_id), month_start(completed))
            result.reopened[key] = result.reopened.get(key, 0) + 1
        else:
            found[int(goal_id)] = (int(n), int(m or 0))
    if result.open_counts is not None:
        result.open_counts.update((g, found.get(g, (0, 0))) for g in cutoffs)
    return result


def service_goal_report(
    scope: AccessScope,
    cvr: str,
    month: dt.date | None = None,
    *,
    months_shown: int = 3,
    unit_code: str | Sequence[str] | None = None,
    today: dt.date | None = None,
    with_open: bool = False,
) -> MonthlyReport:
    """Return the Servicemålsrapport of `cvr`: one row per goal, achievement for the last 3 months."""
    # `month` (any day of it) is the last month shown, default the latest closed month. Columns:
    # goal_id, code, area, title, rule_text, target_pct, then one column per month named
    # 'YYYY-MM' (oldest first) holding the achievement or None when the month had no cases.
    # The report's `months` lists those months as dates. Rows: every goal the customer has
    # roll-ups for, grouped by area (Regnskab, Løn, Rejser, Refusion). With `with_open`, the report's
    # `open_counts` holds today's open cases per goal, of the chosen unit like the figures (and like
    # the cases a click on the count shows).
    # Empty outside `scope`.
    last = month_start(month) if month else latest_closed_month(today)
    months = [add_months(last, -i) for i in range(months_shown - 1, -1, -1)]
    labels = [f"{m:%Y-%m}" for m in months]
    empty = MonthlyReport(tuple(GOAL_COLUMNS + labels), (), tuple(months))
    if not scope.allows(cvr):
        return empty
    goals = _read_goals(customer=(scope, cvr))
    if not goals:
        return empty
    # Title, rule text and target as in force in the last month shown; each month's mark reads its own target.
    goals, targets = _in_force(goals, last, months)
    units = _units(unit_code)
    figures = _read_figures(scope, cvr, months, units, open_goals=goals if with_open else None,
                            today=today)
    values = {(g, m): achievement(met, h) for g, m, h, met in figures.counts}
    # Each goal's target as an exact fraction once, not once per month (a month's own target where it changed).
    base = {goal.goal_id: target_fraction(goal.target_pct) for goal in goals}
    marks = {(g, m): target_met(met, h, targets.get((g, m), base[g]))
             for g, m, h, met in figures.counts if h and g in base}
    rows = tuple(goal.head() | {label: values.get((goal.goal_id, m)) for label, m in zip(labels, months)}
                 for goal in goals)
    return MonthlyReport(empty.columns, rows, tuple(months), targets, marks, figures.reopened, figures.open_counts)


def _matrices(goals: pd.DataFrame, counts: Sequence[tuple[int, dt.date, int, int]],
              months: list[dt.date]) -> tuple[np.ndarray, np.ndarray]:
    """Return handled and met as goal × month matrices, rows in `goals`' order (zeros where no roll-up)."""
    row = {g: i for i, g in enumerate(goals["goal_id"].tolist())}
    col = {m: j for j, m in enumerate(months)}
    handled = np.zeros((len(row), len(col)), dtype=np.int64)
    met = np.zeros((len(row), len(col)), dtype=np.int64)
    # At most goals × months rows (a few hundred): a loop beats two pandas merges here by milliseconds.
    for goal_id, month, h, m in counts:
        i, j = row.get(goal_id), col.get(month)
        if i is not None and j is not None:
            handled[i, j] += h
            met[i, j] += m
    return handled, met


def _achievements(met: np.ndarray, handled: np.ndarray) -> pd.Series:
    """Return achievement per element as an object column (None where nothing was handled)."""
    return pd.Series([achievement(m, h) for m, h in zip(met.tolist(), handled.tolist())], dtype=object)


def _kpi_report(goals: list[_Goal], figures: _Figures, months: list[dt.date],
                targets: Mapping[tuple[int, dt.date], float]) -> MonthlyReport:
    """Return the KPI table's rows: per goal the period's figures, judged by the target in force in its last month."""
    # Plain dicts: a few dozen goals, where each pandas step cost more than the whole list work.
    shown = set(months)
    totals: dict[int, tuple[int, int]] = {}
    for goal_id, month, h, m in figures.counts:
        if month in shown:
            handled, met = totals.get(goal_id, (0, 0))
            totals[goal_id] = (handled + h, met + m)
    per_goal: dict[int, int] = {}
    for (goal_id, _month), count in figures.reopened.items():
        per_goal[goal_id] = per_goal.get(goal_id, 0) + count
    rows = []
    for goal in goals:
        handled, met = totals.get(goal.goal_id, (0, 0))
        # The period's mark on the exact fraction against the target in force in its last month.
        rows.append(goal.head() | {"achievement": achievement(met, handled), "handled": handled, "met": met,
                                   "not_met": handled - met, "target_met": target_met(met, handled, goal.target_pct),
                                   "reopened": per_goal.get(goal.goal_id, 0)})
    return MonthlyReport(tuple(KPI_COLUMNS), tuple(rows), tuple(months), dict(targets),
                         reopened=figures.reopened, open_counts=figures.open_counts)


def _series_from(goals: pd.DataFrame, matrices: tuple[np.ndarray, np.ndarray], months: list[dt.date],
                 targets: Mapping[tuple[int, dt.date], float] | None = None) -> pd.DataFrame:
    if goals.empty or not months:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    handled, met = (matrix.ravel() for matrix in matrices)
    # Long format, goal by goal and month by month within each goal (what the chart draws).
    frame = goals.loc[goals.index.repeat(len(months)), SERIES_COLUMNS[:5]].reset_index(drop=True)
    frame["month"] = pd.Series(months * len(goals), dtype=object)
    if targets:
        # Each month against the target in force that month (a catalogue change starts a new one).
        frame["target_pct"] = [targets.get((g, m), t) for g, m, t in
                               zip(frame["goal_id"].tolist(), frame["month"].tolist(), frame["target_pct"].tolist())]
    frame["handled"] = handled
    frame["met"] = met
    frame["achievement"] = _achievements(met, handled)
    return frame[SERIES_COLUMNS]


def _dashboard_goals(scope: AccessScope, cvr: str, area: str | None,
                     months: list[dt.date]) -> tuple[list[_Goal], dict[tuple[int, dt.date], float]]:
    return _in_force(_read_goals(area=area, customer=(scope, cvr)), months[-1] if months else None, months)


def kpi_table(
    scope: AccessScope,
    cvr: str,
    year: int,
    *,
    area: str | None = None,
    unit_code: str | Sequence[str] | None = None,
    today: dt.date | None = None,
    with_open: bool = False,
) -> MonthlyReport:
    """Return the KPI table of `cvr` for `year` up to the latest closed month."""
    # Columns: goal_id, code, area, title, rule_text, target_pct, achievement (None when no
    # cases), handled, met, not_met, target_met, reopened. Filters: `area` and `unit_code` (one
    # bogføringskreds / løngruppe code or a list). The report's `months` are the months counted. With
    # `with_open`, its `open_counts` holds today's open cases per goal (same unit filter), read in the
    # same statement as the figures. Empty outside `scope`.
    months = year_to_date_months(year, today)
    if not scope.allows(cvr):
        return MonthlyReport(tuple(KPI_COLUMNS), (), tuple(months))
    goals, targets = _dashboard_goals(scope, cvr, area, months)
    units = _units(unit_code)
    figures = _read_figures(scope, cvr, months, units, open_goals=goals if with_open else None,
                            today=today)
    return _kpi_report(goals, figures, months, targets)


def monthly_series(
    scope: AccessScope,
    cvr: str,
    year: int,
    *,
    area: str | None = None,
    unit_code: str | Sequence[str] | None = None,
    goal_ids: Iterable[int] | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Return monthly achievement per goal for `year` up to the latest closed month (long format)."""
    # Columns: goal_id, code, area, title, target_pct, month (date), handled, met, achievement
    # (None when the month had no cases). One row per goal and month, months without cases
    # included, so a chart can show gaps. Empty outside `scope`.
    months = year_to_date_months(year, today)
    if not scope.allows(cvr) or not months:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    goals, targets = _in_force(_read_goals(goal_ids, area, customer=(scope, cvr)), months[-1], months)
    if not goals:
        return pd.DataFrame(columns=SERIES_COLUMNS)
    frame = _frame_of(goals)
    counts = _monthly_counts(scope, cvr, months, _units(unit_code))
    return _series_from(frame, _matrices(frame, counts, months), months, targets)


def dashboard(
    scope: AccessScope,
    cvr: str,
    year: int,
    *,
    area: str | None = None,
    unit_code: str | Sequence[str] | None = None,
    today: dt.date | None = None,
) -> tuple[MonthlyReport, pd.DataFrame]:
    """Return `kpi_table` and `monthly_series` for the same filters from one read of the roll-ups."""
    if not scope.allows(cvr):
        return kpi_table(scope, cvr, year, today=today), pd.DataFrame(columns=SERIES_COLUMNS)
    months = year_to_date_months(year, today)
    goals, targets = _dashboard_goals(scope, cvr, area, months)
    figures = _read_figures(scope, cvr, months, _units(unit_code))
    # One goal × month matrix serves the series; the table sums the same counts.
    frame = _frame_of(goals)
    return (_kpi_report(goals, figures, months, targets),
            _series_from(frame, _matrices(frame, figures.counts, months), months, targets))


def days_histogram(
    scope: AccessScope,
    cvr: str,
    goal_id: int,
    year: int,
    *,
    month: dt.date | None = None,
    unit_code: str | Sequence[str] | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Return how many cases of one goal took 0, 1, 2, … working days (columns days_taken, count)."""
    # Over `year` up to the latest closed month, or only `month` when given. Empty outside `scope`.
    months = [month_start(month)] if month else year_to_date_months(year, today)
    if not scope.allows(cvr) or not months:
        return pd.DataFrame(columns=HISTOGRAM_COLUMNS)
    stmt = (
        select(MonthlyRollup.days_histogram)
        .where(MonthlyRollup.goal_id == int(goal_id), MonthlyRollup.month >= months[0], MonthlyRollup.month <= months[-1])
    )
    totals: dict[int, int] = {}
    for histogram in get_session().scalars(_rollup_filter(stmt, scope, cvr, _units(unit_code))):
        for days, count in (histogram or {}).items():
            totals[int(days)] = totals.get(int(days), 0) + int(count)
    return pd.DataFrame(sorted(totals.items()), columns=HISTOGRAM_COLUMNS)


def sa_median_achievement(
    scope: AccessScope,
    year: int,
    *,
    goal_ids: Iterable[int] | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Return, per goal, the median year-to-date achievement over all customers (SA staff only)."""
    # Columns: goal_id, code, median_achievement, customers (how many customers had cases). No
    # customer is named. A scope that is not all customers (i.e. not SA staff) gets an empty frame.
    months = year_to_date_months(year, today)
    if not scope.all_customers or not months:
        return pd.DataFrame(columns=MEDIAN_COLUMNS)
    stmt = (
        select(MonthlyRollup.goal_id, MonthlyRollup.cvr, func.sum(MonthlyRollup.handled), func.sum(MonthlyRollup.met))
        .where(scope.clause(MonthlyRollup.cvr), MonthlyRollup.month >= months[0], MonthlyRollup.month <= months[-1])
        .group_by(MonthlyRollup.goal_id, MonthlyRollup.cvr)
    )
    if goal_ids is not None:
        stmt = stmt.where(MonthlyRollup.goal_id.in_(sorted({int(g) for g in goal_ids})))
    per_customer = pd.DataFrame(get_session().execute(stmt).all(), columns=["goal_id", "cvr", "handled", "met"])
    per_customer = per_customer[per_customer["handled"] > 0]
    if per_customer.empty:
        return pd.DataFrame(columns=MEDIAN_COLUMNS)
    # The median of the customers' exact fractions, rounded once (down, like every shown figure):
    # medians of already rounded figures would drift upwards.
    fractions: dict[int, list[Fraction]] = {}
    for goal_id, m, h in zip(per_customer["goal_id"].tolist(), per_customer["met"].tolist(),
                             per_customer["handled"].tolist()):
        fractions.setdefault(int(goal_id), []).append(Fraction(int(m) * 100, int(h)))
    summary = pd.DataFrame(
        [(goal_id, floor_tenth(_median(values)), len(values)) for goal_id, values in fractions.items()],
        columns=["goal_id", "median_achievement", "count"])
    codes = _goals_frame(summary["goal_id"].tolist())[["goal_id", "code"]]
    frame = codes.merge(summary, on="goal_id")
    frame["customers"] = frame["count"].astype("int64")
    return frame[MEDIAN_COLUMNS].reset_index(drop=True)


def _open_goals(scope: AccessScope, cvr: str, goal_ids: Iterable[int] | None) -> list[tuple[int, str, int]]:
    """Return (goal id, rule kind, rule value) of the goals to count open cases for (the rule in force now)."""
    stmt = select(ServiceGoal.id, ServiceGoal.rule_kind, ServiceGoal.rule_value)
    ids = customer_goal_ids(scope, cvr) if goal_ids is None else sorted({int(g) for g in goal_ids})
    stmt = stmt.where(ServiceGoal.id.in_(ids))
    return [(int(g), kind, int(value)) for g, kind, value in get_session().execute(stmt)]


def open_cases(
    scope: AccessScope,
    cvr: str,
    *,
    goal_ids: Iterable[int] | None = None,
    unit_code: str | Sequence[str] | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Return per goal how many cases of `cvr` are still open and how many of them are past their deadline today."""
    # Columns: goal_id, open, overdue (goals without open cases: 0, 0). Overdue = completing the
    # case today would already miss the goal's rule (`data.rules.first_not_overdue`, from the one
    # rule implementation); open cases count in no month's achievement. One query of the
    # counts per day of receipt (OpenCaseDay). Empty outside `scope`.
    if not scope.allows(cvr):
        return pd.DataFrame(columns=OPEN_COLUMNS)
    today = today or danish_today()
    goals = _open_goals(scope, cvr, goal_ids)
    if not goals:
        return pd.DataFrame(columns=OPEN_COLUMNS)
    cutoffs = _cutoffs(goals, today)
    units = _units(unit_code)
    stmt = _open_stmt(scope.all_customers, bool(units), len(cutoffs))
    found = {int(g): (int(n), int(late_n or 0))
             for g, n, late_n in get_session().execute(stmt, _bound(scope, cvr, units, **_open_bound(cutoffs)))}
    rows = [(g, *found.get(g, (0, 0))) for g, _kind, _value in goals]
    return pd.DataFrame(rows, columns=OPEN_COLUMNS)


def open_case_rows(
    scope: AccessScope,
    cvr: str,
    goal_id: int,
    *,
    overdue_only: bool = False,
    unit_code: str | Sequence[str] | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Return the open cases of one goal of `cvr` behind `open_cases`' figures (drill-through rows)."""
    # Columns: case_ref, unit_code, received_at, deadline (date), working_days (working days so far,
    # counted like days taken as if completed today), overdue (bool); oldest receipt first. With
    # `overdue_only`, only the cases past their deadline (the "heraf over frist" figure). Empty
    # outside `scope` or for a goal the customer has no cases for.
    if not scope.allows(cvr):
        return pd.DataFrame(columns=OPEN_CASE_COLUMNS)
    today = today or danish_today()
    goals = _open_goals(scope, cvr, [goal_id])
    if not goals or int(goal_id) not in customer_goal_ids(scope, cvr):
        return pd.DataFrame(columns=OPEN_CASE_COLUMNS)
    _g, kind, value = goals[0]
    cutoff = first_not_overdue(kind, value, today)
    stmt = (
        select(Case.case_ref, Case.unit_code, Case.received_at)
        .where(scope.clause(Case.cvr), Case.cvr == cvr, Case.goal_id == int(goal_id), Case.completed_at.is_(None))
        .order_by(Case.received_at, Case.case_ref)
    )
    if overdue_only:
        stmt = stmt.where(Case.received_at < dt.datetime(cutoff.year, cutoff.month, cutoff.day))
    units = _units(unit_code)
    if units:
        stmt = stmt.where(Case.unit_code.in_(units))
    frame = pd.DataFrame(get_session().execute(stmt).all(), columns=OPEN_CASE_COLUMNS[:3])
    received = [r.date() for r in frame["received_at"].tolist()]
    frame["deadline"] = pd.Series([rule_deadline(kind, value, r) for r in received], dtype=object)
    # max(): a receipt later today than the clock of `today` allows (import tolerance) counts 0 days.
    frame["working_days"] = pd.Series([days_taken(r, max(r, today)) for r in received], dtype="int64")
    frame["overdue"] = pd.Series([r < cutoff for r in received], dtype=bool)
    return frame[OPEN_CASE_COLUMNS]


def _median(values: list[Fraction]) -> Fraction:
    """Return the exact median of fractions (the mean of the two middle ones for an even count)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def drill_through(
    scope: AccessScope,
    cvr: str,
    goal_id: int,
    month: dt.date,
    *,
    unit_code: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Return the cases behind one goal and month of `cvr` (the figure's handled and met)."""
    # Columns: case_ref, unit_code, received_at, completed_at, days_taken, met; ordered by
    # completion. Reads cases through the (cvr, goal_id, completed_at) index, one month only.
    # Empty outside `scope`.
    if not scope.allows(cvr):
        return pd.DataFrame(columns=DRILL_COLUMNS)
    first = month_start(month)
    start = dt.datetime(first.year, first.month, 1)
    nxt = add_months(first, 1)
    end = dt.datetime(nxt.year, nxt.month, 1)
    stmt = (
        select(Case.case_ref, Case.unit_code, Case.received_at, Case.completed_at, Case.days_taken, Case.met)
        .where(scope.clause(Case.cvr), Case.cvr == cvr, Case.goal_id == int(goal_id),
               Case.completed_at >= start, Case.completed_at < end)
        .order_by(Case.completed_at, Case.case_ref)
    )
    units = _units(unit_code)
    if units:
        stmt = stmt.where(Case.unit_code.in_(units))
    frame = pd.DataFrame(get_session().execute(stmt).all(), columns=DRILL_COLUMNS)
    frame["days_taken"] = frame["days_taken"].astype("int64")
    frame["met"] = frame["met"].astype(bool)
    return frame
