"""Information callbacks: the Servicemålsrapport for a period, its trends and its exports."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from dash import Input, Output, State, ctx as dash_ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from auth.guard import AccessContext, portal_callback
from core.rights import Menu
from data import kpi
from data.rules import latest_closed_month
from pages._chart_table import chart_table
from pages._component_json import element
from pages._export import export_file_name, send_csv, send_xlsx

from core.formatting import da_month, da_month_abbr, da_month_short, da_percent
from pages.ids import information as Ids

PERIOD_PATTERN = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")
TREND_MONTHS = 12
REPORT_MONTHS = 3
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


def _mark(value: float | None, met: bool | None) -> Any:
    """Return a cell: the achievement with a symbol and a text for screen readers (not colour alone)."""
    # `met` comes from the data layer's exact fraction; the shown value is rounded down.
    if met is None or value is None:
        return element("Td", ["–", element("Span", " ingen sager", className="visually-hidden")], className="kpi-none")
    symbol, words, cls = ("✓", "mål nået", "kpi-met") if met else ("✗", "mål ikke nået", "kpi-missed")
    return element("Td", [f"{da_percent(value)} {symbol}", element("Span", f" {words}", className="visually-hidden")],
                   className=f"kpi-cell text-nowrap {cls}", title=words.capitalize())


def report_records(ctx: AccessContext, month: dt.date, months_shown: int) -> tuple[list[dt.date], list[dict]]:
    """Return the report's months and one plain dict per goal (in area order), read once."""
    report = kpi.service_goal_report(ctx.scope, ctx.cvr, month, months_shown=months_shown)
    records = report.frame.to_dict("records")
    # Each month is marked against the target in force that month (a catalogue change starts a new one).
    for record in records:
        record["targets"] = {f"{m:%Y-%m}": report.target(record["goal_id"], m, record["target_pct"])
                             for m in report.months}
        record["marks"] = {f"{m:%Y-%m}": report.met(record["goal_id"], m) for m in report.months}
    # Today's open cases: they count in no month's achievement, but they are not invisible.
    if records:
        counts = kpi.open_cases(ctx.scope, ctx.cvr, goal_ids=[r["goal_id"] for r in records])
        found = {g: (n, late) for g, n, late in counts.itertuples(index=False)}
        for record in records:
            record["open"], record["overdue"] = found.get(record["goal_id"], (0, 0))
    return list(report.months), records


def by_area(records: list[dict]) -> dict[str, list[dict]]:
    """Group report records by area, keeping the report's order."""
    groups: dict[str, list[dict]] = {}
    for record in records:
        groups.setdefault(record["area"], []).append(record)
    return groups


def report_table(months: list[dt.date], records: list[dict]) -> Any:
    """Render the report as a table grouped by area, one column per month."""
    labels = [f"{m:%Y-%m}" for m in months]
    head = element("Thead", element("Tr",
        [element("Th", "Område", scope="col"), element("Th", "Servicemål", scope="col"),
         element("Th", "Regel", scope="col"), element("Th", "Mål %", scope="col", className="text-end")]
        + [element("Th", da_month(m).capitalize(), scope="col", className="text-end") for m in months]
        + [element("Th", "Åbne sager", scope="col", className="text-end"),
           element("Th", "heraf over frist", scope="col", className="text-end")]
    ))
    body = []
    for area, rows in by_area(records).items():
        for index, row in enumerate(rows):
            cells = [
                element("Th", area if index == 0 else "", scope="row", className="kpi-area"),
                element("Td", f"{row['code']} {row['title']}"),
                element("Td", row["rule_text"], className="kpi-rule"),
                element("Td", da_percent(row["target_pct"]), className="text-end text-nowrap"),
            ]
            marks = row.get("marks") or {}
            cells += [_mark(row[label], marks.get(label)) for label in labels]
            cells += [element("Td", str(int(row.get("open") or 0)), className="text-end"),
                      element("Td", str(int(row.get("overdue") or 0)), className="text-end")]
            body.append(element("Tr", cells, className="kpi-area-start" if index == 0 else None))
    return element("Table", [element("Caption", "Servicemålsrapport: målopfyldelse pr. servicemål og måned"), head,
                             element("Tbody", body)], className="table table-sm kpi-report")


