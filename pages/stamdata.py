"""Stamdata: Generelt / Regnskab / Løn for the customer in context."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from auth.rights import Menu
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
            dbc.Tabs(
                [dbc.Tab(label=label, tab_id=key) for key, label in TABS.items()],
                id=Ids.TABS,
                active_tab=active,
            ),
            dcc.Loading(html.Div(id=Ids.CONTENT, className="pt-3", role="tabpanel")),
        ]
    )
