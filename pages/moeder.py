"""Møder: the customer's meetings with their agenda, material and minutes; SA's "Rediger" mode on the same page."""

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from core.access import can_do
from core.rights import Action, Menu
from data.meetings import DOCUMENT_KINDS, MAX_LENGTHS, parse_year
from pages._edit import confirm_dialog, edit_stores, form_modal, status_line, text_field
from pages._grid import grid
from pages._history import history_modal
from pages.ids import moeder as Ids
from pages.ids.moeder import KIT

dash.register_page(__name__, path="/moeder", title="Møder – Kundeportalen", name="Møder")

_SINGLE_ROW = {"rowSelection": {"mode": "singleRow", "checkboxes": True, "enableClickSelection": True}}


def meetings_grid() -> dag.AgGrid:
    """Return SA's grid of every meeting, drafts included (rows are loaded by a guarded callback)."""
    return grid(
        KIT.grid, [], Ids.GRID_COLUMNS,
        getRowId="params.data.row_id",
        phone_columns=["held", "title", "status"],
        dashGridOptions=_SINGLE_ROW,
        no_rows="Ingen møder endnu. Klik på »Nyt møde« for at oprette et.",
        className="ag-theme-alpine",
    )


def documents_grid() -> dag.AgGrid:
    """Return SA's grid of the selected meeting's documents, unpublished and withdrawn ones included."""
    return grid(
        Ids.DOCUMENT_GRID, [], Ids.DOCUMENT_COLUMNS,
        getRowId="params.data.row_id",
        phone_columns=["title", "status"],
        dashGridOptions=_SINGLE_ROW,
        no_rows="Mødet har ingen dokumenter endnu.",
        className="ag-theme-alpine",
    )


def meeting_form() -> dbc.Modal:
    """Return the meeting form modal: date and time (Danish time), type and title."""
    body = [
        dbc.Row(
            [
                dbc.Col(text_field(KIT, "held_date", "Dato", kind="date", max_length=MAX_LENGTHS["held_date"])),
                dbc.Col(text_field(KIT, "held_time", "Tidspunkt", kind="time", max_length=MAX_LENGTHS["held_time"],
                                   help_text="Dansk tid, fx 09:30.")),
            ]
        ),
        text_field(KIT, "kind", "Mødetype", max_length=MAX_LENGTHS["kind"], help_text="Fx Driftsmøde eller Kundemøde."),
        text_field(KIT, "title", "Titel", max_length=MAX_LENGTHS["title"]),
    ]
    return form_modal(KIT, body, title="Møde", save_label="Gem", cancel_label="Annuller")


def _upload() -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    dbc.Label("Dokumenttype", html_for=Ids.UPLOAD_KIND, className="me-2 mb-0"),
                    dbc.Select(id=Ids.UPLOAD_KIND, value="dagsorden", className="w-auto me-3",
                               options=[{"label": label, "value": kind} for kind, label in DOCUMENT_KINDS.items()]),
                    # dcc.Upload's file input has no id or aria props: a wrapping label is its accessible name.
                    # Only the label opens the file dialog (disable_click), so a click never opens two.
                    html.Label(
                        dcc.Upload(
                            id=Ids.UPLOAD,
                            multiple=True,
                            disabled=True,
                            disable_click=True,
                            children=html.Div(["Træk filer hertil, eller ",
                                               html.Span("vælg filer", className="link-primary")]),
                            className="moeder-upload border border-2 rounded px-3 py-2 text-center",
                        ),
                        className="moeder-upload-label flex-grow-1 mb-0",
                    ),
                ],
                className="d-flex align-items-center flex-wrap gap-2 mb-2",
            ),
            html.P("Nye dokumenter ser kun Statens Administration, indtil de offentliggøres. Tilladte typer: PDF, "
                   "Word, Excel, PowerPoint, OpenDocument, billeder, tekst og CSV.", className="form-text"),
            dbc.Alert(id=Ids.UPLOAD_ALERT, color="danger", is_open=False, fade=False, className="mb-2"),
        ]
    )


