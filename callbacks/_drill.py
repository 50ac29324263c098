"""The drill-through's server side, shared by Rapporter and Information (their callbacks call these).

Every value here comes from the browser: a goal (id or code), a month and a unit only choose which
of the checked customer's cases the server reads; each is checked against that customer, and the
rows are always read again for the CVR the guard checked (never taken from the client).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Mapping

from dash import Input, Output, State, ctx as dash_ctx
from dash.exceptions import PreventUpdate

from auth.guard import AccessContext
from data import drill, kpi
from data import units as unit_data
from data.rules import latest_closed_month
from core.formatting import da_month, da_number, iso_date
from pages._drill import COLUMNS, OPEN_KINDS, DrillIds
from pages._export import export_file_name, send_csv, send_xlsx
from pages._grid import grid_view, visible_rows

MONTH_PATTERN = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])(-01)?$")
OLDEST_YEAR = 2000
EXPORT_COLUMNS = [("n", "Nr."), ("case_ref", "Sagsreference"), ("unit_code", "Enhed"), ("received_at", "Modtaget"),
                  ("completed_at", "Afsluttet"), ("days_taken", "Arbejdsdage"), ("deadline", "Frist"),
                  ("met", "Overholdt")]
GRID_FIELDS = [c["field"] for c in COLUMNS]


def parse_month(value: Any) -> dt.date | None:
    """Return the closed month 'YYYY-MM' (or 'YYYY-MM-01') names, else None."""
    match = MONTH_PATTERN.match(value) if isinstance(value, str) else None
    if not match:
        return None
    month = dt.date(int(match.group(1)), int(match.group(2)), 1)
    return month if OLDEST_YEAR <= month.year and month <= latest_closed_month() else None


def drill_key(ctx: AccessContext, goal: Any, month: Any, unit: Any = None) -> dict[str, Any] | None:
    """Return the checked figure {goal_id, code, title, month, unit} of the context's customer, else None."""
    found = drill.goal_of(ctx.scope, ctx.cvr, goal)
    if isinstance(month, str) and month in OPEN_KINDS:
        period = month
    else:
        first = parse_month(month)
        period = first.isoformat() if first is not None else None
    if found is None or period is None:
        return None
    if unit is not None and not unit_data.unit_kind(ctx.scope, ctx.cvr, unit):
        return None
    return {**found, "month": period, "unit": unit}


def _open_rows(ctx: AccessContext, key: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the goal's open cases as drill rows (working days so far; 'met' while within the deadline)."""
    frame = kpi.open_case_rows(ctx.scope, ctx.cvr, key["goal_id"], overdue_only=key["month"] == "overdue",
                               unit_code=key["unit"])
    return [{"case_ref": r["case_ref"], "unit_code": r["unit_code"], "received_at": r["received_at"],
             "completed_at": None, "days_taken": int(r["working_days"]), "deadline": r["deadline"],
             "met": not bool(r["overdue"]), "open": True}
            for r in frame.to_dict("records")]


def _read(ctx: AccessContext, key: Any) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Return the key checked again and the figure's cases as typed rows (read for the checked CVR)."""
    if not isinstance(key, Mapping):
        return None, []
    checked = drill_key(ctx, key.get("goal_id"), key.get("month"), key.get("unit"))
    if checked is None:
        return None, []
    if checked["month"] in OPEN_KINDS:
        rows = _open_rows(ctx, checked)
    else:
        frame = drill.cases(ctx.scope, ctx.cvr, checked["goal_id"], dt.date.fromisoformat(checked["month"]),
                            unit_code=checked["unit"])
        rows = frame.to_dict("records")
    for n, row in enumerate(rows, start=1):
        row["n"] = n
        for field in ("received_at", "completed_at"):
            value = row[field]
            row[field] = value.to_pydatetime() if hasattr(value, "to_pydatetime") else value
    return checked, rows


def _grid_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"n": row["n"], "case_ref": row["case_ref"], "unit_code": row["unit_code"],
            "received": iso_date(row["received_at"]), "completed": iso_date(row["completed_at"]),
            "days_taken": int(row["days_taken"]), "deadline": iso_date(row["deadline"]),
            "met_text": _met_text(row)}


