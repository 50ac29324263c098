"""Forside: welcome and a pointer to the search box."""

import dash
from dash import html
from flask_login import current_user

from auth.guard import signed_in_layout
from core.access import default_cvr
from data.team import support_email
from pages._nav import open_menu_items

dash.register_page(__name__, path="/", title="Kundeportalen", name="Forside")


@signed_in_layout
def layout(**_query):
    """Return the welcome page; a user with one customer gets links straight to its pages."""
    cvr = default_cvr(current_user)
    links = [html.Li(html.A(item.label, href=f"{item.path}?cvr={cvr}")) for item in open_menu_items(current_user, cvr)] if cvr else []
    return html.Div(
        [
            html.H1("Velkommen til Statens Administrations kundeportal", className="h3"),
            html.P(
                "For at finde relevante dokumenter og informationer skal du starte med at anvende "
                "søgefunktionen øverst til højre. Her kan du søge på bogføringskreds, løngruppe, "
                "kundenavn eller CVR-nummer."
            ),
            html.P(
                "Har du spørgsmål vedrørende anvendelsen af kundeportalen, eller oplever du tekniske "
                f"fejlmeldinger, er du velkommen til at skrive til {support_email()}."
            ),
            html.Ul(links, className="home-links") if links else None,
        ]
    )
