"""Brugeradministration: the customer's local administrator maintains the institution's users and rights."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from core.rights import Menu
from data.users import MAX_LENGTHS
from pages._grid import grid
from pages._history import history_modal
from pages.ids import brugeradministration as Ids

dash.register_page(__name__, path="/brugeradministration", title="Brugeradministration – Kundeportalen",
                   name="Brugeradministration")


def users_grid() -> dag.AgGrid:
    """Return the users grid (rows are loaded by a guarded callback)."""
    return grid(
        Ids.GRID,
        [],
        # E-mail addresses get the room they need; the rest share what is left.
        [{"field": field, "headerName": header, **({"flex": 2, "minWidth": 220} if field == "email" else {})}
         for field, header in Ids.GRID_COLUMNS],
        csv_file_name="Brugere",
        # AG Grid wants string row ids (its function strings cannot call String()), so rows carry one;
        # the callbacks read the numeric `id` of the selected row.
        row_id="row_id",
        dashGridOptions={
            "rowSelection": {"mode": "singleRow", "checkboxes": True, "enableClickSelection": True},
        },
        no_rows="Ingen brugere på dette CVR-nummer endnu. Klik på »Tilføj« for at oprette en.",
        className="ag-theme-alpine",
    )


def _text_field(field: str, label: str, kind: str = "text", help_text: str | None = None) -> html.Div:
    input_id = Ids.FIELDS[field]
    parts = [
        dbc.Label(label, html_for=input_id),
        dbc.Input(id=input_id, type=kind, maxLength=MAX_LENGTHS[field], autoComplete="off"),
        dbc.FormFeedback(id=Ids.feedback(field), type="invalid"),
    ]
    if help_text:
        parts.append(dbc.FormText(help_text))
    return html.Div(parts, className="mb-3")


def user_form() -> dbc.Modal:
    """Return the 'Opret bruger' form; the rettighedsgrupper are rendered by the form callback."""
    body = [
        dbc.Alert(id=Ids.FORM_ALERT, color="danger", is_open=False, fade=False, className="mb-3"),
        html.P(id=Ids.SHARED_NOTE, className="small text-muted"),
        _text_field("name", "Fulde navn"),
        _text_field("email", "E-mailadresse", "email",
                    "E-mailadressen er brugernavnet og kan ikke ændres bagefter. En ny bruger modtager en "
                    "automatisk genereret e-mail med brugernavn og adgangskode."),
        _text_field("b_number", "B-nummer", help_text="Fx B123456. B-nummeret skal udfyldes, hvis brugeren skal "
                                                      "have rettigheden Rapporter."),
        html.Div(id=Ids.GROUPS),
        html.Div(id=Ids.GROUPS_FEEDBACK, className="text-danger small mb-2", role="alert"),
        dbc.Button("+ Tilføj rettighedsgruppe", id=Ids.ADD_GROUP, color="link", className="px-0", n_clicks=0),
    ]
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Opret bruger", id=Ids.FORM_TITLE, tag="h2", className="h5"), close_button=False),
            dbc.ModalBody(body),
            dbc.ModalFooter(
                [
                    dbc.Button("Luk", id=Ids.CLOSE, color="secondary", outline=True),
                    dbc.Button("Tilføj", id=Ids.SUBMIT, color="primary"),
                ]
            ),
        ],
        id=Ids.FORM_MODAL,
        labelledby=Ids.FORM_TITLE,
        is_open=False,
        size="lg",
        backdrop="static",
        scrollable=True,
    )


def confirm_modal() -> dbc.Modal:
    """Return the confirmation asked before deactivating, reactivating or removing access."""
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle("Bekræft", id=Ids.CONFIRM_TITLE, tag="h2", className="h5"), close_button=False),
            dbc.ModalBody([dbc.Alert(id=Ids.CONFIRM_ALERT, color="danger", is_open=False, fade=False), html.P(id=Ids.CONFIRM_TEXT)]),
            dbc.ModalFooter(
                [
                    dbc.Button("Annuller", id=Ids.CONFIRM_NO, color="secondary", outline=True),
                    dbc.Button("Bekræft", id=Ids.CONFIRM_YES, color="danger"),
                ]
            ),
        ],
        id=Ids.CONFIRM_MODAL,
        labelledby=Ids.CONFIRM_TITLE,
        is_open=False,
    )


@guarded_layout(Menu.BRUGERADMINISTRATION)
def layout(ctx: AccessContext, **_query):
    """Return the Brugeradministration page; the grid and every write go through guarded callbacks."""
    return html.Div(
        [
            dcc.Store(id=Ids.CVR, data=ctx.cvr),
            dcc.Store(id=Ids.SAVED),
            dcc.Store(id=Ids.CHANGED),
            dcc.Store(id=Ids.FORM_STATE),
            dcc.Store(id=Ids.CONFIRM_STATE),
            html.H1("Brugeradministration", className="h3"),
            html.P(
                "Opret nye brugere og vedligehold eksisterende brugeres rettigheder på de CVR-numre, du "
                "administrerer. Rettigheden Administrator tildeles af Statens Administrations systemadministrator."
            ),
            html.Div(
                [
                    dbc.Button("Tilføj", id=Ids.ADD, color="primary", className="me-2"),
                    dbc.Button("Rediger", id=Ids.EDIT, color="secondary", className="me-2", disabled=True),
                    dbc.Button("Deaktiver", id=Ids.DEACTIVATE, color="secondary", outline=True, className="me-2",
                               disabled=True),
                    dbc.Button("Genaktiver", id=Ids.REACTIVATE, color="secondary", outline=True, className="me-2",
                               disabled=True),
                    dbc.Button("Fjern adgang til dette CVR-nummer", id=Ids.REMOVE, color="danger", outline=True,
                               className="me-2", disabled=True),
                    dbc.Button("Se historik", id=Ids.HISTORY, color="secondary", outline=True, disabled=True),
                ],
                className="mb-3 d-flex flex-wrap align-items-center gap-1",
                role="toolbar",
                **{"aria-label": "Handlinger for brugere"},
            ),
            html.Div(id=Ids.STATUS, role="status", **{"aria-live": "polite"}),
            users_grid(),
            user_form(),
            confirm_modal(),
            history_modal(Ids.HISTORY_MODAL, Ids.HISTORY_TITLE, Ids.HISTORY_BODY, Ids.HISTORY_CLOSE,
                          "Historik for bruger"),
        ]
    )
