"""Rapporter's KPI table: drawn with the page (its layout) and again by its callback when a filter changes."""

from __future__ import annotations

from typing import Any

from auth.guard import AccessContext
from core.access import can_do, customer_scope
from core.formatting import da_month, da_percent
from core.rights import Action
from data import kpi
from data import units as unit_data
from data.rules import AREAS
from data.workdays import danish_today
from pages._drill import OPEN_KINDS

ALL_VALUE = "alle"
MIN_YEAR = 2000


class BadFilter(ValueError):
    """Raised when a filter value from the browser is not one the page offers."""


def _year(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_YEAR <= value <= danish_today().year:
        raise BadFilter("Ugyldigt år.")
    return value


def _area(value: Any) -> str | None:
    if value in (None, ALL_VALUE):
        return None
    if value not in AREAS:
        raise BadFilter("Ukendt område.")
    return value


def _checked_unit(ctx: AccessContext, value: Any) -> dict[str, str] | None:
    # The unit's name comes with the check (one statement): the printout names the unit it is limited to.
    if value in (None, ALL_VALUE):
        return None
    unit = unit_data.customer_unit(ctx.scope, ctx.cvr, value) if isinstance(value, str) else None
    if unit is None:
        raise BadFilter("Ukendt bogføringskreds eller løngruppe.")
    return unit


def _unit(ctx: AccessContext, value: Any) -> str | None:
    unit = _checked_unit(ctx, value)
    return unit["code"] if unit else None


def with_open_cases(report: kpi.MonthlyReport) -> list[dict]:
    """Return the KPI table's rows with today's open cases per goal and how many are past their deadline."""
    if report.open_counts is None:
        raise ValueError("the KPI table was read without its open cases (with_open=True)")
    records = report.records()
    for record in records:
        record["open"], record["overdue"] = report.open_counts.get(record["goal_id"], (0, 0))
    return records


def kpi_rows(ctx: AccessContext, records: list[dict], year: int) -> list[dict]:
    """Return the KPI table's records as grid rows with Danish texts (and the SA median for SA staff)."""
    medians: dict[int, float] = {}
    with_median = can_do(ctx.user, Action.SEE_ALL_CUSTOMERS_MEDIAN)
    if with_median:
        median = kpi.sa_median_achievement(customer_scope(ctx.user), year, goal_ids=[r["goal_id"] for r in records])
        medians = dict(zip(median["goal_id"], median["median_achievement"]))
    rows = []
    for record in records:
        value = record["achievement"]
        met = record["target_met"]  # decided on the exact fraction, not on the rounded figure
        mark = "" if met is None else (" ✓ nået" if met else " ✗ ikke nået")
        rows.append({
            "code": record["code"], "title": record["title"], "area": record["area"],
            "target_text": da_percent(record["target_pct"]), "ytd_text": da_percent(value) + mark,
            "handled": int(record["handled"]), "met": int(record["met"]), "not_met": int(record["not_met"]),
            "reopened": int(record.get("reopened") or 0),
            "open": int(record.get("open") or 0), "overdue": int(record.get("overdue") or 0),
            "median_text": da_percent(medians.get(record["goal_id"])) if with_median else None,
        })
    return rows


def no_cases_text(year: int, filtered: bool) -> str:
    """Return the Danish message for a year (and filters) without any case."""
    return f"Ingen sager for de valgte filtre i {year}." if filtered else f"Ingen sager i {year}."


def filters_text(year: int, area: str | None, unit: dict[str, str] | None) -> str:
    """Return the printout's line of the checked filters, worded as the page's pickers show them."""
    unit_text = f"{unit['code']} – {unit['name']}" if unit else "Alle"
    return f"År: {year} · Område: {area or 'Alle områder'} · Bogføringskreds / løngruppe: {unit_text}"


def _no_dashboard(text: str, months: list[dict] | None = None, filters: str = "") -> dict:
    return {"rows": [], "status": text, "months": months or [], "month": months[0]["value"] if months else None,
            "filters": filters}


def dashboard_table(ctx: AccessContext, year: Any, area: Any, unit: Any) -> dict:
    """Return the KPI grid's rows, the status line, the drill-through's months and the printout's filter line."""
    try:
        year, area, checked = _year(year), _area(area), _checked_unit(ctx, unit)
    except BadFilter as exc:
        # The status line says what was wrong; the printout names no filter it could not check.
        return _no_dashboard(str(exc))
    unit = checked["code"] if checked else None
    filters = filters_text(year, area, checked)
    # Today's open cases come in the same statement as the year's figures.
    report = kpi.kpi_table(ctx.scope, ctx.cvr, year, area=area, unit_code=unit, with_open=True)
    months = report.months
    if not months:
        return _no_dashboard(f"Der er ingen afsluttede måneder i {year} endnu.", filters=filters)
    options = [{"label": da_month(m).capitalize(), "value": m.isoformat()} for m in reversed(months)]
    # The drill-through's month picker also offers today's open cases (all, or only those past their deadline).
    options += [{"label": label, "value": value} for value, label in OPEN_KINDS.items()]
    records = with_open_cases(report)
    if not sum(record["handled"] for record in records):
        # A bogføringskreds with Område = Løn (or any filter without cases) says so, not a table of "–".
        return _no_dashboard(no_cases_text(year, filtered=bool(area or unit)), options, filters)
    status = f"År til og med {da_month(months[-1])}. Servicemål opfyldt: ✓, ikke opfyldt: ✗, ingen sager: –."
    return {"rows": kpi_rows(ctx, records, year), "status": status, "months": options,
            "month": options[0]["value"], "filters": filters}