def _met_text(row: Mapping[str, Any]) -> str:
    if row.get("open"):
        return "Åben, inden for frist" if row["met"] else "Åben, over frist"
    return "Ja" if row["met"] else "Nej"


def title_of(key: Mapping[str, Any]) -> str:
    """Return the modal's title: goal and month (and unit) of the figure."""
    unit = f", enhed {key['unit']}" if key.get("unit") else ""
    if key["month"] in OPEN_KINDS:
        return f"{OPEN_KINDS[key['month']]}: {key['code']} {key['title']}{unit}"
    month = dt.date.fromisoformat(key["month"])
    return f"Sager bag {key['code']} {key['title']} – {da_month(month)}{unit}"


def open_drill(ctx: AccessContext, key: dict[str, Any] | None) -> dict[str, Any]:
    """Return the modal's outputs for a checked figure: open, title, count, grid rows and the key."""
    if key is None:
        return {"is_open": True, "title": "Sagerne bag tallet", "summary": "Tallet findes ikke for denne kunde.",
                "rows": [], "key": None}
    checked, rows = _read(ctx, key)
    if checked is None:
        return open_drill(ctx, None)
    late = sum(1 for r in rows if not r["met"])
    if checked["month"] in OPEN_KINDS:
        counted = (f"{da_number(len(rows))} åbne sager i dag, heraf {da_number(late)} over fristen; arbejdsdage "
                   "er talt til i dag. Åbne sager tæller ikke med i målopfyldelsen.")
    else:
        counted = f"{da_number(len(rows))} sager afsluttet i måneden, heraf {da_number(late)} uden for fristen."
    summary = counted + " Klik på en kolonneoverskrift for at sortere; filtrér i kolonnens menu."
    return {"is_open": True, "title": title_of(checked), "summary": summary,
            "rows": [_grid_row(r) for r in rows], "key": checked}


def closed_drill() -> dict[str, Any]:
    """Return the modal's outputs when the user closes it: closed, and its rows dropped from the page."""
    return {"is_open": False, "title": "Sagerne bag tallet", "summary": "", "rows": [], "key": None}


def export_drill(ctx: AccessContext, key: Any, filters: Any, sort: Any, xlsx: bool) -> dict[str, Any] | None:
    """Return the download of the figure's cases as the grid filters and sorts them (None when no figure)."""
    checked, rows = _read(ctx, key)
    if checked is None:
        return None
    # The grid's filter and sort model only picks and orders rows the server read itself.
    shown = grid_view([_grid_row(r) for r in rows], filters, sort, columns=GRID_FIELDS)
    typed = visible_rows(rows, shown, key="case_ref")
    if checked["month"] in OPEN_KINDS:
        period = "aabne" if checked["month"] == "open" else "aabne_over_frist"
    else:
        period = f"{dt.date.fromisoformat(checked['month']):%Y-%m}"
    name = export_file_name(f"Sager_{checked['code']}_{period}" + (f"_{checked['unit']}" if checked["unit"] else ""),
                            ctx.cvr)
    if xlsx:
        return send_xlsx(typed, EXPORT_COLUMNS, f"Sager {checked['code']} {period}", name)
    return send_csv(typed, EXPORT_COLUMNS, name)


def export_dependencies(ids: DrillIds, cvr: str) -> dict[str, Any]:
    """Return the export callback's output, inputs and state (its CSV/XLSX buttons, key, grid model, CVR)."""
    return dict(output=Output(ids.download, "data"),
                inputs=dict(csv_clicks=Input(ids.csv, "n_clicks"), xlsx_clicks=Input(ids.xlsx, "n_clicks")),
                state=dict(key=State(ids.key, "data"), filters=State(ids.grid, "filterModel"),
                           sort=State(ids.grid, "columnState"), cvr=State(cvr, "data")))


def export_download(ctx: AccessContext, ids: DrillIds, clicks: int, key: Any, filters: Any, sort: Any) -> dict[str, Any]:
    """Return the download a pressed CSV/XLSX button asks for; raise PreventUpdate when there is nothing to send."""
    if not clicks:
        raise PreventUpdate
    download = export_drill(ctx, key, filters, sort, xlsx=dash_ctx.triggered_id == ids.xlsx)
    if download is None:
        raise PreventUpdate
    return download
