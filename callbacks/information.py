"""Information callbacks: the Servicemålsrapport for a period, its trends and its exports."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from dash import Input, Output, State, ctx as dash_ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from auth.guard import AccessContext, portal_callback
from callbacks._drill import closed_drill, drill_key, export_dependencies, export_download, open_drill
from core.rights import Menu
from data.rules import latest_closed_month
from pages._chart_table import TABLE_HIDE, TABLE_SHOW, table_region
from pages._export import export_file_name, send_csv, send_xlsx

from core.formatting import da_month, da_month_abbr, da_month_short, da_percent
from pages.ids import information as Ids
from pages._service_report import DRILL, REPORT_MONTHS, by_area, checked_unit, report_content, report_records
from pages._lazy import seen

PERIOD_PATTERN = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
TREND_MONTHS = 12
OLDEST_YEAR = 2000


def parse_period(value: Any) -> dt.date | None:
    """Return the first day of a 'YYYY-MM' period no later than the latest closed month, else None."""
    if not isinstance(value, str):
        return None
    match = PERIOD_PATTERN.match(value)
    if not match:
        return None
    month = dt.date(int(match.group(1)), int(match.group(2)), 1)
    if month.year < OLDEST_YEAR or month > latest_closed_month():
        return None
    return month


TREND_HEIGHT = 320
# The bottom margin holds the month axis and up to three legend rows, so that Plotly never grows it for one
# chart's legend: every chart's plot area then has the same height.
TREND_TOP, TREND_BOTTOM = 36, 84
TARGET_COLOUR = "#555555"
# Room right of the plot for the target labels ("100,0 %"), and the least gap between two of them.
TREND_RIGHT_MARGIN = 46
LABEL_GAP_PX = 12
TREND_PLOT_PX = TREND_HEIGHT - TREND_TOP - TREND_BOTTOM


def label_shifts(targets: list[float], y_range: list[float]) -> list[int]:
    """Return each (ascending) target label's upward shift in pixels, so that no two labels overlap."""
    # 95 % and 98 % on an axis from 0 lie 6 px apart: each label moves up until it clears the one below.
    per_unit = TREND_PLOT_PX / max(y_range[1] - y_range[0], 1.0)
    shifts, last = [], None
    for target in targets:
        at = (target - y_range[0]) * per_unit
        shift = 0 if last is None or at - last >= LABEL_GAP_PX else round(last + LABEL_GAP_PX - at)
        shifts.append(shift)
        last = at + shift
    return shifts


def target_caption(rows: list[dict]) -> str:
    """Return the line under a trend chart saying which goals have which target (the dashed lines)."""
    targets = sorted({float(row["target_pct"]) for row in rows})
    parts = [f"{da_percent(t)} ({', '.join(r['code'] for r in rows if float(r['target_pct']) == t)})" for t in targets]
    return "Stiplet linje: servicemål " + "; ".join(parts)


