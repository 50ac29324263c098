"""Kontaktpersoner: the customer's own contact persons, their roles and Stamdata tabs."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from core.rights import Menu
from data.contacts import MAX_LENGTHS
from data.roles_catalogue import TAB_LABELS
from pages._edit import confirm_dialog, edit_stores, field_feedback, form_modal, status_line, text_field
from pages._grid import grid, xlsx_export_button
from pages._history import history_modal
from pages.ids import kontaktpersoner as Ids
from pages.ids.kontaktpersoner import KIT

dash.register_page(__name__, path="/kontaktpersoner", title="Kontaktpersoner – Kundeportalen", name="Kontaktpersoner")

# Addresses and role lists get the room they need; the rest share what is left.
_WIDTHS = {"title": {"minWidth": 125}, "name": {"minWidth": 120}, "email": {"minWidth": 165},
           "shared_email": {"minWidth": 155}, "roles": {"flex": 2, "minWidth": 180}, "notes": {"minWidth": 140},
           "updated": {"minWidth": 140}}
COLUMNS = [{"field": field, "headerName": header, **_WIDTHS.get(field, {})} for field, header in Ids.GRID_COLUMNS]


def contacts_grid() -> dag.AgGrid:
    """Return the contacts grid (rows are loaded by a guarded callback)."""
    return grid(
        KIT.grid,
        [],
        COLUMNS,
        csv_file_name="Kontaktpersoner",
        phone_columns=["name", ("email", {"minWidth": 140})],
        # String row ids (row_id), as AG Grid wants; the callbacks read the numeric `id` of the selected row.
        getRowId="params.data.row_id",
        dashGridOptions={
            "rowSelection": {"mode": "singleRow", "checkboxes": True, "enableClickSelection": True},
        },
        no_rows="Ingen kontaktpersoner endnu. Klik på »Tilføj« for at oprette en.",
        className="ag-theme-alpine",
    )


def _text_field(field: str, label: str, kind: str = "text", help_text: str | None = None) -> html.Div:
    return text_field(KIT, field, label, kind=kind, help_text=help_text, max_length=MAX_LENGTHS[field],
                      multiline=field == "notes")


def contact_form() -> dbc.Modal:
    """Return the contact form modal; values and role options are filled by the form callback."""
    body = [
        _text_field("title", "Titel"),
        _text_field("name", "Navn"),
        _text_field("email", "E-mail", "email"),
        _text_field("shared_email", "Fællesmail", "email", "Fx en fælles postkasse for teamet."),
        _text_field("phone", "Telefon", "tel", "8 cifre, evt. med +45 foran."),
        _text_field("notes", "Bemærkninger"),
        html.Fieldset(
            [
                html.Legend("Roller for kontaktperson", className="h6"),
                html.P(
                    [html.A("Læs om rollerne i Kundeportalen", href="/roller", target="_blank", rel="noopener")],
                    className="small",
                ),
                dbc.Checklist(id=Ids.ROLES, options=[], value=[], className="kontakt-roles"),
                field_feedback(KIT, "roles"),
                html.H3("Roller der tildeles af Statens Administration", className="h6 mt-3"),
                dbc.Checklist(id=Ids.SA_ROLES, options=[], value=[], className="kontakt-roles kontakt-sa-roles"),
                html.Div(id=Ids.PERSONAL_DATA_WARNING, **{"aria-live": "polite"}),
            ],
            className="mb-3",
        ),
        html.Fieldset(
            [
                html.Legend("Visning af kontaktperson", className="h6"),
                dbc.Checklist(
                    id=Ids.TABS,
                    options=[{"label": label, "value": key} for key, label in TAB_LABELS.items()],
                    value=[],
                    inline=True,
                ),
                field_feedback(KIT, "tabs"),
                html.Div(id=Ids.FORCED_TABS, className="form-text"),
            ]
        ),
    ]
    return form_modal(KIT, body, title="Kontaktperson", save_label="Gem", cancel_label="Annuller")


@guarded_layout(Menu.KONTAKTPERSONER)
def layout(ctx: AccessContext, **_query):
    """Return the Kontaktpersoner page; the grid and every write go through guarded callbacks."""
    return html.Div(
        [
            *edit_stores(KIT, ctx.cvr),
            html.H1("Kontaktpersoner", className="h3"),
            html.P(
                "Statens Administration benytter listen til at sikre udsendelse af information til relevante "
                "kontaktpersoner. Hold den opdateret, så de korrekte kontaktoplysninger er tilgængelige."
            ),
            html.Div(
                [
                    dbc.Button("Tilføj", id=KIT.add, color="primary", className="me-2"),
                    dbc.Button("Rediger", id=KIT.edit, color="secondary", className="me-2", disabled=True),
                    dbc.Button("Slet", id=Ids.DELETE, color="danger", outline=True, className="me-2", disabled=True),
                    dbc.Button("Se historik", id=Ids.HISTORY, color="secondary", outline=True, disabled=True,
                               className="me-auto"),
                    xlsx_export_button(Ids.EXPORT_CSV, "Eksportér CSV"),
                    xlsx_export_button(Ids.EXPORT_XLSX),
                    dcc.Download(id=Ids.DOWNLOAD),
                ],
                className="mb-3 kontakt-toolbar d-flex flex-wrap align-items-center",
                role="toolbar",
                **{"aria-label": "Handlinger for kontaktpersoner"},
            ),
            status_line(KIT),
            contacts_grid(),
            contact_form(),
            confirm_dialog(KIT, title="Slet kontaktperson", yes_label="Slet"),
            history_modal(Ids.HISTORY_MODAL, Ids.HISTORY_TITLE, Ids.HISTORY_BODY, Ids.HISTORY_CLOSE,
                          "Historik for kontaktperson"),
        ]
    )
