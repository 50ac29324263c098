"""Rapporter callbacks: KPI table and chart, days-taken histogram, drill-through and exports."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import pandas as pd
from dash import Input, Output, State, ctx as dash_ctx, dcc, no_update
from dash.exceptions import PreventUpdate
from plotly.colors import qualitative

from auth.guard import AccessContext, portal_callback
from core.access import can_do
from callbacks._drill import closed_drill, drill_key, export_dependencies, export_download, open_drill
from core.rights import Action, Menu
from data import kpi, reports
from data.rules import latest_closed_month, year_to_date_months
from pages._chart_table import TABLE_HIDE, TABLE_SHOW, chart_table, table_region
from pages._drill import OPEN_KINDS, drill_button
from pages._export import export_file_name, send_csv, send_xlsx
from core.formatting import da_month, da_month_abbr, da_month_short, da_number, da_percent
from pages._grid import visible_rows
from pages._kpi_table import (ALL_VALUE, DRILL, MIN_YEAR, BadFilter, _area, _unit, _year, checked_sort,
                              dashboard_table, kpi_columns, kpi_rows, next_sort, no_cases_text, sort_rows,
                              with_open_cases)
from pages._lazy import seen
from pages.ids import rapporter as Ids

# The goals behind the chosen one: light grey, thin, no markers.
CONTEXT_COLOUR = "#c9cdd1"
EXPORT_COLUMNS = [
    ("code", "Mål"), ("title", "Målbeskrivelse"), ("target_pct", "Servicemål %"),
    ("achievement", "Mål - år til seneste afsluttede måned %"), ("handled", "Antal - år til seneste afsluttede måned"),
    ("met", "Antal behandlet inden for frist"), ("not_met", "Antal behandlet uden for frist"),
    ("reopened", "Heraf genåbnede sager"), ("open", "Åbne sager i dag"), ("overdue", "Åbne sager over frist i dag"),
]
# 24 colours, each at least 3:1 against white; goals keep their colour whatever the filters show.
GOAL_COLOURS = qualitative.Dark24
# The chart's box (assets/rapporter.css): taller on a phone, where the legend takes a line per goal.
CHART_CLASS = "rapporter-chart"
# The chart only shows and hovers: no zoom or drag, so no mode bar and no relayout work.
CHART_CONFIG = {"displayModeBar": False, "scrollZoom": False, "doubleClick": False}
# A marker shape per goal as well, so no goal is told apart by colour alone.
GOAL_SYMBOLS = ["circle", "square", "diamond", "triangle-up", "triangle-down", "cross", "x", "star", "pentagon",
                "hexagon", "star-square", "hourglass"]
DRILL_COLUMNS = [("case_ref", "Sagsreference"), ("unit_code", "Enhed"), ("received_at", "Modtaget"),
                 ("completed_at", "Afsluttet"), ("days_taken", "Arbejdsdage"), ("met", "Overholdt")]
OPEN_DRILL_COLUMNS = [("case_ref", "Sagsreference"), ("unit_code", "Enhed"), ("received_at", "Modtaget"),
                      ("deadline", "Frist"), ("working_days", "Arbejdsdage indtil nu"), ("overdue", "Over frist")]


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


class GoalSeries(NamedTuple):
    """One goal's monthly achievement, as the chart and its table show it."""

    code: str
    title: str
    target_pct: float
    months: list[dt.date]
    achievement: list[float | None]
    # The target in force each month (a catalogue change starts a new one); None: `target_pct` throughout.
    targets: list[float] | None = None


def goal_series(series: pd.DataFrame) -> list[GoalSeries]:
    """Split the monthly series per goal, in the series' order (plain lists: pandas groupby costs ms here)."""
    goals: dict[str, GoalSeries] = {}
    # The series is one row per goal and month, each with the target in force that month; the goal's own
    # `target_pct` is its last month's (what the KPI table judges the year against).
    columns = (series[name].tolist() for name in ("code", "title", "target_pct", "month", "achievement"))
    for code, title, target, month, value in zip(*columns):
        goal = goals.get(code)
        if goal is None:
            goal = goals[code] = GoalSeries(code, title, float(target), [], [], [])
        goal.months.append(month)
        goal.targets.append(float(target))
        goal.achievement.append(None if value is None or value != value else float(value))
    return [goal._replace(target_pct=goal.targets[-1]) if goal.targets else goal for goal in goals.values()]


