"""Kundeaftaler callbacks: the chosen tab's content and the XLSX/CSV exports, for the checked CVR; SA's editing.

SA staff see a "Rediger" mode on the page the customer reads: a draft of a new agreement version (edit,
publish, delete), add/edit/end of exemptions, add-ons and 3rd-party tasks, and annex upload, replace and
withdraw. Every editing callback is declared with `action=Action.EDIT_CONTENT`, so the wrapper refuses
every customer account before the body runs; the data layer (`data.agreement_edits`) checks again.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any, Callable
from urllib.parse import quote, urlencode

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx as dash_ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate
from flask import current_app, request

from auth.throttle import get_login_attempts, wait_text

from auth.guard import AccessContext, portal_callback
from callbacks._edit import (
    EditResult,
    FormState,
    Question,
    Status,
    Step,
    confirm_outputs,
    form_inputs,
    form_outputs,
    form_step,
    form_values,
    latest_status,
    status_alert,
    run_confirm,
    save_form,
    selected_id,
)
from core.access import AccessDenied, can_do
from core.rights import Action, Menu
from data import agreement_edits, agreements, approvals, privacy
from data import agreement_pdf
from data.errors import Refused, ValidationError
from data.workdays import danish_today
from data.files import safe_filename
from data.validators import ascii_digits
from pages import _grid
from pages._export import export_file_name, send_xlsx
from core.formatting import da_date, da_datetime
from pages.ids import kundeaftaler as Ids

SA_NAME = "Statens Administration"


def _empty(text: str) -> html.P:
    return html.P(text, className="text-muted portal-empty", role="status")


# Formats an ISO date (yyyy-mm-dd) in the grid as dd-mm-åååå while sorting keeps the ISO value.
# The grid keeps ISO dates (they sort); assets/grid.js shows them as "6. dec. 2026", like da_date.
_DATE_FORMATTER = {"function": "daDate(params.value)"}


def _date_col(field: str, header: str) -> dict[str, Any]:
    return {"field": field, "headerName": header, "valueFormatter": _DATE_FORMATTER}


def _iso(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _exemption_status(row: dict[str, Any]) -> str:
    if row["expires_on"] is None:
        return "Gældende (ingen udløbsdato)"
    return "⚠ Udløbet" if row["expired"] else "Gældende"


# Per grid tab: the rows (scoped), the grid's columns, the export columns and the empty text.
def _end_status(row: dict[str, Any], running: str) -> str:
    if row["end_date"] is None:
        return running
    return f"Ophørt {da_date(row['end_date'])}" if row["ended"] else f"Ophører {da_date(row['end_date'])}"


def _exemption_rows(ctx: AccessContext) -> list[dict[str, Any]]:
    return [{**row, "status": _exemption_status(row)} for row in agreements.exemptions(ctx.scope, ctx.cvr)]


def _addon_rows(ctx: AccessContext) -> list[dict[str, Any]]:
    return [{**row, "status": _end_status(row, "Aktiv"), "expired": row["ended"]}
            for row in agreements.add_ons(ctx.scope, ctx.cvr)]


def _task_rows(ctx: AccessContext) -> list[dict[str, Any]]:
    return [{**row, "status": _end_status(row, "Aktiv"), "expired": row["ended"]}
            for row in agreements.third_party_tasks(ctx.scope, ctx.cvr)]


def _shown_rows(spec: dict[str, Any], rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return a tab's rows as its grid gets them: the values it shows (dates as ISO text) and the id."""
    # Edit bookkeeping stays on the server.
    return [{**{k: v for k, v in row.items() if k not in ("updated_at", "updated_by", "row_version")},
             **{f: _iso(row[f]) for f in spec["dates"]}} for row in rows]


GRID_TABS: dict[str, dict[str, Any]] = {
    "dispensationer": {
        "title": "Dispensationer",
        "rows": _exemption_rows,
        "grid_columns": [("title", "Dispensation"), ("description", "Beskrivelse"), _date_col("granted_on", "Givet"),
                         _date_col("expires_on", "Udløber"), ("status", "Status")],
        "export_columns": [("title", "Dispensation"), ("description", "Beskrivelse"), ("granted_on", "Givet"),
                           ("expires_on", "Udløber"), ("status", "Status")],
        "dates": ("granted_on", "expires_on"),
        "empty": "Ingen dispensationer registreret.",
        "intro": "Dispensationer godkendt af Statens Administration, med udløbsdato. Udløbne dispensationer er markeret "
                 "med status »Udløbet«.",
    },
    "tilkoeb": {
        "title": "Tilkøb",
        "rows": _addon_rows,
        "grid_columns": [("service", "Ydelse"), ("description", "Beskrivelse"), _date_col("start_date", "Fra"),
                         _date_col("end_date", "Til"), ("status", "Status")],
        "export_columns": [("service", "Ydelse"), ("description", "Beskrivelse"), ("start_date", "Fra")],
        "dates": ("start_date", "end_date"),
        "empty": "Ingen tilkøb registreret.",
        "intro": "De ydelser, der er tilkøbt, fra hvornår og evt. til hvornår. Ophørte tilkøb er markeret med "
                 "status »Ophørt«.",
    },
    "tredjepart": {
        "title": "Opgaver hos 3. part",
        "rows": _task_rows,
        "grid_columns": [("area", "Område"), ("agency", "Styrelse"), ("contact", "Kontakt"), ("note", "Bemærkning"),
                         ("status", "Status")],
        "export_columns": [("area", "Område"), ("agency", "Styrelse"), ("contact", "Kontakt"), ("note", "Bemærkning")],
        "dates": ("end_date",),
        "empty": "Ingen opgaver hos 3. part registreret.",
        "intro": "Den styrelse Statens Administration kontakter om regnskabs- og lønopgaver, når de administreres af "
                 "en 3. part.",
    },
}


def _sa_toolbar(label: str, buttons: list[Any]) -> html.Div:
    """Return SA's editing toolbar of a tab (drawn only for SA staff; the callbacks are the lock)."""
    return html.Div(
        [dbc.Badge("Rediger", color="warning", text_color="dark", className="me-2"), *buttons],
        className="d-flex flex-wrap align-items-center gap-2 mb-3 p-2 border rounded portal-edit-mode",
        role="toolbar", **{"aria-label": label},
    )


