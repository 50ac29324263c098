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
from auth.throttle import USER_CREATE_MESSAGE, count_user_creation, user_creation_wait, wait_text
from core.access import can_do
from core.rights import Action, Menu, Right
from callbacks._edit import (
    ConfirmState,
    EditResult,
    FormState,
    Question,
    Status,
    confirm_dependencies,
    confirm_outputs,
    field_values,
    form_inputs,
    form_outputs,
    form_values,
    latest_status,
    run_confirm,
    run_form,
    save_form,
    selected_id,
)
from data import privacy, users
from data.team import support_email
from core.formatting import da_date, local
from pages._history import history_table
from pages.ids import brugeradministration as Ids
from pages.ids.brugeradministration import KIT

RIGHT_VALUES = {r.value for r in Right}
# How the privacy log names this page's views.
SOURCE = "Brugeradministration"


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
        "mitid": (f"MitID tilknyttet {da_date(local(user['mitid_linked_at']).date())}"
                  if user.get("mitid_linked_at") else ""),
    }


# --- grid -------------------------------------------------------------------------------------


@portal_callback(
    output=dict(rows=Output(KIT.grid, "rowData"), status=Output(KIT.status, "children")),
    inputs=dict(saved=Input(KIT.saved, "data"), changed=Input(KIT.changed, "data")),
    state=dict(cvr=State(KIT.cvr, "data")),
    menu=Menu.BRUGERADMINISTRATION,
)
def load_users(ctx: AccessContext, saved: Any, changed: Any):
    """Load the users holding a grant on the checked CVR, and show the last action's message."""
    shown = privacy.seen(ctx.user, SOURCE, ctx.cvr, privacy.USER, users.list_users(ctx.user, ctx.cvr))
    rows = [_row(u) for u in shown]
    return {"rows": rows, "status": latest_status(KIT, dash_ctx.triggered_id, saved, changed)}


@portal_callback(
    output=dict(edit=Output(KIT.edit, "disabled"), deactivate=Output(Ids.DEACTIVATE, "disabled"),
                reactivate=Output(Ids.REACTIVATE, "disabled"), remove=Output(Ids.REMOVE, "disabled"),
                history=Output(Ids.HISTORY, "disabled"),
                reset_second_factor=Output(Ids.RESET_SECOND_FACTOR, "disabled")),
    inputs=dict(selected=Input(KIT.grid, "selectedRows")),
    state=dict(cvr=State(KIT.cvr, "data")),
    menu=Menu.BRUGERADMINISTRATION,
)
def selection_changed(ctx: AccessContext, selected: Any):
    """Enable the row actions only while one user is selected (the server checks again on every action)."""
    none = selected_id(selected) is None
    active = bool(not none and selected[0].get("is_active") is True)
    return {"edit": none, "deactivate": none or not active, "reactivate": none or active, "remove": none,
            "history": none, "reset_second_factor": none or not can_do(ctx.user, Action.RESET_SECOND_FACTOR)}


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


FORM_OUTPUTS = form_outputs(
    KIT,
    groups=Output(Ids.GROUPS, "children"),
    email_disabled=Output(KIT.field("email"), "disabled"),
    name_disabled=Output(KIT.field("name"), "disabled"),
    b_number_disabled=Output(KIT.field("b_number"), "disabled"),
    shared_note=Output(Ids.SHARED_NOTE, "children"),
)


def _shared_note() -> str:
    # Built per request: the support address is a setting of the running app, not of the import.
    return ("Brugeren har også adgang hos andre kunder. Navn og B-nummer kan derfor kun ændres af "
            f"Statens Administration ({support_email()}); du kan ændre rettighederne på dine CVR-numre.")


def _locked_admin(ctx: AccessContext, user: dict[str, Any] | None) -> frozenset[str]:
    """CVRs whose Administrator box is shown ticked and locked (an actor who may not change it)."""
    if user is None or Right.ADMINISTRATOR in users.grantable_rights(ctx.user):
        return frozenset()
    return frozenset(g["cvr"] for g in user["groups"] if Right.ADMINISTRATOR.value in g["rights"])


def _open_form(ctx: AccessContext, user: dict[str, Any] | None) -> EditResult:
    groups = user["groups"] if user else [{"cvr": ctx.cvr, "rights": []}]
    shared = bool(user and user.get("shared"))
    return EditResult.opened(
        f"Rediger bruger: {user['name']}" if user else "Opret bruger",
        field_values(KIT, user),
        # The version is sent back on save: a form opened before someone else's save is refused.
        FormState(user["id"], user["version"]) if user else None,
        label="Gem" if user else "Tilføj",
        groups=_render_groups(ctx, groups, locked_admin=_locked_admin(ctx, user)),
        email_disabled=bool(user),
        name_disabled=shared,
        b_number_disabled=shared,
        shared_note=_shared_note() if shared else None,
    )


def _editing_user(ctx: AccessContext, form_state: Any) -> dict[str, Any] | None:
    """Return the user the form edits, read again through the data layer's scope (None for a new one)."""
    editing = FormState.from_store(form_state)
    return users.get_user(ctx.user, ctx.cvr, editing.id) if editing is not None else None