def edit_panel() -> html.Section:
    """Return SA's editing of the customer's meetings: the meetings, the selected one's documents, the uploads."""
    return html.Section(
        [
            dcc.Store(id=Ids.UPLOADED),
            dcc.Store(id=Ids.MEETING_STATE),
            html.H2("Rediger møder", className="h5"),
            html.P("Kladder og dokumenter, der ikke er offentliggjort, ser kun Statens Administration. Listen under "
                   "»Afholdte møder« viser siden, som kunden ser den.", className="small text-muted"),
            html.Div(
                [
                    dbc.Button("Nyt møde", id=KIT.add, color="primary", className="me-2"),
                    dbc.Button("Rediger", id=KIT.edit, color="secondary", className="me-2", disabled=True),
                    dbc.Button("Offentliggør", id=Ids.PUBLISH, color="success", className="me-2", disabled=True),
                    dbc.Button("Se historik", id=Ids.HISTORY, color="secondary", outline=True, disabled=True),
                ],
                className="mb-3 d-flex flex-wrap align-items-center",
                role="toolbar",
                **{"aria-label": "Handlinger for møder"},
            ),
            status_line(KIT),
            meetings_grid(),
            html.H3("Vælg et møde for at se og tilføje dokumenter.", id=Ids.SELECTED, className="h6 mt-3"),
            _upload(),
            documents_grid(),
            html.Div(
                dbc.Button("Træk dokument tilbage", id=Ids.WITHDRAW, color="danger", outline=True, disabled=True),
                className="mt-2",
            ),
            meeting_form(),
            confirm_dialog(KIT, title="Bekræft", yes_label="Bekræft"),
            history_modal(Ids.HISTORY_MODAL, Ids.HISTORY_TITLE, Ids.HISTORY_BODY, Ids.HISTORY_CLOSE, "Historik for møde"),
        ],
        id=Ids.EDIT_PANEL,
        hidden=True,
        className="moeder-edit border rounded p-3 mb-4",
        **{"aria-label": "Rediger møder"},
    )


@guarded_layout(Menu.MOEDER)
def layout(ctx: AccessContext, aar: str | None = None, **_query):
    """Return the Møder page; the meetings are loaded by a guarded callback, SA staff also get "Rediger"."""
    year = parse_year(aar)
    # The editing controls are only offered to SA staff; the callbacks' own SA check is the lock.
    editor = can_do(ctx.user, Action.EDIT_CONTENT)
    stores = edit_stores(KIT, ctx.cvr) if editor else [dcc.Store(id=KIT.cvr, data=ctx.cvr)]
    return html.Div(
        [
            *stores,
            html.Div(
                [
                    html.H1("Møder", className="h3 me-auto"),
                    *([dbc.Switch(id=Ids.EDIT_MODE, label="Rediger", value=False, className="mb-0")] if editor else []),
                ],
                className="d-flex align-items-center",
            ),
            html.P("Dagsordener, mødematerialer og referater fra møder med Statens Administration."),
            *([edit_panel()] if editor else []),
            html.Div(
                [
                    html.Label("Vis år", htmlFor=Ids.YEAR, className="form-label me-2 mb-0"),
                    dbc.Select(
                        id=Ids.YEAR,
                        options=[{"label": "Alle år", "value": ""}] + ([{"label": str(year), "value": str(year)}] if year else []),
                        value=str(year) if year else "",
                        # dbc.Select puts a placeholder option with value "" first; it must read "Alle år" too.
                        placeholder="Alle år",
                        className="moeder-year w-auto",
                    ),
                ],
                className="d-flex align-items-center mb-3",
            ),
            dcc.Loading(html.Div(id=Ids.CONTENT, **{"aria-live": "polite"}), target_components={Ids.CONTENT: "children"}),
        ]
    )
