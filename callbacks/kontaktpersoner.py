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
from data import contacts
from data.roles_catalogue import PERSONAL_DATA_WARNING, tab_labels
from pages._export import send_csv
from core.formatting import da_datetime, da_phone
from pages._history import history_table, plain_value
from pages._grid import export_file_name, send_xlsx, visible_rows
from pages.ids import kontaktpersoner as Ids

FIELDS = list(Ids.FIELDS)
ACTION_LABELS = {"create": "Oprettet", "update": "Ændret", "delete": "Slettet"}
AUDIT_FIELDS = [
    ("title", "Titel"), ("name", "Navn"), ("email", "E-mail"), ("shared_email", "Fællesmail"),
    ("phone", "Telefon"), ("notes", "Bemærkninger"), ("roles", "Roller"), ("tabs", "Visning"),
]


def _selected_id(selected: Any) -> int | None:
    """Return the id of the one selected grid row, or None (the browser's row is only a hint)."""
    if isinstance(selected, list) and len(selected) == 1 and isinstance(selected[0], dict):
        value = selected[0].get("id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return None


def _counter(store: Any) -> int:
    value = store.get("n") if isinstance(store, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


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
    output=dict(rows=Output(Ids.GRID, "rowData"), status=Output(Ids.STATUS, "children")),
    inputs=dict(saved=Input(Ids.SAVED, "data"), deleted=Input(Ids.DELETED, "data")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.KONTAKTPERSONER,
)
def load_contacts(ctx: AccessContext, saved: Any, deleted: Any):
    """Load the checked customer's contacts into the grid and show the last save/delete message."""
    rows = [_row(c) for c in contacts.list_contacts(ctx.scope, ctx.cvr)]
    status = None
    trigger = saved if dash_ctx.triggered_id == Ids.SAVED else deleted if dash_ctx.triggered_id == Ids.DELETED else None
    if isinstance(trigger, dict) and isinstance(trigger.get("text"), str):
        color = "warning" if trigger.get("level") == "warning" else "success"
        # Not dismissable: dash-bootstrap-components labels that close button in English only.
        status = dbc.Alert(trigger["text"][:300], color=color)
    return {"rows": rows, "status": status}


@portal_callback(
    output=dict(edit=Output(Ids.EDIT, "disabled"), delete=Output(Ids.DELETE, "disabled"),
                history=Output(Ids.HISTORY, "disabled")),
    inputs=dict(selected=Input(Ids.GRID, "selectedRows")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.KONTAKTPERSONER,
)
def selection_changed(ctx: AccessContext, selected: Any):
    """Enable Rediger, Slet and Se historik only while one contact is selected."""
    disabled = _selected_id(selected) is None
    return {"edit": disabled, "delete": disabled, "history": disabled}


# --- the form ---------------------------------------------------------------------------------


FORM_OUTPUTS: dict[str, Output] = {
    "is_open": Output(Ids.FORM_MODAL, "is_open"),
    "heading": Output(Ids.FORM_TITLE, "children"),
    "form_state": Output(Ids.FORM_STATE, "data"),
    "alert": Output(Ids.FORM_ALERT, "children"),
    "alert_open": Output(Ids.FORM_ALERT, "is_open"),
    "roles_options": Output(Ids.ROLES, "options"),
    "roles_value": Output(Ids.ROLES, "value"),
    "sa_options": Output(Ids.SA_ROLES, "options"),
    "sa_value": Output(Ids.SA_ROLES, "value"),
    "roles_feedback": Output(Ids.ROLES_FEEDBACK, "children"),
    "tabs_value": Output(Ids.TABS, "value"),
    "tabs_feedback": Output(Ids.TABS_FEEDBACK, "children"),
    "saved": Output(Ids.SAVED, "data"),
    **{f"value_{f}": Output(Ids.FIELDS[f], "value") for f in FIELDS},
    **{f"invalid_{f}": Output(Ids.FIELDS[f], "invalid") for f in FIELDS},
    **{f"feedback_{f}": Output(Ids.feedback(f), "children") for f in FIELDS},
}


def _unchanged() -> dict[str, Any]:
    return {key: no_update for key in FORM_OUTPUTS}


def _cleared_feedback() -> dict[str, Any]:
    out: dict[str, Any] = {"alert": None, "alert_open": False, "roles_feedback": None, "tabs_feedback": None}
    for f in FIELDS:
        out[f"invalid_{f}"] = False
        out[f"feedback_{f}"] = None
    return out


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


def _open_form(ctx: AccessContext, contact: dict[str, Any] | None) -> dict[str, Any]:
    customer_options, sa_options = _role_options(ctx.user)
    sa_ids = {o["value"] for o in sa_options}
    held = contact["role_ids"] if contact else []
    out = _unchanged() | _cleared_feedback() | {
        "is_open": True,
        "heading": "Rediger kontaktperson" if contact else "Tilføj kontaktperson",
        "form_state": {"id": contact["id"], "version": contact["version"]} if contact else None,
        "roles_options": customer_options,
        "roles_value": [i for i in held if i not in sa_ids],
        "sa_options": sa_options,
        "sa_value": [i for i in held if i in sa_ids],
        "tabs_value": contact["tabs"] if contact else [],
    }
    for f in FIELDS:
        out[f"value_{f}"] = contact[f] if contact else ""
    return out


def _role_ids(roles: Any, sa_roles: Any) -> Any:
    combined: list[Any] = []
    for part in (roles, sa_roles):
        if part is None:
            continue
        if not isinstance(part, list):
            return part  # let validation report the malformed value
        combined.extend(part)
    return combined


def _save(ctx: AccessContext, form_state: Any, saved: Any, roles: Any, sa_roles: Any, tabs: Any,
          values: dict[str, Any]) -> dict[str, Any]:
    raw = {f: values.get(f"value_{f}") for f in FIELDS} | {"role_ids": _role_ids(roles, sa_roles), "tabs": tabs}
    out = _unchanged() | _cleared_feedback()
    try:
        if isinstance(form_state, dict) and form_state.get("id") is not None:
            result = contacts.update_contact(ctx.scope, ctx.cvr, ctx.user, form_state.get("id"),
                                             form_state.get("version"), raw)
        else:
            result = contacts.create_contact(ctx.scope, ctx.cvr, ctx.user, raw)
    except contacts.ContactValidationError as exc:
        for f in FIELDS:
            if f in exc.errors:
                out[f"invalid_{f}"] = True
                out[f"feedback_{f}"] = exc.errors[f]
        out["roles_feedback"] = exc.errors.get("roles")
        out["tabs_feedback"] = exc.errors.get("tabs")
        out["alert"], out["alert_open"] = exc.message, True
        return out
    except contacts.ContactError as exc:
        out["alert"], out["alert_open"] = exc.message, True
        return out
    out.update(
        is_open=False,
        form_state=None,
        saved={"n": _counter(saved) + 1, "text": f"Kontaktpersonen »{result['name']}« er gemt."},
    )
    return out


@portal_callback(
    output=FORM_OUTPUTS,
    inputs=dict(
        add=Input(Ids.ADD, "n_clicks"),
        edit=Input(Ids.EDIT, "n_clicks"),
        save=Input(Ids.SAVE, "n_clicks"),
        cancel=Input(Ids.CANCEL, "n_clicks"),
    ),
    state=dict(
        cvr=State(Ids.CVR, "data"),
        selected=State(Ids.GRID, "selectedRows"),
        form_state=State(Ids.FORM_STATE, "data"),
        saved=State(Ids.SAVED, "data"),
        roles=State(Ids.ROLES, "value"),
        sa_roles=State(Ids.SA_ROLES, "value"),
        tabs=State(Ids.TABS, "value"),
        **{f"value_{f}": State(Ids.FIELDS[f], "value") for f in FIELDS},
    ),
    prevent_initial_call=True,
    menu=Menu.KONTAKTPERSONER,
)
def contact_form(ctx: AccessContext, add: Any, edit: Any, save: Any, cancel: Any, selected: Any,
                 form_state: Any, saved: Any, roles: Any, sa_roles: Any, tabs: Any, **values: Any):
    """Open the form empty (Tilføj) or with the selected contact, save it, or close it."""
    trigger = dash_ctx.triggered_id
    if trigger == Ids.ADD:
        return _open_form(ctx, None)
    if trigger == Ids.EDIT:
        contact_id = _selected_id(selected)
        if contact_id is None:
            raise PreventUpdate
        contact = contacts.get_contact(ctx.scope, ctx.cvr, contact_id)
        if contact is None:
            return _unchanged() | {"saved": {"n": _counter(saved) + 1, "level": "warning",
                                             "text": "Kontaktpersonen findes ikke længere."}}
        return _open_form(ctx, contact)
    if trigger == Ids.SAVE:
        return _save(ctx, form_state, saved, roles, sa_roles, tabs, values)
    if trigger == Ids.CANCEL:
        return _unchanged() | {"is_open": False, "form_state": None}
    raise PreventUpdate


@portal_callback(
    output=dict(warning=Output(Ids.PERSONAL_DATA_WARNING, "children"), forced=Output(Ids.FORCED_TABS, "children")),
    inputs=dict(roles=Input(Ids.ROLES, "value"), sa_roles=Input(Ids.SA_ROLES, "value")),
    state=dict(cvr=State(Ids.CVR, "data")),
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


@portal_callback(
    output=dict(
        is_open=Output(Ids.CONFIRM_MODAL, "is_open"),
        text=Output(Ids.CONFIRM_TEXT, "children"),
        alert=Output(Ids.CONFIRM_ALERT, "children"),
        alert_open=Output(Ids.CONFIRM_ALERT, "is_open"),
        delete_state=Output(Ids.DELETE_STATE, "data"),
        deleted=Output(Ids.DELETED, "data"),
    ),
    inputs=dict(
        ask=Input(Ids.DELETE, "n_clicks"),
        yes=Input(Ids.CONFIRM_YES, "n_clicks"),
        no=Input(Ids.CONFIRM_NO, "n_clicks"),
    ),
    state=dict(
        cvr=State(Ids.CVR, "data"),
        selected=State(Ids.GRID, "selectedRows"),
        delete_state=State(Ids.DELETE_STATE, "data"),
        deleted=State(Ids.DELETED, "data"),
    ),
    prevent_initial_call=True,
    menu=Menu.KONTAKTPERSONER,
)
def delete_contact(ctx: AccessContext, ask: Any, yes: Any, no: Any, selected: Any, delete_state: Any, deleted: Any):
    """Ask before deleting the selected contact, then delete it (scoped, version-checked, audited)."""
    unchanged = {"is_open": no_update, "text": no_update, "alert": no_update, "alert_open": no_update,
                 "delete_state": no_update, "deleted": no_update}
    trigger = dash_ctx.triggered_id
    if trigger == Ids.DELETE:
        contact_id = _selected_id(selected)
        contact = contacts.get_contact(ctx.scope, ctx.cvr, contact_id) if contact_id is not None else None
        if contact is None:
            raise PreventUpdate
        return unchanged | {
            "is_open": True,
            "text": f"Vil du slette kontaktpersonen »{contact['name']}«? Handlingen kan ikke fortrydes.",
            "alert": None,
            "alert_open": False,
            "delete_state": {"id": contact["id"], "version": contact["version"]},
        }
    if trigger == Ids.CONFIRM_YES:
        if not isinstance(delete_state, dict):
            raise PreventUpdate
        try:
            before = contacts.delete_contact(ctx.scope, ctx.cvr, ctx.user, delete_state.get("id"),
                                             delete_state.get("version"))
        except contacts.ContactError as exc:
            return unchanged | {"alert": exc.message, "alert_open": True}
        return unchanged | {
            "is_open": False,
            "delete_state": None,
            "deleted": {"n": _counter(deleted) + 1, "text": f"Kontaktpersonen »{before['name']}« er slettet."},
        }
    if trigger == Ids.CONFIRM_NO:
        return unchanged | {"is_open": False, "delete_state": None}
    raise PreventUpdate


# --- history ----------------------------------------------------------------------------------


def _value_text(key: str, value: Any) -> str:
    if key == "tabs":
        return ", ".join(tab_labels(value or [])) or "–"
    return plain_value(key, value)


@portal_callback(
    output=dict(is_open=Output(Ids.HISTORY_MODAL, "is_open"), body=Output(Ids.HISTORY_BODY, "children")),
    inputs=dict(show=Input(Ids.HISTORY, "n_clicks"), close=Input(Ids.HISTORY_CLOSE, "n_clicks")),
    state=dict(cvr=State(Ids.CVR, "data"), selected=State(Ids.GRID, "selectedRows")),
    prevent_initial_call=True,
    menu=Menu.KONTAKTPERSONER,
)
def show_history(ctx: AccessContext, show: Any, close: Any, selected: Any):
    """Show who changed the selected contact, when, and what it was before and after."""
    if dash_ctx.triggered_id == Ids.HISTORY_CLOSE:
        return {"is_open": False, "body": no_update}
    if dash_ctx.triggered_id != Ids.HISTORY:
        raise PreventUpdate
    contact_id = _selected_id(selected)
    if contact_id is None or contacts.get_contact(ctx.scope, ctx.cvr, contact_id) is None:
        raise PreventUpdate
    entries = contacts.contact_history(ctx.scope, ctx.cvr, contact_id)
    return {"is_open": True,
            "body": history_table(entries, AUDIT_FIELDS, ACTION_LABELS, _value_text, "kontakt-history")}


EXPORT_COLUMNS = Ids.GRID_COLUMNS


@portal_callback(
    output=Output(Ids.DOWNLOAD, "data"),
    inputs=dict(csv_clicks=Input(Ids.EXPORT_CSV, "n_clicks"), xlsx_clicks=Input(Ids.EXPORT_XLSX, "n_clicks")),
    state=dict(shown=State(Ids.GRID, "virtualRowData"), cvr=State(Ids.CVR, "data")),
    menu=Menu.KONTAKTPERSONER,
    prevent_initial_call=True,
)
def export_contacts(ctx: AccessContext, csv_clicks: Any, xlsx_clicks: Any, shown: Any):
    """Download the contacts the grid shows (its filters and sort) as CSV or XLSX, re-read from the database."""
    if not (csv_clicks or xlsx_clicks):
        raise PreventUpdate
    # The browser's rows only pick and order rows the server read for this CVR; their values are never used.
    rows = visible_rows([_row(c) for c in contacts.list_contacts(ctx.scope, ctx.cvr)], shown, key="id")
    name = export_file_name("Kontaktpersoner", ctx.cvr)
    if dash_ctx.triggered_id == Ids.EXPORT_XLSX:
        return send_xlsx(rows, EXPORT_COLUMNS, "Kontaktpersoner", name)
    return send_csv(rows, EXPORT_COLUMNS, name)
