"""Stamdata callbacks: the content of the chosen tab for the customer in context."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, html
from dash.exceptions import PreventUpdate

from auth.guard import AccessContext, portal_callback
from core.rights import Menu
from data import contacts, customers
from data import units as unit_data
from data.roles_catalogue import TAB_GENERELT, TAB_LOEN, TAB_REGNSKAB
from core.formatting import da_changed, da_phone
from pages._grid import grid
from pages.ids import stamdata as Ids


def _empty(text: str) -> html.P:
    return html.P(text, className="text-muted portal-empty")


def _grid(grid_id: str, rows: list[dict], columns: list[Any], file_name: str, **opts: Any) -> Any:
    # The portal's grid: Danish texts, wrapped cells, and the in-grid CSV export's formula guard.
    return grid(grid_id, rows, columns, csv_file_name=file_name, className="ag-theme-alpine", **opts)


# The unit chosen in the search box: bold on a light yellow background with a dark left edge
# (not colour alone), and named in the page's note above the tabs.
CHOSEN_UNIT_STYLE = {"styleConditions": [{"condition": "params.data.chosen === true",
                                          "style": {"fontWeight": "600", "backgroundColor": "#fff3cd",
                                                    "boxShadow": "inset 4px 0 0 #664d03"}}]}
ACCOUNTING_COLUMNS = [("code", "Bogføringskreds"), ("name", "Navn"), ("ministry", "Ministerområde"),
                      ("server_name", "Servernavn"), ("database_name", "Databasenavn")]
PAYROLL_COLUMNS = [("code", "Løngruppe"), ("name", "Navn"), ("ministry", "Ministerområde")]


def chosen_first(rows: list[dict[str, Any]], code: Any) -> list[dict[str, Any]]:
    """Return `rows` with the unit `code` first and marked `chosen`; unchanged order when it is not among them."""
    chosen = [dict(r, chosen=True) for r in rows if r["code"] == code]
    return chosen + [r for r in rows if r["code"] != code]


CONTACT_COLUMNS = [("title", "Titel"), ("name", "Navn"), {"field": "email", "headerName": "Email", "minWidth": 165},
                   {"field": "shared_email", "headerName": "Fællesmail", "minWidth": 155}, ("phone", "Telefon"),
                   {"field": "roles", "headerName": "Roller", "flex": 2, "minWidth": 180}, ("notes", "Bemærkninger")]


def _contacts(ctx: AccessContext, tab: str) -> html.Section:
    """List the contacts chosen for `tab` (or placed there by an SA-only role), with their roles."""
    rows = [
        {"id": c["id"], "title": c["title"], "name": c["name"], "email": c["email"], "shared_email": c["shared_email"],
         "phone": da_phone(c["phone"]), "roles": ", ".join(c["roles"]), "notes": c["notes"]}
        for c in contacts.contacts_for_tab(ctx.scope, ctx.cvr, tab)
    ]
    body = _grid(Ids.contacts_grid(tab), rows, CONTACT_COLUMNS, "Kontaktpersoner") if rows else _empty(
        "Ingen kontaktpersoner vises på dette faneblad.")
    return html.Section([html.H2("Kontaktpersoner", className="h5"), body], className="mb-4 stamdata-contacts")


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
            _contacts(ctx, TAB_GENERELT),
            html.H2("Stamdata", className="h5"),
            html.P(f"Seneste ændringer: {da_changed(facts['updated_at'])}", className="text-muted"),
            html.Table(
                html.Tbody([html.Tr([html.Th(k, scope="row"), html.Td(v)]) for k, v in rows]),
                className="table table-sm stamdata-facts",
            ),
        ]
    )


def _accounting(ctx: AccessContext):
    rows = unit_data.accounting_units(ctx.scope, ctx.cvr)
    if not rows:
        units = _empty("Ingen bogføringskredse registreret.")
    else:
        units = _grid(Ids.ACCOUNTING_GRID, rows, ACCOUNTING_COLUMNS, "Bogfoeringskredse", getRowStyle=CHOSEN_UNIT_STYLE)
    return html.Div([_contacts(ctx, TAB_REGNSKAB), html.H2("Bogføringskredse", className="h5"), units])


def _payroll(ctx: AccessContext):
    rows = unit_data.payroll_groups(ctx.scope, ctx.cvr)
    if not rows:
        groups = _empty("Ingen løngrupper registreret.")
    else:
        groups = _grid(Ids.PAYROLL_GRID, rows, PAYROLL_COLUMNS, "Loengrupper", getRowStyle=CHOSEN_UNIT_STYLE)
    return html.Div([_contacts(ctx, TAB_LOEN), html.H2("Løngrupper", className="h5"), groups])


RENDERERS = {"generelt": _general, "regnskab": _accounting, "loen": _payroll}


@portal_callback(
    output=Output(Ids.CONTENT, "children"),
    inputs=dict(tab=Input(Ids.TABS, "value")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.STAMDATA,
)
def render_tab(ctx: AccessContext, tab: str | None):
    """Render the chosen Stamdata tab for the checked CVR."""
    renderer = RENDERERS.get(tab) if isinstance(tab, str) else None
    if renderer is None:
        return _empty("Ukendt faneblad.")
    return renderer(ctx)


def _chosen_rows(rows: list[dict[str, Any]], unit: Any) -> list[dict[str, Any]]:
    # The store is the client's: only a well-formed code that is one of this customer's units
    # (read in scope) changes the grid.
    if not unit_data.valid_unit_code(unit) or not any(r["code"] == unit for r in rows):
        raise PreventUpdate
    return chosen_first(rows, unit)


# The unit grids are drawn by `render_tab`; these fire each time one appears, and bring the unit
# chosen in the search box first. `render_tab` keeps its own inputs, so its callers are unchanged.
@portal_callback(
    output=Output(Ids.ACCOUNTING_GRID, "rowData"),
    inputs=dict(unit=Input(Ids.UNIT, "data")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.STAMDATA,
)
def chosen_accounting_unit(ctx: AccessContext, unit: Any):
    """Put the bogføringskreds chosen in the search box first on the Regnskab tab, highlighted."""
    return _chosen_rows(unit_data.accounting_units(ctx.scope, ctx.cvr), unit)


@portal_callback(
    output=Output(Ids.PAYROLL_GRID, "rowData"),
    inputs=dict(unit=Input(Ids.UNIT, "data")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.STAMDATA,
)
def chosen_payroll_group(ctx: AccessContext, unit: Any):
    """Put the løngruppe chosen in the search box first on the Løn tab, highlighted."""
    return _chosen_rows(unit_data.payroll_groups(ctx.scope, ctx.cvr), unit)
