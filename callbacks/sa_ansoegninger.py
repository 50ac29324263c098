"""Ansøgninger callbacks (SA's system administrator): grid, details, approve, reject with a reason, create the account.

Every callback is guarded by Action.APPROVE_ADMINISTRATORS with no menu (a request belongs to no
customer yet): the wrapper refuses every other account before the body runs, and `data.onboarding`
checks the action again. Ids and versions sent by the browser are only hints the data layer checks.
Mails carrying a link (the online form, the set-password link) are sent here after the commit and
their text is not stored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx as dash_ctx, html

from auth.guard import AccessContext, portal_callback
from auth.links import public_base_url
from auth.onboarding import FORM_PREFIX
from auth.reset import issue_token, reset_link
from callbacks._edit import (
    ConfirmState,
    EditResult,
    FormState,
    Question,
    Status,
    confirm_outputs,
    form_outputs,
    form_values,
    latest_status,
    run_confirm,
    run_form,
    save_form,
    selected_id,
)
from core.formatting import da_datetime
from core.rights import Action
from data import onboarding
from data.db import get_session
from data.mail import MailError, send_mail
from data.mail_texts import login_link
from data.models import User
from pages.ids import sa_ansoegninger as Ids
from pages.ids.sa_ansoegninger import KIT

GUARD = dict(menu=None, action=Action.APPROVE_ADMINISTRATORS)
# The set-password link of the welcome mail: long enough for a new administrator to find the mail.
WELCOME_LINK_DAYS = 7
MAIL_FAILED = " Mailen kunne ikke sendes; prøv igen senere, eller kontakt ansøgeren."
WELCOME_FAILED = (" Velkomstmailen kunne ikke sendes; administratoren kan vælge adgangskode med »Har du glemt din "
                  "adgangskode?« på siden, hvor man logger ind.")


def _administrators(application: dict[str, Any]) -> str:
    return "; ".join(f"{cvr}: {', '.join(names)}" for cvr, names in application["administrators"].items())


def _row(application: dict[str, Any]) -> dict[str, Any]:
    decided = application["decided_by"]
    if decided and application["decided_at"]:
        decided = f"{decided}, {da_datetime(application['decided_at'])}"
    customer = application["customer"] or "ikke kunde hos Statens Administration"
    return {
        "id": application["id"], "row_id": str(application["id"]),
        "created": da_datetime(application["created_at"]), "state": application["state_label"],
        "institution": application["institution"], "cvr": f"{application['cvr']} ({customer})",
        "applicant": f"{application['name']} ({application['email']})",
        "administrators": _administrators(application), "decided": decided,
    }


@portal_callback(
    output=dict(rows=Output(KIT.grid, "rowData"), status=Output(KIT.status, "children")),
    inputs=dict(saved=Input(KIT.saved, "data"), changed=Input(KIT.changed, "data")),
    **GUARD,
)
def load_applications(ctx: AccessContext, saved: Any, changed: Any):
    """Load every confirmed application into the grid and show the last decision's message."""
    rows = [_row(a) for a in onboarding.list_applications(ctx.user)]
    return {"rows": rows, "status": latest_status(KIT, dash_ctx.triggered_id, saved, changed, limit=400)}


def _details(application: dict[str, Any]) -> dbc.Card:
    items: list[Any] = [
        html.Dt("Tilstand"), html.Dd(application["state_label"]),
        html.Dt("Institution"), html.Dd(f"{application['institution']} (CVR {application['cvr']})"),
        html.Dt("Ansøger"), html.Dd(f"{application['name']} ({application['email']})"),
    ]
    if application["form_cvrs"]:
        cvrs = [f"{c} {application['form_customers'].get(c, '')}".strip() for c in application["form_cvrs"]]
        items += [
            html.Dt("Ministerområde"), html.Dd(application["form_ministry"]),
            html.Dt("CVR-numre"), html.Dd(", ".join(cvrs)),
            html.Dt("Administrator"),
            html.Dd(f"{application['form_name']} ({application['form_email']}, tlf. {application['form_phone']})"),
        ]
    if application["administrators"]:
        items += [html.Dt("Nuværende administrator"), html.Dd(_administrators(application),
                                                             className="text-warning-emphasis fw-semibold")]
    if application["reason"]:
        items += [html.Dt("Begrundelse for afvisning"), html.Dd(application["reason"])]
    return dbc.Card(dbc.CardBody([html.H2("Ansøgning", className="h5"), html.Dl(items, className="mb-0")]))


