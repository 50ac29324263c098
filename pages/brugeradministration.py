"""Brugeradministration: the customer's local administrator maintains the institution's users and rights."""

from __future__ import annotations

from urllib.parse import urlencode

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import html

from auth.guard import AccessContext, guarded_layout
from core.access import can_do
from core.rights import Action, Menu
from data.users import MAX_LENGTHS
from pages._edit import confirm_dialog, edit_stores, field_feedback, form_modal, status_line, text_field
from pages._grid import grid
from pages._history import history_modal
from pages.ids import brugeradministration as Ids
from pages.ids import haendelseslog as haendelseslog_ids
from pages.ids.brugeradministration import KIT

dash.register_page(__name__, path="/brugeradministration", title="Brugeradministration – Kundeportalen",
                   name="Brugeradministration")


def users_grid() -> dag.AgGrid:
    """Return the users grid (rows are loaded by a guarded callback)."""
    return grid(
        KIT.grid,
        [],
        # E-mail addresses get the room they need; the rest share what is left.
        [{"field": field, "headerName": header, **({"flex": 2, "minWidth": 220} if field == "email" else {})}
         for field, header in Ids.GRID_COLUMNS],
        csv_file_name="Brugere",
        phone_columns=["name", ("email", {"minWidth": 140})],
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
    return text_field(KIT, field, label, kind=kind, help_text=help_text, max_length=MAX_LENGTHS[field])


def user_form() -> dbc.Modal:
    """Return the 'Opret bruger' form; the rettighedsgrupper are rendered by the form callback."""
    body = [
        html.P(id=Ids.SHARED_NOTE, className="small text-muted"),
        _text_field("name", "Fulde navn"),
        _text_field("email", "E-mailadresse", "email",
                    "E-mailadressen er brugernavnet og kan ikke ændres bagefter. En ny bruger modtager en "
                    "automatisk genereret e-mail med brugernavn og adgangskode."),
        _text_field("b_number", "B-nummer", help_text="Fx B123456. B-nummeret skal udfyldes, hvis brugeren skal "
                                                      "have rettigheden Rapporter."),
        html.Div(id=Ids.GROUPS),
        field_feedback(KIT, "groups", "mb-2"),
        dbc.Button("+ Tilføj rettighedsgruppe", id=Ids.ADD_GROUP, color="link", className="px-0", n_clicks=0),
    ]
    return form_modal(KIT, body, title="Opret bruger", save_label="Tilføj", cancel_label="Luk")


@guarded_layout(Menu.BRUGERADMINISTRATION)
def layout(ctx: AccessContext, **_query):
    """Return the Brugeradministration page; the grid and every write go through guarded callbacks."""
    return html.Div(
        [
            *edit_stores(KIT, ctx.cvr),
            html.H1("Brugeradministration", className="h3"),
            html.P(
                "Opret nye brugere og vedligehold eksisterende brugeres rettigheder på de CVR-numre, du "
                "administrerer. Rettigheden Administrator tildeles af Statens Administrations systemadministrator."
            ),
            # Hændelseslog opens with the same right; it has no menu item of its own.
            html.P(html.A("Se hændelsesloggen: hvem har ændret hvad for kunden",
                          href=f"{haendelseslog_ids.PATH}?{urlencode({'cvr': ctx.cvr})}")),
            html.Div(
                [
                    dbc.Button("Tilføj", id=KIT.add, color="primary", className="me-2"),
                    dbc.Button("Rediger", id=KIT.edit, color="secondary", className="me-2", disabled=True),
                    dbc.Button("Deaktiver", id=Ids.DEACTIVATE, color="secondary", outline=True, className="me-2",
                               disabled=True),
                    dbc.Button("Genaktiver", id=Ids.REACTIVATE, color="secondary", outline=True, className="me-2",
                               disabled=True),
                    dbc.Button("Fjern adgang til dette CVR-nummer", id=Ids.REMOVE, color="danger", outline=True,
                               className="me-2", disabled=True),
                    dbc.Button("Se historik", id=Ids.HISTORY, color="secondary", outline=True, disabled=True),
                    dbc.Button("Nulstil to-trinsbekræftelse", id=Ids.RESET_SECOND_FACTOR, color="secondary",
                               outline=True, disabled=True,
                               className="ms-1" if can_do(ctx.user, Action.RESET_SECOND_FACTOR) else "d-none"),
                ],
                className="mb-3 d-flex flex-wrap align-items-center gap-1",
                role="toolbar",
                **{"aria-label": "Handlinger for brugere"},
            ),
            status_line(KIT),
            users_grid(),
            user_form(),
            confirm_dialog(KIT),
            history_modal(Ids.HISTORY_MODAL, Ids.HISTORY_TITLE, Ids.HISTORY_BODY, Ids.HISTORY_CLOSE,
                          "Historik for bruger"),
        ]
    )
