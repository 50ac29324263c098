"""Kontakt dit team: the SA team that serves the customer in context, and the portal's support address.

Open to every signed-in user. The team of a customer is shown to the users who hold any right on
that customer (a Rapporter user's team is theirs too) and to SA staff; otherwise the page shows the
support address alone. SA staff also maintain the team here, below the cards the customer reads.
"""

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html
from flask_login import current_user

from auth.guard import signed_in_layout
from core.access import AccessScope, can_do, customer_scope, default_cvr, valid_cvr_format
from core.rights import Action
from data import team
from pages._edit import confirm_dialog, edit_stores, form_modal, status_line, text_field
from pages._grid import grid
from pages._team import team_children
from pages.ids import kontakt as Ids
from pages.ids.kontakt import KIT
from pages._email import mail_link

dash.register_page(__name__, path="/kontakt", title="Kontakt dit team – Kundeportalen", name="Kontakt dit team")

TEAM_COLUMNS = [("name", "Navn"), ("role", "Rolle"), {"field": "email", "headerName": "E-mail", "minWidth": 180},
                ("phone", "Telefon")]


def _support() -> html.Section:
    return html.Section(
        [
            html.H2("Support til Kundeportalen", className="h5"),
            html.P(
                [
                    "Har du spørgsmål til Kundeportalen, så skriv til ",
                    mail_link(team.support_email()),
                    ".",
                ]
            ),
        ],
        id=Ids.SUPPORT,
        className="mt-4",
    )


def _team(cvr: str, scope: AccessScope, viewer: Any) -> html.Section:
    # The scope is the customers the user holds any right on, so the query itself refuses the rest.
    return html.Section(team_children(cvr, scope, viewer), id=Ids.TEAM)


def team_form() -> dbc.Modal:
    """Return SA's form of one team member; values are filled by its callback."""
    lengths = team.MAX_LENGTHS
    body = [
        text_field(KIT, "name", "Navn", max_length=lengths["name"]),
        text_field(KIT, "role", "Rolle", max_length=lengths["role"], help_text="Fx Kundeansvarlig eller Lønkonsulent."),
        text_field(KIT, "email", "E-mail", kind="email", max_length=lengths["email"]),
        text_field(KIT, "phone", "Telefon", kind="tel", max_length=lengths["phone"],
                   help_text="8 cifre, evt. med +45 foran."),
    ]
    return form_modal(KIT, body, title="Teammedlem")


def _team_editing(cvr: str) -> html.Section:
    """Return SA's maintenance of the team: toolbar, status line, grid, form and removal dialog."""
    return html.Section(
        [
            *edit_stores(KIT, cvr),
            html.H2("Rediger team", className="h5"),
            html.P("Kun medarbejdere i Statens Administration ser denne del af siden. Kunden ser kortene ovenfor.",
                   className="small text-muted"),
            html.Div(
                [
                    dbc.Button("Tilføj", id=KIT.add, color="primary", className="me-2"),
                    dbc.Button("Rediger", id=KIT.edit, color="secondary", className="me-2", disabled=True),
                    dbc.Button("Fjern", id=Ids.DELETE, color="danger", outline=True, disabled=True),
                ],
                className="mb-3", role="toolbar", **{"aria-label": "Handlinger for teamet"},
            ),
            status_line(KIT),
            grid(KIT.grid, [], TEAM_COLUMNS, csv_file_name="Team", getRowId="params.data.row_id",
                 phone_columns=["name", ("email", {"minWidth": 140})],
                 dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": True,
                                                   "enableClickSelection": True}},
                 no_rows="Intet team endnu. Klik på »Tilføj« for at tilføje et teammedlem.",
                 className="ag-theme-alpine"),
            team_form(),
            confirm_dialog(KIT, title="Fjern teammedlem", yes_label="Fjern"),
        ],
        className="mt-4 portal-team-editing",
    )


@signed_in_layout
def layout(cvr: Any = None, **_query: Any):
    """Return the team of the customer in context (only with a right on it) and the support address."""
    user = current_user
    if user is None or not user.is_authenticated:
        return html.Div([html.H1("Kontakt dit team", className="h3"), _support()])
    if cvr in (None, ""):
        cvr = default_cvr(user)
    children: list[Any] = [html.H1("Kontakt dit team", className="h3")]
    scope = customer_scope(user)
    if isinstance(cvr, str) and scope.allows(cvr):
        children.append(_team(cvr, scope, user))
        # »Rediger« mode: SA staff see the cards as the customer does and maintain the team below them.
        if can_do(user, Action.EDIT_CONTENT) and valid_cvr_format(cvr):
            children.append(_team_editing(cvr))
    else:
        children.append(
            html.P(
                "Vælg en kunde i søgefeltet i sidehovedet for at se det team i Statens Administration, "
                "der betjener kunden.",
                className="text-muted",
            )
        )
    children.append(_support())
    return html.Div(children)
