"""Kontaktpersoner callbacks: grid, contact form (create/edit), delete with confirmation, history.

Every callback is guarded for Menu.KONTAKTPERSONER on the CVR in the page's own store, and every
read and write goes through data.contacts with the checked scope; row ids and versions sent by
the browser are only hints that the data layer checks against the customer in SQL.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx as dash_ctx, html, no_update
from dash.exceptions import PreventUpdate

from core.access import can_do
from auth.guard import AccessContext, portal_callback
from core.rights import Action, Menu
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
from data import contacts, privacy
from data.roles_catalogue import PERSONAL_DATA_WARNING, TAB_LABELS, suggested_tab, tab_labels
from pages._export import send_csv
from core.formatting import da_datetime, da_phone
from pages._history import history_table, plain_value
from pages._grid import column_fields, export_file_name, grid_view, send_xlsx
from pages.ids import kontaktpersoner as Ids
from pages.ids.kontaktpersoner import KIT

# How the privacy log names this page's views.
SOURCE = "Kontaktpersoner"
ACTION_LABELS = {"create": "Oprettet", "update": "Ændret", "delete": "Slettet"}
AUDIT_FIELDS = [
    ("title", "Titel"), ("name", "Navn"), ("email", "E-mail"), ("shared_email", "Fællesmail"),
    ("phone", "Telefon"), ("notes", "Bemærkninger"), ("roles", "Roller"), ("tabs", "Visning"),
]


def _row(contact: dict[str, Any]) -> dict[str, Any]:
    updated = da_datetime(contact["updated_at"])
    if contact["updated_by"]:
        updated = f"{updated} ({contact['updated_by']})"
    return {
        "id": contact["id"],
        # AG Grid wants string row ids; grid function strings cannot call String() (every row got "undefined").
        "row_id": str(contact["id"]),
        "title": contact["title"],
        "name": contact["name"],
        "email": contact["email"],
        "shared_email": contact["shared_email"],
        "phone": da_phone(contact["phone"]),
        "roles": ", ".join(contact["roles"]),
        "notes": contact["notes"],
        "tabs": ", ".join(tab_labels(contact["effective_tabs"])),
        "updated": updated,
    }


# --- grid -------------------------------------------------------------------------------------


@portal_callback(
    output=dict(rows=Output(KIT.grid, "rowData"), status=Output(KIT.status, "children")),
    inputs=dict(saved=Input(KIT.saved, "data"), changed=Input(KIT.changed, "data")),
    state=dict(cvr=State(KIT.cvr, "data")),
    menu=Menu.KONTAKTPERSONER,
)
def load_contacts(ctx: AccessContext, saved: Any, changed: Any):
    """Load the checked customer's contacts into the grid and show the last save/delete message."""
    shown = privacy.seen(ctx.user, SOURCE, ctx.cvr, privacy.CONTACT, contacts.list_contacts(ctx.scope, ctx.cvr))
    rows = [_row(c) for c in shown]
    return {"rows": rows, "status": latest_status(KIT, dash_ctx.triggered_id, saved, changed, limit=300)}


@portal_callback(
    output=dict(edit=Output(KIT.edit, "disabled"), delete=Output(Ids.DELETE, "disabled"),
                history=Output(Ids.HISTORY, "disabled")),
    inputs=dict(selected=Input(KIT.grid, "selectedRows")),
    state=dict(cvr=State(KIT.cvr, "data")),
    menu=Menu.KONTAKTPERSONER,
)
def selection_changed(ctx: AccessContext, selected: Any):
    """Enable Rediger, Slet and Se historik only while one contact is selected."""
    disabled = selected_id(selected) is None
    return {"edit": disabled, "delete": disabled, "history": disabled}


# --- the form ---------------------------------------------------------------------------------


FORM_OUTPUTS = form_outputs(
    KIT,
    roles_options=Output(Ids.ROLES, "options"),
    roles_value=Output(Ids.ROLES, "value"),
    sa_options=Output(Ids.SA_ROLES, "options"),
    sa_value=Output(Ids.SA_ROLES, "value"),
    tabs_value=Output(Ids.TABS, "value"),
)


def _role_label(role: dict[str, Any]) -> html.Span:
    parts: list[Any] = [html.Strong(role["name"])]
    if role["personal_data"]:
        parts.append(html.Span(" (personfølsomme oplysninger)", className="text-warning-emphasis"))
    parts += [html.Br(), html.Small(role["description"], className="text-muted")]
    return html.Span(parts)


def _role_options(user: Any) -> tuple[list[dict], list[dict]]:
    """Return (customer role options, SA-only role options); SA-only ones are locked for customers."""
    catalogue = contacts.roles()
    locked = not can_do(user, Action.ASSIGN_SA_ONLY_ROLES)
    customer = [{"label": _role_label(r), "value": r["id"]} for r in catalogue if not r["sa_only"]]
    sa_only = [{"label": _role_label(r), "value": r["id"], "disabled": locked} for r in catalogue if r["sa_only"]]
    return customer, sa_only