def trend_figure(area: str, months: list[dt.date], rows: list[dict]) -> dict:
    """Return a small line chart (a plain figure dict) of one area's goals over the months."""
    labels = [f"{m:%Y-%m}" for m in months]
    # Month names alone keep the small axis readable; the hover names month and year.
    x = [da_month_abbr(m) for m in months]
    full = [da_month(m) for m in months]
    data = [
        {"type": "scatter", "mode": "lines+markers", "name": f"{row['code']} {row['title']}", "x": x,
         "y": [row[label] for label in labels], "customdata": full,
         "hovertemplate": "%{customdata}: %{y:.1f} %<extra>" + row["code"] + "</extra>"}
        for row in rows
    ]
    return {
        "data": data,
        "layout": {
            "title": {"text": area, "font": {"size": 14}},
            "height": 320,
            "margin": {"l": 40, "r": 10, "t": 36, "b": 30},
            "xaxis": {"tickangle": 0, "tickfont": {"size": 10}},
            "yaxis": {"title": {"text": "%"}, "range": [0, 105]},
            "legend": {"orientation": "h", "y": -0.3, "font": {"size": 10}},
            "separators": ",.",
        },
    }


def trend_table(area: str, months: list[dt.date], rows: list[dict]) -> Any:
    """Return one area's trend figures as a folded table (the small chart's text alternative)."""
    return chart_table(
        "Vis som tabel", f"Målopfyldelse for {area} pr. måned (–: ingen sager)",
        ["Servicemål"] + [da_month_short(m) for m in months],
        [(row["code"], [da_percent(row[f"{m:%Y-%m}"]) for m in months]) for row in rows],
    )


def trend_charts(months: list[dt.date], records: list[dict]) -> list[Any]:
    """Return one small chart per area."""
    return [
        html.Figure(
            [dcc.Graph(figure=trend_figure(area, months, rows), config={"displayModeBar": False}),
             html.Figcaption(f"Udvikling i målopfyldelse for {area}", className="visually-hidden"),
             trend_table(area, months, rows)],
            className="col-md-6 col-xl-3",
        )
        for area, rows in by_area(records).items()
    ]


@portal_callback(
    output=dict(report=Output(Ids.REPORT, "children"), trends=Output(Ids.TRENDS, "children")),
    inputs=dict(period=Input(Ids.PERIOD, "value")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.INFORMATION,
)
def render_report(ctx: AccessContext, period: Any):
    """Render the Servicemålsrapport ending in the chosen period, and the trend charts."""
    month = parse_period(period)
    if month is None:
        message = html.P("Ugyldig periode. Vælg en afsluttet måned i listen.", className="alert alert-warning", role="alert")
        return {"report": message, "trends": []}
    # One read of 12 months serves both the trends and the table's last three months.
    months, records = report_records(ctx, month, TREND_MONTHS)
    if not records:
        empty = html.P("Der er endnu ingen sager at rapportere for denne kunde.", className="text-muted portal-empty")
        return {"report": empty, "trends": []}
    return {"report": report_table(months[-REPORT_MONTHS:], records), "trends": trend_charts(months, records)}


def export_rows(months: list[dt.date], records: list[dict]) -> tuple[list[dict], list[tuple[str, str]]]:
    """Return the report as flat rows and columns for CSV/XLSX."""
    columns = [("area", "Område"), ("code", "Mål"), ("title", "Servicemål"), ("rule_text", "Regel"), ("target_pct", "Mål %")]
    columns += [(f"{m:%Y-%m}", f"{da_month(m)} (%)") for m in months]
    columns += [("open", "Åbne sager i dag"), ("overdue", "Heraf over frist i dag")]
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
    state=dict(period=State(Ids.PERIOD, "value"), cvr=State(Ids.CVR, "data")),
    menu=Menu.INFORMATION,
    prevent_initial_call=True,
)
def export_report(ctx: AccessContext, csv_clicks: Any, xlsx_clicks: Any, period: Any):
    """Download the Servicemålsrapport of the chosen period as CSV or XLSX."""
    month = parse_period(period)
    if month is None or not (csv_clicks or xlsx_clicks):
        raise PreventUpdate
    rows, columns = export_rows(*report_records(ctx, month, REPORT_MONTHS))
    name = export_file_name(f"Servicemaalsrapport_{month:%Y-%m}", ctx.cvr)
    if dash_ctx.triggered_id == Ids.EXPORT_XLSX:
        return send_xlsx(rows, columns, "Servicemålsrapport", name)
    if dash_ctx.triggered_id == Ids.EXPORT_CSV:
        return send_csv(rows, columns, name)
    return no_update
