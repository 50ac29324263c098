"""Kontakt dit team callbacks: SA staff maintain the team of the customer in context (add, edit, remove).

The page is open to every signed-in user, but every callback here is SA's editing: guarded for
Menu.STAMDATA (the customer's master data) on the page's CVR store and Action.EDIT_CONTENT, so a
customer account is refused before the body runs. data.team validates, checks versions and audits.
"""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, ctx as dash_ctx

from auth.guard import AccessContext, portal_callback
from callbacks._edit import (
    ConfirmState,
    EditResult,
    FormState,
    Question,
    Status,
    confirm_dependencies,
    confirm_outputs,
    field_values,
    form_dependencies,
    form_outputs,
    form_values,
    latest_status,
    run_confirm,
    run_form,
    save_form,
    selected_id,
)
from core.formatting import da_phone
from core.rights import Action, Menu
from data import team
from pages._team import team_children
from pages.ids import kontakt as Ids
from pages.ids.kontakt import KIT


def _row(member: dict[str, Any]) -> dict[str, Any]:
    # AG Grid wants string row ids; the callbacks read the numeric `id` of the selected row.
    return {"id": member["id"], "row_id": str(member["id"]), "name": member["name"], "role": member["role"],
            "email": member["email"], "phone": da_phone(member["phone"])}


@portal_callback(
    output=dict(rows=Output(KIT.grid, "rowData"), status=Output(KIT.status, "children"),
                team=Output(Ids.TEAM, "children")),
    inputs=dict(saved=Input(KIT.saved, "data"), changed=Input(KIT.changed, "data")),
    state=dict(cvr=State(KIT.cvr, "data")),
    menu=Menu.STAMDATA,
    action=Action.EDIT_CONTENT,
)
def load_team(ctx: AccessContext, saved: Any, changed: Any):
    """Load the team into SA's grid, draw the cards the customer reads again, and report the last change."""
    # The grid shows the same members as the cards, which log the view (team_children).
    cards = team_children(ctx.cvr, ctx.scope, ctx.user)
    rows = [_row(m) for m in team.team_members(ctx.scope, ctx.cvr)]
    return {"rows": rows, "status": latest_status(KIT, dash_ctx.triggered_id, saved, changed, limit=300),
            "team": cards}


@portal_callback(
    output=dict(edit=Output(KIT.edit, "disabled"), delete=Output(Ids.DELETE, "disabled")),
    inputs=dict(selected=Input(KIT.grid, "selectedRows")),
    state=dict(cvr=State(KIT.cvr, "data")),
    menu=Menu.STAMDATA,
    action=Action.EDIT_CONTENT,
)
def selection_changed(ctx: AccessContext, selected: Any):
    """Enable Rediger and Fjern only while one team member is selected."""
    disabled = selected_id(selected) is None
    return {"edit": disabled, "delete": disabled}


FORM_OUTPUTS = form_outputs(KIT)


def _open_form(member: dict[str, Any] | None) -> EditResult:
    values = field_values(KIT, member)
    if member:
        values["phone"] = da_phone(member["phone"])
    return EditResult.opened("Rediger teammedlem" if member else "Tilføj teammedlem", values,
                             FormState(member["id"], member["version"]) if member else None)


def _save(ctx: AccessContext, form_state: Any, values: dict[str, Any]) -> EditResult:
    raw = form_values(KIT, values)
    editing = FormState.from_store(form_state)

    def write() -> dict[str, Any]:
        if editing is not None:
            return team.update_member(ctx.scope, ctx.cvr, ctx.user, editing.id, editing.version, raw)
        return team.create_member(ctx.scope, ctx.cvr, ctx.user, raw)

    return save_form(write, lambda member: Status(f"Teammedlemmet »{member['name']}« er gemt."))


@portal_callback(
    output=FORM_OUTPUTS,
    **form_dependencies(KIT),
    prevent_initial_call=True,
    menu=Menu.STAMDATA,
    action=Action.EDIT_CONTENT,
)
def team_form(ctx: AccessContext, add: Any, edit: Any, save: Any, cancel: Any, selected: Any, form_state: Any,
              saved: Any, **values: Any):
    """Open the form empty (Tilføj) or with the selected team member, save it, or close it."""
    result = run_form(
        KIT, dash_ctx.triggered_id, selected=selected,
        load=lambda member_id: team.get_member(ctx.scope, ctx.cvr, member_id),
        open_form=_open_form,
        save=lambda: _save(ctx, form_state, values),
        gone="Teammedlemmet findes ikke længere.",
    )
    return result.outputs(FORM_OUTPUTS, saved)


CONFIRM_OUTPUTS = confirm_outputs(KIT)
DELETE_QUESTION = "Vil du fjerne »{name}« ({role}) fra kundens team? Kunden ser det med det samme."


def _delete(ctx: AccessContext, state: ConfirmState) -> Status:
    before = team.delete_member(ctx.scope, ctx.cvr, ctx.user, state.id, state.version)
    return Status(f"Teammedlemmet »{before['name']}« er fjernet.")


@portal_callback(
    output=CONFIRM_OUTPUTS,
    **confirm_dependencies(KIT, inputs=dict(ask=Input(Ids.DELETE, "n_clicks"))),
    prevent_initial_call=True,
    menu=Menu.STAMDATA,
    action=Action.EDIT_CONTENT,
)
def delete_member(ctx: AccessContext, ask: Any, yes: Any, no: Any, selected: Any, confirm_state: Any, changed: Any):
    """Ask before removing the selected team member, then remove it (scoped, version-checked, audited)."""
    result = run_confirm(
        KIT, dash_ctx.triggered_id, actions={Ids.DELETE: "delete"}, selected=selected, confirm_state=confirm_state,
        load=lambda member_id: team.get_member(ctx.scope, ctx.cvr, member_id),
        ask=lambda _action, member: Question("Fjern teammedlem",
                                             DELETE_QUESTION.format(name=member["name"], role=member["role"]), "Fjern"),
        do=lambda state: _delete(ctx, state),
        versioned=True,
    )
    return result.outputs(CONFIRM_OUTPUTS, changed)