def _target_text(target_pct: float) -> str:
    # Percentages read one way everywhere: "95,0 %".
    return da_percent(target_pct)


def _floor(values: list[float]) -> float:
    """Return the y axis' lower end: 5 points below the lowest value, on a multiple of 5 (never below 0)."""
    return max(0.0, (min(values, default=90.0) - 5.0) // 5 * 5)


def chart_figure(goals: list[GoalSeries], order: list[str] | None = None, selected: str | None = None) -> dict:
    """Return the chosen goal's monthly achievement in colour, its target labelled, the other goals grey behind it."""
    # `order` is every goal code in report order: a goal's place in it picks its colour and marker.
    # `selected` is the chosen goal's code (default the first goal shown).
    place = {code: i for i, code in enumerate(order or [g.code for g in goals])}
    chosen = next((g for g in goals if g.code == selected), goals[0] if goals else None)
    data: list[dict] = []
    # The grey context first, so the chosen goal is drawn on top of it.
    for goal in goals:
        if goal is chosen:
            continue
        x = [da_month_short(m) for m in goal.months]
        # The uid names the trace's SVG group ("tracecontext-A1"): a phone hides these (assets/rapporter.css).
        data.append({"type": "scatter", "mode": "lines", "name": f"{goal.code} {goal.title}", "x": x,
                     "uid": f"context-{goal.code}",
                     "y": goal.achievement, "showlegend": False, "line": {"color": CONTEXT_COLOUR, "width": 1.5},
                     "customdata": [[goal.code, f"{m:%Y-%m}"] for m in goal.months],
                     "hovertemplate": "%{x}: %{y:.1f} %<extra>" + goal.code + "</extra>"})
    annotations = []
    floor = 90.0
    if chosen is not None:
        i = place.get(chosen.code, 0)
        colour = GOAL_COLOURS[i % len(GOAL_COLOURS)]
        x = [da_month_short(m) for m in chosen.months]
        data.append({"type": "scatter", "mode": "lines+markers", "name": f"{chosen.code} {chosen.title}",
                     "x": x, "y": chosen.achievement, "showlegend": False, "line": {"color": colour, "width": 3},
                     "marker": {"color": colour, "size": 8, "symbol": GOAL_SYMBOLS[i % len(GOAL_SYMBOLS)]},
                     "customdata": [[chosen.code, f"{m:%Y-%m}"] for m in chosen.months],
                     "hovertemplate": "%{x}: %{y:.1f} %<extra>" + chosen.code + "</extra>"})
        targets = chosen.targets or [chosen.target_pct] * len(x)
        target_line = {"type": "scatter", "mode": "lines", "name": f"Servicemål {chosen.code}", "showlegend": False,
                       "x": x, "y": targets, "line": {"color": colour, "dash": "dash", "width": 1.5},
                       "hovertemplate": f"Servicemål {chosen.code}: {_target_text(chosen.target_pct)}<extra></extra>"}
        if len(set(targets)) > 1:
            # The target changed during the year: each point names the target in force that month.
            target_line["line"]["shape"] = "hv"
            target_line["customdata"] = [_target_text(t) for t in targets]
            target_line["hovertemplate"] = f"Servicemål {chosen.code}: %{{customdata}}<extra></extra>"
        data.append(target_line)
        if targets:
            annotations.append({"x": 1, "xref": "paper", "xanchor": "right", "y": targets[-1], "yanchor": "bottom",
                                "text": f"Servicemål {_target_text(targets[-1])}", "showarrow": False,
                                "font": {"size": 12, "color": colour}})
        floor = _floor([v for v in chosen.achievement if v is not None] + list(targets))
    months = list(dict.fromkeys(m for goal in goals for m in goal.months))
    title = f"{chosen.code} {chosen.title}" if chosen else ""
    # No height: the graph fills its box, whose height assets/rapporter.css sets per screen width.
    return {"data": data, "layout": {
        "autosize": True, "margin": {"l": 50, "r": 10, "t": 36, "b": 10}, "separators": ",.",
        "title": {"text": title + (" (øvrige mål i gråt)" if len(goals) > 1 else ""), "font": {"size": 14},
                  "x": 0, "xanchor": "left"},
        "showlegend": False, "hovermode": "closest", "annotations": annotations,
        # One year is shown, so 'jan' is enough on the axis (the hover names the year): the short
        # labels stay level and readable on a phone.
        "xaxis": {"type": "category", "tickvals": [da_month_short(m) for m in months],
                  "ticktext": [da_month_abbr(m) for m in months], "automargin": True, "fixedrange": True},
        # From just below the chosen goal's lowest figure: 90 % and 100 % lie far apart.
        "yaxis": {"title": {"text": "Målopfyldelse %"}, "range": [floor, 101], "automargin": True,
                  "fixedrange": True},
    }}


def _drill_button(code: str, month: dt.date, value: float | None) -> Any:
    """Return a month figure as a button that opens its cases ('–' without cases stays text)."""
    if value is None:
        return da_percent(value)
    return drill_button(DRILL, code, f"{month:%Y-%m}", da_percent(value), f"Vis sagerne bag {code} i {da_month(month)}")


def figures_table(goals: list[GoalSeries]) -> Any:
    """Return the chart's monthly achievement per goal as a folded table (the chart's text alternative)."""
    # Each month figure is a button that opens the cases behind it: the keyboard's way to drill through.
    if not goals:
        return None
    months = list(dict.fromkeys(m for goal in goals for m in goal.months))
    rows = []
    for goal in goals:
        by_month = dict(zip(goal.months, goal.achievement))
        rows.append((f"{goal.code} {goal.title}",
                     [da_percent(goal.target_pct)] + [_drill_button(goal.code, m, by_month.get(m)) for m in months]))
    return table_region("Målopfyldelse pr. måned og servicemål (–: ingen sager)",
                        ["Mål", "Servicemål"] + [da_month_short(m) for m in months], rows)


def _message_figure(text: str) -> dict:
    return {"data": [], "layout": {"height": 200, "xaxis": {"visible": False}, "yaxis": {"visible": False},
                                   "annotations": [{"text": text, "showarrow": False, "font": {"size": 14}}]}}


def chart_series(ctx: AccessContext, year: int, area: str | None, unit: str | None) -> tuple[pd.DataFrame, bool]:
    """Return the goals' monthly series for checked filters, and whether the year has a closed month yet."""
    # The chart and its table need the series only: not the KPI table or its reopened counts beside it.
    return (kpi.monthly_series(ctx.scope, ctx.cvr, year, area=area, unit_code=unit),
            bool(year_to_date_months(year)))


def chart_graph(figure: dict, class_name: str = CHART_CLASS) -> dcc.Graph:
    """Return the monthly chart; drawn by the lazy callback into its box (same id, so React only updates it)."""
    # A message figure gets a box of its own height (no class), not the chart's tall box.
    return dcc.Graph(id=Ids.CHART, figure=figure, config=CHART_CONFIG, className=class_name)


@portal_callback(
    output=dict(table=Output(Ids.TABLE, "children"), status=Output(Ids.STATUS, "children"),
                months=Output(Ids.DRILL_MONTH, "options"), month=Output(Ids.DRILL_MONTH, "value"),
                filters=Output(Ids.PRINT_FILTERS, "children"), sort=Output(Ids.SORT, "data")),
    inputs=dict(year=Input(Ids.YEAR, "value"), area=Input(Ids.AREA, "value"), unit=Input(Ids.UNIT, "value"),
                sort_request=Input(Ids.SORT_REQUEST, "data")),
    state=dict(sort=State(Ids.SORT, "data"), cvr=State(Ids.CVR, "data")),
    menu=Menu.RAPPORTER,
    # The page's layout draws the table for the default filters (pages/rapporter.py): no round trip on load.
    prevent_initial_call=True,
)
def render_dashboard(ctx: AccessContext, year: Any, area: Any, unit: Any, sort_request: Any, sort: Any):
    """Render the KPI table for newly chosen filters or a clicked column header (the chart when scrolled to)."""
    order = checked_sort(sort)
    if dash_ctx.triggered_id == Ids.SORT_REQUEST:
        # A header's field, checked against the columns this user's table has (the median is SA's only).
        field = sort_request.get("value") if isinstance(sort_request, dict) else None
        columns = kpi_columns(can_do(ctx.user, Action.SEE_ALL_CUSTOMERS_MEDIAN))
        if not isinstance(field, str) or field not in {column.field for column in columns}:
            raise PreventUpdate
        order = next_sort(checked_sort(order, columns), field)
        drawn = dashboard_table(ctx, year, area, unit, order)
        # Only the table changes: the drill-through's month keeps what the user chose.
        return {"table": drawn["table"], "status": drawn["status"], "months": no_update, "month": no_update,
                "filters": no_update, "sort": order}
    return {**dashboard_table(ctx, year, area, unit, order), "sort": order}


@portal_callback(
    output=Output(Ids.CHART_BOX, "children"),
    inputs=dict(year=Input(Ids.YEAR, "value"), area=Input(Ids.AREA, "value"), unit=Input(Ids.UNIT, "value"),
                goal=Input(Ids.GOAL, "value"), visible=Input(Ids.CHARTS_SEEN, "data")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.RAPPORTER,
    prevent_initial_call=True,
)
def render_chart(ctx: AccessContext, year: Any, area: Any, unit: Any, goal: Any, visible: Any):
    """Draw the monthly chart (the chosen goal in colour, the others grey) once it scrolls into view."""
    # Below the fold: drawn after the table, when the user comes near it (or prints), not on load.
    if not seen(visible):
        raise PreventUpdate
    try:
        year, area, unit = _year(year), _area(area), _unit(ctx, unit)
    except BadFilter as exc:
        return chart_graph(_message_figure(str(exc)), "")
    series, has_months = chart_series(ctx, year, area, unit)
    if not has_months:
        return chart_graph(_message_figure(f"Der er ingen afsluttede måneder i {year} endnu."), "")
    if not int(series["handled"].sum()):
        return chart_graph(_message_figure(no_cases_text(year, filtered=bool(area or unit))), "")
    # The chosen goal's code, looked up among this customer's series only (the value is browser-sent).
    ids = dict(zip(series["goal_id"].tolist(), series["code"].tolist()))
    chosen = ids.get(goal) if isinstance(goal, int) and not isinstance(goal, bool) else None
    return chart_graph(chart_figure(goal_series(series), kpi.goal_codes(), chosen))


@portal_callback(
    output=dict(table=Output(Ids.CHART_TABLE, "children"), label=Output(Ids.TABLE_TOGGLE, "children"),
                expanded=Output(Ids.TABLE_TOGGLE, "aria-expanded")),
    inputs=dict(toggle=Input(Ids.TABLE_TOGGLE, "n_clicks"), year=Input(Ids.YEAR, "value"),
                area=Input(Ids.AREA, "value"), unit=Input(Ids.UNIT, "value")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.RAPPORTER,
    prevent_initial_call=True,
)
def render_figures_table(ctx: AccessContext, toggle: Any, year: Any, area: Any, unit: Any):
    """Draw the chart's figures as a table when asked for (each figure opens its cases); hide it again."""
    shown = isinstance(toggle, int) and not isinstance(toggle, bool) and toggle % 2 == 1
    if not shown:
        return {"table": None, "label": TABLE_SHOW, "expanded": "false"}
    try:
        year, area, unit = _year(year), _area(area), _unit(ctx, unit)
    except BadFilter as exc:
        return {"table": str(exc), "label": TABLE_HIDE, "expanded": "true"}
    series, has_months = chart_series(ctx, year, area, unit)
    if not has_months or not int(series["handled"].sum()):
        return {"table": no_cases_text(year, filtered=bool(area or unit)), "label": TABLE_HIDE, "expanded": "true"}
    table = figures_table(goal_series(series))
    return {"table": table, "label": TABLE_HIDE, "expanded": "true"}


def goal_picker_options(choices: list[dict]) -> list[dict]:
    """Return the drill-through goal picker's options (label 'A1 – title', value goal id)."""
    return [{"label": f"{g['code']} – {g['title']}", "value": g["goal_id"]} for g in choices]


def unit_picker_options(units: list[dict]) -> list[dict]:
    """Return the unit picker's options: 'Alle' and then each unit as 'code – name'."""
    return [{"label": "Alle", "value": ALL_VALUE}] + [{"label": f"{u['code']} – {u['name']}", "value": u["code"]}
                                                for u in units]


def _goal_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


@portal_callback(
    output=dict(goal_options=Output(Ids.GOAL, "options"), goal=Output(Ids.GOAL, "value"),
                unit_options=Output(Ids.UNIT, "options"), unit=Output(Ids.UNIT, "value"),
                memory=Output(Ids.GOAL_MEMORY, "data")),
    inputs=dict(area=Input(Ids.AREA, "value"), picked=Input(Ids.PICK, "data")),
    state=dict(goal=State(Ids.GOAL, "value"), unit=State(Ids.UNIT, "value"), memory=State(Ids.GOAL_MEMORY, "data"),
               cvr=State(Ids.CVR, "data")),
    menu=Menu.RAPPORTER,
    prevent_initial_call=True,
)
def sync_pickers(ctx: AccessContext, area: Any, picked: Any, goal: Any, unit: Any, memory: Any):
    """Offer only the chosen area's goals and units; a click on a goal's code in the KPI table picks that goal."""
    try:
        area = _area(area)
    except BadFilter:
        raise PreventUpdate
    choices = kpi.goal_choices(ctx.scope, ctx.cvr, area)
    ids = [g["goal_id"] for g in choices]
    if dash_ctx.triggered_id == Ids.PICK:
        # Only the goal code is read, and only to pick among the goals offered anyway.
        code = picked.get("value") if isinstance(picked, dict) else None
        chosen = next((g["goal_id"] for g in choices if g["code"] == code), None)
        if chosen is None or chosen == goal:
            raise PreventUpdate
        return {"goal_options": no_update, "goal": chosen, "unit_options": no_update, "unit": no_update,
                "memory": {"preferred": chosen, "auto": None}}
    # The memory holds the user's goal and the one this callback put in its place when an area
    # lacked it: back on an area that has it, the user's goal returns instead of the stand-in.
    # Browser-sent like every value, it only chooses among `ids`.
    memory = memory if isinstance(memory, dict) else {}
    auto, goal = _goal_id(memory.get("auto")), _goal_id(goal)
    preferred = _goal_id(memory.get("preferred")) if goal is None or goal == auto else goal
    new_goal = next((g for g in (preferred, goal) if g in ids), ids[0] if ids else None)
    units = kpi.area_units(ctx.scope, ctx.cvr, area)
    # A unit of another kind would show nothing: back to all units of the area.
    new_unit = unit if unit in {u["code"] for u in units} else ALL_VALUE
    # An unchanged value is not sent again: that would redraw the histogram for nothing.
    return {"goal_options": goal_picker_options(choices), "goal": no_update if new_goal == goal else new_goal,
            "unit_options": unit_picker_options(units), "unit": no_update if new_unit == unit else new_unit,
            "memory": {"preferred": preferred, "auto": new_goal if new_goal != preferred else None}}


def _days_axis(most: int) -> dict:
    """Return the histogram's x axis: whole working days from 0, a tick per day only while they fit."""
    # Plotly's own range pads below 0 and, with a tick per day over many days, crowds the labels.
    step = 1 if most <= 25 else 5 if most <= 125 else None
    axis = {"title": {"text": "Arbejdsdage"}, "range": [-0.5, most + 0.5], "tick0": 0, "tickformat": "d"}
    return axis | ({"dtick": step} if step else {})


def histogram_graph(figure: dict) -> dcc.Graph:
    """Return the histogram (static: a bar per day, its figures in the table below; no hover or zoom)."""
    return dcc.Graph(id=Ids.HISTOGRAM, figure=figure, config={"staticPlot": True})


@portal_callback(
    output=dict(figure=Output(Ids.HISTOGRAM_BOX, "children"), table=Output(Ids.HISTOGRAM_TABLE, "children")),
    inputs=dict(goal=Input(Ids.GOAL, "value"), year=Input(Ids.YEAR, "value"), unit=Input(Ids.UNIT, "value"),
                visible=Input(Ids.CHARTS_SEEN, "data")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.RAPPORTER,
    prevent_initial_call=True,
)
def render_histogram(ctx: AccessContext, goal: Any, year: Any, unit: Any, visible: Any):
    """Render how many working days the chosen goal's cases took in the year, once it scrolls into view."""
    if not seen(visible):
        raise PreventUpdate
    drawn = _histogram(ctx, goal, year, unit)
    return {"figure": histogram_graph(drawn["figure"]), "table": drawn["table"]}


def _histogram(ctx: AccessContext, goal: Any, year: Any, unit: Any) -> dict:
    try:
        year, unit = _year(year), _unit(ctx, unit)
        if goal is None:
            # The chosen area has no goal with cases: nothing to pick, nothing to draw.
            return {"figure": _message_figure(no_cases_text(year, filtered=True)), "table": None}
        goal_id = _goal(ctx, goal)
    except BadFilter as exc:
        return {"figure": _message_figure(str(exc)), "table": None}
    frame = kpi.days_histogram(ctx.scope, ctx.cvr, goal_id, year, unit_code=unit)
    if frame.empty:
        return {"figure": _message_figure(no_cases_text(year, filtered=True)), "table": None}
    days, counts = frame["days_taken"].tolist(), frame["count"].tolist()
    figure = {"data": [{"type": "bar", "x": days, "y": counts,
                        "hovertemplate": "%{x} arbejdsdage: %{y} sager<extra></extra>"}],
              "layout": {"height": 300, "margin": {"l": 50, "r": 10, "t": 10, "b": 40}, "separators": ",.",
                         "xaxis": _days_axis(max(days)),
                         "yaxis": {"title": {"text": "Antal sager"}}}}
    table = chart_table("Vis som tabel", f"Antal sager pr. antal arbejdsdage i {year}", ["Arbejdsdage", "Antal sager"],
                        [(str(day), [da_number(count)]) for day, count in zip(days, counts)])
    return {"figure": figure, "table": table}


def _drill_rows(frame: pd.DataFrame, stamps: tuple[str, ...] = ("received_at", "completed_at")) -> list[dict]:
    rows = frame.to_dict("records")
    for row in rows:
        # Timestamps stay typed: the CSV writes them as ISO 8601 and its header says so.
        for key in stamps:
            row[key] = None if row[key] is None or pd.isna(row[key]) else row[key].to_pydatetime() \
                if hasattr(row[key], "to_pydatetime") else row[key]
    return rows


@portal_callback(
    output=Output(Ids.DOWNLOAD, "data"),
    inputs=dict(drill=Input(Ids.DRILL_BUTTON, "n_clicks"), csv_clicks=Input(Ids.EXPORT_CSV, "n_clicks"),
                xlsx_clicks=Input(Ids.EXPORT_XLSX, "n_clicks")),
    state=dict(goal=State(Ids.GOAL, "value"), month=State(Ids.DRILL_MONTH, "value"), year=State(Ids.YEAR, "value"),
               area=State(Ids.AREA, "value"), unit=State(Ids.UNIT, "value"), sort=State(Ids.SORT, "data"),
               cvr=State(Ids.CVR, "data")),
    menu=Menu.RAPPORTER,
    prevent_initial_call=True,
)
def download(ctx: AccessContext, drill: Any, csv_clicks: Any, xlsx_clicks: Any, goal: Any, month: Any, year: Any,
             area: Any, unit: Any, sort: Any):
    """Download the cases behind one goal and month (CSV), or the KPI table in the order it shows (CSV/XLSX)."""
    trigger = dash_ctx.triggered_id
    try:
        unit = _unit(ctx, unit)
        if trigger == Ids.DRILL_BUTTON and drill and month in OPEN_KINDS:
            goal_id = _goal(ctx, goal)
            frame = kpi.open_case_rows(ctx.scope, ctx.cvr, goal_id, overdue_only=month == "overdue", unit_code=unit)
            code = reports.goal_code(goal_id)
            what = "Aabne_over_frist" if month == "overdue" else "Aabne"
            name = export_file_name(f"Sager_{code}_{what}" + (f"_{unit}" if unit else ""), ctx.cvr)
            return send_csv(_drill_rows(frame, ("received_at",)), OPEN_DRILL_COLUMNS, name)
        if trigger == Ids.DRILL_BUTTON and drill:
            goal_id, month = _goal(ctx, goal), _month(month)
            frame = kpi.drill_through(ctx.scope, ctx.cvr, goal_id, month, unit_code=unit)
            code = reports.goal_code(goal_id)
            name = export_file_name(f"Sager_{code}_{month:%Y-%m}" + (f"_{unit}" if unit else ""), ctx.cvr)
            return send_csv(_drill_rows(frame), DRILL_COLUMNS, name)
        if trigger in (Ids.EXPORT_CSV, Ids.EXPORT_XLSX) and (csv_clicks or xlsx_clicks):
            year, area = _year(year), _area(area)
            table = with_open_cases(kpi.kpi_table(ctx.scope, ctx.cvr, year, area=area, unit_code=unit, with_open=True))
            # The figures are the server's own for the page filters; the table's sort only orders them.
            shown = sort_rows(kpi_rows(ctx, table, year), checked_sort(sort))
            rows = visible_rows(table, shown, key="code")
            suffix = "".join(f"_{part}" for part in (area, unit) if part)
            name = export_file_name(f"KPI_{year}{suffix}", ctx.cvr)
            if trigger == Ids.EXPORT_XLSX:
                return send_xlsx(rows, EXPORT_COLUMNS, f"KPI {year}", name)
            return send_csv(rows, EXPORT_COLUMNS, name)
    except BadFilter:
        raise PreventUpdate
    return no_update



def _clicked_figure(clicked: Any) -> tuple[Any, Any]:
    """Return (goal code, 'YYYY-MM') of a chart click's point, else (None, None); only shapes are read here."""
    points = clicked.get("points") if isinstance(clicked, dict) else None
    point = points[0] if isinstance(points, list) and points and isinstance(points[0], dict) else {}
    data = point.get("customdata")
    if isinstance(data, list) and len(data) == 2:
        return data[0], data[1]
    return None, None


@portal_callback(
    output=dict(is_open=Output(DRILL.modal, "is_open"), title=Output(DRILL.title, "children"),
                summary=Output(DRILL.summary, "children"), rows=Output(DRILL.grid, "rowData"),
                key=Output(DRILL.key, "data")),
    inputs=dict(request=Input(DRILL.request, "data"), clicked=Input(Ids.CHART, "clickData", allow_optional=True),
                close=Input(DRILL.close, "n_clicks")),
    state=dict(unit=State(Ids.UNIT, "value"), cvr=State(Ids.CVR, "data")),
    menu=Menu.RAPPORTER,
    prevent_initial_call=True,
)
def open_cases(ctx: AccessContext, request: Any, clicked: Any, close: Any, unit: Any):
    """Open the cases behind a clicked chart point, month figure or open-cases count of the customer; × closes."""
    trigger = dash_ctx.triggered_id
    if trigger == DRILL.close:
        return closed_drill()
    if trigger == Ids.CHART:
        goal, month = _clicked_figure(clicked)
    elif trigger == DRILL.request and isinstance(request, dict) and "goal" in request:
        goal, month = request.get("goal"), request.get("month")
    else:
        raise PreventUpdate
    if goal is None:
        raise PreventUpdate
    try:
        unit = _unit(ctx, unit)
    except BadFilter:
        unit = None
    return open_drill(ctx, drill_key(ctx, goal, month, unit))


@portal_callback(**export_dependencies(DRILL, Ids.CVR), menu=Menu.RAPPORTER, prevent_initial_call=True)
def export_cases(ctx: AccessContext, csv_clicks: Any, xlsx_clicks: Any, key: Any, filters: Any, sort: Any):
    """Download the drill-through's cases as the grid filters and sorts them (read again for the CVR)."""
    return export_download(ctx, DRILL, csv_clicks or xlsx_clicks, key, filters, sort)
