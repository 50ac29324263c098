"""Stamdata callbacks: the content of the chosen tab for the customer in context."""

from __future__ import annotations

import dash_ag_grid as dag
from dash import Input, Output, State, html

from auth.guard import AccessContext, portal_callback
from auth.rights import Menu
from data import customers
from pages._format import da_changed
from pages.ids import stamdata as Ids


def _empty(text: str) -> html.P:
    return html.P(text, className="text-muted portal-empty")


def _grid(grid_id: str, rows: list[dict], columns: list[tuple[str, str]]) -> dag.AgGrid:
    return dag.AgGrid(
        id=grid_id,
        rowData=rows,
        columnDefs=[{"field": field, "headerName": header} for field, header in columns],
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1},
        dashGridOptions={"domLayout": "autoHeight", "ensureDomOrder": True},
        className="ag-theme-alpine",
    )


def _general(ctx: AccessContext):
    facts = customers.master_data(ctx.scope, ctx.cvr)
    if facts is None:
        return _empty("Kunden findes ikke.")
    rows = [
        ("Kundenavn", facts["name"]),
        ("CVR-nummer", facts["cvr"]),
        ("Ministerområde", facts["ministry"]),
        ("Kundetype", facts["customer_type"]),
        ("Adresse", facts["address"]),
        ("Beskrivelse", facts["description"]),
    ]
    return html.Div(
        [
            html.P(f"Seneste ændringer: {da_changed(facts['updated_at'])}", className="text-muted"),
            html.Table(
                html.Tbody([html.Tr([html.Th(k, scope="row"), html.Td(v)]) for k, v in rows]),
                className="table table-sm stamdata-facts",
            ),
        ]
    )


def _accounting(ctx: AccessContext):
    rows = customers.accounting_units(ctx.scope, ctx.cvr)
    if not rows:
        return _empty("Ingen bogføringskredse registreret.")
    return _grid(
        "stamdata-regnskab-grid",
        rows,
        [("code", "Bogføringskreds"), ("name", "Navn"), ("ministry", "Ministerområde"),
         ("server_name", "Servernavn"), ("database_name", "Databasenavn")],
    )


def _payroll(ctx: AccessContext):
    rows = customers.payroll_groups(ctx.scope, ctx.cvr)
    if not rows:
        return _empty("Ingen løngrupper registreret.")
    return _grid("stamdata-loen-grid", rows, [("code", "Løngruppe"), ("name", "Navn"), ("ministry", "Ministerområde")])


RENDERERS = {"generelt": _general, "regnskab": _accounting, "loen": _payroll}


@portal_callback(
    output=Output(Ids.CONTENT, "children"),
    inputs=dict(tab=Input(Ids.TABS, "active_tab")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.STAMDATA,
)
def render_tab(ctx: AccessContext, tab: str | None):
    """Render the chosen Stamdata tab for the checked CVR."""
    renderer = RENDERERS.get(tab) if isinstance(tab, str) else None
    if renderer is None:
        return _empty("Ukendt faneblad.")
    return renderer(ctx)