def _record_toolbar(key: str) -> html.Div:
    ids = Ids.RECORDS[key]
    return _sa_toolbar(f"Rediger {GRID_TABS[key]['title'].lower()}", [
        dbc.Button("Tilføj", id=ids.add, color="primary", size="sm"),
        dbc.Button("Rediger", id=ids.edit, color="secondary", size="sm"),
        dbc.Button("Afslut", id=Ids.END[key], color="danger", outline=True, size="sm"),
        html.Span("Vælg en række for at redigere eller afslutte den.", className="small text-muted"),
    ])


def _grid_tab(ctx: AccessContext, key: str) -> Any:
    spec = GRID_TABS[key]
    rows = spec["rows"](ctx)
    editing = can_do(ctx.user, Action.EDIT_CONTENT)
    toolbar = _record_toolbar(key) if editing else None
    if not rows:
        return html.Div([toolbar, _empty(spec["empty"])]) if editing else _empty(spec["empty"])
    # Edit bookkeeping stays on the server: the grid gets the values it shows (and the id).
    grid_rows = _shown_rows(spec, rows)
    selection = {"dashGridOptions": {"rowSelection": {"mode": "singleRow", "checkboxes": True,
                                                      "enableClickSelection": True}}} if editing else {}
    return html.Div(
        [
            toolbar,
            html.P(spec["intro"], className="text-muted"),
            _grid.export_bar(_grid.csv_export_button(Ids.CSV), _grid.xlsx_export_button(Ids.XLSX)),
            _grid.grid(
                Ids.GRID,
                grid_rows,
                spec["grid_columns"],
                row_id="id",
                csv_file_name=export_file_name(spec["title"], ctx.cvr),
                rowClassRules={"portal-row-expired": "params.data.expired === true"},
                **selection,
            ),
        ]
    )


def _signature(who: str, name: str | None, at: dt.datetime | None, status: str) -> html.Div:
    """Return one party's signature from the version's one signature state (approval records or paper)."""
    if name and at and status == agreements.PAPER:
        # SA recorded the day from the signed paper copy, which is under Bilag.
        text = f"Underskrevet på papir af: {name}, Dato: {da_date(at)}"
    elif name and at:
        text = f"Underskrevet af: {name}, Dato: {da_datetime(at)}"
    else:
        text = "Afventer underskrift"
    return html.Div(
        [html.Strong(who), html.Span(" — "), html.Span(text)],
        className="portal-signature border rounded p-2 me-3 mb-2",
    )


def _parties(customer: dict[str, Any] | None) -> html.Div | None:
    """Return the parties of the agreement once, from Stamdata (never typed into the agreement's text)."""
    if customer is None:
        return None
    facts = [customer["name"], customer["address"], f"CVR-nr.: {customer['cvr']}",
             f"EAN-nr.: {customer['ean']}" if customer["ean"] else ""]
    units = []
    if customer["accounting_units"]:
        units.append(html.Div(["Bogføringskredse: ", ", ".join(customer["accounting_units"])]))
    if customer["payroll_groups"]:
        units.append(html.Div(["Løngrupper: ", ", ".join(customer["payroll_groups"])]))
    return html.Div(
        [
            html.P("Aftalen er indgået mellem", className="mb-1"),
            html.P([html.Strong(SA_NAME), html.Br(), f"CVR-nr.: {agreement_pdf.SA_CVR}"], className="mb-1"),
            html.P("og", className="mb-1"),
            html.P([html.Strong(facts[0]), *[part for fact in facts[1:] if fact for part in (html.Br(), fact)],
                    html.Br(), '(herefter "Kunden")'], className="mb-1"),
            html.Div(units, className="small text-muted") if units else None,
        ],
        className="portal-agreement-parties mb-3",
    )


def _sections(sections: list[dict[str, str]]) -> list[Any]:
    """Return the agreement's sections in order, the headed ones numbered as in the PDF."""
    out: list[Any] = []
    number = 0
    for section in sections:
        if section["heading"]:
            number += 1
            out.append(html.H3(f"{number}. {section['heading']}", className="h6 mt-3"))
        paragraphs = [p.strip() for p in section["body"].replace("\r\n", "\n").split("\n\n") if p.strip()]
        out.extend(html.P(p, style={"whiteSpace": "pre-line"}) for p in paragraphs)
    return out


def _agreement_article(item: dict[str, Any], customer: dict[str, Any] | None, meta: list[str]) -> html.Article:
    return html.Article(
        [html.H2(item["title"], className="h4"), html.P(", ".join(meta), className="text-muted"),
         _parties(customer), *_sections(item["sections"])],
        className="portal-agreement-text",
    )


def _draft_panel(ctx: AccessContext, key: str, customer: dict[str, Any] | None) -> html.Div:
    """Return SA's editing panel of an agreement: the draft (only SA sees it) or the button that starts one."""
    draft = agreements.draft(ctx.scope, ctx.cvr, key, ctx.user)
    title = agreements.AGREEMENT_TITLES[key].lower()
    if draft is None:
        return _sa_toolbar(f"Rediger {title}", [
            dbc.Button("Ny version", id=Ids.AGREEMENT.add, color="primary", size="sm"),
            html.Span("En ny version starter som en kladde, kopieret fra den gældende version. Kunden ser den først, "
                      "når den er udgivet.", className="small text-muted"),
        ])
    meta = [f"Kladde til version {draft['version']}"]
    meta.append(f"gældende fra {da_date(draft['valid_from'])}" if draft["valid_from"] else "uden dato for ikrafttræden")
    return html.Div(
        [
            _sa_toolbar(f"Rediger {title}", [
                dbc.Button("Rediger kladde", id=Ids.AGREEMENT.edit, color="primary", size="sm"),
                dbc.Button("Udgiv", id=Ids.PUBLISH, color="success", size="sm"),
                dbc.Button("Slet kladde", id=Ids.DISCARD, color="danger", outline=True, size="sm"),
            ]),
            dbc.Alert("Kladde – kun synlig for Statens Administration, indtil den er udgivet.", color="warning",
                      className="mb-2"),
            html.Div(_agreement_article(draft, customer, meta), className="border rounded p-3 mb-4 portal-draft"),
            html.H2("Gældende version", className="h5"),
        ]
    )


