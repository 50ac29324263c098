"""Kundeaftaler callbacks: the chosen tab's content and the XLSX/CSV exports, for the checked CVR."""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable
from urllib.parse import quote, urlencode

import dash_bootstrap_components as dbc
from dash import Input, Output, State, html
from dash.exceptions import PreventUpdate

from auth.guard import AccessContext, portal_callback
from core.rights import Menu
from data import agreements
from data.files import safe_filename
from pages import _grid
from pages._export import export_file_name, send_xlsx
from core.formatting import da_date, da_datetime
from pages.ids import kundeaftaler as Ids

SA_NAME = "Statens Administration"


def _empty(text: str) -> html.P:
    return html.P(text, className="text-muted portal-empty", role="status")


# Formats an ISO date (yyyy-mm-dd) in the grid as dd-mm-åååå while sorting keeps the ISO value.
_DATE_FORMATTER = {"function": "params.value ? params.value.split('-').reverse().join('-') : ''"}


def _date_col(field: str, header: str) -> dict[str, Any]:
    return {"field": field, "headerName": header, "valueFormatter": _DATE_FORMATTER}


def _iso(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _exemption_status(row: dict[str, Any]) -> str:
    if row["expires_on"] is None:
        return "Gældende (ingen udløbsdato)"
    return "⚠ Udløbet" if row["expired"] else "Gældende"


# Per grid tab: the rows (scoped), the grid's columns, the export columns and the empty text.
def _exemption_rows(ctx: AccessContext) -> list[dict[str, Any]]:
    return [{**row, "status": _exemption_status(row)} for row in agreements.exemptions(ctx.scope, ctx.cvr)]


def _addon_rows(ctx: AccessContext) -> list[dict[str, Any]]:
    return agreements.add_ons(ctx.scope, ctx.cvr)


def _task_rows(ctx: AccessContext) -> list[dict[str, Any]]:
    return agreements.third_party_tasks(ctx.scope, ctx.cvr)


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
        "grid_columns": [("service", "Ydelse"), ("description", "Beskrivelse"), _date_col("start_date", "Fra")],
        "export_columns": [("service", "Ydelse"), ("description", "Beskrivelse"), ("start_date", "Fra")],
        "dates": ("start_date",),
        "empty": "Ingen tilkøb registreret.",
        "intro": "De ydelser, der er tilkøbt, og fra hvornår.",
    },
    "tredjepart": {
        "title": "Opgaver hos 3. part",
        "rows": _task_rows,
        "grid_columns": [("area", "Område"), ("agency", "Styrelse"), ("contact", "Kontakt"), ("note", "Bemærkning")],
        "export_columns": [("area", "Område"), ("agency", "Styrelse"), ("contact", "Kontakt"), ("note", "Bemærkning")],
        "dates": (),
        "empty": "Ingen opgaver hos 3. part registreret.",
        "intro": "Den styrelse Statens Administration kontakter om regnskabs- og lønopgaver, når de administreres af "
                 "en 3. part.",
    },
}


def _grid_tab(ctx: AccessContext, key: str) -> Any:
    spec = GRID_TABS[key]
    rows = spec["rows"](ctx)
    if not rows:
        return _empty(spec["empty"])
    grid_rows = [{**row, **{f: _iso(row[f]) for f in spec["dates"]}} for row in rows]
    return html.Div(
        [
            html.P(spec["intro"], className="text-muted"),
            _grid.export_bar(_grid.csv_export_button(Ids.CSV), _grid.xlsx_export_button(Ids.XLSX)),
            _grid.grid(
                Ids.GRID,
                grid_rows,
                spec["grid_columns"],
                row_id="id",
                csv_file_name=export_file_name(spec["title"], ctx.cvr),
                rowClassRules={"portal-row-expired": "params.data.expired === true"} if key == "dispensationer" else {},
            ),
        ]
    )