def _submit(ctx: AccessContext, form_state: Any, values: dict[str, Any], groups: list[dict[str, Any]]) -> EditResult:
    raw = form_values(KIT, values) | {"groups": groups}
    editing = FormState.from_store(form_state)
    locked = _locked_admin(ctx, _editing_user(ctx, form_state))

    def write() -> users.SaveResult:
        if editing is not None:
            return users.update_user(ctx.user, ctx.cvr, editing.id, raw, version=editing.version)
        # Each new user gets a mail from SA's address: an administrator may send only so many.
        wait = user_creation_wait(ctx.user.id)
        if wait:
            raise users.UserAdminError(USER_CREATE_MESSAGE.format(wait=wait_text(wait)))
        result = users.create_user(ctx.user, ctx.cvr, raw, base_url=public_base_url())
        if result.changed:
            count_user_creation(ctx.user.id)
        return result

    def invalid(exc: Any) -> dict[str, Any]:
        # The groups are drawn again with their own messages (a group's CVR or rights).
        return {"groups": _render_groups(ctx, groups, getattr(exc, "group_errors", {}), locked)}

    return save_form(write, _saved_message, invalid)


def _saved_message(result: users.SaveResult) -> Status:
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
    return Status(text, level)


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


def _group_step(ctx: AccessContext, trigger: Any, form_state: Any, groups: list[dict[str, Any]],
                remove_group: Any) -> EditResult | None:
    """Add a rettighedsgruppe or remove the clicked one; None when the trigger was neither."""
    if trigger == Ids.ADD_GROUP:
        if len(groups) >= users.MAX_GROUPS:
            return EditResult.field_message("groups", f"Højst {users.MAX_GROUPS} rettighedsgrupper.")
        groups.append({"cvr": None, "rights": []})
    else:
        index = _clicked_group(remove_group)
        if index is None or len(groups) <= 1 or index >= len(groups):
            return None
        del groups[index]
    locked = _locked_admin(ctx, _editing_user(ctx, form_state))
    return EditResult.only(groups=_render_groups(ctx, groups, locked_admin=locked))


@portal_callback(
    output=FORM_OUTPUTS,
    inputs=dict(
        **form_inputs(KIT),
        add_group=Input(Ids.ADD_GROUP, "n_clicks"),
        remove_group=Input(Ids.group_id(Ids.GROUP_REMOVE, ALL), "n_clicks"),
    ),
    state=dict(
        cvr=State(KIT.cvr, "data"),
        selected=State(KIT.grid, "selectedRows"),
        form_state=State(KIT.form_state, "data"),
        saved=State(KIT.saved, "data"),
        group_cvrs=State(Ids.group_id(Ids.GROUP_CVR, ALL), "value"),
        group_rights=State(Ids.group_id(Ids.GROUP_RIGHTS, ALL), "value"),
        **{f"value_{f}": State(KIT.field(f), "value") for f in KIT.fields},
    ),
    prevent_initial_call=True,
    menu=Menu.BRUGERADMINISTRATION,
)
def user_form(ctx: AccessContext, add: Any, edit: Any, save: Any, cancel: Any, add_group: Any, remove_group: Any,
              selected: Any, form_state: Any, saved: Any, group_cvrs: Any, group_rights: Any, **values: Any):
    """Open the form empty (Tilføj) or with the selected user, add/remove rettighedsgrupper, save, or close."""
    groups = _groups_from_state(group_cvrs, group_rights)
    result = run_form(
        KIT, dash_ctx.triggered_id, selected=selected,
        load=lambda user_id: users.get_user(ctx.user, ctx.cvr, user_id),
        open_form=lambda user: _open_form(
            ctx, privacy.seen_one(ctx.user, f"{SOURCE} – redigering", ctx.cvr, privacy.USER, user)),
        save=lambda: _submit(ctx, form_state, values, groups),
        gone="Brugeren findes ikke (længere) på dette CVR-nummer.",
        other=lambda trigger: _group_step(ctx, trigger, form_state, groups, remove_group),
    )
    return result.outputs(FORM_OUTPUTS, saved)


# --- deactivate / reactivate / remove ------------------------------------------------------------


ACTIONS = {
    Ids.DEACTIVATE: "deactivate",
    Ids.REACTIVATE: "reactivate",
    Ids.REMOVE: "remove",
    Ids.RESET_SECOND_FACTOR: "reset_second_factor",
}


