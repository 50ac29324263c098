"""Aktionsliste: the action items agreed between the customer and SA, each in two lines."""

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from core.rights import Menu
from data.actions import AREA_ALL, AREA_CHOICES, UNIT_ALL
from data.units import unit_options as customer_units
from pages._grid import export_bar, grid, xlsx_export_button
from pages.ids import aktionsliste as Ids

dash.register_page(__name__, path="/aktionsliste", title="Aktionsliste – Kundeportalen", name="Aktionsliste")

COLUMNS: list[dict[str, Any]] = [
    {"field": "id", "headerName": "Id", "cellRenderer": "AktionToggle", "maxWidth": 110, "minWidth": 90},
    {"field": "area", "headerName": "Område", "maxWidth": 130},
    {"field": "unit", "headerName": "Bogføringskreds / løngruppe", "minWidth": 190},
    {"field": "subject", "headerName": "Emne", "flex": 2},
    {"field": "deadline", "headerName": "Deadline", "cellRenderer": "AktionDeadline", "minWidth": 225,
     "cellClassRules": {"aktion-overdue-cell": "params.data && params.data.overdue"}},
    {"field": "owner", "headerName": "Ansvarlig", "minWidth": 140},
    {"field": "process_area", "headerName": "Procesområde"},
    {"field": "status", "headerName": "Status"},
]


def action_grid() -> Any:
    """Return the two-line action-list grid, empty: a guarded callback fills its rows."""
    return grid(
        Ids.GRID,
        [],
        COLUMNS,
        row_id="rid",
        defaultColDef={"filter": False, "autoHeight": False, "wrapText": False,
                       "suppressKeyboardEvent": {"function": "aktionKey(params)"}},
        dashGridOptions={
            "isFullWidthRow": {"function": "aktionIsDetail(params)"},
            "fullWidthCellRenderer": "AktionDetail",
            "isExternalFilterPresent": {"function": "true"},
            "doesExternalFilterPass": {"function": "aktionFilter(params)"},
            "postSortRows": {"function": "aktionPostSort(params)"},
            "getRowHeight": {"function": "aktionRowHeight(params)"},
            "rowHeight": 44,
            "suppressCellFocus": False,
        },
        className="ag-theme-alpine aktion-grid",
    )


def unit_options(units: list[dict[str, str]]) -> list[dict[str, str]]:
    """Return the unit filter's options: Alle, then every unit as 'Bogføringskreds 10001 – Navn'."""
    return [{"label": "Alle", "value": UNIT_ALL}] + [
        {"label": f"{u['kind']} {u['code']} – {u['name']}", "value": u["code"]} for u in units]


@guarded_layout(Menu.AKTIONSLISTE)
def layout(ctx: AccessContext, omraade: str | None = None, enhed: str | None = None, **_query):
    """Return the Aktionsliste page; the items are loaded by a guarded callback."""
    area = omraade if omraade in AREA_CHOICES else AREA_ALL
    units = customer_units(ctx.scope, ctx.cvr)
    # The unit chosen in the search box presets the filter; a code that is not this customer's
    # (read in SQL scope above) is ignored and the list shows every unit.
    unit = enhed if any(u["code"] == enhed for u in units) else UNIT_ALL
    return html.Div(
        [
            dcc.Store(id=Ids.CVR, data=ctx.cvr),
            html.H1("Aktionsliste", className="h3"),
            html.P(
                "Aftalte opgaver mellem kunden og Statens Administration. Vælg en opgave (klik, Enter eller "
                "mellemrum) for at se den detaljerede beskrivelse og status."
            ),
            html.Div(
                [
                    html.Div(
                        [
                            html.Label("Bogføringskreds / løngruppe", htmlFor=Ids.UNIT,
                                       className="fw-semibold me-2 mb-0"),
                            dbc.Select(
                                id=Ids.UNIT,
                                options=unit_options(units),
                                value=unit,
                                # dbc.Select's hidden placeholder option shows if the value is ever emptied.
                                placeholder="Alle",
                                size="sm",
                                className="w-auto",
                            ),
                        ],
                        className="d-flex align-items-center me-4 aktion-unit",
                    ),
                    html.Fieldset(
                        [
                            html.Legend("Område"),
                            dbc.RadioItems(
                                id=Ids.AREA,
                                options=[{"label": a, "value": a} for a in AREA_CHOICES],
                                value=area,
                                inline=True,
                            ),
                        ],
                        className="d-flex align-items-center",
                    ),
                    dbc.Checklist(
                        id=Ids.SHOW_CLOSED,
                        options=[{"label": "Vis afsluttede", "value": "vis"}],
                        value=[],
                        inline=True,
                        className="me-3",
                    ),
                    dbc.Button("Udvid alle", id=Ids.EXPAND_ALL, n_clicks=0, color="secondary", outline=True,
                               size="sm", type="button", className="me-3"),
                ],
                className="d-flex flex-wrap align-items-center mb-2 aktion-filters",
            ),
            export_bar(
                xlsx_export_button(Ids.EXPORT_CSV, "Eksportér CSV"),
                xlsx_export_button(Ids.EXPORT_XLSX, "Eksportér Excel"),
                dcc.Download(id=Ids.DOWNLOAD_CSV),
                download_id=Ids.DOWNLOAD_XLSX,
            ),
            html.Div(
                [
                    html.P(id=Ids.SUMMARY, className="small text-muted mb-1", **{"aria-live": "polite"}),
                    html.Div(id=Ids.EMPTY, **{"aria-live": "polite"}),
                    html.Div(action_grid(), id=Ids.GRID_WRAP, hidden=True),
                ],
                id=Ids.CONTENT,
            ),
        ]
    )
