"""Tegningsberettigede (SA's system administrator): the customers' and SA's own signatories per agreement kind."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import action_layout
from core.rights import Action
from pages.ids import sa_tegningsberettigede as Ids

dash.register_page(__name__, path=Ids.PATH, title="Tegningsberettigede – Kundeportalen", name="Tegningsberettigede")

LABELS = {"cvr": ("CVR-nummer", "Kundens CVR-nummer (8 cifre). Bruges ikke for Statens Administrations egen."),
          "name": ("Navn", None), "email": ("E-mail", "Findes en bruger med adressen, knyttes den til. Ellers "
                                                     "oprettes brugeren og får en mail med et link til at vælge "
                                                     "adgangskode."),
          "b_number": ("B-nummer", None)}


def _field(name: str) -> html.Div:
    label, help_text = LABELS[name]
    return html.Div([
        dbc.Label(label, html_for=Ids.field(name)),
        dbc.Input(id=Ids.field(name), type="email" if name == "email" else "text",
                  maxLength={"cvr": 8, "b_number": 20}.get(name, 254)),
        dbc.FormFeedback(id=Ids.feedback(name), type="invalid"),
        html.Div(help_text, className="form-text") if help_text else None,
    ], className="mb-3")


@action_layout(Action.REGISTER_SIGNATORIES)
def layout(**_query):
    """Return the signatory register: the form (filled with the registered one when there is one) and the list."""
    return html.Div([
        html.H1("Tegningsberettigede", className="h3"),
        html.P("Registrér pr. CVR-nummer og aftale kundens tegningsberettigede, og Statens Administrations egen "
               "tegningsberettigede pr. aftale. Kun de registrerede kan godkende aftalen elektronisk."),
        dcc.Store(id=Ids.FORM_STATE), dcc.Store(id=Ids.SAVED),
        html.Div(id=Ids.STATUS, role="status", **{"aria-live": "polite"}),
        dbc.Row([
            dbc.Col(html.Div([dbc.Label("Part", html_for=Ids.PARTY),
                              dbc.Select(id=Ids.PARTY, value="customer",
                                         options=[{"label": "Kunden", "value": "customer"},
                                                  {"label": "Statens Administration", "value": "sa"}])],
                             className="mb-3"), md=4),
            dbc.Col(html.Div([dbc.Label("Aftale", html_for=Ids.KIND),
                              dbc.Select(id=Ids.KIND, value="kundeaftale",
                                         options=[{"label": "Kundeaftale", "value": "kundeaftale"},
                                                  {"label": "Databehandleraftale", "value": "databehandleraftale"}])],
                             className="mb-3"), md=4),
        ]),
        html.Div([_field(name) for name in Ids.FIELDS], style={"maxWidth": "32rem"}),
        dbc.Button("Gem", id=Ids.SAVE, color="primary", className="mb-4"),
        html.H2("Registrerede", className="h5"),
        html.Div(id=Ids.LIST),
    ])
