"""Stamdata: Generelt / Regnskab / Løn for the customer in context."""

import dash
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from auth.rights import Menu
from pages._tabs import tab_bar, tab_panel
from pages.ids import stamdata as Ids

dash.register_page(__name__, path="/stamdata", title="Stamdata – Kundeportalen", name="Stamdata")

TABS = {"generelt": "Generelt", "regnskab": "Regnskab", "loen": "Løn"}


@guarded_layout(Menu.STAMDATA)
def layout(ctx: AccessContext, tab: str | None = None, **_query):
    """Return the Stamdata page; tab content is loaded by a guarded callback."""
    active = tab if tab in TABS else "generelt"
    return html.Div(
        [
            dcc.Store(id=Ids.CVR, data=ctx.cvr),
            html.H1("Stamdata", className="h3"),
            tab_bar(Ids.TABS, list(TABS.items()), active, "Stamdata-faneblade"),
            dcc.Loading(tab_panel(Ids.CONTENT, "Indhold af det valgte faneblad", className="pt-3"),
                        target_components={Ids.CONTENT: "children"}),
        ]
    )
