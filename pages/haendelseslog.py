"""Hændelseslog (/haendelseslog): who changed what on the customer in context, and when, SA's changes included.

Opened by Brugeradministration's right (Administrator) on the CVR; the rows come from the audit log,
read in SQL inside that scope (data/event_log.py). No callbacks: the page is drawn once per visit.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from auth.guard import AccessContext, guarded_layout
from core.formatting import da_datetime, da_number
from core.rights import Menu
from data import customers, event_log
from pages.ids import haendelseslog as Ids

dash.register_page(__name__, path=Ids.PATH, title="Hændelseslog – Kundeportalen", name="Hændelseslog")

HEADERS = ("Tidspunkt", "Ændret af", "Hvad", "Nr.", "Handling", "Ændrede felter")


def change_table(entries: list[dict[str, Any]]) -> Any:
    """Return the changes as a table, newest first, or a note that there are none."""
    if not entries:
        return html.P("Der er ingen registrerede ændringer for kunden.", className="text-muted portal-empty")
    rows = [html.Tr([html.Td(da_datetime(e["at"])), html.Td(e["who"]), html.Td(e["what"]), html.Td(e["entity_id"]),
                     html.Td(e["action"]), html.Td(", ".join(e["fields"]))]) for e in entries]
    return dbc.Table([html.Thead(html.Tr([html.Th(h, scope="col") for h in HEADERS])), html.Tbody(rows)],
                     id=Ids.TABLE, striped=True, size="sm", responsive=True)


@guarded_layout(Menu.BRUGERADMINISTRATION)
def layout(ctx: AccessContext, **_query: Any) -> html.Div:
    """Return the newest changes on the customer in context."""
    entries = event_log.changes(ctx.scope, ctx.cvr)
    name = customers.customer_name(ctx.scope, ctx.cvr) or ctx.cvr
    note = f"De nyeste {da_number(len(entries))} ændringer." if len(entries) >= event_log.LIMIT else ""
    return html.Div([
        html.H1("Hændelseslog", className="h3"),
        html.P(f"Hvem har ændret hvad for {name} og hvornår – også ændringer foretaget af Statens Administration. "
               + note),
        change_table(entries),
    ])