def _approval_notice(ctx: AccessContext, item: dict[str, Any], state: dict[str, Any]) -> Any:
    """Return the approval state above the signatures: awaiting approval, signed, or SA's »Send til godkendelse«."""
    if state["status"] == "pending":
        waiting = [who for who, party in ((SA_NAME, "sa"), ("Kunden", "customer")) if state["parties"][party] is None]
        return dbc.Alert([html.Strong("Afventer godkendelse. "),
                          f"Version {item['version']} er sendt til elektronisk godkendelse. Mangler: "
                          f"{' og '.join(waiting)}."], color="warning", className="mb-2 portal-approval-pending")
    if state["status"] == "signed":
        if approvals.sealing_disabled():
            # Never claim a seal the installation does not make (SEALING_DISABLED).
            return dbc.Alert(f"Version {item['version']} er godkendt elektronisk af begge parter. »Hent aftale« "
                             "giver den underskrevne PDF.", color="success", className="mb-2")
        return dbc.Alert(f"Version {item['version']} er godkendt elektronisk af begge parter og forseglet. "
                         "»Hent aftale« giver den forseglede PDF.", color="success", className="mb-2")
    if can_do(ctx.user, Action.EDIT_CONTENT) and item["signed_at"] is None:
        return _sa_toolbar("Elektronisk godkendelse", [
            dbc.Button("Send til godkendelse", id=Ids.REQUEST_APPROVAL, color="primary", size="sm"),
            html.Span("Kundens og Statens Administrations tegningsberettigede får en mail og godkender den "
                      "viste version med deres adgangskode.", className="small text-muted"),
        ])
    return None


def _approval_card(ctx: AccessContext, item: dict[str, Any], state: dict[str, Any], href: str) -> dbc.Card:
    """Return the signatory's »Godkend aftalen«: the exact version and PDF hash shown, and the password."""
    who = SA_NAME if state["party"] == "sa" else "kunden"
    return dbc.Card(dbc.CardBody([
        html.H2("Godkend aftalen", className="h5"),
        html.P(f"Du godkender »{item['title']}« version {item['version']} som tegningsberettiget for {who}. "
               "Læs den PDF, du godkender, før du godkender."),
        html.P(["Dokumentets SHA-256: ", html.Code(state["pdf_sha256"], className="text-break")], className="small"),
        html.A("Læs aftalen (PDF)", href=href, className="btn btn-outline-primary btn-sm mb-3", download=""),
        dcc.Store(id=Ids.APPROVE_SHOWN, data={"id": item["id"], "sha256": state["pdf_sha256"]}),
        html.Div([
            dbc.Label("Din adgangskode", html_for=Ids.APPROVE_PASSWORD),
            dbc.Input(id=Ids.APPROVE_PASSWORD, type="password", autoComplete="current-password",
                      style={"maxWidth": "22rem"}),
            dbc.FormFeedback(id=Ids.APPROVE_FEEDBACK, type="invalid"),
        ], className="mb-3"),
        # The second factor's code, asked where the signatory has one enrolled (always drawn: the
        # callback reads it; hidden and ignored for a signatory without one).
        html.Div([
            dbc.Label("Kode fra din godkendelsesapp", html_for=Ids.APPROVE_CODE),
            dbc.Input(id=Ids.APPROVE_CODE, type="text", inputMode="numeric", autoComplete="one-time-code",
                      maxLength=20, style={"maxWidth": "12rem"}),
            dbc.FormText("Eller en af dine gendannelseskoder."),
        ], className="mb-3", hidden=not approvals.signer_needs_code(ctx.user)),
        dbc.Button("Godkend aftalen", id=Ids.APPROVE, color="success"),
    ]), className="mb-3 portal-approval")


def _agreement_tab(ctx: AccessContext, key: str) -> Any:
    item = agreements.agreement(ctx.scope, ctx.cvr, key)
    title = agreements.AGREEMENT_TITLES[key]
    customer = agreements.customer_facts(ctx.scope, ctx.cvr)
    panel = _draft_panel(ctx, key, customer) if can_do(ctx.user, Action.EDIT_CONTENT) else None
    if item is None:
        return html.Div([panel, _empty(f"Ingen {title.lower()} registreret.")])
    href = f"/kundeaftaler/hent/{key}?{urlencode({'cvr': ctx.cvr})}"
    privacy.log_views(ctx.user, "Kundeaftaler", ctx.cvr, privacy.signatories(item))
    meta = [f"Version {item['version']}"]
    if item["valid_from"]:
        meta.append(f"gældende fra {da_date(item['valid_from'])}")
    upcoming = agreements.upcoming_agreement(ctx.scope, item)
    notice = None
    if upcoming is not None:
        state = "er underskrevet" if upcoming["customer_signed_at"] and upcoming["sa_signed_at"] \
            else "afventer underskrift"
        notice = dbc.Alert(f"En ny version (version {upcoming['version']}) gælder fra "
                           f"{da_date(upcoming['valid_from'])} og {state}. Indtil da gælder aftalen herunder.",
                           color="info", className="mb-2")
    # Approval concerns the newest published version: the one to come when there is one, else the one in force.
    target = upcoming or item
    state = approvals.state(ctx.scope, ctx.cvr, target["id"], ctx.user)
    target_href = href if upcoming is None else f"{href}&{urlencode({'version': target['id']})}"
    return html.Div(
        [
            panel,
            notice,
            _approval_notice(ctx, target, state),
            _approval_card(ctx, target, state, target_href) if state["can_approve"] else None,
            html.Div(
                [
                    _signature(SA_NAME, item["sa_signed_by"], item["sa_signed_at"], item["signature_status"]),
                    _signature("Kunde", item["customer_signed_by"], item["customer_signed_at"],
                               item["signature_status"]),
                    html.A("Hent aftale", href=href, className="btn btn-primary mb-2", download="",
                           title=f"Hent {title.lower()} som PDF"),
                ],
                className="d-flex flex-wrap align-items-start portal-signatures",
            ),
            _agreement_article(item, customer, meta),
        ]
    )


