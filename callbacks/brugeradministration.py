"""Brugeradministration callbacks: users grid, user form with rettighedsgrupper, deactivate/reactivate/remove.

Every callback is guarded for Menu.BRUGERADMINISTRATION on the CVR in the page's own store, and every read
and write goes through data.users, which checks again that every CVR and user id the browser names lies
on a CVR the acting user administers. Row ids, CVRs and rights sent by the browser are only requests.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx as dash_ctx, html, no_update
from dash.exceptions import PreventUpdate

from auth.guard import AccessContext, portal_callback
from auth.links import public_base_url
from core.rights import Menu, Right
from data import users
from data.team import support_email
from core.formatting import da_date, local
from pages._history import history_table
from pages.ids import brugeradministration as Ids

FIELDS = list(Ids.FIELDS)
RIGHT_VALUES = {r.value for r in Right}


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


def _row(user: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": user["id"],
        "row_id": str(user["id"]),
        "name": user["name"],
        "email": user["email"],
        "b_number": user["b_number"],
        "rights": users.rights_text(user["rights"]),
        "active": "Ja" if user["active"] else "Nej",
        "is_active": user["active"],
        "created": da_date(local(user["created_at"]).date()) if user["created_at"] else "",
    }


def _status(message: Any) -> Any:
    if not isinstance(message, dict) or not isinstance(message.get("text"), str):
        return None
    color = {"warning": "warning", "info": "info"}.get(message.get("level"), "success")
    # Not dismissable: dash-bootstrap-components labels that close button in English only ("Close alert").
    return dbc.Alert(message["text"][:600], color=color)


# --- grid -------------------------------------------------------------------------------------


@portal_callback(
    output=dict(rows=Output(Ids.GRID, "rowData"), status=Output(Ids.STATUS, "children")),
    inputs=dict(saved=Input(Ids.SAVED, "data"), changed=Input(Ids.CHANGED, "data")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.BRUGERADMINISTRATION,
)
def load_users(ctx: AccessContext, saved: Any, changed: Any):
    """Load the users holding a grant on the checked CVR, and show the last action's message."""
    rows = [_row(u) for u in users.list_users(ctx.user, ctx.cvr)]
    trigger = dash_ctx.triggered_id
    message = saved if trigger == Ids.SAVED else changed if trigger == Ids.CHANGED else None
    return {"rows": rows, "status": _status(message)}


