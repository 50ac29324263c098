"""Aktionsliste callbacks: the items of the customer in context, folding, and CSV/XLSX export."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, html
from dash.exceptions import PreventUpdate

from auth.guard import AccessContext, portal_callback
from core.rights import Menu
from data import actions as data
from data import units as unit_data
from core.formatting import da_date
from pages._export import export_file_name, send_csv, send_xlsx
from pages._grid import visible_rows
from pages.ids import aktionsliste as Ids

def _empty(text: str) -> html.P:
    return html.P(text, className="text-muted portal-empty")


def _filters(area: Any, show_closed: Any, unit: Any) -> tuple[str | None, bool, str | None]:
    return data.parse_area(area), data.parse_show_closed(show_closed), data.parse_unit(unit)


def _unit_label(ctx: AccessContext, code: str) -> str:
    unit = next((u for u in unit_data.unit_options(ctx.scope, ctx.cvr) if u["code"] == code), None)
    return f"{unit['kind'].lower()} {unit['code']} {unit['name']}" if unit else code


def grid_rows(items: list[dict[str, Any]], expanded: bool) -> list[dict[str, Any]]:
    """Return the grid's row data: per item a main row and a full-width second row."""
    rows: list[dict[str, Any]] = []
    for item in items:
        deadline = item["deadline"]
        rows.append({
            "rid": f"m-{item['id']}", "kind": "main", "expanded": expanded,
            "id": item["id"], "area": item["area"], "unit": item["unit"], "subject": item["subject"],
            "deadline": deadline.isoformat() if deadline else "", "deadline_label": da_date(deadline),
            "overdue": item["overdue"], "owner": item["owner"], "process_area": item["process_area"],
            "status": item["status"], "closed": item["is_closed"],
        })
        rows.append({
            "rid": f"d-{item['id']}", "kind": "detail", "expanded": expanded, "id": item["id"],
            "description": item["description"], "status_detail": item["status_detail"],
        })
    return rows


def _shown(summary: str | None, empty: str | None, rows: list[dict[str, Any]], label: str) -> dict[str, Any]:
    return {"rows": rows, "summary": summary, "empty": _empty(empty) if empty else None,
            "grid_hidden": not rows, "expand_label": label}


# The grid stays in the page and only its rows change: AG Grid then keeps the user's sort (and its
# focus) when a filter or "Udvid alle" changes them; a new grid each time forgot the sort.
@portal_callback(
    output=dict(rows=Output(Ids.GRID, "rowData"), summary=Output(Ids.SUMMARY, "children"),
                empty=Output(Ids.EMPTY, "children"), grid_hidden=Output(Ids.GRID_WRAP, "hidden"),
                expand_label=Output(Ids.EXPAND_ALL, "children")),
    inputs=dict(area=Input(Ids.AREA, "value"), show_closed=Input(Ids.SHOW_CLOSED, "value"),
                unit=Input(Ids.UNIT, "value"), expand_clicks=Input(Ids.EXPAND_ALL, "n_clicks")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.AKTIONSLISTE,
)
def render_actions(ctx: AccessContext, area: Any, show_closed: Any, unit: Any, expand_clicks: Any):
    """Show the checked CVR's action items with the chosen filters; 'Udvid alle' opens every second line."""
    expanded = isinstance(expand_clicks, int) and not isinstance(expand_clicks, bool) and expand_clicks % 2 == 1
    label = "Fold alle sammen" if expanded else "Udvid alle"
    try:
        chosen_area, closed, chosen_unit = _filters(area, show_closed, unit)
    except data.FilterError as exc:
        return _shown(None, str(exc), [], label)
    items = data.action_items(ctx.scope, ctx.cvr, chosen_area, closed, unit=chosen_unit)
    if not items:
        anything = data.action_items(ctx.scope, ctx.cvr, None, True)
        text = "Ingen aktionspunkter matcher de valgte filtre." if anything else "Ingen aktionspunkter registreret"
        return _shown(None, text, [], label)
    overdue = sum(1 for i in items if i["overdue"])
    summary = f"{len(items)} aktionspunkt{'er' if len(items) != 1 else ''}"
    if chosen_unit is not None:
        # Say why the list is shorter than the customer's whole list.
        summary += f" for {_unit_label(ctx, chosen_unit)}"
    if overdue:
        summary += f", heraf {overdue} med overskredet deadline"
    return _shown(summary + ".", None, grid_rows(items, expanded), label)


def export_rows(ctx: AccessContext, area: Any, show_closed: Any, virtual_rows: Any = None,
                unit: Any = None) -> list[dict[str, Any]]:
    """Return both lines of the filtered items for export, in the grid's order; raise FilterError on a bad filter."""
    # The rows are read again for the checked CVR; the browser's rows only order them.
    chosen_area, closed, chosen_unit = _filters(area, show_closed, unit)
    items = data.action_items(ctx.scope, ctx.cvr, chosen_area, closed, unit=chosen_unit)
    mains = [r for r in virtual_rows if isinstance(r, dict) and r.get("kind") == "main"] \
        if isinstance(virtual_rows, list) else None
    if not mains:
        return items
    ordered = visible_rows(items, mains)
    listed = {i["id"] for i in ordered}
    # Items the grid did not list yet (it had not drawn) keep their place at the end.
    return ordered + [i for i in items if i["id"] not in listed]


@portal_callback(
    output=Output(Ids.DOWNLOAD_CSV, "data"),
    inputs=dict(n_clicks=Input(Ids.EXPORT_CSV, "n_clicks")),
    state=dict(area=State(Ids.AREA, "value"), show_closed=State(Ids.SHOW_CLOSED, "value"),
               unit=State(Ids.UNIT, "value"), virtual_rows=State(Ids.GRID, "virtualRowData"),
               cvr=State(Ids.CVR, "data")),
    menu=Menu.AKTIONSLISTE,
    prevent_initial_call=True,
)
def export_csv(ctx: AccessContext, n_clicks: Any, area: Any, show_closed: Any, unit: Any, virtual_rows: Any):
    """Send the filtered action list (both lines) as CSV for the checked CVR."""
    if not n_clicks:
        raise PreventUpdate
    try:
        rows = export_rows(ctx, area, show_closed, virtual_rows, unit)
    except data.FilterError:
        raise PreventUpdate
    return send_csv(rows, data.EXPORT_COLUMNS, export_file_name("Aktionsliste", ctx.cvr))


@portal_callback(
    output=Output(Ids.DOWNLOAD_XLSX, "data"),
    inputs=dict(n_clicks=Input(Ids.EXPORT_XLSX, "n_clicks")),
    state=dict(area=State(Ids.AREA, "value"), show_closed=State(Ids.SHOW_CLOSED, "value"),
               unit=State(Ids.UNIT, "value"), virtual_rows=State(Ids.GRID, "virtualRowData"),
               cvr=State(Ids.CVR, "data")),
    menu=Menu.AKTIONSLISTE,
    prevent_initial_call=True,
)
def export_xlsx(ctx: AccessContext, n_clicks: Any, area: Any, show_closed: Any, unit: Any, virtual_rows: Any):
    """Send the filtered action list (both lines) as XLSX for the checked CVR."""
    if not n_clicks:
        raise PreventUpdate
    try:
        rows = export_rows(ctx, area, show_closed, virtual_rows, unit)
    except data.FilterError:
        raise PreventUpdate
    return send_xlsx(rows, data.EXPORT_COLUMNS, "Aktionsliste", export_file_name("Aktionsliste", ctx.cvr))
