"""Aktionsliste callbacks: the items of the customer in context, folding, CSV/XLSX export, each item's
Historik, and SA's editing (create, edit, close, reopen).

Every callback is guarded for Menu.AKTIONSLISTE on the CVR in the page's own store; the editing ones
also by Action.EDIT_CONTENT, so a customer account is refused before the body runs. Row ids and
versions sent by the browser are only hints that the data layer checks against the customer in SQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from dash import Input, Output, State, ctx as dash_ctx, html, no_update
from dash.exceptions import PreventUpdate

from auth.guard import AccessContext, portal_callback
from callbacks._edit import (
    ConfirmState,
    EditResult,
    FormState,
    Question,
    Status,
    confirm_dependencies,
    confirm_outputs,
    form_dependencies,
    form_outputs,
    form_values,
    latest_status,
    run_confirm,
    run_form,
    save_form,
    selected_id,
)
from core.rights import Action, Menu
from data import actions as data
from data import units as unit_data
from core.formatting import da_date, da_datetime
from pages._export import export_file_name, send_csv, send_xlsx
from pages._grid import grid_view, visible_rows
from pages.ids import aktionsliste as Ids
from pages.ids.aktionsliste import KIT

# A select's "none" choice: not "" (dbc.Select's own hidden placeholder) and never a unit code or id.
NONE = "*"

def _empty(text: str) -> html.P:
    return html.P(text, className="text-muted portal-empty")


def _filters(area: Any, show_closed: Any, unit: Any) -> tuple[str | None, bool, str | None]:
    return data.parse_area(area), data.parse_show_closed(show_closed), data.parse_unit(unit)


def _unit_label(ctx: AccessContext, code: str) -> str:
    unit = next((u for u in unit_data.unit_options(ctx.scope, ctx.cvr) if u["code"] == code), None)
    return f"{unit['kind'].lower()} {unit['code']} {unit['name']}" if unit else code


def meeting_href(cvr: str, item: dict[str, Any]) -> str:
    """Return the Møder page of the item's meeting (its year), or '' when the item has no meeting."""
    if not item.get("meeting") or not item.get("meeting_year"):
        return ""
    return "/moeder?" + urlencode({"cvr": cvr, "aar": item["meeting_year"]})


def grid_rows(items: list[dict[str, Any]], expanded: bool, cvr: str = "") -> list[dict[str, Any]]:
    """Return the grid's row data: per item a main row and a full-width second row (with its meeting link)."""
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
            "meeting": item.get("meeting") or "", "meeting_href": meeting_href(cvr, item) if cvr else "",
        })
    return rows


def _shown(summary: str | None, empty: str | None, rows: list[dict[str, Any]], label: str) -> dict[str, Any]:
    return {"rows": rows, "summary": summary, "empty": _empty(empty) if empty else None,
            "grid_hidden": not rows, "expand_label": label}