def _question(action: str, user: dict[str, Any], cvr: str) -> Question:
    """Return the confirm dialog's title, question and confirm label for an action on a user."""
    name = user["name"]
    if action == "deactivate":
        return Question("Deaktiver bruger",
                        f"Vil du deaktivere brugeren »{name}«? Brugeren logges ud med det samme og kan ikke logge "
                        "ind, før brugeren genaktiveres.", "Deaktiver")
    if action == "reset_second_factor":
        return Question("Nulstil to-trinsbekræftelse",
                        f"Vil du nulstille to-trinsbekræftelsen for brugeren »{name}«? Brugerens godkendelsesapp og "
                        "gendannelseskoder holder op med at virke, brugeren logges ud og får en e-mail om det.",
                        "Nulstil")
    if action == "reactivate":
        return Question("Genaktiver bruger",
                        f"Vil du genaktivere brugeren »{name}«, så brugeren kan logge ind igen?", "Genaktiver")
    return Question("Fjern adgang",
                    f"Vil du fjerne adgangen til CVR-nummer {cvr} for brugeren »{name}«? Brugeren forsvinder fra listen "
                    "over brugere på dette CVR-nummer.", "Fjern adgang")


CONFIRM_OUTPUTS = confirm_outputs(KIT)


def _do(ctx: AccessContext, state: ConfirmState) -> Status:
    if state.action == "reset_second_factor":
        result = users.reset_second_factor(ctx.user, ctx.cvr, state.id)
        return Status(f"To-trinsbekræftelsen for »{result['name']}« er nulstillet. Brugeren er logget ud og "
                      "har fået en e-mail.")
    if state.action == "remove":
        result = users.remove_grant(ctx.user, ctx.cvr, state.id)
        return Status(f"Brugeren »{result['name']}« har ikke længere adgang til CVR-nummer {ctx.cvr}.")
    result = users.set_active(ctx.user, ctx.cvr, state.id, state.action == "reactivate")
    return Status(f"Brugeren »{result['name']}« er genaktiveret." if result["active"]
                  else f"Brugeren »{result['name']}« er deaktiveret og logget ud.")


@portal_callback(
    output=CONFIRM_OUTPUTS,
    **confirm_dependencies(KIT, inputs=dict(deactivate=Input(Ids.DEACTIVATE, "n_clicks"),
                                            reactivate=Input(Ids.REACTIVATE, "n_clicks"),
                                            remove=Input(Ids.REMOVE, "n_clicks"),
                                            reset_second_factor=Input(Ids.RESET_SECOND_FACTOR, "n_clicks"))),
    prevent_initial_call=True,
    menu=Menu.BRUGERADMINISTRATION,
)
def confirm_action(ctx: AccessContext, deactivate: Any, reactivate: Any, remove: Any, reset_second_factor: Any,
                   yes: Any, no: Any, selected: Any, confirm_state: Any, changed: Any):
    """Ask before deactivating, reactivating, removing access or resetting the second factor, then do it."""
    if dash_ctx.triggered_id == Ids.RESET_SECOND_FACTOR and not can_do(ctx.user, Action.RESET_SECOND_FACTOR):
        # Not even the question for anyone but SA's system administrator (the data layer refuses too).
        raise PreventUpdate
    result = run_confirm(
        KIT, dash_ctx.triggered_id, actions=ACTIONS, selected=selected, confirm_state=confirm_state,
        load=lambda user_id: users.get_user(ctx.user, ctx.cvr, user_id),
        ask=lambda action, user: _question(action, user, ctx.cvr),
        do=lambda state: _do(ctx, state),
    )
    return result.outputs(CONFIRM_OUTPUTS, changed)


# --- history --------------------------------------------------------------------------------------

HISTORY_ACTIONS = {
    "create": "Oprettet", "grant": "Rettigheder tilføjet", "update": "Ændret", "deactivate": "Deaktiveret",
    "reactivate": "Genaktiveret", "remove_grant": "Adgang til CVR-nummeret fjernet",
    "second_factor_reset": "To-trinsbekræftelse nulstillet",
}
HISTORY_FIELDS = [("name", "Navn"), ("email", "E-mail"), ("b_number", "B-nummer"), ("active", "Aktiv"),
                  ("rights", "Rettigheder")]


@portal_callback(
    output=dict(is_open=Output(Ids.HISTORY_MODAL, "is_open"), body=Output(Ids.HISTORY_BODY, "children")),
    inputs=dict(show=Input(Ids.HISTORY, "n_clicks"), close=Input(Ids.HISTORY_CLOSE, "n_clicks")),
    state=dict(cvr=State(KIT.cvr, "data"), selected=State(KIT.grid, "selectedRows")),
    prevent_initial_call=True,
    menu=Menu.BRUGERADMINISTRATION,
)
def show_history(ctx: AccessContext, show: Any, close: Any, selected: Any):
    """Show who changed the selected user on this CVR, when, and the person and rights before and after."""
    if dash_ctx.triggered_id == Ids.HISTORY_CLOSE:
        return {"is_open": False, "body": no_update}
    if dash_ctx.triggered_id != Ids.HISTORY:
        raise PreventUpdate
    user_id = selected_id(selected)
    user = users.get_user(ctx.user, ctx.cvr, user_id) if user_id is not None else None
    if user is None:
        raise PreventUpdate
    privacy.seen_one(ctx.user, f"{SOURCE} – historik", ctx.cvr, privacy.USER, user)
    entries = users.user_history(ctx.user, ctx.cvr, user_id)
    return {"is_open": True, "body": history_table(entries, HISTORY_FIELDS, HISTORY_ACTIONS, class_name="bruger-history")}