def _open_form(ctx: AccessContext, contact: dict[str, Any] | None) -> EditResult:
    customer_options, sa_options = _role_options(ctx.user)
    sa_ids = {o["value"] for o in sa_options}
    held = contact["role_ids"] if contact else []
    return EditResult.opened(
        "Rediger kontaktperson" if contact else "Tilføj kontaktperson",
        field_values(KIT, contact),
        FormState(contact["id"], contact["version"]) if contact else None,
        roles_options=customer_options,
        roles_value=[i for i in held if i not in sa_ids],
        sa_options=sa_options,
        sa_value=[i for i in held if i in sa_ids],
        tabs_value=contact["tabs"] if contact else [],
    )


def _role_ids(roles: Any, sa_roles: Any) -> Any:
    combined: list[Any] = []
    for part in (roles, sa_roles):
        if part is None:
            continue
        if not isinstance(part, list):
            return part  # let validation report the malformed value
        combined.extend(part)
    return combined


def _save(ctx: AccessContext, form_state: Any, roles: Any, sa_roles: Any, tabs: Any,
          values: dict[str, Any]) -> EditResult:
    raw = form_values(KIT, values) | {"role_ids": _role_ids(roles, sa_roles), "tabs": tabs}
    editing = FormState.from_store(form_state)

    def write() -> dict[str, Any]:
        if editing is not None:
            return contacts.update_contact(ctx.scope, ctx.cvr, ctx.user, editing.id, editing.version, raw)
        return contacts.create_contact(ctx.scope, ctx.cvr, ctx.user, raw)

    return save_form(write, lambda result: Status(f"Kontaktpersonen »{result['name']}« er gemt."))


def _preselect_tabs(form_state: Any, roles: Any, tabs: Any) -> EditResult | None:
    """Tick the obvious »Visning af kontaktperson« tabs of a new contact's first chosen roles."""
    # Only while the user has chosen no tab on a new contact: an existing contact's tabs, or a choice
    # the user made, are never changed behind their back.
    if FormState.from_store(form_state) is not None or tabs or not isinstance(roles, list) or not roles:
        return None
    names = {r["id"]: r["name"] for r in contacts.roles() if not r["sa_only"]}
    wanted = {suggested_tab(names[i]) for i in roles if isinstance(i, int) and i in names}
    if not wanted:
        return None
    return EditResult.only(tabs_value=[key for key in TAB_LABELS if key in wanted])


@portal_callback(
    output=FORM_OUTPUTS,
    **form_dependencies(KIT, inputs=dict(picked=Input(Ids.ROLES, "value")),
                        state=dict(roles=State(Ids.ROLES, "value"), sa_roles=State(Ids.SA_ROLES, "value"),
                                   tabs=State(Ids.TABS, "value"))),
    prevent_initial_call=True,
    menu=Menu.KONTAKTPERSONER,
)
def contact_form(ctx: AccessContext, add: Any, edit: Any, save: Any, cancel: Any, picked: Any, selected: Any,
                 form_state: Any, saved: Any, roles: Any, sa_roles: Any, tabs: Any, **values: Any):
    """Open the form empty (Tilføj) or with the selected contact, save it, or close it; preselect a new one's tab."""
    result = run_form(
        KIT, dash_ctx.triggered_id, selected=selected,
        load=lambda contact_id: contacts.get_contact(ctx.scope, ctx.cvr, contact_id),
        open_form=lambda contact: _open_form(
            ctx, privacy.seen_one(ctx.user, f"{SOURCE} – redigering", ctx.cvr, privacy.CONTACT, contact)),
        save=lambda: _save(ctx, form_state, roles, sa_roles, tabs, values),
        gone="Kontaktpersonen findes ikke længere.",
        other=lambda trigger: _preselect_tabs(form_state, picked, tabs) if trigger == Ids.ROLES else None,
    )
    return result.outputs(FORM_OUTPUTS, saved)


@portal_callback(
    output=dict(warning=Output(Ids.PERSONAL_DATA_WARNING, "children"), forced=Output(Ids.FORCED_TABS, "children")),
    inputs=dict(roles=Input(Ids.ROLES, "value"), sa_roles=Input(Ids.SA_ROLES, "value")),
    state=dict(cvr=State(KIT.cvr, "data")),
    menu=Menu.KONTAKTPERSONER,
)
def roles_changed(ctx: AccessContext, roles: Any, sa_roles: Any):
    """Warn about roles that receive personal data, and name the tabs SA-only roles decide."""
    chosen = _role_ids(roles, sa_roles)
    chosen_ids = set(i for i in chosen if isinstance(i, int)) if isinstance(chosen, list) else set()
    picked = [r for r in contacts.roles() if r["id"] in chosen_ids]
    sensitive = [r["name"] for r in picked if r["personal_data"]]
    warning = None
    if sensitive:
        warning = dbc.Alert(
            [html.Strong(", ".join(sensitive) + ": "), PERSONAL_DATA_WARNING], color="warning", className="mt-2 mb-0"
        )
    forced_parts = [f"{r['name']}: {', '.join(tab_labels(r['tabs']))}" for r in picked if r["tabs"]]
    forced = ("Vises altid på fanebladene bestemt af rollerne – " + "; ".join(forced_parts) + ".") if forced_parts else None
    return {"warning": warning, "forced": forced}