@portal_callback(
    output=dict(approve=Output(Ids.APPROVE, "disabled"), reject=Output(KIT.edit, "disabled"),
                create=Output(Ids.CREATE, "disabled"), replace=Output(Ids.REPLACE, "disabled"),
                details=Output(Ids.DETAILS, "children")),
    inputs=dict(selected=Input(KIT.grid, "selectedRows"), saved=Input(KIT.saved, "data"),
                changed=Input(KIT.changed, "data")),
    **GUARD,
)
def selection_changed(ctx: AccessContext, selected: Any, saved: Any, changed: Any):
    """Show the selected application and enable only the decisions its state allows (re-read from the database)."""
    application_id = selected_id(selected)
    application = onboarding.get_application(ctx.user, application_id) if application_id is not None else None
    state = application["state"] if application else None
    return {
        # On an approved application »Godkend« sends a new form link (the earlier one expired or was lost).
        "approve": state not in (onboarding.AWAITING, onboarding.APPROVED),
        "reject": state not in onboarding.REJECTABLE,
        "create": state != onboarding.SUBMITTED,
        # Replacing is offered only where the guide's one administrator per customer is in the way.
        "replace": state != onboarding.SUBMITTED or not application["administrators"],
        "details": _details(application) if application else None,
    }


# --- reject -------------------------------------------------------------------------------------


FORM_OUTPUTS = form_outputs(KIT)


def _open_rejection(application: dict[str, Any] | None) -> EditResult:
    if application is None or application["state"] not in onboarding.REJECTABLE:
        return EditResult.notice(Status("Ansøgningen kan ikke afvises i sin nuværende tilstand.", "warning"))
    return EditResult.opened(f"Afvis ansøgningen fra {application['name']}", {"reason": ""},
                             FormState(application["id"], application["version"]), label="Afvis")


def _reject(ctx: AccessContext, form_state: Any, values: dict[str, Any]) -> EditResult:
    editing = FormState.from_store(form_state)
    if editing is None:
        return EditResult.refused(onboarding.CHANGED_MEANWHILE)
    return save_form(
        lambda: onboarding.reject(ctx.user, editing.id, editing.version, form_values(KIT, values)),
        lambda result: Status(f"Ansøgningen fra {result['name']} er afvist. Begrundelsen sendes til "
                              f"{result['email']}."),
    )


@portal_callback(
    output=FORM_OUTPUTS,
    inputs=dict(edit=Input(KIT.edit, "n_clicks"), save=Input(KIT.save, "n_clicks"),
                cancel=Input(KIT.cancel, "n_clicks")),
    state=dict(selected=State(KIT.grid, "selectedRows"), form_state=State(KIT.form_state, "data"),
               saved=State(KIT.saved, "data"), value_reason=State(KIT.field("reason"), "value")),
    prevent_initial_call=True,
    **GUARD,
)
def rejection_form(ctx: AccessContext, edit: Any, save: Any, cancel: Any, selected: Any, form_state: Any,
                   saved: Any, **values: Any):
    """Open the rejection form on the selected application, reject it with the reason (mailed), or close it."""
    result = run_form(
        KIT, dash_ctx.triggered_id, selected=selected,
        load=lambda application_id: onboarding.get_application(ctx.user, application_id),
        open_form=_open_rejection,
        save=lambda: _reject(ctx, form_state, values),
        gone="Ansøgningen findes ikke længere.",
    )
    return result.outputs(FORM_OUTPUTS, saved)


# --- approve, create the account ------------------------------------------------------------------


CONFIRM_OUTPUTS = confirm_outputs(KIT)
ACTIONS = {Ids.APPROVE: "approve", Ids.CREATE: "create", Ids.REPLACE: "replace"}


def _form_text(application: dict[str, Any]) -> list[Any]:
    cvrs = [f"{c} {application['form_customers'].get(c, '')}".strip() for c in application["form_cvrs"]]
    return [html.Br(), f"Ministerområde: {application['form_ministry']}", html.Br(),
            f"CVR-numre: {', '.join(cvrs)}", html.Br(),
            f"Administrator: {application['form_name']} ({application['form_email']}, tlf. "
            f"{application['form_phone']})"]


