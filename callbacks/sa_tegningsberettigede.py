"""SA's Tegningsberettigede (system administrator) and Verificér aftale (SA staff) callbacks.

Registering is declared with `action=Action.REGISTER_SIGNATORIES`, verification with `Action.EDIT_CONTENT`: the
wrapper refuses everyone else before the body runs, and `data.approvals` checks again.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import dash_bootstrap_components as dbc
from dash import Input, Output, State, html, no_update
from dash import ctx as dash_ctx
from dash.exceptions import PreventUpdate
from flask import current_app

from auth.guard import AccessContext, portal_callback
from auth.reset import issue_token, reset_link
from callbacks._edit import Status, status_alert
from core.access import AccessScope
from core.formatting import da_datetime
from core.rights import Action
from data import approvals
from data.db import get_session
from data.errors import Refused, ValidationError
from data.mail import MailError, send_mail
from data.models import User
from pages.ids import sa_tegningsberettigede as Ids

WELCOME_SUBJECT = "Velkommen til Kundeportalen – du er registreret som tegningsberettiget"
WELCOME_BODY = ("Kære {name}\n\nStatens Administration har registreret dig som tegningsberettiget i Kundeportalen, "
                "og der er oprettet en bruger til dig med e-mailadressen {email}.\n\nVælg din adgangskode her "
                "(linket kan bruges én gang):\n{link}\n\nVenlig hilsen\nStatens Administration\n")


def _registered(scope: AccessScope, party: Any, kind: Any, cvr: Any) -> dict[str, Any] | None:
    if party == "sa":
        return next((row for row in approvals.sa_signatories() if row["key"] == kind), None)
    if not isinstance(cvr, str) or len(cvr) != 8 or not cvr.isdigit():
        return None
    if not scope.allows(cvr):
        return None
    return next((row for row in approvals.signatories(scope, cvr) if row["key"] == kind), None)


def _list(scope: AccessScope) -> Any:
    sa_rows = approvals.sa_signatories()
    items = [html.Li(f"Statens Administration – {row['key'].capitalize()}: {row['name']} ({row['email']}, "
                     f"{row['b_number']})") for row in sa_rows]
    # SA's system administrator sees every customer: the wrapper's scope is all of them.
    for row in approvals.all_signatories(scope):
        items.append(html.Li(f"CVR {row['cvr']} – {row['title']}: {row['name']} ({row['email']}, {row['b_number']})"))
    return html.Ul(items) if items else html.P("Ingen tegningsberettigede registreret.", className="text-muted")


FORM_VALUES = {f"value_{name}": Output(Ids.field(name), "value") for name in Ids.FIELDS}


@portal_callback(
    output=dict(state=Output(Ids.FORM_STATE, "data"), listing=Output(Ids.LIST, "children"),
                status=Output(Ids.STATUS, "children"), **FORM_VALUES),
    inputs=dict(party=Input(Ids.PARTY, "value"), kind=Input(Ids.KIND, "value"), saved=Input(Ids.SAVED, "data"),
                cvr_value=Input(Ids.field("cvr"), "n_blur")),
    state=dict(typed_cvr=State(Ids.field("cvr"), "value")),
    menu=None,
    action=Action.REGISTER_SIGNATORIES,
)
def load_signatory(ctx: AccessContext, party: Any, kind: Any, saved: Any, cvr_value: Any, typed_cvr: Any):
    """Fill the form with the signatory registered for the chosen party, agreement and CVR, and list them all."""
    cvr = typed_cvr.strip() if isinstance(typed_cvr, str) else ""
    row = _registered(ctx.scope, party, kind, cvr)
    values = {f"value_{name}": (row or {}).get(name, "") or "" for name in ("name", "email", "b_number")}
    values["value_cvr"] = no_update if party != "sa" else ""
    status = status_alert(saved) if dash_ctx.triggered_id == Ids.SAVED else None
    return {"state": {"version": row["row_version"]} if row else None, "listing": _list(ctx.scope), "status": status,
            **values}


FEEDBACK = {f"invalid_{name}": Output(Ids.field(name), "invalid") for name in Ids.FIELDS}
FEEDBACK.update({f"feedback_{name}": Output(Ids.feedback(name), "children") for name in Ids.FIELDS})


def _welcome(user_id: int) -> bool:
    """Mail a new signatory's account a single-use link to choose a password (never a password)."""
    user = get_session().get(User, user_id)
    token = issue_token(user)
    try:
        return send_mail(user.email, WELCOME_SUBJECT,
                         WELCOME_BODY.format(name=user.name, email=user.email, link=reset_link(token)))
    except MailError:
        current_app.logger.warning("signatory welcome mail: user %s has an address mail cannot be sent to", user.id)
        return False


