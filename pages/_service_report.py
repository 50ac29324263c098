"""Information's Servicemålsrapport as a table: drawn with the page (its layout) and again by its callback."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dash import html

from auth.guard import AccessContext
from core.formatting import da_month, da_percent
from data import kpi
from data import units as unit_data
from pages._component_json import element
from pages._drill import drill_button, drill_ids
from pages.ids import information as Ids

DRILL = drill_ids(Ids.DRILL_PREFIX)
REPORT_MONTHS = 3


def _mark(value: float | None, met: bool | None, drill: dict[str, str] | None = None) -> Any:
    """Return a cell: the achievement with a coloured symbol and a text for screen readers (not colour alone)."""
    # `met` comes from the data layer's exact fraction; the shown value is rounded down. `drill`
    # ({goal, month}) makes the figure a button that opens the cases behind it.
    if met is None or value is None:
        return element("Td", ["–", element("Span", " ingen sager", className="visually-hidden")], className="kpi-none")
    symbol, words, cls = ("✓", "mål nået", "kpi-met") if met else ("✗", "mål ikke nået", "kpi-missed")
    content = [f"{da_percent(value)} ", element("Span", symbol, className="kpi-mark", **{"aria-hidden": "true"}),
               element("Span", f" {words}", className="visually-hidden")]
    if drill is not None:
        content = drill_button(DRILL, drill["goal"], drill["month"], content, f"{words.capitalize()} – vis sagerne")
    return element("Td", content, className=f"kpi-cell text-nowrap {cls}", title=words.capitalize())


def _open_cell(row: dict, field: str, title: str) -> Any:
    """Return an open-cases count; a count above 0 opens the cases behind it (the field names the kind)."""
    count = int(row.get(field) or 0)
    if not count:
        return element("Td", "0", className="text-end")
    return element("Td", drill_button(DRILL, row["code"], field, str(count), title), className="text-end")


# The areas whose goals a unit's cases count towards: an accounting unit Regnskab, a payroll group the rest.
UNIT_AREAS = {"regnskab": {"Regnskab"}, "loen": {"Løn", "Rejser", "Refusion"}}


def checked_unit(ctx: AccessContext, unit: Any) -> tuple[str | None, str | None]:
    """Return the unit code and kind when `unit` is one of the customer's units, else (None, None)."""
    kind = unit_data.unit_kind(ctx.scope, ctx.cvr, unit) if unit is not None else None
    return (unit, kind) if kind else (None, None)


def report_records(ctx: AccessContext, month: dt.date, months_shown: int, unit: Any = None,
                   with_open: bool = True) -> tuple[list[dt.date], list[dict]]:
    """Return the report's months and one plain dict per goal (in area order), read once."""
    # `unit` (browser-sent) limits the report to one of the customer's units and its areas' goals.
    code, kind = checked_unit(ctx, unit)
    # Today's open cases (with_open) come in the same statement as the months' figures.
    report = kpi.service_goal_report(ctx.scope, ctx.cvr, month, months_shown=months_shown, unit_code=code,
                                     with_open=with_open)
    records = report.records()
    if kind:
        records = [r for r in records if r["area"] in UNIT_AREAS[kind]]
    # Each month is marked against the target in force that month (a catalogue change starts a new one).
    for record in records:
        goal_id = record["goal_id"]
        record["targets"] = {f"{m:%Y-%m}": report.target(goal_id, m, record["target_pct"]) for m in report.months}
        record["marks"] = {f"{m:%Y-%m}": report.met(goal_id, m) for m in report.months}
        record["reopened"] = sum(report.reopened_in(goal_id, m) for m in report.months)
        # Today's open cases: they count in no month's achievement, but they are not invisible.
        if with_open:
            record["open"], record["overdue"] = report.open_counts.get(goal_id, (0, 0))
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
        + [element("Th", "Heraf genåbnede", scope="col", className="text-end",
                   title="Af sagerne afsluttet i de viste måneder: dem, der var genåbnet"),
           element("Th", "Åbne sager", scope="col", className="text-end"),
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
            cells += [_mark(row[label], marks.get(label), {"goal": row["code"], "month": label}) for label in labels]
            cells += [element("Td", str(int(row.get("reopened") or 0)), className="text-end"),
                      _open_cell(row, "open", "Vis de åbne sager"),
                      _open_cell(row, "overdue", "Vis de åbne sager over frist")]
            body.append(element("Tr", cells, className="kpi-area-start" if index == 0 else None))
    return element("Table", [element("Caption", "Servicemålsrapport: målopfyldelse pr. servicemål og måned"), head,
                             element("Tbody", body)], className="table table-sm kpi-report")


def report_content(ctx: AccessContext, month: dt.date, unit: Any = None) -> Any:
    """Return the report ending in `month` (for the unit chosen in the search box), or a Danish message."""
    months, records = report_records(ctx, month, REPORT_MONTHS, unit)
    if not records:
        return html.P("Der er endnu ingen sager at rapportere for denne kunde.", className="text-muted portal-empty")
    return report_table(months, records)
