"""Møder callbacks: the meetings of the customer in context, filtered by year; SA's editing of them.

The reader's list shows what the customer sees (published meetings and documents only), for SA too.
The editing callbacks are guarded for Menu.MOEDER on the page's CVR store and for Action.EDIT_CONTENT,
so every customer account is refused before the body runs; every read and write goes through
data.meetings with the checked scope, and row ids and versions sent by the browser are only hints
the data layer checks against the customer in SQL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dash import Input, Output, State, ctx as dash_ctx, html, no_update
from dash.exceptions import PreventUpdate
from flask import current_app

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
    status_alert,
    uploaded_files,
)
from core.formatting import da_datetime, da_number
from core.rights import Action, Menu
from data import meetings as data
from data.errors import Refused
from pages._history import history_table, plain_value
from pages.ids import moeder as Ids
from pages.ids.moeder import KIT

STATUS_LABELS = {"draft": "Kladde – ikke offentliggjort", "published": "Offentliggjort",
                 "withdrawn": "Trukket tilbage"}


def _empty(text: str) -> html.P:
    return html.P(text, className="text-muted portal-empty")


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{da_number(size / (1024 * 1024), 1)} MB"
    return f"{da_number(max(1, round(size / 1024)))} kB"


def _documents(meeting: dict[str, Any]) -> Any:
    if not meeting["documents"]:
        return html.P("Ingen dokumenter til mødet endnu.", className="text-muted mb-0")
    return html.Ul(
        [
            html.Li(
                [
                    html.Span(f"{doc['kind_label']}: ", className="fw-semibold"),
                    html.A(
                        doc["title"] or doc["filename"],
                        href=f"/filer/{int(doc['file_id'])}",
                        className="moeder-document",
                        **{"aria-label": f"Hent {doc['kind_label'].lower()}: {doc['title'] or doc['filename']}"},
                    ),
                    html.Span(f" ({doc['filename']}, {_size(doc['size'])})", className="text-muted small"),
                ]
            )
            for doc in meeting["documents"]
        ],
        className="list-unstyled mb-0 moeder-documents",
    )


def _meeting(meeting: dict[str, Any]) -> html.Article:
    return html.Article(
        [
            html.H3(meeting["title"], className="h6 mb-1"),
            html.P(
                [
                    html.Time(da_datetime(meeting["held_at"]), dateTime=meeting["held_at"].isoformat()),
                    " · ",
                    meeting["kind"],
                ],
                className="text-muted small mb-2",
            ),
            _documents(meeting),
        ],
        className="border rounded p-3 mb-3 moeder-meeting",
    )


def _section(title: str, items: list[dict[str, Any]], empty: str) -> html.Section:
    return html.Section(
        [html.H2(title, className="h5 mt-3")] + ([_meeting(m) for m in items] if items else [_empty(empty)]),
    )


@portal_callback(
    output=dict(content=Output(Ids.CONTENT, "children"), options=Output(Ids.YEAR, "options")),
    # SA's saves and publications on the same page (their stores exist for SA staff only) draw the
    # list again, so it shows what the customer now sees without a reload.
    inputs=dict(year=Input(Ids.YEAR, "value"), saved=Input(KIT.saved, "data", allow_optional=True),
                changed=Input(KIT.changed, "data", allow_optional=True)),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.MOEDER,
)
def render_meetings(ctx: AccessContext, year: Any, saved: Any = None, changed: Any = None):
    """List the published meetings of the checked CVR (upcoming apart, newest first), filtered by year."""
    # Drafts stay out for SA too: this list is the page as the customer reads it.
    years = data.meeting_years(ctx.scope, ctx.cvr)
    options = [{"label": "Alle år", "value": ""}] + [{"label": str(y), "value": str(y)} for y in years]
    if not years:
        return {"content": _empty("Ingen møder registreret"), "options": options}
    chosen = None
    if year not in (None, ""):
        chosen = data.parse_year(year)
        if chosen is None:
            return {"content": _empty("Ugyldigt år. Vælg et år på listen."), "options": options}
    found = data.meetings(ctx.scope, ctx.cvr, chosen)
    if not found["upcoming"] and not found["past"]:
        return {"content": _empty(f"Ingen møder registreret i {chosen}"), "options": options}
    sections = []
    if found["upcoming"]:
        sections.append(_section("Kommende møder", found["upcoming"], ""))
    sections.append(_section("Afholdte møder", found["past"], "Ingen afholdte møder i perioden."))
    return {"content": html.Div(sections), "options": options}


# --- SA's "Rediger" mode ----------------------------------------------------------------------


@portal_callback(
    output=Output(Ids.EDIT_PANEL, "hidden"),
    inputs=dict(on=Input(Ids.EDIT_MODE, "value")),
    state=dict(cvr=State(KIT.cvr, "data")),
    menu=Menu.MOEDER,
    action=Action.EDIT_CONTENT,
)
def toggle_edit_mode(ctx: AccessContext, on: Any):
    """Show SA's editing of the meetings while "Rediger" is on."""
    return on is not True