@portal_callback(
    output=dict(saved=Output(Ids.SAVED, "data"), **FEEDBACK),
    inputs=dict(n_clicks=Input(Ids.SAVE, "n_clicks")),
    state=dict(party=State(Ids.PARTY, "value"), kind=State(Ids.KIND, "value"), form_state=State(Ids.FORM_STATE, "data"),
               previous=State(Ids.SAVED, "data"),
               **{f"value_{name}": State(Ids.field(name), "value") for name in Ids.FIELDS}),
    menu=None,
    action=Action.REGISTER_SIGNATORIES,
    prevent_initial_call=True,
)
def save_signatory(ctx: AccessContext, n_clicks: Any, party: Any, kind: Any, form_state: Any, previous: Any,
                   **values: Any):
    """Register the signatory (version-checked against the one the form showed); a new account gets a welcome mail."""
    if not n_clicks:
        raise PreventUpdate
    raw = {name: values.get(f"value_{name}") for name in Ids.FIELDS}
    version = form_state.get("version") if isinstance(form_state, dict) else None
    clean = {f"invalid_{name}": False for name in Ids.FIELDS} | {f"feedback_{name}": None for name in Ids.FIELDS}
    try:
        if party == "sa":
            result = approvals.register_sa_signatory(ctx.user, kind, raw, version)
        else:
            cvr = raw["cvr"].strip() if isinstance(raw["cvr"], str) else ""
            result = approvals.register_signatory(ctx.scope, cvr, ctx.user, kind, raw, version)
    except ValidationError as exc:
        out = dict(clean)
        for name, message in exc.errors.items():
            if name in Ids.FIELDS:
                out[f"invalid_{name}"] = True
                out[f"feedback_{name}"] = message
        return {"saved": no_update, **out}
    except Refused as exc:
        return {"saved": Status(exc.message, "warning").to_store(previous), **clean}
    text = f"{result['name']} er registreret som tegningsberettiget."
    if result["created_user"]:
        text += (" Der er oprettet en bruger, som har fået en mail med et link til at vælge adgangskode."
                 if _welcome(result["user_id"]) else " Der er oprettet en bruger, men velkomstmailen kunne ikke sendes.")
    return {"saved": Status(text).to_store(previous), **clean}


def _signed_facts(found: dict[str, Any]) -> list[Any]:
    facts: list[Any] = [html.Br(), f"{found['title']} version {found['version']}, CVR {found['cvr']}."]
    for signer in found["signers"]:
        who = "Statens Administration" if signer["party"] == "sa" else "Kunden"
        facts += [html.Br(), f"Godkendt for {who} af {signer['name']} ({signer['b_number']}), "
                             f"{da_datetime(signer['at'])}."]
    return facts


@portal_callback(
    output=Output(Ids.VERIFY_RESULT, "children"),
    inputs=dict(contents=Input(Ids.VERIFY_UPLOAD, "contents")),
    menu=None,
    action=Action.EDIT_CONTENT,
    prevent_initial_call=True,
)
def verify_upload(ctx: AccessContext, contents: Any):
    """Tell whether the uploaded PDF is a sealed agreement of this portal: version, signers, and whether it changed."""
    if not isinstance(contents, str) or "," not in contents:
        raise PreventUpdate
    max_bytes = int(current_app.config["UPLOAD_MAX_BYTES"])
    encoded = contents.split(",", 1)[1]
    if len(encoded) > (max_bytes + 3) * 4 // 3 + 4:
        return dbc.Alert(f"Filen er for stor. Den må højst fylde {max_bytes // (1024 * 1024)} MB.", color="warning")
    try:
        content = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return dbc.Alert("Filen kunne ikke læses.", color="warning")
    found = approvals.identify(ctx.scope, ctx.user, content)
    if not found["sealed"] and found["known"]:
        # Signed while the portal ran without a seal (SEALING_DISABLED): only the stored hash vouches for it.
        return dbc.Alert([html.Strong("Filen er en underskrevet aftale fra Kundeportalen uden segl, og den er "
                                      "uændret (dens SHA-256 er den, portalen gemte)."), *_signed_facts(found)],
                         color="info")
    if not found["sealed"]:
        return dbc.Alert("Filen er ikke en forseglet aftale fra Kundeportalen.", color="warning")
    if not found["intact"]:
        return dbc.Alert("Filen bærer Kundeportalens segl, men seglet er brudt: filen er ændret, efter den blev "
                         "forseglet.", color="danger")
    facts = [html.Strong("Seglet er intakt: filen er uændret.")]
    if found["known"]:
        facts += _signed_facts(found)
    else:
        facts += [html.Br(), "Aftalen findes ikke blandt de aftaler, du har adgang til."]
    return dbc.Alert(facts, color="success")
