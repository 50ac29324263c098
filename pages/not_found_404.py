"""Side ikke fundet."""

import dash
from dash import html

dash.register_page(__name__, path="/404", title="Siden findes ikke")


def layout(**_query):
    """Return the Danish 'page not found' message."""
    return html.Div(
        [html.H1("Siden findes ikke", className="h3"), html.P(["Adressen findes ikke i Kundeportalen. ", html.A("Gå til forsiden", href="/")])],
        className="alert alert-secondary",
        role="alert",
    )
