"""The service-goal catalogue (Servicemål) and its versions: what SA maintains, and which rule judged which month.

A goal's rule, target, title and rule text are versioned (``service_goal_version``): a version is in force
from its month (the first day of it) until the next version's month. A goal never changed has no version
rows; its ``service_goal`` columns then hold for every month (`goal_versions` returns them as one version
from `EARLIEST`). On the first change the state before is kept as that base version, so earlier months keep
their rule. The ``service_goal`` columns always mirror the newest version (what the catalogue shows).

A new version may only start at the first day of a month that is not closed yet (the current month or
later): closed months have been reported and are never judged again. Saving a version re-judges the cases
already imported for the months it now governs (only open months) and rewrites their roll-ups, so those
months follow the new rule too. Every save is validated with Danish messages per field, optimistically
locked on ``service_goal.version`` (compared inside the UPDATE) and audited.

The catalogue is not customer data: reads need no scope. Writes are SA's (the callbacks are guarded by
Action.EDIT_CONTENT); the re-judging reads and writes cases of every customer and says so (`unscoped`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from core.formatting import da_date, da_month, form_date
from data import audit, validators
from data.cases_import.rollups import recompute_rollups
from data.db import get_session, transaction
from data.errors import Refused, ValidationError
from data.models import Case, ServiceGoal, ServiceGoalVersion
from data.rules import AREAS, RuleKind, add_months, by_day_met, month_start, within_days_met
from data.scoping import unscoped
from data.validators import ascii_digits, valid_id
from data.workdays import MIN_YEAR, danish_today

ENTITY = "service_goal"
# The base version of a goal never changed starts here: before every month a case can count in.
EARLIEST = dt.date(MIN_YEAR, 1, 1)

MAX_LENGTHS = {"code": 10, "title": 200, "rule_text": 2000, "rule_value": 3, "target_pct": 7, "valid_from": 10}
FIELD_LABELS = {"code": "Kode", "area": "Område", "title": "Titel", "rule_text": "Regeltekst",
                "rule_kind": "Regeltype", "rule_value": "Parameter", "target_pct": "Mål %", "valid_from": "Gælder fra"}
RULE_KIND_LABELS = {RuleKind.WITHIN_DAYS.value: "Inden for N arbejdsdage",
                    RuleKind.BY_DAY_OF_MONTH.value: "Senest dag D i måneden"}
# Within N working days: 0 (same day) up to a quarter's working days; by day D: a day of the month.
RULE_VALUE_RANGE = {RuleKind.WITHIN_DAYS.value: (0, 60), RuleKind.BY_DAY_OF_MONTH.value: (1, 31)}
_CODE = re.compile(r"^[A-ZÆØÅ][A-ZÆØÅ0-9]{0,9}$")
_DATE_FORMATS = ("%d-%m-%Y", "%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d")
_MONTH_FORMATS = ("%m-%Y", "%m.%Y", "%m/%Y", "%Y-%m")


class GoalError(Refused):
    """A catalogue write that was refused; `message` is Danish and safe to show."""


class GoalValidationError(ValidationError, GoalError):
    """One or more fields are invalid; `errors` maps field name to a Danish message."""

    def __init__(self, errors: Mapping[str, str]):
        super().__init__(errors, "Servicemålet er ikke gemt. Ret de markerede felter.")


class GoalNotFound(GoalError):
    """The goal does not exist (a forged or stale id)."""

    def __init__(self) -> None:
        super().__init__("Servicemålet findes ikke (længere). Genindlæs siden.")


class GoalConflict(GoalError):
    """Someone else saved the goal after the form loaded it; nothing was written."""

    def __init__(self, updated_by: str | None) -> None:
        who = (updated_by or "").strip() or "en anden bruger"
        super().__init__(f"Servicemålet er ændret samtidig af {who}, efter du åbnede formularen. "
                         "Intet er gemt — genindlæs og ret igen.")


@dataclass(frozen=True)
class GoalRule:
    """One version of a goal: in force from `valid_from` (first of a month) until the next version's month."""

    valid_from: dt.date
    title: str
    rule_text: str
    rule_kind: str
    rule_value: int
    target_pct: float
    created_at: dt.datetime | None = None
    created_by: str = ""