@portal_callback(
    output=dict(edit=Output(Ids.EDIT, "disabled"), deactivate=Output(Ids.DEACTIVATE, "disabled"),
                reactivate=Output(Ids.REACTIVATE, "disabled"), remove=Output(Ids.REMOVE, "disabled"),
                history=Output(Ids.HISTORY, "disabled")),
    inputs=dict(selected=Input(Ids.GRID, "selectedRows")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.BRUGERADMINISTRATION,
)
def selection_changed(ctx: AccessContext, selected: Any):
    """Enable the row actions only while one user is selected (the server checks again on every action)."""
    none = _selected_id(selected) is None
    active = bool(not none and selected[0].get("is_active") is True)
    return {"edit": none, "deactivate": none or not active, "reactivate": none or active, "remove": none,
            "history": none}


# --- the form: rettighedsgrupper ----------------------------------------------------------------


def _right_options(ctx: AccessContext, locked_admin: bool) -> list[dict[str, Any]]:
    may_give_admin = Right.ADMINISTRATOR in users.grantable_rights(ctx.user)
    options = []
    for right in users.FORM_RIGHTS:
        option: dict[str, Any] = {"label": right.value, "value": right.value}
        if right is Right.ADMINISTRATOR:
            option["label"] = "Administrator (tildeles af Statens Administration)"
            option["disabled"] = not may_give_admin or locked_admin
        options.append(option)
    return options


def _group(ctx: AccessContext, index: int, count: int, group: dict[str, Any], choices: list[dict[str, str]],
           errors: dict[str, str], admin_locked: bool) -> html.Fieldset:
    cvr_values = {c["cvr"] for c in choices}
    cvr = group.get("cvr") if group.get("cvr") in cvr_values else None
    rights = [r for r in group.get("rights") or [] if r in RIGHT_VALUES]
    legend: list[Any] = [f"Rettighedsgruppe {index + 1}"]
    if count > 1:
        legend.append(dbc.Button("⊖ Fjern", id=Ids.group_id(Ids.GROUP_REMOVE, index), color="link", size="sm",
                                 className="ms-2 p-0 align-baseline", n_clicks=0,
                                 title=f"Fjern rettighedsgruppe {index + 1}"))
    return html.Fieldset(
        [
            html.Legend(legend, className="h6"),
            html.Label(
                [
                    html.Span("CVR Nummer", className="form-label d-block"),
                    dbc.Select(
                        id=Ids.group_id(Ids.GROUP_CVR, index),
                        options=[{"label": f"{c['cvr']} – {c['name']}", "value": c["cvr"]} for c in choices],
                        value=cvr,
                        placeholder="Vælg CVR-nummer",
                        invalid=bool(errors.get("cvr")),
                    ),
                ],
                className="d-block mb-1",
            ),
            html.Div(errors.get("cvr"), className="text-danger small", role="alert") if errors.get("cvr") else None,
            html.Div(
                [
                    html.Span("Rettigheder", className="form-label d-block mt-2"),
                    dbc.Checklist(id=Ids.group_id(Ids.GROUP_RIGHTS, index),
                                  options=_right_options(ctx, admin_locked), value=rights, inline=True),
                ],
                role="group",
                **{"aria-label": f"Rettigheder i rettighedsgruppe {index + 1}"},
            ),
            html.Div(errors.get("rights"), className="text-danger small", role="alert") if errors.get("rights") else None,
        ],
        className="border rounded p-3 mb-3 brugeradmin-group",
    )


def _render_groups(ctx: AccessContext, groups: list[dict[str, Any]], errors: dict[int, dict[str, str]] | None = None,
                   locked_admin: frozenset[str] = frozenset()) -> list[html.Fieldset]:
    choices = users.customer_choices(ctx.user, ctx.cvr)
    errors = errors or {}
    return [
        _group(ctx, i, len(groups), g, choices, errors.get(i, {}), g.get("cvr") in locked_admin)
        for i, g in enumerate(groups)
    ]


def _groups_from_state(group_cvrs: Any, group_rights: Any) -> list[dict[str, Any]]:
    """Pair the CVR and rights values of the rendered groups (same order: both come from one group each)."""
    cvrs = group_cvrs if isinstance(group_cvrs, list) else []
    rights = group_rights if isinstance(group_rights, list) else []
    groups = []
    for index in range(max(len(cvrs), len(rights))):
        cvr = cvrs[index] if index < len(cvrs) else None
        picked = rights[index] if index < len(rights) else []
        # A select sends a string and a checklist a list of strings; anything else is no choice.
        groups.append({
            "cvr": cvr if isinstance(cvr, str) else None,
            "rights": [r for r in picked if isinstance(r, str)] if isinstance(picked, list) else [],
        })
    return groups[: users.MAX_GROUPS + 1]


FORM_OUTPUTS: dict[str, Output] = {
    "is_open": Output(Ids.FORM_MODAL, "is_open"),
    "heading": Output(Ids.FORM_TITLE, "children"),
    "submit_label": Output(Ids.SUBMIT, "children"),
    "form_state": Output(Ids.FORM_STATE, "data"),
    "alert": Output(Ids.FORM_ALERT, "children"),
    "alert_open": Output(Ids.FORM_ALERT, "is_open"),
    "groups": Output(Ids.GROUPS, "children"),
    "groups_feedback": Output(Ids.GROUPS_FEEDBACK, "children"),
    "email_disabled": Output(Ids.EMAIL, "disabled"),
    "name_disabled": Output(Ids.NAME, "disabled"),
    "b_number_disabled": Output(Ids.B_NUMBER, "disabled"),
    "shared_note": Output(Ids.SHARED_NOTE, "children"),
    "saved": Output(Ids.SAVED, "data"),
    **{f"value_{f}": Output(Ids.FIELDS[f], "value") for f in FIELDS},
    **{f"invalid_{f}": Output(Ids.FIELDS[f], "invalid") for f in FIELDS},
    **{f"feedback_{f}": Output(Ids.feedback(f), "children") for f in FIELDS},
}


def _shared_note() -> str:
    # Built per request: the support address is a setting of the running app, not of the import.
    return ("Brugeren har også adgang hos andre kunder. Navn og B-nummer kan derfor kun ændres af "
            f"Statens Administration ({support_email()}); du kan ændre rettighederne på dine CVR-numre.")


def _unchanged() -> dict[str, Any]:
    return {key: no_update for key in FORM_OUTPUTS}


def _cleared_feedback() -> dict[str, Any]:
    out: dict[str, Any] = {"alert": None, "alert_open": False, "groups_feedback": None}
    for f in FIELDS:
        out[f"invalid_{f}"] = False
        out[f"feedback_{f}"] = None
    return out


def _locked_admin(ctx: AccessContext, user: dict[str, Any] | None) -> frozenset[str]:
    """CVRs whose Administrator box is shown ticked and locked (an actor who may not change it)."""
    if user is None or Right.ADMINISTRATOR in users.grantable_rights(ctx.user):
        return frozenset()
    return frozenset(g["cvr"] for g in user["groups"] if Right.ADMINISTRATOR.value in g["rights"])


def _open_form(ctx: AccessContext, user: dict[str, Any] | None) -> dict[str, Any]:
    groups = user["groups"] if user else [{"cvr": ctx.cvr, "rights": []}]
    out = _unchanged() | _cleared_feedback() | {
        "is_open": True,
        "heading": f"Rediger bruger: {user['name']}" if user else "Opret bruger",
        "submit_label": "Gem" if user else "Tilføj",
        # The version is sent back on save: a form opened before someone else's save is refused.
        "form_state": {"id": user["id"], "version": user["version"]} if user else None,
        "groups": _render_groups(ctx, groups, locked_admin=_locked_admin(ctx, user)),
        "email_disabled": bool(user),
        "name_disabled": bool(user and user.get("shared")),
        "b_number_disabled": bool(user and user.get("shared")),
        "shared_note": _shared_note() if user and user.get("shared") else None,
    }
    for f in FIELDS:
        out[f"value_{f}"] = user[f] if user else ""
    return out


def _editing_id(form_state: Any) -> int | None:
    if isinstance(form_state, dict):
        value = form_state.get("id")
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if value is not None:
            return -1  # a forged id: the data layer finds nobody
    return None


def _submit(ctx: AccessContext, form_state: Any, saved: Any, values: dict[str, Any],
            groups: list[dict[str, Any]]) -> dict[str, Any]:
    raw = {f: values.get(f"value_{f}") for f in FIELDS} | {"groups": groups}
    out = _unchanged() | _cleared_feedback()
    editing = _editing_id(form_state)
    current = users.get_user(ctx.user, ctx.cvr, editing) if editing is not None else None
    locked = _locked_admin(ctx, current)
    try:
        if editing is not None:
            result = users.update_user(ctx.user, ctx.cvr, editing, raw, version=form_state.get("version"))
        else:
            result = users.create_user(ctx.user, ctx.cvr, raw, base_url=public_base_url())
    except users.UserValidationError as exc:
        for f in FIELDS:
            if f in exc.errors:
                out[f"invalid_{f}"] = True
                out[f"feedback_{f}"] = exc.errors[f]
        out["groups_feedback"] = exc.errors.get("groups")
        out["groups"] = _render_groups(ctx, groups, exc.group_errors, locked)
        out["alert"], out["alert_open"] = exc.message, True
        return out
    except users.UserAdminError as exc:
        out["alert"], out["alert_open"] = exc.message, True
        return out
    out.update(is_open=False, form_state=None, saved=_saved_message(saved, result))
    return out


def _saved_message(saved: Any, result: users.SaveResult) -> dict[str, Any]:
    level = "success"
    if result.created and result.mail_sent:
        text = (f"Brugeren »{result.name}« er oprettet. Brugeren modtager en automatisk genereret e-mail med "
                "brugernavn og adgangskode og skal vælge en ny adgangskode ved første login.")
    elif result.created:
        level = "warning"
        text = (f"Brugeren »{result.name}« er oprettet, men e-mailen med brugernavn og adgangskode kunne ikke "
                "sendes. Bed brugeren bruge »Har du glemt din adgangskode?« på login-siden.")
    elif not result.changed:
        level = "info"
        text = "Brugeren har allerede de valgte rettigheder. Intet er ændret, og der er ikke sendt nogen e-mail."
    elif result.mail_sent is not None:
        # The existing user's name is not echoed: the form would otherwise tell any administrator who
        # owns an address.
        text = ("E-mailadressen tilhører allerede en bruger af Kundeportalen. Rettighederne er tilføjet den "
                "eksisterende bruger, som har fået besked pr. e-mail.")
    else:
        text = f"Brugeren »{result.name}« er gemt."
    if result.warnings:
        level = "warning"
        text = " ".join([text, *result.warnings])
    return {"n": _counter(saved) + 1, "text": text, "level": level}


def _clicked_group(remove_clicks: Any) -> int | None:
    """Return the index of the clicked ⊖ button, or None when the trigger was no real click."""
    trigger = dash_ctx.triggered_id
    if not isinstance(trigger, dict) or trigger.get("type") != Ids.GROUP_REMOVE:
        return None
    index = trigger.get("index")
    if not isinstance(index, int) or isinstance(index, bool):
        return None
    triggered = dash_ctx.triggered
    value = triggered[0].get("value") if isinstance(triggered, list) and triggered else None
    return index if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


@portal_callback(
    output=FORM_OUTPUTS,
    inputs=dict(
        add=Input(Ids.ADD, "n_clicks"),
        edit=Input(Ids.EDIT, "n_clicks"),
        submit=Input(Ids.SUBMIT, "n_clicks"),
        close=Input(Ids.CLOSE, "n_clicks"),
        add_group=Input(Ids.ADD_GROUP, "n_clicks"),
        remove_group=Input(Ids.group_id(Ids.GROUP_REMOVE, ALL), "n_clicks"),
    ),
    state=dict(
        cvr=State(Ids.CVR, "data"),
        selected=State(Ids.GRID, "selectedRows"),
        form_state=State(Ids.FORM_STATE, "data"),
        saved=State(Ids.SAVED, "data"),
        group_cvrs=State(Ids.group_id(Ids.GROUP_CVR, ALL), "value"),
        group_rights=State(Ids.group_id(Ids.GROUP_RIGHTS, ALL), "value"),
        **{f"value_{f}": State(Ids.FIELDS[f], "value") for f in FIELDS},
    ),
    prevent_initial_call=True,
    menu=Menu.BRUGERADMINISTRATION,
)
def user_form(ctx: AccessContext, add: Any, edit: Any, submit: Any, close: Any, add_group: Any, remove_group: Any,
              selected: Any, form_state: Any, saved: Any, group_cvrs: Any, group_rights: Any, **values: Any):
    """Open the form empty (Tilføj) or with the selected user, add/remove rettighedsgrupper, save, or close."""
    trigger = dash_ctx.triggered_id
    groups = _groups_from_state(group_cvrs, group_rights)
    if trigger == Ids.ADD:
        return _open_form(ctx, None)
    if trigger == Ids.EDIT:
        user_id = _selected_id(selected)
        if user_id is None:
            raise PreventUpdate
        user = users.get_user(ctx.user, ctx.cvr, user_id)
        if user is None:
            return _unchanged() | {"saved": {"n": _counter(saved) + 1, "level": "warning",
                                             "text": "Brugeren findes ikke (længere) på dette CVR-nummer."}}
        return _open_form(ctx, user)
    if trigger == Ids.ADD_GROUP:
        if len(groups) >= users.MAX_GROUPS:
            return _unchanged() | {"groups_feedback": f"Højst {users.MAX_GROUPS} rettighedsgrupper."}
        groups.append({"cvr": None, "rights": []})
        locked = _locked_admin(ctx, users.get_user(ctx.user, ctx.cvr, _editing_id(form_state))
                               if _editing_id(form_state) is not None else None)
        return _unchanged() | {"groups": _render_groups(ctx, groups, locked_admin=locked)}
    if trigger == Ids.SUBMIT:
        return _submit(ctx, form_state, saved, values, groups)
    if trigger == Ids.CLOSE:
        return _unchanged() | {"is_open": False, "form_state": None}
    index = _clicked_group(remove_group)
    if index is not None and len(groups) > 1 and index < len(groups):
        del groups[index]
        locked = _locked_admin(ctx, users.get_user(ctx.user, ctx.cvr, _editing_id(form_state))
                               if _editing_id(form_state) is not None else None)
        return _unchanged() | {"groups": _render_groups(ctx, groups, locked_admin=locked)}
    raise PreventUpdate


# --- deactivate / reactivate / remove ------------------------------------------------------------


ACTIONS = {
    Ids.DEACTIVATE: "deactivate",
    Ids.REACTIVATE: "reactivate",
    Ids.REMOVE: "remove",
}


def _question(action: str, user: dict[str, Any], cvr: str) -> tuple[str, str, str]:
    """Return (title, question, confirm label) for an action on a user."""
    name = user["name"]
    if action == "deactivate":
        return ("Deaktiver bruger",
                f"Vil du deaktivere brugeren »{name}«? Brugeren logges ud med det samme og kan ikke logge ind, "
                "før brugeren genaktiveres.", "Deaktiver")
    if action == "reactivate":
        return ("Genaktiver bruger", f"Vil du genaktivere brugeren »{name}«, så brugeren kan logge ind igen?",
                "Genaktiver")
    return ("Fjern adgang",
            f"Vil du fjerne brugeren »{name}«s adgang til CVR-nummer {cvr}? Brugeren forsvinder fra listen "
            "over brugere på dette CVR-nummer.", "Fjern adgang")


@portal_callback(
    output=dict(
        is_open=Output(Ids.CONFIRM_MODAL, "is_open"),
        title=Output(Ids.CONFIRM_TITLE, "children"),
        text=Output(Ids.CONFIRM_TEXT, "children"),
        yes_label=Output(Ids.CONFIRM_YES, "children"),
        alert=Output(Ids.CONFIRM_ALERT, "children"),
        alert_open=Output(Ids.CONFIRM_ALERT, "is_open"),
        confirm_state=Output(Ids.CONFIRM_STATE, "data"),
        changed=Output(Ids.CHANGED, "data"),
    ),
    inputs=dict(
        deactivate=Input(Ids.DEACTIVATE, "n_clicks"),
        reactivate=Input(Ids.REACTIVATE, "n_clicks"),
        remove=Input(Ids.REMOVE, "n_clicks"),
        yes=Input(Ids.CONFIRM_YES, "n_clicks"),
        no=Input(Ids.CONFIRM_NO, "n_clicks"),
    ),
    state=dict(
        cvr=State(Ids.CVR, "data"),
        selected=State(Ids.GRID, "selectedRows"),
        confirm_state=State(Ids.CONFIRM_STATE, "data"),
        changed=State(Ids.CHANGED, "data"),
    ),
    prevent_initial_call=True,
    menu=Menu.BRUGERADMINISTRATION,
)
def confirm_action(ctx: AccessContext, deactivate: Any, reactivate: Any, remove: Any, yes: Any, no: Any,
                   selected: Any, confirm_state: Any, changed: Any):
    """Ask before deactivating, reactivating or removing access, then do it (scoped, checked, audited)."""
    unchanged = {"is_open": no_update, "title": no_update, "text": no_update, "yes_label": no_update,
                 "alert": no_update, "alert_open": no_update, "confirm_state": no_update, "changed": no_update}
    trigger = dash_ctx.triggered_id
    if trigger in ACTIONS:
        user_id = _selected_id(selected)
        user = users.get_user(ctx.user, ctx.cvr, user_id) if user_id is not None else None
        if user is None:
            raise PreventUpdate
        title, text, label = _question(ACTIONS[trigger], user, ctx.cvr)
        return unchanged | {"is_open": True, "title": title, "text": text, "yes_label": label, "alert": None,
                            "alert_open": False, "confirm_state": {"action": ACTIONS[trigger], "id": user["id"]}}
    if trigger == Ids.CONFIRM_YES:
        if not isinstance(confirm_state, dict) or confirm_state.get("action") not in ACTIONS.values():
            raise PreventUpdate
        action, user_id = confirm_state["action"], confirm_state.get("id")
        try:
            if action == "remove":
                result = users.remove_grant(ctx.user, ctx.cvr, user_id)
                text = f"Brugeren »{result['name']}« har ikke længere adgang til CVR-nummer {ctx.cvr}."
            else:
                result = users.set_active(ctx.user, ctx.cvr, user_id, action == "reactivate")
                text = (f"Brugeren »{result['name']}« er genaktiveret." if result["active"]
                        else f"Brugeren »{result['name']}« er deaktiveret og logget ud.")
        except users.UserAdminError as exc:
            return unchanged | {"alert": exc.message, "alert_open": True}
        return unchanged | {"is_open": False, "confirm_state": None,
                            "changed": {"n": _counter(changed) + 1, "text": text}}
    if trigger == Ids.CONFIRM_NO:
        return unchanged | {"is_open": False, "confirm_state": None}
    raise PreventUpdate


# --- history --------------------------------------------------------------------------------------

HISTORY_ACTIONS = {
    "create": "Oprettet", "grant": "Rettigheder tilføjet", "update": "Ændret", "deactivate": "Deaktiveret",
    "reactivate": "Genaktiveret", "remove_grant": "Adgang til CVR-nummeret fjernet",
}
HISTORY_FIELDS = [("name", "Navn"), ("email", "E-mail"), ("b_number", "B-nummer"), ("active", "Aktiv"),
                  ("rights", "Rettigheder")]


@portal_callback(
    output=dict(is_open=Output(Ids.HISTORY_MODAL, "is_open"), body=Output(Ids.HISTORY_BODY, "children")),
    inputs=dict(show=Input(Ids.HISTORY, "n_clicks"), close=Input(Ids.HISTORY_CLOSE, "n_clicks")),
    state=dict(cvr=State(Ids.CVR, "data"), selected=State(Ids.GRID, "selectedRows")),
    prevent_initial_call=True,
    menu=Menu.BRUGERADMINISTRATION,
)
def show_history(ctx: AccessContext, show: Any, close: Any, selected: Any):
    """Show who changed the selected user on this CVR, when, and the person and rights before and after."""
    if dash_ctx.triggered_id == Ids.HISTORY_CLOSE:
        return {"is_open": False, "body": no_update}
    if dash_ctx.triggered_id != Ids.HISTORY:
        raise PreventUpdate
    user_id = _selected_id(selected)
    if user_id is None or users.get_user(ctx.user, ctx.cvr, user_id) is None:
        raise PreventUpdate
    entries = users.user_history(ctx.user, ctx.cvr, user_id)
    return {"is_open": True, "body": history_table(entries, HISTORY_FIELDS, HISTORY_ACTIONS, class_name="bruger-history")}
