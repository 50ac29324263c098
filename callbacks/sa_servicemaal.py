"""Servicemål catalogue callbacks (SA only): grid, goal form (create / new version), versions.

Every callback is guarded by Action.EDIT_CONTENT with no menu (the catalogue belongs to no customer):
the wrapper refuses every customer account before the body runs. Ids and versions sent by the
browser are only hints that `data.goals` checks.
"""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, ctx as dash_ctx, html, no_update
from dash.exceptions import PreventUpdate

from auth.guard import AccessContext, portal_callback
from callbacks._edit import (
    EditResult,
    FormState,
    Status,
    field_values,
    form_inputs,
    form_outputs,
    form_values,
    latest_status,
    run_form,
    save_form,
    selected_id,
)
from core.formatting import da_date, da_datetime, da_percent, form_date
from core.rights import Action
from data import goals
from pages.ids import sa_servicemaal as Ids
from pages.ids.sa_servicemaal import KIT


def _percent(value: float) -> str:
    # "95" and "97,5": the target as the form takes it (shown elsewhere as "95,0 %", da_percent).
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _rule(rule_kind: str, rule_value: int) -> str:
    if rule_kind == "within_days":
        return f"Inden for {rule_value} arbejdsdage"
    return f"Senest den {rule_value}. i måneden (næste arbejdsdag, hvis den dag ikke er en arbejdsdag)"


def _row(goal: dict[str, Any]) -> dict[str, Any]:
    upcoming = goal["next"]
    updated = da_datetime(goal["updated_at"]) if goal["updated_at"] else ""
    if updated and goal["updated_by"]:
        updated = f"{updated} ({goal['updated_by']})"
    return {
        "id": goal["id"], "row_id": str(goal["id"]), "code": goal["code"], "area": goal["area"],
        "title": goal["title"], "rule": _rule(goal["rule_kind"], goal["rule_value"]),
        "target": da_percent(goal["target_pct"]),
        "valid_from": da_date(goal["valid_from"]) if goal["valid_from"] else "Fra start",
        "next": (f"Fra {da_date(upcoming.valid_from)}: {_rule(upcoming.rule_kind, upcoming.rule_value).lower()}, "
                 + da_percent(upcoming.target_pct)) if upcoming else "",
        "updated": updated,
    }


@portal_callback(
    output=dict(rows=Output(KIT.grid, "rowData"), status=Output(KIT.status, "children")),
    inputs=dict(saved=Input(KIT.saved, "data"), changed=Input(KIT.changed, "data")),
    menu=None,
    action=Action.EDIT_CONTENT,
)
def load_goals(ctx: AccessContext, saved: Any, changed: Any):
    """Load the catalogue into the grid and show the last save's message."""
    rows = [_row(goal) for goal in goals.catalogue()]
    return {"rows": rows, "status": latest_status(KIT, dash_ctx.triggered_id, saved, changed, limit=300)}


@portal_callback(
    output=dict(edit=Output(KIT.edit, "disabled"), versions=Output(Ids.VERSIONS, "disabled")),
    inputs=dict(selected=Input(KIT.grid, "selectedRows")),
    menu=None,
    action=Action.EDIT_CONTENT,
)
def selection_changed(ctx: AccessContext, selected: Any):
    """Enable Rediger and Se versioner only while one goal is selected."""
    disabled = selected_id(selected) is None
    return {"edit": disabled, "versions": disabled}


FORM_OUTPUTS = form_outputs(
    KIT,
    area_value=Output(Ids.AREA, "value"),
    area_disabled=Output(Ids.AREA, "disabled"),
    code_disabled=Output(KIT.field("code"), "disabled"),
    rule_kind_value=Output(Ids.RULE_KIND, "value"),
)


def _open_form(goal: dict[str, Any] | None) -> EditResult:
    start = form_date(goals.first_open_month())
    record = None
    if goal is not None:
        record = {"code": goal["code"], "title": goal["title"], "rule_text": goal["rule_text"],
                  "rule_value": str(goal["rule_value"]), "target_pct": _percent(goal["target_pct"]),
                  "valid_from": start}
    return EditResult.opened(
        f"Ny version af {goal['code']}" if goal else "Tilføj servicemål",
        field_values(KIT, record) | ({} if goal else {"valid_from": start}),
        FormState(goal["id"], goal["version"]) if goal else None,
        area_value=goal["area"] if goal else None,
        area_disabled=goal is not None,
        code_disabled=goal is not None,
        rule_kind_value=goal["rule_kind"] if goal else None,
    )