# The grid stays in the page and only its rows change: AG Grid then keeps the user's sort (and its
# focus) when a filter or "Udvid alle" changes them; a new grid each time forgot the sort.
# SA's saves reload the rows (the kit's status stores) and report above the grid.
@portal_callback(
    output=dict(rows=Output(Ids.GRID, "rowData"), summary=Output(Ids.SUMMARY, "children"),
                empty=Output(Ids.EMPTY, "children"), grid_hidden=Output(Ids.GRID_WRAP, "hidden"),
                expand_label=Output(Ids.EXPAND_ALL, "children"), status=Output(KIT.status, "children")),
    inputs=dict(area=Input(Ids.AREA, "value"), show_closed=Input(Ids.SHOW_CLOSED, "value"),
                unit=Input(Ids.UNIT, "value"), expand_clicks=Input(Ids.EXPAND_ALL, "n_clicks"),
                saved=Input(KIT.saved, "data"), changed=Input(KIT.changed, "data")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.AKTIONSLISTE,
)
def render_actions(ctx: AccessContext, area: Any, show_closed: Any, unit: Any, expand_clicks: Any,
                   saved: Any = None, changed: Any = None):
    """Show the checked CVR's action items with the chosen filters; 'Udvid alle' opens every second line."""
    shown = _render(ctx, area, show_closed, unit, expand_clicks)
    return {**shown, "status": latest_status(KIT, dash_ctx.triggered_id, saved, changed, limit=300)}


def _render(ctx: AccessContext, area: Any, show_closed: Any, unit: Any, expand_clicks: Any) -> dict[str, Any]:
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
    return _shown(summary + ".", None, grid_rows(items, expanded, ctx.cvr), label)


def export_rows(ctx: AccessContext, area: Any, show_closed: Any, sort: Any = None,
                unit: Any = None) -> list[dict[str, Any]]:
    """Return both lines of the filtered items for export, in the grid's sort order; raise FilterError on a bad filter."""
    # The rows are read again for the checked CVR and sorted here by the grid's column state, as the
    # grid sorts its item lines (the second lines follow their item; the grid has no column filters).
    chosen_area, closed, chosen_unit = _filters(area, show_closed, unit)
    items = data.action_items(ctx.scope, ctx.cvr, chosen_area, closed, unit=chosen_unit)
    mains = [r for r in grid_rows(items, False) if r["kind"] == "main"]
    return visible_rows(items, grid_view(mains, None, sort))


@portal_callback(
    output=Output(Ids.DOWNLOAD_CSV, "data"),
    inputs=dict(n_clicks=Input(Ids.EXPORT_CSV, "n_clicks")),
    state=dict(area=State(Ids.AREA, "value"), show_closed=State(Ids.SHOW_CLOSED, "value"),
               unit=State(Ids.UNIT, "value"), sort=State(Ids.GRID, "columnState"),
               cvr=State(Ids.CVR, "data")),
    menu=Menu.AKTIONSLISTE,
    prevent_initial_call=True,
)
def export_csv(ctx: AccessContext, n_clicks: Any, area: Any, show_closed: Any, unit: Any, sort: Any):
    """Send the filtered action list (both lines) as CSV for the checked CVR."""
    if not n_clicks:
        raise PreventUpdate
    try:
        rows = export_rows(ctx, area, show_closed, sort, unit)
    except data.FilterError:
        raise PreventUpdate
    return send_csv(rows, data.EXPORT_COLUMNS, export_file_name("Aktionsliste", ctx.cvr))


@portal_callback(
    output=Output(Ids.DOWNLOAD_XLSX, "data"),
    inputs=dict(n_clicks=Input(Ids.EXPORT_XLSX, "n_clicks")),
    state=dict(area=State(Ids.AREA, "value"), show_closed=State(Ids.SHOW_CLOSED, "value"),
               unit=State(Ids.UNIT, "value"), sort=State(Ids.GRID, "columnState"),
               cvr=State(Ids.CVR, "data")),
    menu=Menu.AKTIONSLISTE,
    prevent_initial_call=True,
)
def export_xlsx(ctx: AccessContext, n_clicks: Any, area: Any, show_closed: Any, unit: Any, sort: Any):
    """Send the filtered action list (both lines) as XLSX for the checked CVR."""
    if not n_clicks:
        raise PreventUpdate
    try:
        rows = export_rows(ctx, area, show_closed, sort, unit)
    except data.FilterError:
        raise PreventUpdate
    return send_xlsx(rows, data.EXPORT_COLUMNS, "Aktionsliste", export_file_name("Aktionsliste", ctx.cvr))


# --- selection ----------------------------------------------------------------------------------


@portal_callback(
    output=Output(Ids.HISTORY, "disabled"),
    inputs=dict(selected=Input(Ids.GRID, "selectedRows")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.AKTIONSLISTE,
)
def history_enabled(ctx: AccessContext, selected: Any):
    """Enable Historik only while one item is selected."""
    return selected_id(selected) is None


@portal_callback(
    output=dict(edit=Output(KIT.edit, "disabled"), close=Output(Ids.CLOSE, "disabled"),
                reopen=Output(Ids.REOPEN, "disabled")),
    # A close or reopen changes which buttons apply while the same row stays selected.
    inputs=dict(selected=Input(Ids.GRID, "selectedRows"), changed=Input(KIT.changed, "data")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.AKTIONSLISTE,
    action=Action.EDIT_CONTENT,
)
def editing_enabled(ctx: AccessContext, selected: Any, changed: Any):
    """Enable Rediger and Afslut for a selected open item, Genåbn for a selected closed one."""
    item_id = selected_id(selected)
    # The item is read again for the checked CVR: the browser's row only says which one.
    item = data.get_action_item(ctx.scope, ctx.cvr, item_id) if item_id is not None else None
    if item is None:
        return {"edit": True, "close": True, "reopen": True}
    closed = item["is_closed"]
    return {"edit": closed, "close": closed, "reopen": not closed}


# --- the item form (SA only) --------------------------------------------------------------------


FORM_OUTPUTS = form_outputs(
    KIT,
    area_value=Output(Ids.FORM_AREA, "value"),
    unit_options=Output(Ids.FORM_UNIT, "options"),
    unit_value=Output(Ids.FORM_UNIT, "value"),
    status_options=Output(Ids.FORM_STATUS, "options"),
    status_value=Output(Ids.FORM_STATUS, "value"),
    meeting_options=Output(Ids.FORM_MEETING, "options"),
    meeting_value=Output(Ids.FORM_MEETING, "value"),
)


def _status_options(current: str | None) -> list[dict[str, str]]:
    statuses = list(data.OPEN_STATUSES)
    # An older item keeps a status no longer offered until SA picks another.
    if current and current not in statuses and current != data.CLOSED_STATUS:
        statuses.append(current)
    return [{"label": s, "value": s} for s in statuses]


def _open_form(ctx: AccessContext, item: dict[str, Any] | None) -> EditResult:
    if item is not None and item["is_closed"]:
        return EditResult.notice(Status("Aktionspunktet er afsluttet. Genåbn det, før du retter i det.", "warning"))
    units = [{"label": "Ingen (hele kunden)", "value": NONE}] + [
        {"label": u["label"], "value": u["value"]} for u in data.unit_choices(ctx.scope, ctx.cvr)]
    meetings = [{"label": "Intet møde", "value": NONE}] + data.meeting_choices(ctx.scope, ctx.cvr)
    deadline = item["deadline"] if item else None
    values = {name: (item[name] if item else "") for name in KIT.fields if name != "deadline"}
    values["deadline"] = deadline.isoformat() if deadline else ""
    return EditResult.opened(
        f"Rediger aktionspunkt {item['id']}" if item else "Nyt aktionspunkt",
        values,
        FormState(item["id"], item["version"]) if item else None,
        area_value=item["area"] if item else data.AREAS[0],
        unit_options=units,
        unit_value=(item["unit_code"] or NONE) if item else NONE,
        status_options=_status_options(item["status"] if item else None),
        status_value=item["status"] if item else data.OPEN_STATUSES[0],
        meeting_options=meetings,
        meeting_value=str(item["meeting_id"]) if item and item["meeting_id"] else NONE,
    )


def _chosen(value: Any) -> Any:
    # The "none" choice is no unit / no meeting; anything else goes to validation as sent.
    return "" if value in (NONE, None) else value


def _save(ctx: AccessContext, form_state: Any, area: Any, unit: Any, status: Any, meeting: Any,
          values: dict[str, Any]) -> EditResult:
    raw = form_values(KIT, values) | {"area": area, "unit": _chosen(unit), "status": status,
                                      "meeting": _chosen(meeting)}
    editing = FormState.from_store(form_state)

    def write() -> dict[str, Any] | None:
        if editing is not None:
            return data.update_action_item(ctx.scope, ctx.cvr, ctx.user, editing.id, editing.version, raw)
        return data.create_action_item(ctx.scope, ctx.cvr, ctx.user, raw)

    def status_of(item: dict[str, Any] | None) -> Status:
        if item is None:
            return Status("Der var ingen ændringer at gemme.", "info")
        return Status(f"Aktionspunkt {item['id']} »{item['subject']}« er gemt, og kunden får besked.")

    return save_form(write, status_of)


@portal_callback(
    output=FORM_OUTPUTS,
    **form_dependencies(KIT, state=dict(area=State(Ids.FORM_AREA, "value"), unit=State(Ids.FORM_UNIT, "value"),
                                        status=State(Ids.FORM_STATUS, "value"),
                                        meeting=State(Ids.FORM_MEETING, "value"))),
    prevent_initial_call=True,
    menu=Menu.AKTIONSLISTE,
    action=Action.EDIT_CONTENT,
)
def item_form(ctx: AccessContext, add: Any, edit: Any, save: Any, cancel: Any, selected: Any, form_state: Any,
              saved: Any, area: Any, unit: Any, status: Any, meeting: Any, **values: Any):
    """Open the form empty (Nyt aktionspunkt) or with the selected item, save it (SA only), or close it."""
    result = run_form(
        KIT, dash_ctx.triggered_id, selected=selected,
        load=lambda item_id: data.get_action_item(ctx.scope, ctx.cvr, item_id),
        open_form=lambda item: _open_form(ctx, item),
        save=lambda: _save(ctx, form_state, area, unit, status, meeting, values),
        gone="Aktionspunktet findes ikke længere.",
    )
    return result.outputs(FORM_OUTPUTS, saved)


# --- close and reopen (SA only) -----------------------------------------------------------------


CONFIRM_OUTPUTS = confirm_outputs(KIT)
QUESTIONS = {
    "close": ("Afslut aktionspunkt", "Vil du afslutte aktionspunkt {id} »{subject}«? Kunden får besked.", "Afslut"),
    "reopen": ("Genåbn aktionspunkt", "Vil du genåbne aktionspunkt {id} »{subject}«? Kunden får besked.", "Genåbn"),
}


def _ask(action: str, item: dict[str, Any]) -> Question:
    title, text, label = QUESTIONS[action]
    return Question(title, text.format(id=item["id"], subject=item["subject"]), label)


def _close_or_reopen(ctx: AccessContext, state: ConfirmState) -> Status:
    closing = state.action == "close"
    item = data.set_closed(ctx.scope, ctx.cvr, ctx.user, state.id, state.version, closing)
    done = "afsluttet" if closing else "genåbnet"
    return Status(f"Aktionspunkt {item['id']} »{item['subject']}« er {done}, og kunden får besked.")


@portal_callback(
    output=CONFIRM_OUTPUTS,
    **confirm_dependencies(KIT, inputs=dict(close=Input(Ids.CLOSE, "n_clicks"), reopen=Input(Ids.REOPEN, "n_clicks"))),
    prevent_initial_call=True,
    menu=Menu.AKTIONSLISTE,
    action=Action.EDIT_CONTENT,
)
def close_or_reopen(ctx: AccessContext, close: Any, reopen: Any, yes: Any, no: Any, selected: Any,
                    confirm_state: Any, changed: Any):
    """Ask before closing or reopening the selected item, then do it (scoped, version-checked, kept in its history)."""
    result = run_confirm(
        KIT, dash_ctx.triggered_id, actions={Ids.CLOSE: "close", Ids.REOPEN: "reopen"}, selected=selected,
        confirm_state=confirm_state,
        load=lambda item_id: data.get_action_item(ctx.scope, ctx.cvr, item_id),
        ask=_ask,
        do=lambda state: _close_or_reopen(ctx, state),
        versioned=True,
    )
    return result.outputs(CONFIRM_OUTPUTS, changed)


# --- history (everyone who reads the list) --------------------------------------------------------


HISTORY_ACTIONS = {"create": "Oprettet", "update": "Ændret", "close": "Afsluttet", "reopen": "Genåbnet"}


def _value_text(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if key == "deadline" and isinstance(value, str) and value:
        try:
            return da_date(dt.date.fromisoformat(value))
        except ValueError:
            return value
    return str(value) if value not in (None, "") else "–"


def _change_list(action: str, changes: list[Any]) -> html.Ul:
    items = []
    for change in changes:
        if not isinstance(change, dict) or change.get("field") not in data.FIELD_LABELS:
            continue
        label, key = data.FIELD_LABELS[change["field"]], change["field"]
        if action == "create":
            items.append(html.Li(f"{label}: {_value_text(key, change.get('after'))}"))
        else:
            items.append(html.Li(f"{label}: {_value_text(key, change.get('before'))} → "
                                 f"{_value_text(key, change.get('after'))}"))
    return html.Ul(items or [html.Li("Ingen feltændringer")], className="mb-0")


def history_view(entries: list[dict[str, Any]]) -> html.Table | html.P:
    """Return an item's history as a table: when, who, what was done, and each field from what to what."""
    if not entries:
        return html.P("Ingen historik registreret.", className="text-muted")
    return html.Table(
        [
            html.Thead(html.Tr([html.Th("Tidspunkt", scope="col"), html.Th("Ændret af", scope="col"),
                                html.Th("Handling", scope="col"), html.Th("Ændringer", scope="col")])),
            html.Tbody([
                html.Tr([html.Td(da_datetime(e["at"])), html.Td(e["user"]),
                         html.Td(HISTORY_ACTIONS.get(e["action"], e["action"])),
                         html.Td(_change_list(e["action"], e["changes"]))])
                for e in entries
            ]),
        ],
        className="table table-sm aktion-history",
    )


@portal_callback(
    output=dict(is_open=Output(Ids.HISTORY_MODAL, "is_open"), title=Output(Ids.HISTORY_TITLE, "children"),
                body=Output(Ids.HISTORY_BODY, "children")),
    inputs=dict(show=Input(Ids.HISTORY, "n_clicks"), close=Input(Ids.HISTORY_CLOSE, "n_clicks")),
    state=dict(cvr=State(Ids.CVR, "data"), selected=State(Ids.GRID, "selectedRows")),
    prevent_initial_call=True,
    menu=Menu.AKTIONSLISTE,
)
def show_history(ctx: AccessContext, show: Any, close: Any, selected: Any):
    """Show the selected item's history: who changed it, when, and each field from what to what."""
    if dash_ctx.triggered_id == Ids.HISTORY_CLOSE:
        return {"is_open": False, "title": no_update, "body": no_update}
    if dash_ctx.triggered_id != Ids.HISTORY:
        raise PreventUpdate
    item_id = selected_id(selected)
    item = data.get_action_item(ctx.scope, ctx.cvr, item_id) if item_id is not None else None
    if item is None:
        raise PreventUpdate
    return {"is_open": True, "title": f"Historik for aktionspunkt {item['id']}: {item['subject']}",
            "body": history_view(data.item_history(ctx.scope, ctx.cvr, item["id"]))}
