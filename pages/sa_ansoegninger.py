"""Ansøgninger (SA's system administrator): customers' requests for their administrator, approved or rejected here."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import html

from auth.guard import action_layout
from core.rights import Action
from data.onboarding import MAX_LENGTHS
from pages._edit import confirm_dialog, edit_stores, form_modal, status_line, text_field
from pages._grid import grid
from pages.ids import sa_ansoegninger as Ids
from pages.ids.sa_ansoegninger import KIT

dash.register_page(__name__, path=Ids.PATH, title="Ansøgninger – Kundeportalen", name="Ansøgninger")

_WIDTHS = {"created": {"maxWidth": 150}, "state": {"minWidth": 190}, "institution": {"minWidth": 160},
           "cvr": {"maxWidth": 120}, "applicant": {"flex": 2, "minWidth": 200}, "administrators": {"minWidth": 180}}
COLUMNS = [{"field": field, "headerName": header, **_WIDTHS.get(field, {})} for field, header in Ids.GRID_COLUMNS]


def applications_grid() -> dag.AgGrid:
    """Return the applications grid (rows are loaded by a guarded callback)."""
    return grid(
        KIT.grid, [], COLUMNS, csv_file_name="Ansoegninger",
        getRowId="params.data.row_id",
        dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": True, "enableClickSelection": True}},
        no_rows="Der er ingen ansøgninger om administratoradgang.",
        className="ag-theme-alpine",
    )


def rejection_form() -> dbc.Modal:
    """Return the rejection form: the reason is mailed to the applicant."""
    body = [
        html.P("Begrundelsen sendes til ansøgeren på e-mail.", className="small"),
        text_field(KIT, "reason", "Begrundelse", max_length=MAX_LENGTHS["reason"], multiline=True, rows=4),
    ]
    return form_modal(KIT, body, title="Afvis ansøgning", save_label="Afvis")


@action_layout(Action.APPROVE_ADMINISTRATORS)
def layout(**_query):
    """Return the Ansøgninger page (SA's system administrator only); every decision goes through guarded callbacks."""
    return html.Div(
        [
            *edit_stores(KIT, None),
            html.H1("Ansøgninger om administratoradgang", className="h3"),
            html.P("Kunder ansøger om deres administratoradgang på siden »Ansøg om administratoradgang«. En "
                   "ansøgning vises her, når ansøgeren har bekræftet sin e-mailadresse. Godkend den, så får "
                   "ansøgeren et link til onlineformularen (gyldigt i 14 dage), og opret derefter administratoren "
                   "ud fra formularen. Er linket udløbet eller væk, sender »Godkend« et nyt. Der gives én "
                   "administratoradgang pr. kunde."),
            html.Div(
                [
                    dbc.Button("Godkend", id=Ids.APPROVE, color="primary", className="me-2", disabled=True),
                    dbc.Button("Afvis", id=KIT.edit, color="danger", outline=True, className="me-2", disabled=True),
                    dbc.Button("Opret administrator", id=Ids.CREATE, color="primary", className="me-2",
                               disabled=True),
                    dbc.Button("Erstat administrator", id=Ids.REPLACE, color="warning", className="me-2",
                               disabled=True),
                ],
                className="mb-3 d-flex flex-wrap align-items-center",
                role="toolbar",
                **{"aria-label": "Handlinger for ansøgninger"},
            ),
            status_line(KIT),
            applications_grid(),
            html.Div(id=Ids.DETAILS, className="mt-3", **{"aria-live": "polite"}),
            rejection_form(),
            confirm_dialog(KIT, title="Ansøgning", yes_label="Bekræft"),
        ]
    )