@dataclass(frozen=True)
class GoalInput:
    """Validated, normalised form values of a catalogue save."""

    title: str
    rule_text: str
    rule_kind: str
    rule_value: int
    target_pct: Decimal
    valid_from: dt.date
    code: str = ""
    area: str = ""


# --- months ----------------------------------------------------------------------------------------


def first_open_month(today: dt.date | None = None) -> dt.date:
    """Return the first month a new version may start in: the current month (every earlier one is closed)."""
    return month_start(today or danish_today())


def rule_in_force(versions: Sequence[GoalRule], month: dt.date) -> GoalRule:
    """Return the version of `versions` (oldest first) in force in `month`; before the first, the first."""
    chosen = versions[0]
    for version in versions:
        if version.valid_from <= month:
            chosen = version
        else:
            break
    return chosen


# --- reads -----------------------------------------------------------------------------------------


def _base(goal: Any) -> GoalRule:
    return GoalRule(EARLIEST, goal.title, goal.rule_text, goal.rule_kind, int(goal.rule_value), float(goal.target_pct))


def goal_versions(session: Session | None = None, goal_ids: Iterable[int] | None = None) -> dict[int, list[GoalRule]]:
    """Return every goal's versions, oldest first (a goal never changed: its catalogue row from `EARLIEST`)."""
    session = session or get_session()
    ids = None if goal_ids is None else sorted({int(g) for g in goal_ids})
    if ids == []:
        return {}
    goals_stmt = select(ServiceGoal.id, ServiceGoal.title, ServiceGoal.rule_text, ServiceGoal.rule_kind,
                        ServiceGoal.rule_value, ServiceGoal.target_pct)
    versions_stmt = select(ServiceGoalVersion).order_by(ServiceGoalVersion.goal_id, ServiceGoalVersion.valid_from)
    if ids is not None:
        goals_stmt = goals_stmt.where(ServiceGoal.id.in_(ids))
        versions_stmt = versions_stmt.where(ServiceGoalVersion.goal_id.in_(ids))
    result: dict[int, list[GoalRule]] = {}
    for v in session.scalars(versions_stmt):
        result.setdefault(v.goal_id, []).append(GoalRule(v.valid_from, v.title, v.rule_text, v.rule_kind,
                                                         int(v.rule_value), float(v.target_pct), v.created_at,
                                                         v.created_by))
    for goal in session.execute(goals_stmt):
        result.setdefault(goal.id, [_base(goal)])
    return result


def _view(goal: ServiceGoal, versions: Sequence[GoalRule], month: dt.date) -> dict[str, Any]:
    current = rule_in_force(versions, month)
    upcoming = [v for v in versions if v.valid_from > month]
    return {
        "id": goal.id, "code": goal.code, "area": goal.area, "sort_order": goal.sort_order,
        "version": goal.version, "updated_at": goal.updated_at, "updated_by": goal.updated_by,
        "title": current.title, "rule_text": current.rule_text, "rule_kind": current.rule_kind,
        "rule_value": current.rule_value, "target_pct": current.target_pct,
        "valid_from": None if current.valid_from == EARLIEST else current.valid_from,
        "next": upcoming[0] if upcoming else None,
        "versions": list(versions),
    }


def catalogue(today: dt.date | None = None) -> list[dict[str, Any]]:
    """Return the catalogue as SA reads it: each goal's version in force this month, and the next one if any."""
    session = get_session()
    month = first_open_month(today)
    versions = goal_versions(session)
    goals = session.scalars(select(ServiceGoal).execution_options(populate_existing=True)).all()
    order = {area: i for i, area in enumerate(AREAS)}
    goals = sorted(goals, key=lambda g: (order.get(g.area, len(AREAS)), g.sort_order, g.code))
    return [_view(goal, versions[goal.id], month) for goal in goals]


def get_goal(goal_id: Any, today: dt.date | None = None) -> dict[str, Any] | None:
    """Return one goal as `catalogue` shows it, or None for an unknown id."""
    if not valid_id(goal_id):
        return None
    session = get_session()
    goal = session.scalar(select(ServiceGoal).where(ServiceGoal.id == goal_id)
                          .execution_options(populate_existing=True))
    if goal is None:
        return None
    return _view(goal, goal_versions(session, [goal.id])[goal.id], first_open_month(today))