def _meeting_status(meeting: dict[str, Any]) -> str:
    if meeting["published_at"] is None:
        return STATUS_LABELS["draft"]
    pending = sum(1 for d in meeting["documents"] if d["status"] == "draft")
    if pending:
        return f"Offentliggjort – {pending} nye dokumenter ikke offentliggjort"
    return STATUS_LABELS["published"]


def _meeting_row(meeting: dict[str, Any]) -> dict[str, Any]:
    shown = [d for d in meeting["documents"] if d["status"] != "withdrawn"]
    return {
        "id": meeting["id"],
        # AG Grid wants string row ids.
        "row_id": str(meeting["id"]),
        "held": da_datetime(meeting["held_at"]),
        "kind": meeting["kind"],
        "title": meeting["title"],
        "status": _meeting_status(meeting),
        "documents": ", ".join(f"{d['kind_label']}: {d['title']}" for d in shown) or "–",
    }


def _document_row(doc: dict[str, Any]) -> dict[str, Any]:
    return {"id": doc["id"], "row_id": str(doc["id"]), "kind": doc["kind_label"], "title": doc["title"],
            "filename": doc["filename"], "status": STATUS_LABELS[doc["status"]]}


@portal_callback(
    output=dict(rows=Output(KIT.grid, "rowData"), status=Output(KIT.status, "children")),
    inputs=dict(on=Input(Ids.EDIT_MODE, "value"), saved=Input(KIT.saved, "data"), changed=Input(KIT.changed, "data"),
                uploaded=Input(Ids.UPLOADED, "data")),
    state=dict(cvr=State(KIT.cvr, "data")),
    menu=Menu.MOEDER,
    action=Action.EDIT_CONTENT,
)
def load_meetings(ctx: AccessContext, on: Any, saved: Any, changed: Any, uploaded: Any):
    """Load every meeting of the checked customer, drafts included, and show the last change's message."""
    rows = [_meeting_row(m) for m in data.all_meetings(ctx.scope, ctx.cvr)]
    trigger = dash_ctx.triggered_id
    status = status_alert(uploaded) if trigger == Ids.UPLOADED else latest_status(KIT, trigger, saved, changed)
    return {"rows": rows, "status": status}


@portal_callback(
    output=dict(
        documents=Output(Ids.DOCUMENT_GRID, "rowData"),
        heading=Output(Ids.SELECTED, "children"),
        state=Output(Ids.MEETING_STATE, "data"),
        edit=Output(KIT.edit, "disabled"),
        publish=Output(Ids.PUBLISH, "disabled"),
        upload=Output(Ids.UPLOAD, "disabled"),
        history=Output(Ids.HISTORY, "disabled"),
    ),
    inputs=dict(selected=Input(KIT.grid, "selectedRows"), saved=Input(KIT.saved, "data"),
                changed=Input(KIT.changed, "data"), uploaded=Input(Ids.UPLOADED, "data")),
    state=dict(cvr=State(KIT.cvr, "data")),
    menu=Menu.MOEDER,
    action=Action.EDIT_CONTENT,
)
def show_meeting(ctx: AccessContext, selected: Any, saved: Any, changed: Any, uploaded: Any):
    """Show the selected meeting's documents and keep its version for the next upload (the optimistic lock)."""
    meeting = data.get_meeting(ctx.scope, ctx.cvr, selected_id(selected))
    if meeting is None:
        return {"documents": [], "heading": "Vælg et møde for at se og tilføje dokumenter.", "state": None,
                "edit": True, "publish": True, "upload": True, "history": True}
    return {
        "documents": [_document_row(d) for d in meeting["documents"]],
        "heading": f"Dokumenter til »{meeting['title']}« ({da_datetime(meeting['held_at'])})",
        "state": {"id": meeting["id"], "version": meeting["version"]},
        "edit": False,
        "publish": False,
        "upload": False,
        "history": False,
    }


@portal_callback(
    output=Output(Ids.WITHDRAW, "disabled"),
    inputs=dict(selected=Input(Ids.DOCUMENT_GRID, "selectedRows")),
    state=dict(cvr=State(KIT.cvr, "data")),
    menu=Menu.MOEDER,
    action=Action.EDIT_CONTENT,
)
def document_selected(ctx: AccessContext, selected: Any):
    """Enable "Træk dokument tilbage" only while one document is selected."""
    return selected_id(selected) is None


# --- the meeting form -------------------------------------------------------------------------


FORM_OUTPUTS = form_outputs(KIT)


