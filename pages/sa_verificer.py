"""Verificér aftale (SA staff and auditors): is an uploaded PDF a sealed agreement of this portal, and unchanged?"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import action_layout
from core.rights import Action
from pages.ids import sa_tegningsberettigede as Ids

dash.register_page(__name__, path=Ids.VERIFY_PATH, title="Verificér aftale – Kundeportalen", name="Verificér aftale")


@action_layout(Action.EDIT_CONTENT)
def layout(**_query):
    """Return the verification page: upload a PDF, read which version it is, who signed and whether it changed."""
    return html.Div([
        html.H1("Verificér aftale", className="h3"),
        html.P("Upload en PDF for at se, om den er en forseglet aftale fra Kundeportalen, hvilken version den er, "
               "hvem der har godkendt den og hvornår, og om den er ændret."),
        dcc.Upload(dbc.Button("Vælg PDF", color="primary"), id=Ids.VERIFY_UPLOAD, multiple=False, accept=".pdf"),
        html.Div(id=Ids.VERIFY_RESULT, className="mt-3", role="status", **{"aria-live": "polite"}),
    ])
