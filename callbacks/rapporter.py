"""Rapporter callbacks: KPI table and chart, days-taken histogram, drill-through and exports."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import pandas as pd
from dash import Input, Output, State, ctx as dash_ctx, no_update
from dash.exceptions import PreventUpdate

from auth.access import can_do, customer_scope
from auth.guard import AccessContext, portal_callback
from auth.rights import Action, Menu
from data import kpi, reports
from data.rules import AREAS, goal_met_target, latest_closed_month
from data.workdays import danish_today
from pages._chart_table import chart_table
from pages._export import send_csv
from pages._format import da_month, da_month_short, da_number, da_percent
from pages._grid import export_file_name, send_xlsx
from pages.ids import rapporter as Ids

ALL = "alle"
MIN_YEAR = 2000
EXPORT_COLUMNS = [
    ("code", "Mål"), ("title", "Målbeskrivelse"), ("target_pct", "Servicemål %"),
    ("achievement", "Mål - år til seneste afsluttede måned %"), ("handled", "Antal - år til seneste afsluttede måned"),
    ("met", "Antal behandlet inden for frist"), ("not_met", "Antal behandlet uden for frist"),
]
DRILL_COLUMNS = [("case_ref", "Sagsreference"), ("unit_code", "Enhed"), ("received_at", "Modtaget"),
                 ("completed_at", "Afsluttet"), ("days_taken", "Arbejdsdage"), ("met", "Overholdt")]


class BadFilter(ValueError):
    """Raised when a filter value from the browser is not one the page offers."""


def _year(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_YEAR <= value <= danish_today().year:
        raise BadFilter("Ugyldigt år.")
    return value


def _area(value: Any) -> str | None:
    if value in (None, ALL):
        return None
    if value not in AREAS:
        raise BadFilter("Ukendt område.")
    return value


def _unit(ctx: AccessContext, value: Any) -> str | None:
    if value in (None, ALL):
        return None
    if not isinstance(value, str) or value not in {u["code"] for u in reports.unit_options(ctx.scope, ctx.cvr)}:
        raise BadFilter("Ukendt bogføringskreds eller løngruppe.")
    return value


def _goal(ctx: AccessContext, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value not in kpi.customer_goal_ids(ctx.scope, ctx.cvr):
        raise BadFilter("Ukendt servicemål.")
    return value


def _month(value: Any) -> dt.date:
    try:
        month = dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        month = None
    if month is None or month.day != 1 or month > latest_closed_month() or month.year < MIN_YEAR:
        raise BadFilter("Ugyldig måned.")
    return month


def kpi_rows(ctx: AccessContext, table: pd.DataFrame, year: int) -> list[dict]:
    """Return the KPI table as grid rows with Danish texts (and the SA median for SA staff)."""
    medians: dict[int, float] = {}
    with_median = can_do(ctx.user, Action.SEE_ALL_CUSTOMERS_MEDIAN)
    if with_median:
        median = kpi.sa_median_achievement(customer_scope(ctx.user), year, goal_ids=table["goal_id"].tolist())
        medians = dict(zip(median["goal_id"], median["median_achievement"]))
    rows = []
    for record in table.to_dict("records"):
        value = record["achievement"]
        met = goal_met_target(value, record["target_pct"])
        mark = "" if met is None else (" ✓ nået" if met else " ✗ ikke nået")
        rows.append({
            "code": record["code"], "title": record["title"], "area": record["area"],
            "target_text": da_percent(record["target_pct"]), "ytd_text": da_percent(value) + mark,
            "handled": int(record["handled"]), "met": int(record["met"]), "not_met": int(record["not_met"]),
            "median_text": da_percent(medians.get(record["goal_id"])) if with_median else None,
        })
    return rows


class GoalSeries(NamedTuple):
    """One goal's monthly achievement, as the chart and its table show it."""

    code: str
    title: str
    target_pct: float
    months: list[dt.date]
    achievement: list[float | None]


def goal_series(series: pd.DataFrame) -> list[GoalSeries]:
    """Split the monthly series per goal, in the series' order (plain lists: pandas groupby costs ms here)."""
    goals: dict[str, GoalSeries] = {}
    columns = (series[name].tolist() for name in ("code", "title", "target_pct", "month", "achievement"))
    for code, title, target, month, value in zip(*columns):
        goal = goals.get(code)
        if goal is None:
            goal = goals[code] = GoalSeries(code, title, float(target), [], [])
        goal.months.append(month)
        goal.achievement.append(None if value is None or value != value else float(value))
    return list(goals.values())


