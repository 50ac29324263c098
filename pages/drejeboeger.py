"""Drejebøger: how SA performs the tasks of each accounting unit and payroll group (read only)."""

from typing import Any

import dash
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from core.rights import Menu
from data import units as unit_data
from data.runbooks import AREAS
from pages._tabs import tab_bar, tab_panel
from pages.ids import drejeboeger as Ids

dash.register_page(__name__, path="/drejeboeger", title="Drejebøger – Kundeportalen", name="Drejebøger")

TAB_LABELS = {"regnskab": "Regnskab", "loen": "Løn", "refusion": "Refusion"}

# Query values are only echoed into stores for the guarded callbacks to validate; bound them first.
MAX_QUERY = 60


def _bounded(value: Any) -> str | None:
    return value[:MAX_QUERY] if isinstance(value, str) else None


@guarded_layout(Menu.DREJEBOEGER)
def layout(ctx: AccessContext, fane: str | None = None, enhed: str | None = None, afsnit: str | None = None,
           **query: Any):
    """Return the Drejebøger page, or with ?print=1 only the chosen runbook for printing."""
    if fane not in AREAS and enhed:
        # A unit chosen in the search box comes without a tab: open the tab its kind belongs to.
        fane = unit_data.unit_kind(ctx.scope, ctx.cvr, enhed) or fane
    selection = {"fane": _bounded(fane), "enhed": _bounded(enhed), "afsnit": _bounded(afsnit)}
    if query.get("print") == "1":
        return html.Div(
            [
                dcc.Store(id=Ids.CVR, data=ctx.cvr),
                dcc.Store(id=Ids.PRINT_SELECTION, data=selection),
                html.Div(id=Ids.PRINT_CONTENT),
            ],
            className="runbook-print-view",
        )
    active = fane if fane in AREAS else "regnskab"
    return html.Div(
        [
            dcc.Store(id=Ids.CVR, data=ctx.cvr),
            dcc.Store(id=Ids.SELECTION, data=selection),
            html.H1("Drejebøger", className="h3"),
            html.P(
                "Hver bogføringskreds og løngruppe har specifikationer, der definerer, hvordan opgaverne udføres. "
                "Ændringer til drejebøger kan kun foretages af Statens Administration."
            ),
            tab_bar(Ids.TABS, list(TAB_LABELS.items()), active, "Drejebøger-faneblade"),
            # Only the tab content spins: the history diff inside it must not blank the whole runbook.
            dcc.Loading(tab_panel(Ids.CONTENT, "Drejebøger for det valgte område", className="pt-3"),
                        target_components={Ids.CONTENT: "children"}),
        ]
    )