# --- validation ------------------------------------------------------------------------------------


def _text(raw: Mapping[str, Any], key: str, errors: dict[str, str], *, required: bool = True,
          multiline: bool = False) -> str:
    value = validators.text_field(raw, key, errors, label=FIELD_LABELS[key], max_length=MAX_LENGTHS[key],
                                  clean=validators.trimmed if multiline else validators.one_line, multiline=multiline)
    if required and not value and key not in errors:
        errors[key] = validators.required_message(FIELD_LABELS[key])
    return value


def _parse_month(value: str) -> tuple[dt.date | None, bool]:
    """Return (the date, whether a day was given) of a 'DD-MM-ÅÅÅÅ', ISO or 'MM-ÅÅÅÅ' text; (None, False) if bad."""
    for formats, with_day in ((_DATE_FORMATS, True), (_MONTH_FORMATS, False)):
        for fmt in formats:
            try:
                return dt.datetime.strptime(value, fmt).date(), with_day
            except ValueError:
                continue
    return None, False


def _valid_from(raw: Mapping[str, Any], errors: dict[str, str], today: dt.date | None) -> dt.date:
    text = _text(raw, "valid_from", errors)
    if not text or "valid_from" in errors:
        return EARLIEST
    day, _with_day = _parse_month(text)
    if day is None or not MIN_YEAR <= day.year <= 2100:
        errors["valid_from"] = "Gælder fra skal være en dato som 01-01-2027 (den 1. i en måned)."
        return EARLIEST
    if day.day != 1:
        errors["valid_from"] = (f"Gælder fra skal være den 1. i en måned: en ændring gælder for hele måneder "
                                f"(fx {form_date(add_months(month_start(day), 1))}).")
        return EARLIEST
    first = first_open_month(today)
    if day < first:
        errors["valid_from"] = (f"Måneder før {da_month(first)} er afsluttet og rapporteret og ændres ikke "
                                f"bagudrettet. En ændring kan tidligst gælde fra {da_date(first)}.")
        return EARLIEST
    return day


def _rule(raw: Mapping[str, Any], errors: dict[str, str]) -> tuple[str, int]:
    kind = raw.get("rule_kind")
    if kind not in RULE_KIND_LABELS:
        errors["rule_kind"] = "Vælg en regeltype."
        return "", 0
    value = raw.get("rule_value")
    if ascii_digits(value.strip() if isinstance(value, str) else value) and len(value.strip()) <= MAX_LENGTHS["rule_value"]:
        value = int(value.strip())
    low, high = RULE_VALUE_RANGE[kind]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        unit = "arbejdsdage" if kind == RuleKind.WITHIN_DAYS.value else "dag i måneden"
        errors["rule_value"] = f"Parameter skal være et helt tal fra {low} til {high} ({unit})."
        return kind, 0
    return kind, value


def _target(raw: Mapping[str, Any], errors: dict[str, str]) -> Decimal:
    value = raw.get("target_pct")
    message = "Mål % skal være et tal fra 0 til 100 med højst to decimaler (fx 95 eller 97,5)."
    if isinstance(value, bool) or value is None or (isinstance(value, str) and not value.strip()):
        errors["target_pct"] = validators.required_message(FIELD_LABELS["target_pct"]) if value in (None, "") \
            else message
        return Decimal(0)
    try:
        if isinstance(value, str):
            if len(value) > 20:
                raise InvalidOperation
            number = Decimal(value.strip().replace(" ", "").removesuffix("%").replace(",", "."))
        elif isinstance(value, (int, float)):
            number = Decimal(str(value))
        else:
            raise InvalidOperation
    except InvalidOperation:
        errors["target_pct"] = message
        return Decimal(0)
    if not number.is_finite() or not 0 <= number <= 100 or number != number.quantize(Decimal("0.01")):
        errors["target_pct"] = message
        return Decimal(0)
    return number.quantize(Decimal("0.01"))


