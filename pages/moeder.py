"""Møder: the customer's meetings with their agenda, material and minutes."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from core.rights import Menu
from data.meetings import parse_year
from pages.ids import moeder as Ids

dash.register_page(__name__, path="/moeder", title="Møder – Kundeportalen", name="Møder")


@guarded_layout(Menu.MOEDER)
def layout(ctx: AccessContext, aar: str | None = None, **_query):
    """Return the Møder page; the meetings are loaded by a guarded callback."""
    year = parse_year(aar)
    return html.Div(
        [
            dcc.Store(id=Ids.CVR, data=ctx.cvr),
            html.H1("Møder", className="h3"),
            html.P("Dagsordener, mødematerialer og referater fra møder med Statens Administration."),
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
