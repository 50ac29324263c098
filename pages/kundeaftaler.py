"""Kundeaftaler: the customer agreement, data processing agreement, exemptions, add-ons, 3rd-party tasks, annexes."""

import dash
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from core.rights import Menu
from data import agreements
from pages._tabs import tab_bar, tab_panel
from pages.ids import kundeaftaler as Ids

dash.register_page(__name__, path="/kundeaftaler", title="Kundeaftaler – Kundeportalen", name="Kundeaftaler")

TABS = {
    "kundeaftale": "Kundeaftale",
    "databehandleraftale": "Databehandleraftale",
    "dispensationer": "Dispensationer",
    "tilkoeb": "Tilkøb",
    "tredjepart": "Opgaver hos 3. part",
    "bilag": "Bilag",
}


@guarded_layout(Menu.KUNDEAFTALER)
def layout(ctx: AccessContext, tab: str | None = None, **_query):
    """Return the Kundeaftaler page; tab content is loaded by a guarded callback."""
    # Bilag only applies when the customer agreement was not signed electronically (the guide).
    keys = [k for k in TABS if k != "bilag" or agreements.show_annexes(ctx.scope, ctx.cvr)]
    active = tab if tab in keys else "kundeaftale"
    return html.Div(
        [
            dcc.Store(id=Ids.CVR, data=ctx.cvr),
            dcc.Download(id=Ids.DOWNLOAD),
            html.H1("Kundeaftaler", className="h3"),
            tab_bar(Ids.TABS, [(key, TABS[key]) for key in keys], active, "Kundeaftaler-faneblade"),
            dcc.Loading(tab_panel(Ids.CONTENT, "Indhold af det valgte faneblad", className="pt-3"),
                        target_components={Ids.CONTENT: "children"}),
        ]
    )
