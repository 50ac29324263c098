"""Drejebøger: how SA performs the tasks of each accounting unit and payroll group (read only)."""

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from core.access import can_do
from core.rights import Action, Menu
from data import units as unit_data
from data.runbooks import AREAS, NOTE_MAX
from pages._edit import edit_stores, form_modal, status_line, text_field
from pages._tabs import tab_bar, tab_panel
from pages.ids import drejeboeger as Ids
from pages.ids.drejeboeger import KIT

dash.register_page(__name__, path="/drejeboeger", title="Drejebøger – Kundeportalen", name="Drejebøger")

TAB_LABELS = {"regnskab": "Regnskab", "loen": "Løn", "refusion": "Refusion"}

# Query values are only echoed into stores for the guarded callbacks to validate; bound them first.
MAX_QUERY = 60


def _bounded(value: Any) -> str | None:
    return value[:MAX_QUERY] if isinstance(value, str) else None


def runbook_form() -> dbc.Modal:
    """Return SA's runbook editor: the items (drawn when it opens), buttons to add them, and the change note."""
    body = [
        html.P("Ret punkter og opgaver, som kunden ser dem. Ændringerne gemmes som en ny version af drejebogen, "
               "og kunden får besked.", className="small text-muted"),
        html.Div(id=Ids.EDITOR),
        text_field(KIT, "note", "Ændringsnote", max_length=NOTE_MAX, multiline=True,
                   help_text="Hvad er ændret og hvorfor? Noten vises i drejebogens historik."),
    ]
    return form_modal(KIT, body, title="Rediger drejebog", save_label="Gem ny version")


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
    # The editor is drawn for SA staff only; the callbacks refuse everyone else whatever the page holds.
    editor = [runbook_form()] if can_do(ctx.user, Action.EDIT_CONTENT) else []
    return html.Div(
        [
            *edit_stores(KIT, ctx.cvr),
            dcc.Store(id=Ids.SELECTION, data=selection),
            html.H1("Drejebøger", className="h3"),
            html.P(
                "Hver bogføringskreds og løngruppe har specifikationer, der definerer, hvordan opgaverne udføres. "
                "Ændringer til drejebøger kan kun foretages af Statens Administration."
            ),
            tab_bar(Ids.TABS, list(TAB_LABELS.items()), active, "Drejebøger-faneblade"),
            status_line(KIT),
            # Only the tab content spins: the history diff inside it must not blank the whole runbook.
            dcc.Loading(tab_panel(Ids.CONTENT, "Drejebøger for det valgte område", className="pt-3"),
                        target_components={Ids.CONTENT: "children"}),
            *editor,
        ]
    )