# --- delete -----------------------------------------------------------------------------------


CONFIRM_OUTPUTS = confirm_outputs(KIT)
DELETE_QUESTION = "Vil du slette kontaktpersonen »{name}«? Handlingen kan ikke fortrydes."


def _delete(ctx: AccessContext, state: ConfirmState) -> Status:
    before = contacts.delete_contact(ctx.scope, ctx.cvr, ctx.user, state.id, state.version)
    return Status(f"Kontaktpersonen »{before['name']}« er slettet.")


@portal_callback(
    output=CONFIRM_OUTPUTS,
    **confirm_dependencies(KIT, inputs=dict(ask=Input(Ids.DELETE, "n_clicks"))),
    prevent_initial_call=True,
    menu=Menu.KONTAKTPERSONER,
)
def delete_contact(ctx: AccessContext, ask: Any, yes: Any, no: Any, selected: Any, confirm_state: Any, changed: Any):
    """Ask before deleting the selected contact, then delete it (scoped, version-checked, audited)."""
    result = run_confirm(
        KIT, dash_ctx.triggered_id, actions={Ids.DELETE: "delete"}, selected=selected, confirm_state=confirm_state,
        load=lambda contact_id: contacts.get_contact(ctx.scope, ctx.cvr, contact_id),
        ask=lambda _action, contact: Question("Slet kontaktperson", DELETE_QUESTION.format(name=contact["name"]),
                                             "Slet"),
        do=lambda state: _delete(ctx, state),
        versioned=True,
    )
    return result.outputs(CONFIRM_OUTPUTS, changed)


# --- history ----------------------------------------------------------------------------------


def _value_text(key: str, value: Any) -> str:
    if key == "tabs":
        return ", ".join(tab_labels(value or [])) or "–"
    return plain_value(key, value)


@portal_callback(
    output=dict(is_open=Output(Ids.HISTORY_MODAL, "is_open"), body=Output(Ids.HISTORY_BODY, "children")),
    inputs=dict(show=Input(Ids.HISTORY, "n_clicks"), close=Input(Ids.HISTORY_CLOSE, "n_clicks")),
    state=dict(cvr=State(KIT.cvr, "data"), selected=State(KIT.grid, "selectedRows")),
    prevent_initial_call=True,
    menu=Menu.KONTAKTPERSONER,
)
def show_history(ctx: AccessContext, show: Any, close: Any, selected: Any):
    """Show who changed the selected contact, when, and what it was before and after."""
    if dash_ctx.triggered_id == Ids.HISTORY_CLOSE:
        return {"is_open": False, "body": no_update}
    if dash_ctx.triggered_id != Ids.HISTORY:
        raise PreventUpdate
    contact_id = selected_id(selected)
    contact = contacts.get_contact(ctx.scope, ctx.cvr, contact_id) if contact_id is not None else None
    if contact is None:
        raise PreventUpdate
    privacy.seen_one(ctx.user, f"{SOURCE} – historik", ctx.cvr, privacy.CONTACT, contact)
    entries = contacts.contact_history(ctx.scope, ctx.cvr, contact_id)
    return {"is_open": True,
            "body": history_table(entries, AUDIT_FIELDS, ACTION_LABELS, _value_text, "kontakt-history")}


EXPORT_COLUMNS = Ids.GRID_COLUMNS


@portal_callback(
    output=Output(Ids.DOWNLOAD, "data"),
    inputs=dict(csv_clicks=Input(Ids.EXPORT_CSV, "n_clicks"), xlsx_clicks=Input(Ids.EXPORT_XLSX, "n_clicks")),
    state=dict(filters=State(KIT.grid, "filterModel"), sort=State(KIT.grid, "columnState"), cvr=State(KIT.cvr, "data")),
    menu=Menu.KONTAKTPERSONER,
    prevent_initial_call=True,
)
def export_contacts(ctx: AccessContext, csv_clicks: Any, xlsx_clicks: Any, filters: Any, sort: Any):
    """Download the contacts the grid shows (its filters and sort) as CSV or XLSX, re-read from the database."""
    if not (csv_clicks or xlsx_clicks):
        raise PreventUpdate
    # The rows are read again for this CVR; the grid's filter and sort model (never its rows) pick and order them.
    rows = grid_view([_row(c) for c in contacts.list_contacts(ctx.scope, ctx.cvr)], filters, sort,
                     column_fields(EXPORT_COLUMNS))
    name = export_file_name("Kontaktpersoner", ctx.cvr)
    xlsx = dash_ctx.triggered_id == Ids.EXPORT_XLSX
    privacy.seen(ctx.user, f"{SOURCE} – eksport ({'Excel' if xlsx else 'CSV'})", ctx.cvr, privacy.CONTACT, rows)
    if xlsx:
        return send_xlsx(rows, EXPORT_COLUMNS, "Kontaktpersoner", name)
    return send_csv(rows, EXPORT_COLUMNS, name)