def validate(raw: Mapping[str, Any], *, new: bool, today: dt.date | None = None) -> GoalInput:
    """Validate and normalise a catalogue form; raise GoalValidationError with Danish messages per field."""
    if not isinstance(raw, Mapping):
        raise GoalValidationError({"title": validators.INVALID_VALUE})
    errors: dict[str, str] = {}
    code = area = ""
    if new:
        code = _text(raw, "code", errors).upper()
        if code and "code" not in errors and not _CODE.match(code):
            errors["code"] = "Kode skal være bogstaver og tal uden mellemrum, begyndende med et bogstav (fx A6)."
        area = raw.get("area") if raw.get("area") in AREAS else ""
        if not area:
            errors["area"] = "Vælg et område."
    title = _text(raw, "title", errors)
    rule_text = _text(raw, "rule_text", errors, multiline=True)
    kind, value = _rule(raw, errors)
    target = _target(raw, errors)
    valid_from = _valid_from(raw, errors, today)
    if errors:
        raise GoalValidationError(errors)
    return GoalInput(title, rule_text, kind, value, target, valid_from, code, area)


# --- writes ----------------------------------------------------------------------------------------


def _who(user: Any) -> str:
    return audit.user_label(user)[:254]


def _audit_view(rule: GoalRule | GoalInput, code: str) -> dict[str, Any]:
    return {"code": code, "valid_from": rule.valid_from, "title": rule.title, "rule_text": rule.rule_text,
            "rule_kind": rule.rule_kind, "rule_value": rule.rule_value, "target_pct": float(rule.target_pct)}


def _version_row(goal_id: int, data: GoalInput, who: str) -> ServiceGoalVersion:
    return ServiceGoalVersion(goal_id=goal_id, valid_from=data.valid_from, title=data.title, rule_text=data.rule_text,
                              rule_kind=data.rule_kind, rule_value=data.rule_value, target_pct=data.target_pct,
                              created_by=who)


def create_goal(user: Any, raw: Mapping[str, Any], today: dt.date | None = None) -> dict[str, Any]:
    """Add a goal to the catalogue, in force from its valid-from month; raise GoalError when refused."""
    with transaction() as session:
        data = validate(raw, new=True, today=today)
        if session.scalar(select(ServiceGoal.id).where(func.upper(ServiceGoal.code) == data.code)) is not None:
            raise GoalValidationError({"code": f"Koden {data.code} findes allerede i kataloget."})
        last = session.scalar(select(func.max(ServiceGoal.sort_order)).where(ServiceGoal.area == data.area)) or 0
        who = _who(user)
        goal = ServiceGoal(code=data.code, area=data.area, title=data.title, rule_text=data.rule_text,
                           rule_kind=data.rule_kind, rule_value=data.rule_value, target_pct=data.target_pct,
                           sort_order=last + 1, version=1, updated_at=dt.datetime.now(dt.timezone.utc), updated_by=who)
        session.add(goal)
        session.flush()
        session.add(_version_row(goal.id, data, who))
        audit.record(session, user, "create", ENTITY, goal.id, None, None, _audit_view(data, data.code))
        goal_id = goal.id
    return get_goal(goal_id, today)