def _annex_toolbar(rows: list[dict[str, Any]]) -> html.Div:
    options = [{"label": f"{row['title']} (version {row['revision']})", "value": row["id"]} for row in rows]
    return _sa_toolbar("Rediger bilag", [
        dbc.Button("Tilføj bilag", id=Ids.ANNEX.add, color="primary", size="sm"),
        dbc.Label("Bilag", html_for=Ids.ANNEX_CHOICE, className="visually-hidden"),
        dbc.Select(id=Ids.ANNEX_CHOICE, options=options, placeholder="Vælg bilag", size="sm",
                   style={"maxWidth": "22rem"}),
        dbc.Button("Erstat", id=Ids.ANNEX.edit, color="secondary", size="sm"),
        dbc.Button("Træk tilbage", id=Ids.ANNEX_WITHDRAW, color="danger", outline=True, size="sm"),
    ])


# What the Bilag tab says of each agreement, from the same signature state as the agreement's own tab.
_ANNEX_STATE = {
    agreements.ELECTRONIC: "er underskrevet elektronisk",
    agreements.PENDING: "er ikke underskrevet elektronisk endnu (afventer godkendelse)",
    agreements.PAPER: "er ikke underskrevet elektronisk; den er underskrevet på papir",
    agreements.UNSIGNED: "er ikke underskrevet elektronisk",
}


def _annex_signatures(ctx: AccessContext) -> list[Any]:
    """Return, per agreement in force, how it was signed, and the signed paper copy's link when there is one."""
    out: list[Any] = []
    for key, title in agreements.AGREEMENT_TITLES.items():
        item = agreements.agreement(ctx.scope, ctx.cvr, key)
        if item is None:
            continue
        parts: list[Any] = [f"{title}n (version {item['version']}) {_ANNEX_STATE[item['signature_status']]}."]
        if item["signature_status"] == agreements.PAPER and item["signed_file_id"] is not None:
            href = f"/kundeaftaler/hent/{key}?{urlencode({'cvr': ctx.cvr, 'version': item['id']})}"
            parts += [" ", html.A(f"Underskrevet kopi af {title.lower()}n", href=href, download="")]
        out.append(html.Li(parts, **{"data-signature-status": item["signature_status"], "data-kind": key}))
    return [html.Ul(out, className="portal-annex-signatures list-unstyled text-muted")] if out else []


def _annex_tab(ctx: AccessContext) -> Any:
    rows = agreements.annexes(ctx.scope, ctx.cvr)
    toolbar = _annex_toolbar(rows) if can_do(ctx.user, Action.EDIT_CONTENT) else None
    signatures = _annex_signatures(ctx)
    if not rows:
        return html.Div([toolbar, *signatures, _empty("Ingen bilag registreret.")])
    groups: dict[str | None, list[Any]] = {}
    for row in rows:
        if row["file_id"] is None:
            item = html.Li([row["title"], html.Span(" (filen mangler)", className="text-muted")])
        else:
            # One path segment, whatever the stored name holds ('../' must not lead elsewhere).
            href = f"/filer/{int(row['file_id'])}/{quote(safe_filename(row['filename'] or '', 'bilag'), safe='')}"
            item = html.Li(html.A(row["title"], href=href, download=""))
        groups.setdefault(row["agreement"], []).append(item)
    sections: list[Any] = []
    for agreement, items in groups.items():
        if agreement:
            sections.append(html.H3(f"Bilag til {agreement}", className="h6 mt-3"))
        elif len(groups) > 1:
            sections.append(html.H3("Øvrige bilag", className="h6 mt-3"))
        sections.append(html.Ul(items, className="portal-annexes"))
    return html.Div([toolbar, *signatures, *sections])


RENDERERS: dict[str, Callable[[AccessContext], Any]] = {
    "kundeaftale": lambda ctx: _agreement_tab(ctx, "kundeaftale"),
    "databehandleraftale": lambda ctx: _agreement_tab(ctx, "databehandleraftale"),
    "dispensationer": lambda ctx: _grid_tab(ctx, "dispensationer"),
    "tilkoeb": lambda ctx: _grid_tab(ctx, "tilkoeb"),
    "tredjepart": lambda ctx: _grid_tab(ctx, "tredjepart"),
    "bilag": _annex_tab,
}


KITS = (Ids.AGREEMENT, *Ids.RECORDS.values(), Ids.ANNEX)
# Every editing screen's status stores: a save or an action reloads the tab and reports above it.
STATUS_INPUTS = {f"{name}_{i}": Input(getattr(kit, name), "data") for i, kit in enumerate(KITS)
                 for name in ("saved", "changed")}


def _status(trigger: Any, stores: dict[str, Any]) -> Any:
    if trigger in (Ids.APPROVE_DONE, Ids.REQUEST_DONE):
        return status_alert(stores.get("approve_done" if trigger == Ids.APPROVE_DONE else "request_done"))
    for i, kit in enumerate(KITS):
        status = latest_status(kit, trigger, stores.get(f"saved_{i}"), stores.get(f"changed_{i}"), limit=300)
        if status is not None:
            return status
    return None


@portal_callback(
    output=Output(Ids.CONTENT, "children"),
    inputs=dict(tab=Input(Ids.TABS, "value"), approve_done=Input(Ids.APPROVE_DONE, "data"),
                request_done=Input(Ids.REQUEST_DONE, "data"), **STATUS_INPUTS),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.KUNDEAFTALER,
)
def render_tab(ctx: AccessContext, tab: Any, **stores: Any):
    """Render the chosen Kundeaftaler tab for the checked CVR; raises AccessDenied without the right."""
    renderer = RENDERERS.get(tab) if isinstance(tab, str) else None
    if renderer is None:
        return _empty("Ukendt faneblad. Vælg et af fanebladene ovenfor.")
    trigger = dash_ctx.triggered_id
    # The signatory's approval reports to everyone; the editing kits' statuses to SA staff only.
    status = _status(trigger, stores) if trigger == Ids.APPROVE_DONE or can_do(ctx.user, Action.EDIT_CONTENT) \
        else None
    content = renderer(ctx)
    return html.Div([html.Div(status, role="status", **{"aria-live": "polite"}), content]) if status else content