def _ask(action: str, application: dict[str, Any]) -> Question:
    if action == "approve" and application["state"] == onboarding.APPROVED:
        return Question("Send nyt link", [
            f"Ansøgningen fra {application['name']} ({application['email']}) er godkendt. Vil du sende et nyt link "
            "til onlineformularen? Det tidligere link holder op med at virke; det nye virker i 14 dage."],
            "Send nyt link")
    if action == "approve":
        text: list[Any] = [f"Vil du godkende ansøgningen fra {application['name']} ({application['email']}) for "
                           f"{application['institution']} (CVR {application['cvr']})? Ansøgeren får en e-mail med "
                           "et link til onlineformularen, som virker i 14 dage og kun én gang."]
        if application["administrators"]:
            text += [html.Br(), html.Strong(f"Bemærk: kunden har allerede en administrator: "
                                            f"{_administrators(application)}.")]
        return Question("Godkend ansøgning", text, "Godkend")
    if action == "replace":
        return Question("Erstat administrator", [
            "Der gives én administratoradgang pr. kunde. Vil du oprette administratoren og fjerne rettigheden "
            f"Administrator fra den nuværende ({_administrators(application)})? Deres øvrige rettigheder "
            "bevares.", *_form_text(application)], "Erstat administrator")
    return Question("Opret administrator", [
        "Vil du oprette administratoren med rettigheden Administrator på disse CVR-numre? Administratoren får "
        "en e-mail med et link til at vælge sin adgangskode.", *_form_text(application)], "Opret administrator")


def _send(to: str, subject_body: tuple[str, str]) -> bool:
    try:
        return send_mail(to, *subject_body)
    except MailError:
        return False


def _approve(ctx: AccessContext, state: ConfirmState) -> Status:
    result = onboarding.approve(ctx.user, state.id, state.version)
    link = f"{public_base_url()}{FORM_PREFIX}{result['token']}"
    sent = _send(result["email"], onboarding.approval_mail(result["name"], result["institution"], link,
                                                          result["expires_at"]))
    done = "Der er sendt et nyt link" if result["new_link"] else f"Ansøgningen fra {result['name']} er godkendt"
    if not sent:
        return Status(f"{done}.{MAIL_FAILED} Brug »Godkend« igen for at sende et nyt link.", "warning")
    return Status(f"{done}. Linket til onlineformularen er sendt til {result['email']}.")


def _create(ctx: AccessContext, state: ConfirmState, replace: bool) -> Status:
    result = onboarding.create_account(ctx.user, state.id, state.version, replace=replace)
    base = public_base_url()
    link = None
    if result["new"]:
        user = get_session().get(User, result["user_id"])
        link = reset_link(issue_token(user, max_age_s=int(dt.timedelta(days=WELCOME_LINK_DAYS).total_seconds())))
    sent = _send(result["email"], onboarding.welcome_mail(result["name"], result["email"], result["customers"],
                                                         link=link, login_url=login_link(base),
                                                         valid_days=WELCOME_LINK_DAYS))
    text = (f"{result['name']} er administrator for {', '.join(result['customers'])}. En velkomstmail er sendt "
            f"til {result['email']}.")
    return Status(text) if sent else Status(text.rsplit(" En velkomstmail", 1)[0] + WELCOME_FAILED, "warning")


def _do(ctx: AccessContext, state: ConfirmState) -> Status:
    if state.action == "approve":
        return _approve(ctx, state)
    return _create(ctx, state, replace=state.action == "replace")


@portal_callback(
    output=CONFIRM_OUTPUTS,
    inputs=dict(approve=Input(Ids.APPROVE, "n_clicks"), create=Input(Ids.CREATE, "n_clicks"),
                replace=Input(Ids.REPLACE, "n_clicks"), yes=Input(KIT.confirm_yes, "n_clicks"),
                no=Input(KIT.confirm_no, "n_clicks")),
    state=dict(selected=State(KIT.grid, "selectedRows"), confirm_state=State(KIT.confirm_state, "data"),
               changed=State(KIT.changed, "data")),
    prevent_initial_call=True,
    **GUARD,
)
def decide(ctx: AccessContext, approve: Any, create: Any, replace: Any, yes: Any, no: Any, selected: Any,
           confirm_state: Any, changed: Any):
    """Ask before approving or creating the account for the selected application, then do it (version-checked)."""
    result = run_confirm(
        KIT, dash_ctx.triggered_id, actions=ACTIONS, selected=selected, confirm_state=confirm_state,
        load=lambda application_id: onboarding.get_application(ctx.user, application_id),
        ask=_ask, do=lambda state: _do(ctx, state), versioned=True,
    )
    return result.outputs(CONFIRM_OUTPUTS, changed)