def chart_figure(goals: list[GoalSeries]) -> dict:
    """Return the monthly achievement per goal with each goal's target as a dashed line (figure dict)."""
    data: list[dict] = []
    values = [v for goal in goals for v in goal.achievement if v is not None]
    floor = max(0.0, min(values, default=0.0) - 5.0)
    for goal in goals:
        x = [da_month_short(m) for m in goal.months]
        data.append({"type": "scatter", "mode": "lines+markers", "name": f"{goal.code} {goal.title}",
                     "legendgroup": goal.code, "x": x, "y": goal.achievement,
                     "hovertemplate": "%{x}: %{y:.1f} %<extra>" + goal.code + "</extra>"})
        data.append({"type": "scatter", "mode": "lines", "name": f"{goal.code} mål", "legendgroup": goal.code,
                     "showlegend": False, "x": x, "y": [goal.target_pct] * len(x), "line": {"dash": "dash", "width": 1},
                     "hovertemplate": "Mål: %{y:.0f} %<extra>" + goal.code + "</extra>"})
    return {"data": data, "layout": {
        "height": 380, "margin": {"l": 50, "r": 10, "t": 20, "b": 40}, "separators": ",.",
        "yaxis": {"title": {"text": "Målopfyldelse %"}, "range": [floor, 101]},
        "legend": {"orientation": "h", "y": -0.2},
    }}


def figures_table(goals: list[GoalSeries]) -> Any:
    """Return the chart's monthly achievement per goal as a folded table (the chart's text alternative)."""
    if not goals:
        return None
    months = list(dict.fromkeys(m for goal in goals for m in goal.months))
    rows = []
    for goal in goals:
        by_month = dict(zip(goal.months, goal.achievement))
        rows.append((f"{goal.code} {goal.title}",
                     [da_percent(goal.target_pct)] + [da_percent(by_month.get(m)) for m in months]))
    return chart_table("Vis tallene bag grafen som tabel", "Målopfyldelse pr. måned og servicemål (–: ingen sager)",
                       ["Mål", "Servicemål"] + [da_month_short(m) for m in months], rows)


def _message_figure(text: str) -> dict:
    return {"data": [], "layout": {"height": 200, "xaxis": {"visible": False}, "yaxis": {"visible": False},
                                   "annotations": [{"text": text, "showarrow": False, "font": {"size": 14}}]}}