def _open_form(meeting: dict[str, Any] | None) -> EditResult:
    if meeting is None:
        return EditResult.opened("Nyt møde", {name: "" for name in KIT.fields})
    return EditResult.opened("Rediger møde", data.form_values(meeting), FormState(meeting["id"], meeting["version"]))


def _save(ctx: AccessContext, form_state: Any, values: dict[str, Any]) -> EditResult:
    raw = form_values(KIT, values)
    editing = FormState.from_store(form_state)

    def write() -> dict[str, Any]:
        if editing is not None:
            return data.update_meeting(ctx.scope, ctx.cvr, ctx.user, editing.id, editing.version, raw)
        return data.create_meeting(ctx.scope, ctx.cvr, ctx.user, raw)

    def status(result: dict[str, Any]) -> Status:
        if editing is None:
            return Status(f"Mødet »{result['title']}« er oprettet som kladde. Kunden ser det, når det offentliggøres.")
        return Status(f"Mødet »{result['title']}« er gemt.")

    return save_form(write, status)


@portal_callback(
    output=FORM_OUTPUTS,
    **form_dependencies(KIT),
    prevent_initial_call=True,
    menu=Menu.MOEDER,
    action=Action.EDIT_CONTENT,
)
def meeting_form(ctx: AccessContext, add: Any, edit: Any, save: Any, cancel: Any, selected: Any, form_state: Any,
                 saved: Any, **values: Any):
    """Open the form empty (Nyt møde) or with the selected meeting, save it (a new one as a draft), or close it."""
    result = run_form(
        KIT, dash_ctx.triggered_id, selected=selected,
        load=lambda meeting_id: data.get_meeting(ctx.scope, ctx.cvr, meeting_id),
        open_form=_open_form,
        save=lambda: _save(ctx, form_state, values),
        gone="Mødet findes ikke længere.",
    )
    return result.outputs(FORM_OUTPUTS, saved)


# --- publish and withdraw ---------------------------------------------------------------------


CONFIRM_OUTPUTS = confirm_outputs(KIT)
ACTIONS = {Ids.PUBLISH: "publish", Ids.WITHDRAW: "withdraw"}


def _publish_question(meeting: dict[str, Any]) -> Question:
    new_docs = [d for d in meeting["documents"] if d["status"] == "draft"]
    parts = []
    if meeting["published_at"] is None:
        parts.append(f"Vil du offentliggøre mødet »{meeting['title']}«")
    else:
        parts.append(f"Vil du offentliggøre de nye dokumenter til mødet »{meeting['title']}«")
    if new_docs:
        parts.append(" med " + ", ".join(f"{d['kind_label'].lower()} »{d['title']}«" for d in new_docs))
    parts.append("? Kunden kan derefter se det, og kundens kontaktpersoner får besked.")
    return Question("Offentliggør", "".join(parts), "Offentliggør")


def _ask(action: str, record: dict[str, Any]) -> Question:
    if action == "publish":
        return _publish_question(record)
    return Question("Træk dokument tilbage",
                    f"Vil du trække {record['kind_label'].lower()} »{record['title']}« tilbage? Kunden kan derefter ikke "
                    "længere se dokumentet. Det gemmes til revisionssporet.", "Træk tilbage")


def _do(ctx: AccessContext, state: ConfirmState) -> Status:
    if state.action == "publish":
        meeting = data.publish(ctx.scope, ctx.cvr, ctx.user, state.id, state.version)
        return Status(f"Mødet »{meeting['title']}« er offentliggjort.")
    doc = data.withdraw_document(ctx.scope, ctx.cvr, ctx.user, state.id, state.version)
    return Status(f"{doc['kind_label']} »{doc['title']}« er trukket tilbage.")


@portal_callback(
    output=CONFIRM_OUTPUTS,
    **confirm_dependencies(KIT, inputs=dict(publish=Input(Ids.PUBLISH, "n_clicks"),
                                            withdraw=Input(Ids.WITHDRAW, "n_clicks")),
                           state=dict(selected_document=State(Ids.DOCUMENT_GRID, "selectedRows"))),
    prevent_initial_call=True,
    menu=Menu.MOEDER,
    action=Action.EDIT_CONTENT,
)
def publish_or_withdraw(ctx: AccessContext, publish: Any, withdraw: Any, yes: Any, no: Any, selected: Any,
                        selected_document: Any, confirm_state: Any, changed: Any):
    """Ask before publishing the selected meeting or withdrawing the selected document, then do it (version-checked)."""
    trigger = dash_ctx.triggered_id
    withdrawing = trigger == Ids.WITHDRAW

    def load(record_id: int) -> dict[str, Any] | None:
        if withdrawing:
            return data.get_document(ctx.scope, ctx.cvr, record_id)
        return data.get_meeting(ctx.scope, ctx.cvr, record_id)

    result = run_confirm(
        KIT, trigger, actions=ACTIONS, selected=selected_document if withdrawing else selected,
        confirm_state=confirm_state, load=load, ask=_ask, do=lambda state: _do(ctx, state), versioned=True,
    )
    return result.outputs(CONFIRM_OUTPUTS, changed)