def trend_range(values: list[float], targets: list[float]) -> list[float]:
    """Return the y range: from 5 points below the lowest value or target (a multiple of 5) to just over 100."""
    # A fixed 0-105 squeezes 90 % and 100 % into a few pixels; this keeps the difference visible.
    low = min(values + targets, default=90.0)
    return [max(0.0, (low - 5.0) // 5 * 5), 101.0]


def trend_figure(area: str, months: list[dt.date], rows: list[dict]) -> dict:
    """Return a small line chart (a plain figure dict) of one area's goals over the months, targets labelled."""
    labels = [f"{m:%Y-%m}" for m in months]
    # Month names alone keep the small axis readable; the hover names month and year.
    x = [da_month_abbr(m) for m in months]
    full = [da_month(m) for m in months]
    # Goals by code in the legend (one line at any width, so every chart has the same plot height).
    data: list[dict] = [
        {"type": "scatter", "mode": "lines+markers", "name": row["code"], "x": x,
         "y": [row[label] for label in labels], "customdata": full, "meta": "goal",
         "hovertemplate": "%{customdata}: %{y:.1f} %<extra>" + row["code"] + "</extra>"}
        for row in rows
    ]
    values = [v for trace in data for v in trace["y"] if v is not None]
    # One dashed line per distinct target in the area, labelled with its figure in the right margin; which
    # goals have which target is said under the chart (`target_caption`), where it has room.
    targets = sorted({float(row["target_pct"]) for row in rows})
    y_range = trend_range(values, targets)
    annotations = []
    for target, shift in zip(targets, label_shifts(targets, y_range)):
        data.append({"type": "scatter", "mode": "lines", "name": f"Servicemål {da_percent(target)}", "meta": "target",
                     "x": x, "y": [target] * len(x), "showlegend": False, "hoverinfo": "skip",
                     "line": {"color": TARGET_COLOUR, "dash": "dash", "width": 1.5}})
        annotations.append({"x": 1, "xref": "paper", "xanchor": "left", "y": target, "yanchor": "middle",
                            "yshift": shift, "text": da_percent(target), "showarrow": False,
                            "font": {"size": 10, "color": TARGET_COLOUR}})
    return {
        "data": data,
        "layout": {
            "title": {"text": area, "font": {"size": 14}},
            "height": TREND_HEIGHT,
            "margin": {"l": 40, "r": TREND_RIGHT_MARGIN, "t": TREND_TOP, "b": TREND_BOTTOM},
            "xaxis": {"tickangle": 0, "tickfont": {"size": 10}, "fixedrange": True},
            "yaxis": {"title": {"text": "%"}, "range": y_range, "fixedrange": True},
            # At the foot of the figure (in the bottom margin), not below the plot: the plot keeps its height.
            "legend": {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "font": {"size": 10}},
            "annotations": annotations,
            "separators": ",.",
        },
    }


def trend_table(area: str, months: list[dt.date], rows: list[dict]) -> Any:
    """Return one area's trend figures as a table (the small chart's text alternative)."""
    return table_region(
        f"Målopfyldelse for {area} pr. måned (–: ingen sager)",
        ["Servicemål"] + [da_month_short(m) for m in months],
        [(row["code"], [da_percent(row[f"{m:%Y-%m}"]) for m in months]) for row in rows],
    )


def trend_charts(months: list[dt.date], records: list[dict]) -> list[Any]:
    """Return one small chart per area."""
    return [
        html.Figure(
            # Fixed height, no resize observer, static (no hover or zoom to set up): four small charts drawn
            # once, all the same height; their figures are in the tables below.
            [dcc.Graph(figure=trend_figure(area, months, rows), style={"height": f"{TREND_HEIGHT}px"},
                       config={"staticPlot": True, "responsive": False}),
             html.Figcaption([html.Span(f"Udvikling i målopfyldelse for {area}. ", className="visually-hidden"),
                              target_caption(rows)], className="small text-muted information-trend-caption")],
            className="col-md-6 col-xl-3",
        )
        for area, rows in by_area(records).items()
    ]


@portal_callback(
    output=Output(Ids.REPORT, "children"),
    inputs=dict(period=Input(Ids.PERIOD, "value")),
    state=dict(unit=State(Ids.UNIT, "data"), cvr=State(Ids.CVR, "data")),
    menu=Menu.INFORMATION,
    # The page's layout draws the latest report (pages/information.py): no round trip on load.
    prevent_initial_call=True,
)
def render_report(ctx: AccessContext, period: Any, unit: Any = None):
    """Render the Servicemålsrapport ending in another chosen period."""
    month = parse_period(period)
    if month is None:
        return html.P("Ugyldig periode. Vælg en afsluttet måned i listen.", className="alert alert-warning", role="alert")
    return report_content(ctx, month, unit)


@portal_callback(
    output=Output(Ids.TRENDS, "children"),
    inputs=dict(period=Input(Ids.PERIOD, "value"), visible=Input(Ids.TRENDS_SEEN, "data")),
    state=dict(unit=State(Ids.UNIT, "data"), cvr=State(Ids.CVR, "data")),
    menu=Menu.INFORMATION,
    prevent_initial_call=True,
)
def render_trends(ctx: AccessContext, period: Any, visible: Any, unit: Any = None):
    """Draw the trend charts of the 12 months up to the chosen period once they scroll into view."""
    # Below the fold: drawn after the report, when the user comes near them (or prints), not on load.
    if not seen(visible):
        raise PreventUpdate
    month = parse_period(period)
    if month is None:
        return []
    months, records = report_records(ctx, month, TREND_MONTHS, unit, with_open=False)
    return trend_charts(months, records)


@portal_callback(
    output=dict(tables=Output(Ids.TRENDS_TABLES, "children"), label=Output(Ids.TABLES_TOGGLE, "children"),
                expanded=Output(Ids.TABLES_TOGGLE, "aria-expanded")),
    inputs=dict(toggle=Input(Ids.TABLES_TOGGLE, "n_clicks"), period=Input(Ids.PERIOD, "value")),
    state=dict(unit=State(Ids.UNIT, "data"), cvr=State(Ids.CVR, "data")),
    menu=Menu.INFORMATION,
    prevent_initial_call=True,
)
def render_trend_tables(ctx: AccessContext, toggle: Any, period: Any, unit: Any = None):
    """Draw the trend charts' figures as one table per area when asked for; hide them again."""
    shown = isinstance(toggle, int) and not isinstance(toggle, bool) and toggle % 2 == 1
    if not shown:
        return {"tables": None, "label": TABLE_SHOW, "expanded": "false"}
    month = parse_period(period)
    if month is None:
        return {"tables": "Ugyldig periode.", "label": TABLE_HIDE, "expanded": "true"}
    months, records = report_records(ctx, month, TREND_MONTHS, unit)
    tables = [trend_table(area, months, rows) for area, rows in by_area(records).items()]
    return {"tables": tables or None, "label": TABLE_HIDE, "expanded": "true"}


def export_rows(months: list[dt.date], records: list[dict]) -> tuple[list[dict], list[tuple[str, str]]]:
    """Return the report as flat rows and columns for CSV/XLSX."""
    columns = [("area", "Område"), ("code", "Mål"), ("title", "Servicemål"), ("rule_text", "Regel"), ("target_pct", "Mål %")]
    columns += [(f"{m:%Y-%m}", f"{da_month(m)} (%)") for m in months]
    columns += [("reopened", "Heraf genåbnede i de viste måneder"), ("open", "Åbne sager i dag"),
                ("overdue", "Heraf over frist i dag")]
    rows = []
    for record in records:
        row = {field: record.get(field) for field, _ in columns}
        for m in months:
            value = record.get(f"{m:%Y-%m}")
            row[f"{m:%Y-%m}"] = None if value is None or value != value else round(float(value), 1)
        rows.append(row)
    return rows, columns


@portal_callback(
    output=Output(Ids.DOWNLOAD, "data"),
    inputs=dict(csv_clicks=Input(Ids.EXPORT_CSV, "n_clicks"), xlsx_clicks=Input(Ids.EXPORT_XLSX, "n_clicks")),
    state=dict(period=State(Ids.PERIOD, "value"), unit=State(Ids.UNIT, "data"), cvr=State(Ids.CVR, "data")),
    menu=Menu.INFORMATION,
    prevent_initial_call=True,
)
def export_report(ctx: AccessContext, csv_clicks: Any, xlsx_clicks: Any, period: Any, unit: Any = None):
    """Download the Servicemålsrapport of the chosen period as CSV or XLSX."""
    month = parse_period(period)
    if month is None or not (csv_clicks or xlsx_clicks):
        raise PreventUpdate
    code, _kind = checked_unit(ctx, unit)
    rows, columns = export_rows(*report_records(ctx, month, REPORT_MONTHS, code))
    name = export_file_name(f"Servicemaalsrapport_{month:%Y-%m}" + (f"_{code}" if code else ""), ctx.cvr)
    if dash_ctx.triggered_id == Ids.EXPORT_XLSX:
        return send_xlsx(rows, columns, "Servicemålsrapport", name)
    if dash_ctx.triggered_id == Ids.EXPORT_CSV:
        return send_csv(rows, columns, name)
    return no_update


@portal_callback(
    output=dict(is_open=Output(DRILL.modal, "is_open"), title=Output(DRILL.title, "children"),
                summary=Output(DRILL.summary, "children"), rows=Output(DRILL.grid, "rowData"),
                key=Output(DRILL.key, "data")),
    inputs=dict(request=Input(DRILL.request, "data"), close=Input(DRILL.close, "n_clicks")),
    state=dict(unit=State(Ids.UNIT, "data"), cvr=State(Ids.CVR, "data")),
    menu=Menu.INFORMATION,
    prevent_initial_call=True,
)
def open_cases(ctx: AccessContext, request: Any, close: Any, unit: Any):
    """Open the cases behind the clicked figure (goal and month of the checked customer) in the grid; × closes."""
    trigger = dash_ctx.triggered_id
    if trigger == DRILL.close:
        return closed_drill()
    if trigger != DRILL.request or not isinstance(request, dict) or "goal" not in request:
        raise PreventUpdate
    code, _kind = checked_unit(ctx, unit)
    return open_drill(ctx, drill_key(ctx, request.get("goal"), request.get("month"), code))


@portal_callback(**export_dependencies(DRILL, Ids.CVR), menu=Menu.INFORMATION, prevent_initial_call=True)
def export_cases(ctx: AccessContext, csv_clicks: Any, xlsx_clicks: Any, key: Any, filters: Any, sort: Any):
    """Download the drill-through's cases as the grid filters and sorts them (read again for the CVR)."""
    return export_download(ctx, DRILL, csv_clicks or xlsx_clicks, key, filters, sort)