@portal_callback(
    output=Output(Ids.DOWNLOAD, "data"),
    inputs=dict(n_clicks=Input(Ids.XLSX, "n_clicks")),
    state=dict(tab=State(Ids.TABS, "value"), filters=State(Ids.GRID, "filterModel"),
               sort=State(Ids.GRID, "columnState"), cvr=State(Ids.CVR, "data")),
    menu=Menu.KUNDEAFTALER,
    prevent_initial_call=True,
)
def export_xlsx(ctx: AccessContext, n_clicks: Any, tab: Any, filters: Any, sort: Any):
    """Send the active grid tab as XLSX, rows re-read; raise AccessDenied (403) without the right."""
    # Raises AccessDenied (403) without the Kundeaftaler right on the CVR.
    if not n_clicks or not isinstance(tab, str) or tab not in GRID_TABS:
        raise PreventUpdate
    spec = GRID_TABS[tab]
    rows = spec["rows"](ctx)
    # The grid filters and sorts the values it shows (dates as ISO text): so does the export, on rows read again.
    shown = _grid.grid_view(_shown_rows(spec, rows), filters, sort, _grid.column_fields(spec["grid_columns"]))
    rows = _grid.visible_rows(rows, shown, key="id")
    return send_xlsx(rows, spec["export_columns"], spec["title"], export_file_name(spec["title"], ctx.cvr))