# --- uploads ----------------------------------------------------------------------------------


@portal_callback(
    # The upload is emptied after each try, so choosing the same file again (after a refusal) is a new upload.
    output=dict(uploaded=Output(Ids.UPLOADED, "data"), alert=Output(Ids.UPLOAD_ALERT, "children"),
                alert_open=Output(Ids.UPLOAD_ALERT, "is_open"), reset=Output(Ids.UPLOAD, "contents")),
    inputs=dict(contents=Input(Ids.UPLOAD, "contents")),
    state=dict(
        cvr=State(KIT.cvr, "data"),
        filenames=State(Ids.UPLOAD, "filename"),
        kind=State(Ids.UPLOAD_KIND, "value"),
        meeting=State(Ids.MEETING_STATE, "data"),
        previous=State(Ids.UPLOADED, "data"),
    ),
    prevent_initial_call=True,
    menu=Menu.MOEDER,
    action=Action.EDIT_CONTENT,
)
def upload_documents(ctx: AccessContext, contents: Any, filenames: Any, kind: Any, meeting: Any, previous: Any):
    """Attach the chosen files to the selected meeting as unpublished documents; refuse them all if one is refused."""
    if not contents:
        raise PreventUpdate
    state = FormState.from_store(meeting)
    if state is None:
        return {"uploaded": no_update, "alert": "Vælg først et møde i listen.", "alert_open": True, "reset": None}
    try:
        files = uploaded_files(contents, filenames)
        after = data.add_documents(ctx.scope, ctx.cvr, ctx.user, state.id, state.version, kind, files,
                                   current_app.config["UPLOAD_MAX_BYTES"])
    except Refused as exc:
        return {"uploaded": no_update, "alert": exc.message, "alert_open": True, "reset": None}
    count = len(files)
    label = data.DOCUMENT_KINDS[kind].lower()
    text = (f"{count} {'fil' if count == 1 else 'filer'} ({label}) er tilføjet til »{after['title']}«. "
            "Kunden ser dem, når de offentliggøres.")
    return {"uploaded": Status(text).to_store(previous), "alert": None, "alert_open": False, "reset": None}


# --- history ----------------------------------------------------------------------------------


ACTION_LABELS = {"create": "Oprettet", "update": "Ændret", "add_documents": "Dokumenter tilføjet",
                 "publish": "Offentliggjort", "withdraw_document": "Dokument trukket tilbage"}
AUDIT_FIELDS = [("held_at", "Dato og tid"), ("kind", "Mødetype"), ("title", "Titel"), ("published", "Offentliggjort"),
                ("documents", "Dokumenter")]
_STATUS_SHORT = {"draft": "kladde", "published": "offentliggjort", "withdrawn": "trukket tilbage"}


def _value_text(key: str, value: Any) -> str:
    if key == "held_at" and isinstance(value, str):
        try:
            return da_datetime(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    if key == "documents" and isinstance(value, list):
        return "; ".join(
            f"{data.DOCUMENT_KINDS.get(d.get('kind'), d.get('kind'))}: {d.get('title')} "
            f"({_STATUS_SHORT.get(d.get('status'), d.get('status'))})"
            for d in value if isinstance(d, dict)
        ) or "–"
    return plain_value(key, value)


@portal_callback(
    output=dict(is_open=Output(Ids.HISTORY_MODAL, "is_open"), body=Output(Ids.HISTORY_BODY, "children")),
    inputs=dict(show=Input(Ids.HISTORY, "n_clicks"), close=Input(Ids.HISTORY_CLOSE, "n_clicks")),
    state=dict(cvr=State(KIT.cvr, "data"), selected=State(KIT.grid, "selectedRows")),
    prevent_initial_call=True,
    menu=Menu.MOEDER,
    action=Action.EDIT_CONTENT,
)
def show_history(ctx: AccessContext, show: Any, close: Any, selected: Any):
    """Show who changed the selected meeting and its documents, when, and what it was before and after."""
    if dash_ctx.triggered_id == Ids.HISTORY_CLOSE:
        return {"is_open": False, "body": no_update}
    if dash_ctx.triggered_id != Ids.HISTORY:
        raise PreventUpdate
    meeting_id = selected_id(selected)
    if meeting_id is None or data.get_meeting(ctx.scope, ctx.cvr, meeting_id) is None:
        raise PreventUpdate
    entries = data.meeting_history(ctx.scope, ctx.cvr, meeting_id)
    return {"is_open": True, "body": history_table(entries, AUDIT_FIELDS, ACTION_LABELS, _value_text, "moeder-history")}