def change_goal(user: Any, goal_id: Any, version: Any, raw: Mapping[str, Any],
                today: dt.date | None = None) -> dict[str, Any]:
    """Save a new version of a goal from its valid-from month; raise GoalConflict, GoalNotFound, GoalValidationError."""
    # A version with the same month as an existing one replaces it: that month is not closed, so
    # nothing reported used it. Earlier versions and their months are never touched.
    with transaction() as session:
        goal = session.scalar(select(ServiceGoal).where(ServiceGoal.id == goal_id)
                              .execution_options(populate_existing=True)) if valid_id(goal_id) else None
        if goal is None:
            raise GoalNotFound()
        if not valid_id(version) or goal.version != version:
            raise GoalConflict(goal.updated_by)
        data = validate(raw, new=False, today=today)
        gid, code, who = goal.id, goal.code, _who(user)
        versions = goal_versions(session, [goal.id])[goal.id]
        before = rule_in_force(versions, data.valid_from)
        stored = session.scalar(select(func.count()).select_from(ServiceGoalVersion)
                                .where(ServiceGoalVersion.goal_id == goal.id))
        # The version the form loaded is compared inside the UPDATE: if another save committed in
        # between, no row matches and nothing is written.
        result = session.execute(
            update(ServiceGoal).where(ServiceGoal.id == goal.id, ServiceGoal.version == version)
            .values(version=version + 1, updated_at=dt.datetime.now(dt.timezone.utc), updated_by=who)
            .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            session.rollback()
            current = session.scalar(select(ServiceGoal.updated_by).where(ServiceGoal.id == goal_id))
            raise GoalConflict(current)
        if not stored:
            # The first change: the catalogue row as it was becomes the base version, so every
            # earlier month keeps the rule and target it was judged and reported by.
            base = versions[0]
            session.add(ServiceGoalVersion(goal_id=goal.id, valid_from=EARLIEST, title=base.title,
                                           rule_text=base.rule_text, rule_kind=base.rule_kind,
                                           rule_value=base.rule_value, target_pct=Decimal(str(base.target_pct)),
                                           created_by=who))
        same = session.scalar(select(ServiceGoalVersion).where(ServiceGoalVersion.goal_id == goal.id,
                                                               ServiceGoalVersion.valid_from == data.valid_from))
        if same is not None:
            for key in ("title", "rule_text", "rule_kind", "rule_value", "target_pct"):
                setattr(same, key, getattr(data, key))
            same.created_at, same.created_by = dt.datetime.now(dt.timezone.utc), who
        else:
            session.add(_version_row(goal.id, data, who))
        session.flush()
        versions = goal_versions(session, [goal.id])[goal.id]
        newest = versions[-1]
        session.execute(update(ServiceGoal).where(ServiceGoal.id == goal.id).values(
            title=newest.title, rule_text=newest.rule_text, rule_kind=newest.rule_kind,
            rule_value=newest.rule_value, target_pct=Decimal(str(newest.target_pct)))
            .execution_options(synchronize_session=False))
        later = [v.valid_from for v in versions if v.valid_from > data.valid_from]
        if (before.rule_kind, before.rule_value) != (data.rule_kind, data.rule_value):
            rejudge_cases(session, goal.id, data.valid_from, later[0] if later else None,
                          data.rule_kind, data.rule_value)
        audit.record(session, user, "update", ENTITY, goal.id, None, _audit_view(before, code),
                     _audit_view(data, code))
    session.expire_all()
    return get_goal(gid, today)


def rejudge_cases(session: Session, goal_id: int, start: dt.date, end: dt.date | None, rule_kind: str,
                  rule_value: int) -> int:
    """Judge again the cases of one goal completed in [start, end) by the given rule; rewrite their roll-ups."""
    # Only open months reach here (a version never starts in a closed month), so no reported figure
    # changes. Vectorised like the import: one read, one numpy evaluation, one executemany.
    # Returns how many cases changed.
    table = Case.__table__
    with unscoped(session, "a service-goal version re-judges the open months of every customer"):
        conn = session.connection()
        stmt = (select(table.c.id, table.c.cvr, table.c.unit_code, table.c.received_at, table.c.completed_at,
                       table.c.days_taken, table.c.met)
                .where(table.c.goal_id == goal_id, table.c.completed_at.is_not(None),
                       table.c.completed_at >= dt.datetime(start.year, start.month, 1)))
        if end is not None:
            stmt = stmt.where(table.c.completed_at < dt.datetime(end.year, end.month, 1))
        rows = conn.execute(stmt).all()
        if not rows:
            return 0
        ids, cvrs, units, received, completed, taken, met = zip(*rows)
        rec = np.array([r.date() for r in received], dtype="datetime64[D]")
        comp = np.array([c.date() for c in completed], dtype="datetime64[D]")
        if rule_kind == RuleKind.WITHIN_DAYS.value:
            judged = within_days_met(np.asarray(taken, dtype=np.int64), int(rule_value))
        else:
            judged = by_day_met(rec, comp, int(rule_value))
        changed = np.flatnonzero(judged != np.asarray([bool(m) for m in met]))
        if not len(changed):
            return 0
        conn.execute(update(table).where(table.c.id == bindparam("case_id")).values(met=bindparam("new_met")),
                     [{"case_id": ids[i], "new_met": bool(judged[i])} for i in changed.tolist()])
        keys = {(cvrs[i], goal_id, units[i], month_start(completed[i])) for i in changed.tolist()}
        recompute_rollups(conn, keys)
    return len(changed)