def _save(ctx: AccessContext, form_state: Any, area: Any, rule_kind: Any, values: dict[str, Any]) -> EditResult:
    raw = form_values(KIT, values) | {"area": area, "rule_kind": rule_kind}
    editing = FormState.from_store(form_state)

    def write() -> dict[str, Any]:
        if editing is not None:
            return goals.change_goal(ctx.user, editing.id, editing.version, raw)
        return goals.create_goal(ctx.user, raw)

    def status(goal: dict[str, Any]) -> Status:
        saved = goal["next"] or goal
        start = saved.valid_from if goal["next"] else goal["valid_from"]
        when = f" fra {da_date(start)}" if start else ""
        return Status(f"Servicemålet {goal['code']} er gemt og gælder{when}.")

    return save_form(write, status)


@portal_callback(
    output=FORM_OUTPUTS,
    inputs=form_inputs(KIT),
    state=dict(
        selected=State(KIT.grid, "selectedRows"),
        form_state=State(KIT.form_state, "data"),
        saved=State(KIT.saved, "data"),
        area=State(Ids.AREA, "value"),
        rule_kind=State(Ids.RULE_KIND, "value"),
        **{f"value_{f}": State(KIT.field(f), "value") for f in KIT.fields},
    ),
    prevent_initial_call=True,
    menu=None,
    action=Action.EDIT_CONTENT,
)
def goal_form(ctx: AccessContext, add: Any, edit: Any, save: Any, cancel: Any, selected: Any, form_state: Any,
              saved: Any, area: Any, rule_kind: Any, **values: Any):
    """Open the form empty (Tilføj) or on the selected goal (a new version), save it, or close it."""
    result = run_form(
        KIT, dash_ctx.triggered_id, selected=selected,
        load=goals.get_goal,
        open_form=_open_form,
        save=lambda: _save(ctx, form_state, area, rule_kind, values),
        gone="Servicemålet findes ikke længere.",
    )
    return result.outputs(FORM_OUTPUTS, saved)


def versions_table(goal: dict[str, Any]) -> html.Table:
    """Return every version of a goal, newest first: from when, rule, target, title, who and when saved."""
    head = html.Thead(html.Tr([html.Th(h, scope="col") for h in
                               ("Gælder fra", "Regel", "Mål %", "Titel og regeltekst", "Gemt af")]))
    rows = []
    for version in reversed(goal["versions"]):
        start = "Fra start" if version.valid_from == goals.EARLIEST else da_date(version.valid_from)
        saved = f"{version.created_by}, {da_datetime(version.created_at)}" if version.created_at else "–"
        rows.append(html.Tr([
            html.Td(start, className="text-nowrap"), html.Td(_rule(version.rule_kind, version.rule_value)),
            html.Td(da_percent(version.target_pct), className="text-end text-nowrap"),
            html.Td([html.Strong(version.title), html.Br(), version.rule_text]), html.Td(saved),
        ]))
    return html.Table([html.Caption(f"Versioner af {goal['code']} {goal['title']}"), head, html.Tbody(rows)],
                      className="table table-sm")


@portal_callback(
    output=dict(is_open=Output(Ids.VERSIONS_MODAL, "is_open"), body=Output(Ids.VERSIONS_BODY, "children")),
    inputs=dict(show=Input(Ids.VERSIONS, "n_clicks"), close=Input(Ids.VERSIONS_CLOSE, "n_clicks")),
    state=dict(selected=State(KIT.grid, "selectedRows")),
    prevent_initial_call=True,
    menu=None,
    action=Action.EDIT_CONTENT,
)
def show_versions(ctx: AccessContext, show: Any, close: Any, selected: Any):
    """Show every version of the selected goal: what it was, what it became, from which month, by whom."""
    if dash_ctx.triggered_id == Ids.VERSIONS_CLOSE:
        return {"is_open": False, "body": no_update}
    if dash_ctx.triggered_id != Ids.VERSIONS:
        raise PreventUpdate
    goal = goals.get_goal(selected_id(selected))
    if goal is None:
        raise PreventUpdate
    return {"is_open": True, "body": versions_table(goal)}