@portal_callback(
    output=dict(rows=Output(Ids.GRID, "rowData"), chart=Output(Ids.CHART, "figure"), status=Output(Ids.STATUS, "children"),
                months=Output(Ids.DRILL_MONTH, "options"), month=Output(Ids.DRILL_MONTH, "value"),
                table=Output(Ids.CHART_TABLE, "children")),
    inputs=dict(year=Input(Ids.YEAR, "value"), area=Input(Ids.AREA, "value"), unit=Input(Ids.UNIT, "value")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.RAPPORTER,
)
def render_dashboard(ctx: AccessContext, year: Any, area: Any, unit: Any):
    """Render the KPI table and the monthly chart for the chosen year and filters."""
    try:
        year, area, unit = _year(year), _area(area), _unit(ctx, unit)
    except BadFilter as exc:
        return {"rows": [], "chart": _message_figure(str(exc)), "status": str(exc), "months": [], "month": None,
                "table": None}
    table, series = kpi.dashboard(ctx.scope, ctx.cvr, year, area=area, unit_code=unit)
    months = table.attrs.pop("months", [])
    if not months:
        text = f"Der er ingen afsluttede måneder i {year} endnu."
        return {"rows": [], "chart": _message_figure(text), "status": text, "months": [], "month": None,
                "table": None}
    status = f"År til og med {da_month(months[-1])}. Servicemål opfyldt: ✓, ikke opfyldt: ✗, ingen sager: –."
    options = [{"label": da_month(m).capitalize(), "value": m.isoformat()} for m in reversed(months)]
    goals = goal_series(series)
    figure = chart_figure(goals) if goals else _message_figure("Ingen sager i perioden.")
    return {"rows": kpi_rows(ctx, table, year), "chart": figure, "status": status, "months": options,
            "month": options[0]["value"], "table": figures_table(goals)}


@portal_callback(
    output=dict(figure=Output(Ids.HISTOGRAM, "figure"), table=Output(Ids.HISTOGRAM_TABLE, "children")),
    inputs=dict(goal=Input(Ids.GOAL, "value"), year=Input(Ids.YEAR, "value"), unit=Input(Ids.UNIT, "value")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.RAPPORTER,
)
def render_histogram(ctx: AccessContext, goal: Any, year: Any, unit: Any):
    """Render how many working days the chosen goal's cases took in the year."""
    try:
        goal_id, year, unit = _goal(ctx, goal), _year(year), _unit(ctx, unit)
    except BadFilter as exc:
        return {"figure": _message_figure(str(exc)), "table": None}
    frame = kpi.days_histogram(ctx.scope, ctx.cvr, goal_id, year, unit_code=unit)
    if frame.empty:
        return {"figure": _message_figure("Ingen sager i perioden."), "table": None}
    days, counts = frame["days_taken"].tolist(), frame["count"].tolist()
    figure = {"data": [{"type": "bar", "x": days, "y": counts,
                        "hovertemplate": "%{x} arbejdsdage: %{y} sager<extra></extra>"}],
              "layout": {"height": 300, "margin": {"l": 50, "r": 10, "t": 10, "b": 40}, "separators": ",.",
                         "xaxis": {"title": {"text": "Arbejdsdage"}, "dtick": 1},
                         "yaxis": {"title": {"text": "Antal sager"}}}}
    table = chart_table("Vis som tabel", f"Antal sager pr. antal arbejdsdage i {year}", ["Arbejdsdage", "Antal sager"],
                        [(str(day), [da_number(count)]) for day, count in zip(days, counts)])
    return {"figure": figure, "table": table}


def _drill_rows(frame: pd.DataFrame) -> list[dict]:
    rows = frame.to_dict("records")
    for row in rows:
        row["received_at"] = row["received_at"].strftime("%Y-%m-%d %H:%M") if row["received_at"] is not None else ""
        row["completed_at"] = row["completed_at"].strftime("%Y-%m-%d %H:%M") if row["completed_at"] is not None else ""
    return rows


@portal_callback(
    output=Output(Ids.DOWNLOAD, "data"),
    inputs=dict(drill=Input(Ids.DRILL_BUTTON, "n_clicks"), csv_clicks=Input(Ids.EXPORT_CSV, "n_clicks"),
                xlsx_clicks=Input(Ids.EXPORT_XLSX, "n_clicks")),
    state=dict(goal=State(Ids.GOAL, "value"), month=State(Ids.DRILL_MONTH, "value"), year=State(Ids.YEAR, "value"),
               area=State(Ids.AREA, "value"), unit=State(Ids.UNIT, "value"), cvr=State(Ids.CVR, "data")),
    menu=Menu.RAPPORTER,
    prevent_initial_call=True,
)
def download(ctx: AccessContext, drill: Any, csv_clicks: Any, xlsx_clicks: Any, goal: Any, month: Any, year: Any,
             area: Any, unit: Any):
    """Download the cases behind one goal and month (CSV), or the KPI table with its filters (CSV/XLSX)."""
    trigger = dash_ctx.triggered_id
    try:
        unit = _unit(ctx, unit)
        if trigger == Ids.DRILL_BUTTON and drill:
            goal_id, month = _goal(ctx, goal), _month(month)
            frame = kpi.drill_through(ctx.scope, ctx.cvr, goal_id, month, unit_code=unit)
            code = reports.goal_code(goal_id)
            name = export_file_name(f"Sager_{code}_{month:%Y-%m}" + (f"_{unit}" if unit else ""), ctx.cvr)
            return send_csv(_drill_rows(frame), DRILL_COLUMNS, name)
        if trigger in (Ids.EXPORT_CSV, Ids.EXPORT_XLSX) and (csv_clicks or xlsx_clicks):
            year, area = _year(year), _area(area)
            table = kpi.kpi_table(ctx.scope, ctx.cvr, year, area=area, unit_code=unit)
            rows = table.to_dict("records")
            suffix = "".join(f"_{part}" for part in (area, unit) if part)
            name = export_file_name(f"KPI_{year}{suffix}", ctx.cvr)
            if trigger == Ids.EXPORT_XLSX:
                return send_xlsx(rows, EXPORT_COLUMNS, f"KPI {year}", name)
            return send_csv(rows, EXPORT_COLUMNS, name)
    except BadFilter:
        raise PreventUpdate
    return no_update