@portal_callback(
    output=Output(Ids.GRID, "exportDataAsCsv"),
    inputs=dict(n_clicks=Input(Ids.CSV, "n_clicks")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.KUNDEAFTALER,
    prevent_initial_call=True,
)
def export_csv(ctx: AccessContext, n_clicks: Any) -> bool:
    """Ask the browser's grid to export what it shows as CSV; raises AccessDenied without the right."""
    if not n_clicks:
        raise PreventUpdate
    return True


# --- SA: the agreement draft ------------------------------------------------------------------------


def _agreement_key(tab: Any) -> str:
    if not isinstance(tab, str) or tab not in agreements.AGREEMENT_KINDS:
        raise PreventUpdate
    return tab


AGREEMENT_FORM = form_outputs(Ids.AGREEMENT)


def _open_draft(draft: dict[str, Any]) -> EditResult:
    values = {"title": draft["title"], "valid_from": _iso(draft["valid_from"]),
              "sections": agreement_edits.sections_to_text(draft["sections"])}
    return EditResult.opened(f"Kladde til version {draft['version']}", values,
                             FormState(draft["id"], draft["row_version"]))


def _agreement_form(ctx: AccessContext, trigger: Any, tab: Any, form_state: Any, values: dict[str, Any]) -> EditResult:
    step = form_step(Ids.AGREEMENT, trigger)
    if step is Step.CANCEL:
        return EditResult.closed()
    key = _agreement_key(tab)
    if step is Step.NEW:
        try:
            return _open_draft(agreement_edits.start_draft(ctx.scope, ctx.cvr, ctx.user, key))
        except Refused as exc:
            return EditResult.notice(Status(exc.message, "warning"))
    if step is Step.EDIT:
        # The draft is found on the server: the browser never names which agreement it edits.
        draft = agreements.draft(ctx.scope, ctx.cvr, key, ctx.user)
        if draft is None:
            return EditResult.notice(Status("Kladden findes ikke længere.", "warning"))
        return _open_draft(draft)
    if step is Step.SAVE:
        editing = FormState.from_store(form_state)
        if editing is None:
            return EditResult.refused("Kladden findes ikke længere. Luk formularen og genindlæs siden.")
        return save_form(
            lambda: agreement_edits.save_draft(ctx.scope, ctx.cvr, ctx.user, editing.id, editing.version,
                                               form_values(Ids.AGREEMENT, values)),
            lambda result: Status(f"Kladden til version {result['version']} er gemt. Den er ikke udgivet endnu."))
    raise PreventUpdate


@portal_callback(
    output=AGREEMENT_FORM,
    inputs=form_inputs(Ids.AGREEMENT),
    state=dict(cvr=State(Ids.CVR, "data"), tab=State(Ids.TABS, "value"),
               form_state=State(Ids.AGREEMENT.form_state, "data"), saved=State(Ids.AGREEMENT.saved, "data"),
               **{f"value_{f}": State(Ids.AGREEMENT.field(f), "value") for f in Ids.AGREEMENT.fields}),
    menu=Menu.KUNDEAFTALER,
    action=Action.EDIT_CONTENT,
    prevent_initial_call=True,
)
def agreement_form(ctx: AccessContext, add: Any, edit: Any, save: Any, cancel: Any, tab: Any, form_state: Any,
                   saved: Any, **values: Any):
    """Start a new version's draft (copied from the version in force), edit and save it, or close the form."""
    return _agreement_form(ctx, dash_ctx.triggered_id, tab, form_state, values).outputs(AGREEMENT_FORM, saved)


AGREEMENT_CONFIRM = confirm_outputs(Ids.AGREEMENT)
AGREEMENT_ACTIONS = {Ids.PUBLISH: "publish", Ids.DISCARD: "discard"}


def _ask_draft(action: str, draft: dict[str, Any]) -> Question:
    if action == "publish":
        when = f" fra {da_date(draft['valid_from'])}" if draft.get("valid_from") else ""
        return Question("Udgiv version",
                        f"Vil du udgive version {draft['label']} af »{draft['title']}«? Den gælder{when}, kunden "
                        "får besked, og versionen kan derefter ikke ændres.", "Udgiv")
    return Question("Slet kladde", f"Vil du slette kladden til version {draft['label']}? Handlingen kan ikke fortrydes.",
                    "Slet kladde")


def _do_draft(ctx: AccessContext, state: Any) -> Status:
    if state.action == "publish":
        result = agreement_edits.publish_draft(ctx.scope, ctx.cvr, ctx.user, state.id, state.version)
        return Status(f"Version {result['version']} er udgivet og gælder fra {da_date(result['valid_from'])}. "
                      "Kunden får besked.")
    result = agreement_edits.discard_draft(ctx.scope, ctx.cvr, ctx.user, state.id, state.version)
    return Status(f"Kladden til version {result['version']} er slettet.")


@portal_callback(
    output=AGREEMENT_CONFIRM,
    inputs=dict(publish=Input(Ids.PUBLISH, "n_clicks"), discard=Input(Ids.DISCARD, "n_clicks"),
                yes=Input(Ids.AGREEMENT.confirm_yes, "n_clicks"), no=Input(Ids.AGREEMENT.confirm_no, "n_clicks")),
    state=dict(cvr=State(Ids.CVR, "data"), tab=State(Ids.TABS, "value"),
               confirm_state=State(Ids.AGREEMENT.confirm_state, "data"),
               changed=State(Ids.AGREEMENT.changed, "data")),
    menu=Menu.KUNDEAFTALER,
    action=Action.EDIT_CONTENT,
    prevent_initial_call=True,
)
def agreement_confirm(ctx: AccessContext, publish: Any, discard: Any, yes: Any, no: Any, tab: Any,
                      confirm_state: Any, changed: Any):
    """Ask before publishing (announced to the customer) or deleting the draft, then do it (version-checked)."""
    trigger = dash_ctx.triggered_id
    draft = None
    if trigger in AGREEMENT_ACTIONS:
        draft = agreements.draft(ctx.scope, ctx.cvr, _agreement_key(tab), ctx.user)
        if draft is None:
            raise PreventUpdate
    selected = [{"id": draft["id"]}] if draft else None

    def load(draft_id: int) -> dict[str, Any] | None:
        if draft is None or draft["id"] != draft_id:
            return None
        # The kit keeps `version` for the lock: here the draft's row_version, not its version label.
        return {**draft, "label": draft["version"], "version": draft["row_version"]}

    result = run_confirm(Ids.AGREEMENT, trigger, actions=AGREEMENT_ACTIONS, selected=selected,
                         confirm_state=confirm_state, load=load, ask=_ask_draft,
                         do=lambda state: _do_draft(ctx, state), versioned=True)
    return result.outputs(AGREEMENT_CONFIRM, changed)


# --- SA: exemptions, add-ons, 3rd-party tasks -----------------------------------------------------------


def _record_for_form(ctx: AccessContext, key: str, record_id: int) -> dict[str, Any] | None:
    record = agreement_edits.get_record(ctx.scope, ctx.cvr, key, record_id)
    if record is None:
        return None
    return {**record, "version": record["row_version"]}


def _record_values(key: str, record: dict[str, Any] | None) -> dict[str, Any]:
    values = {}
    for name in Ids.RECORD_FIELDS[key]:
        value = record.get(name) if record else None
        values[name] = _iso(value) if isinstance(value, dt.date) else (value or "")
    return values


def _record_form(ctx: AccessContext, key: str, trigger: Any, selected: Any, form_state: Any,
                 values: dict[str, Any]) -> EditResult:
    ids = Ids.RECORDS[key]
    title = GRID_TABS[key]["title"]
    step = form_step(ids, trigger)
    if step is Step.NEW:
        return EditResult.opened(f"Tilføj – {title}", _record_values(key, None))
    if step is Step.EDIT:
        record_id = selected_id(selected)
        if record_id is None:
            return EditResult.notice(Status("Vælg en række i tabellen først.", "info"))
        record = _record_for_form(ctx, key, record_id)
        if record is None:
            return EditResult.notice(Status("Rækken findes ikke længere.", "warning"))
        return EditResult.opened(f"Rediger – {title}", _record_values(key, record),
                                 FormState(record["id"], record["version"]))
    if step is Step.SAVE:
        editing = FormState.from_store(form_state)
        return save_form(
            lambda: agreement_edits.save_record(ctx.scope, ctx.cvr, ctx.user, key,
                                                editing.id if editing else None, editing.version if editing else None,
                                                form_values(ids, values)),
            lambda _result: Status(f"{title}: ændringen er gemt."))
    if step is Step.CANCEL:
        return EditResult.closed()
    raise PreventUpdate


def _ask_end(key: str, record: dict[str, Any]) -> Question:
    name = record.get(agreement_edits.RECORDS[key].name) or ""
    return Question("Afslut", f"Vil du afslutte »{name}« pr. {da_date(danish_today())}? Den vises derefter "
                              "som ophørt.", "Afslut")


def _declare_record_callbacks(key: str) -> tuple[Callable, Callable]:
    """Declare the form and end callbacks of one grid tab's records (called once per tab, below)."""
    ids = Ids.RECORDS[key]
    form = form_outputs(ids)
    confirm = confirm_outputs(ids)

    @portal_callback(
        output=form,
        inputs=form_inputs(ids),
        state=dict(cvr=State(Ids.CVR, "data"), selected=State(Ids.GRID, "selectedRows"),
                   form_state=State(ids.form_state, "data"), saved=State(ids.saved, "data"),
                   **{f"value_{f}": State(ids.field(f), "value") for f in ids.fields}),
        menu=Menu.KUNDEAFTALER,
        action=Action.EDIT_CONTENT,
        prevent_initial_call=True,
    )
    def record_form(ctx: AccessContext, add: Any, edit: Any, save: Any, cancel: Any, selected: Any,
                    form_state: Any, saved: Any, **values: Any):
        """Open the form empty (Tilføj) or on the selected row (Rediger), save it (version-checked), or close it."""
        return _record_form(ctx, key, dash_ctx.triggered_id, selected, form_state, values).outputs(form, saved)

    @portal_callback(
        output=confirm,
        inputs=dict(ask=Input(Ids.END[key], "n_clicks"), yes=Input(ids.confirm_yes, "n_clicks"),
                    no=Input(ids.confirm_no, "n_clicks")),
        state=dict(cvr=State(Ids.CVR, "data"), selected=State(Ids.GRID, "selectedRows"),
                   confirm_state=State(ids.confirm_state, "data"), changed=State(ids.changed, "data")),
        menu=Menu.KUNDEAFTALER,
        action=Action.EDIT_CONTENT,
        prevent_initial_call=True,
    )
    def end_record(ctx: AccessContext, ask: Any, yes: Any, no: Any, selected: Any, confirm_state: Any,
                   changed: Any):
        """Ask before ending the selected row as of today, then end it (version-checked, audited)."""
        def do(state: Any) -> Status:
            result = agreement_edits.end_record(ctx.scope, ctx.cvr, ctx.user, key, state.id, state.version)
            return Status(f"»{result[agreement_edits.RECORDS[key].name]}« er afsluttet.")

        result = run_confirm(ids, dash_ctx.triggered_id, actions={Ids.END[key]: "end"}, selected=selected,
                             confirm_state=confirm_state, load=lambda record_id: _record_for_form(ctx, key, record_id),
                             ask=lambda _action, record: _ask_end(key, record), do=do, versioned=True)
        return result.outputs(confirm, changed)

    record_form.__name__ = record_form.__qualname__ = f"record_form_{key}"
    end_record.__name__ = end_record.__qualname__ = f"end_record_{key}"
    return record_form, end_record


RECORD_CALLBACKS = tuple(_declare_record_callbacks(key) for key in Ids.RECORDS)


# --- SA: annexes ---------------------------------------------------------------------------------------


ANNEX_FORM = form_outputs(Ids.ANNEX, file_text=Output(Ids.ANNEX_FILE, "children"),
                          upload=Output(Ids.ANNEX_UPLOAD, "contents"))


class _TooLarge(Exception):
    """The upload is larger than the configured limit (found before decoding it)."""


def _upload_bytes(contents: Any, max_bytes: int) -> bytes | None:
    """Return the bytes of a dcc.Upload data URL, or None when there is none or it is malformed."""
    if not isinstance(contents, str) or "," not in contents:
        return None
    encoded = contents.split(",", 1)[1]
    # Decoding a far larger file would only be refused afterwards: stop before the memory is spent.
    if len(encoded) > (max_bytes + 3) * 4 // 3 + 4:
        raise _TooLarge()
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _annex_save(ctx: AccessContext, form_state: Any, title: Any, filename: Any, contents: Any) -> EditResult:
    max_bytes = int(current_app.config["UPLOAD_MAX_BYTES"])
    try:
        content = _upload_bytes(contents, max_bytes)
    except _TooLarge:
        return EditResult.refused(f"Filen er for stor. Den må højst fylde {max_bytes // (1024 * 1024)} MB.")
    editing = FormState.from_store(form_state)
    if content is None and editing is None:
        return EditResult.refused("Vælg den fil, der skal uploades.")
    if content is None:
        return EditResult.refused("Vælg den nye fil, der skal erstatte bilaget.")

    def write() -> dict[str, Any]:
        if editing is not None:
            return agreement_edits.replace_annex(ctx.scope, ctx.cvr, ctx.user, editing.id, editing.version,
                                                 filename, content, max_bytes, title=title)
        return agreement_edits.add_annex(ctx.scope, ctx.cvr, ctx.user, title, filename, content, max_bytes)

    result = save_form(write, lambda saved: Status(f"Bilaget »{saved['title']}« er gemt."))
    if result.status is not None:
        # Saved: the file leaves the browser's form, so a second save cannot send it again.
        return EditResult(is_open=False, state=None, alert=None, errors={}, status=result.status,
                          extra={"file_text": None, "upload": None})
    return result


@portal_callback(
    output=ANNEX_FORM,
    inputs={**form_inputs(Ids.ANNEX), "filename": Input(Ids.ANNEX_UPLOAD, "filename")},
    state=dict(cvr=State(Ids.CVR, "data"), choice=State(Ids.ANNEX_CHOICE, "value"),
               form_state=State(Ids.ANNEX.form_state, "data"), saved=State(Ids.ANNEX.saved, "data"),
               contents=State(Ids.ANNEX_UPLOAD, "contents"), value_title=State(Ids.ANNEX.field("title"), "value")),
    menu=Menu.KUNDEAFTALER,
    action=Action.EDIT_CONTENT,
    prevent_initial_call=True,
)
def annex_form(ctx: AccessContext, add: Any, edit: Any, save: Any, cancel: Any, filename: Any, choice: Any,
               form_state: Any, saved: Any, contents: Any, value_title: Any):
    """Upload a new annex (Tilføj bilag) or a new version of the chosen one (Erstat); the old one is kept."""
    trigger = dash_ctx.triggered_id
    if trigger == Ids.ANNEX_UPLOAD:
        name = filename if isinstance(filename, str) else ""
        return EditResult.only(file_text=f"Valgt fil: {name[:200]}" if name else None).outputs(ANNEX_FORM, saved)
    step = form_step(Ids.ANNEX, trigger)
    if step is Step.NEW:
        result = EditResult.opened("Tilføj bilag", {"title": ""}, file_text=None, upload=None)
    elif step is Step.EDIT:
        annex_id = int(choice) if isinstance(choice, str) and ascii_digits(choice) else choice
        annex = agreement_edits.get_annex(ctx.scope, ctx.cvr, annex_id)
        if annex is None:
            result = EditResult.notice(Status("Vælg det bilag, der skal erstattes.", "info"))
        else:
            result = EditResult.opened(f"Erstat bilag – ny version af »{annex['title']}«", {"title": annex["title"]},
                                       FormState(annex["id"], annex["row_version"]), file_text=None, upload=None)
    elif step is Step.SAVE:
        result = _annex_save(ctx, form_state, value_title, filename, contents)
    elif step is Step.CANCEL:
        result = EditResult(is_open=False, state=None, extra={"file_text": None, "upload": None})
    else:
        raise PreventUpdate
    return result.outputs(ANNEX_FORM, saved)


ANNEX_CONFIRM = confirm_outputs(Ids.ANNEX)


@portal_callback(
    output=ANNEX_CONFIRM,
    inputs=dict(ask=Input(Ids.ANNEX_WITHDRAW, "n_clicks"), yes=Input(Ids.ANNEX.confirm_yes, "n_clicks"),
                no=Input(Ids.ANNEX.confirm_no, "n_clicks")),
    state=dict(cvr=State(Ids.CVR, "data"), choice=State(Ids.ANNEX_CHOICE, "value"),
               confirm_state=State(Ids.ANNEX.confirm_state, "data"), changed=State(Ids.ANNEX.changed, "data")),
    menu=Menu.KUNDEAFTALER,
    action=Action.EDIT_CONTENT,
    prevent_initial_call=True,
)
def withdraw_annex(ctx: AccessContext, ask: Any, yes: Any, no: Any, choice: Any, confirm_state: Any, changed: Any):
    """Ask before withdrawing the chosen annex, then withdraw it (no longer listed; row and file kept)."""
    annex_id = int(choice) if isinstance(choice, str) and ascii_digits(choice) else choice

    def load(record_id: int) -> dict[str, Any] | None:
        annex = agreement_edits.get_annex(ctx.scope, ctx.cvr, record_id)
        return {**annex, "version": annex["row_version"]} if annex else None

    def do(state: Any) -> Status:
        result = agreement_edits.withdraw_annex(ctx.scope, ctx.cvr, ctx.user, state.id, state.version)
        return Status(f"Bilaget »{result['title']}« er trukket tilbage.")

    result = run_confirm(
        Ids.ANNEX, dash_ctx.triggered_id, actions={Ids.ANNEX_WITHDRAW: "withdraw"},
        selected=[{"id": annex_id}] if annex_id is not None else None, confirm_state=confirm_state, load=load,
        ask=lambda _action, annex: Question("Træk bilag tilbage",
                                            f"Vil du trække bilaget »{annex['title']}« tilbage? Kunden ser det ikke "
                                            "længere; filen gemmes.", "Træk tilbage"),
        do=do, versioned=True)
    return result.outputs(ANNEX_CONFIRM, changed)


# --- electronic approval ------------------------------------------------------------------------------


@portal_callback(
    output=Output(Ids.REQUEST_DONE, "data"),
    inputs=dict(n_clicks=Input(Ids.REQUEST_APPROVAL, "n_clicks")),
    state=dict(cvr=State(Ids.CVR, "data"), tab=State(Ids.TABS, "value"), previous=State(Ids.REQUEST_DONE, "data")),
    menu=Menu.KUNDEAFTALER,
    action=Action.EDIT_CONTENT,
    prevent_initial_call=True,
)
def request_approval(ctx: AccessContext, n_clicks: Any, tab: Any, previous: Any):
    """Send the newest published version of the chosen agreement for electronic approval (mails both signatories)."""
    if not n_clicks:
        raise PreventUpdate
    item = agreements.agreement(ctx.scope, ctx.cvr, _agreement_key(tab))
    if item is None:
        raise PreventUpdate
    # The same version the tab offers: the one to come when there is one, else the one in force.
    item = agreements.upcoming_agreement(ctx.scope, item) or item
    try:
        result = approvals.request_approval(ctx.scope, ctx.cvr, ctx.user, item["id"], item["row_version"])
    except Refused as exc:
        return Status(exc.message, "warning").to_store(previous)
    return Status(f"Version {result['version']} er sendt til godkendelse. De tegningsberettigede får en mail."
                  ).to_store(previous)


@portal_callback(
    output=dict(done=Output(Ids.APPROVE_DONE, "data"), invalid=Output(Ids.APPROVE_PASSWORD, "invalid"),
                feedback=Output(Ids.APPROVE_FEEDBACK, "children"), password=Output(Ids.APPROVE_PASSWORD, "value"),
                code_invalid=Output(Ids.APPROVE_CODE, "invalid"), code=Output(Ids.APPROVE_CODE, "value")),
    inputs=dict(n_clicks=Input(Ids.APPROVE, "n_clicks")),
    state=dict(cvr=State(Ids.CVR, "data"), shown=State(Ids.APPROVE_SHOWN, "data"),
               password=State(Ids.APPROVE_PASSWORD, "value"), code=State(Ids.APPROVE_CODE, "value"),
               previous=State(Ids.APPROVE_DONE, "data")),
    menu=Menu.KUNDEAFTALER,
    prevent_initial_call=True,
)
def approve_agreement(ctx: AccessContext, n_clicks: Any, shown: Any, password: Any, code: Any, previous: Any):
    """Approve the version shown as its registered signatory, after re-entering password and code (throttled)."""
    # No SA action here: customers approve. Who may approve which version is decided by the data layer
    # from the registered signatories, whatever the payload names.
    if not n_clicks or not isinstance(shown, dict):
        raise PreventUpdate
    attempts = get_login_attempts()
    attempt = attempts.begin_password_check(ctx.user.id)
    if attempt.blocked:
        return {"done": no_update, "invalid": True, "password": "",
                "feedback": f"For mange forkerte forsøg. Vent {wait_text(attempt.retry_after)}, og prøv igen.",
                "code_invalid": False, "code": ""}
    try:
        result = approvals.approve(ctx.scope, ctx.cvr, ctx.user, shown.get("id"), shown.get("sha256"), password,
                                   code=code, client_address=request.remote_addr or "",
                                   user_agent=request.user_agent.string or "")
    except ValidationError as exc:
        attempts.failed(attempt)
        # Password and code are both asked again: neither is left in the form after a refusal.
        wrong_code = "code" in exc.errors
        return {"done": no_update, "invalid": True, "password": "", "code_invalid": wrong_code, "code": "",
                "feedback": exc.errors.get("password") or exc.errors.get("code") or exc.message}
    except AccessDenied:
        attempts.succeeded(attempt)  # the password was never checked
        raise
    except Refused as exc:
        attempts.succeeded(attempt)
        return {"done": Status(exc.message, "warning").to_store(previous), "invalid": False, "feedback": None,
                "password": "", "code_invalid": False, "code": ""}
    attempts.succeeded(attempt)
    text = ("Aftalen er godkendt af begge parter og forseglet." if result["sealed"]
            else "Aftalen er godkendt af begge parter." if result["signed"]
            else "Din godkendelse er registreret. Aftalen afventer den anden parts godkendelse.")
    return {"done": Status(text).to_store(previous), "invalid": False, "feedback": None, "password": "",
            "code_invalid": False, "code": ""}