def _signature(who: str, name: str | None, at: dt.datetime | None) -> html.Div:
    if name and at:
        text = f"Underskrevet af: {name}, Dato: {da_datetime(at)}"
    else:
        text = "Afventer underskrift"
    return html.Div(
        [html.Strong(who), html.Span(" — "), html.Span(text)],
        className="portal-signature border rounded p-2 me-3 mb-2",
    )


def _agreement_tab(ctx: AccessContext, key: str) -> Any:
    item = agreements.agreement(ctx.scope, ctx.cvr, key)
    title = agreements.AGREEMENT_TITLES[key]
    if item is None:
        return _empty(f"Ingen {title.lower()} registreret.")
    href = f"/kundeaftaler/hent/{key}?{urlencode({'cvr': ctx.cvr})}"
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
    paragraphs = [p.strip() for p in item["body"].replace("\r\n", "\n").split("\n\n") if p.strip()]
    return html.Div(
        [
            notice,
            html.Div(
                [
                    _signature(SA_NAME, item["sa_signed_by"], item["sa_signed_at"]),
                    _signature("Kunde", item["customer_signed_by"], item["customer_signed_at"]),
                    html.A("Hent aftale", href=href, className="btn btn-primary mb-2", download="",
                           title=f"Hent {title.lower()} som PDF"),
                ],
                className="d-flex flex-wrap align-items-start portal-signatures",
            ),
            html.Article(
                [html.H2(item["title"], className="h4"), html.P(", ".join(meta), className="text-muted")]
                + [html.P(p, style={"whiteSpace": "pre-line"}) for p in paragraphs],
                className="portal-agreement-text",
            ),
        ]
    )


def _annex_tab(ctx: AccessContext) -> Any:
    rows = agreements.annexes(ctx.scope, ctx.cvr)
    if not rows:
        return _empty("Ingen bilag registreret.")
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
    return html.Div(
        [html.P("Kundeaftalen er ikke underskrevet elektronisk; bilagene er samlet her.", className="text-muted"),
         *sections]
    )


RENDERERS: dict[str, Callable[[AccessContext], Any]] = {
    "kundeaftale": lambda ctx: _agreement_tab(ctx, "kundeaftale"),
    "databehandleraftale": lambda ctx: _agreement_tab(ctx, "databehandleraftale"),
    "dispensationer": lambda ctx: _grid_tab(ctx, "dispensationer"),
    "tilkoeb": lambda ctx: _grid_tab(ctx, "tilkoeb"),
    "tredjepart": lambda ctx: _grid_tab(ctx, "tredjepart"),
    "bilag": _annex_tab,
}


@portal_callback(
    output=Output(Ids.CONTENT, "children"),
    inputs=dict(tab=Input(Ids.TABS, "value")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.KUNDEAFTALER,
)
def render_tab(ctx: AccessContext, tab: Any):
    """Render the chosen Kundeaftaler tab for the checked CVR; raises AccessDenied without the right."""
    renderer = RENDERERS.get(tab) if isinstance(tab, str) else None
    if renderer is None:
        return _empty("Ukendt faneblad. Vælg et af fanebladene ovenfor.")
    return renderer(ctx)


@portal_callback(
    output=Output(Ids.DOWNLOAD, "data"),
    inputs=dict(n_clicks=Input(Ids.XLSX, "n_clicks")),
    state=dict(tab=State(Ids.TABS, "value"), shown=State(Ids.GRID, "virtualRowData"), cvr=State(Ids.CVR, "data")),
    menu=Menu.KUNDEAFTALER,
    prevent_initial_call=True,
)
def export_xlsx(ctx: AccessContext, n_clicks: Any, tab: Any, shown: Any):
    """Send the active grid tab as XLSX, rows re-read; raise AccessDenied (403) without the right."""
    # Raises AccessDenied (403) without the Kundeaftaler right on the CVR.
    if not n_clicks or not isinstance(tab, str) or tab not in GRID_TABS:
        raise PreventUpdate
    spec = GRID_TABS[tab]
    rows = _grid.visible_rows(spec["rows"](ctx), shown, key="id")
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
