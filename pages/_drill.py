"""The drill-through on screen: a modal with the cases behind one figure in a sortable, filterable grid.

Each page that offers it puts `drill_modal(...)` in its layout with its own ids (pages/ids/<page>.py)
and wires its guarded callbacks with callbacks/_drill.py. The grid's rows are drawn by the server for
the page's CVR; its CSV/XLSX buttons ask the server, which reads the cases again (pages/_export.py).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import dash_bootstrap_components as dbc
from dash import dcc, html

from pages._component_json import element
from pages._grid import grid

# The grid's columns: the count first, then what a case shows (dates ISO 8601, so they sort and filter).
COLUMNS: list[dict[str, Any]] = [
    {"field": "n", "headerName": "Nr.", "type": "numericColumn", "maxWidth": 90},
    {"field": "case_ref", "headerName": "Sagsreference", "minWidth": 150},
    {"field": "unit_code", "headerName": "Enhed", "maxWidth": 130},
    {"field": "received", "headerName": "Modtaget", "minWidth": 120},
    {"field": "completed", "headerName": "Afsluttet", "minWidth": 120},
    {"field": "days_taken", "headerName": "Arbejdsdage", "type": "numericColumn"},
    {"field": "deadline", "headerName": "Frist", "minWidth": 120},
    {"field": "met_text", "headerName": "Overholdt", "maxWidth": 130},
]
PHONE_COLUMNS = ["case_ref", "completed", "met_text"]
PAGE_SIZE = 100

# The open cases of a goal as of today stand in the month's place: all of them, or those past their deadline.
# The keys are the KPI columns' fields ("open", "overdue"), so a clicked count names its own kind.
OPEN_KINDS = {"open": "Åbne sager i dag", "overdue": "Åbne sager over frist i dag"}


class DrillIds(NamedTuple):
    """The component ids of one page's drill-through modal."""

    modal: str
    title: str
    summary: str
    grid: str
    csv: str
    xlsx: str
    download: str
    key: str
    close: str
    request: str


def drill_ids(prefix: str) -> DrillIds:
    """Return the drill-through ids of the page whose ids start with `prefix`."""
    return DrillIds(*(f"{prefix}-drill-{part}" for part in DrillIds._fields))


def drill_modal(ids: DrillIds) -> Any:
    """Return the (closed) drill-through modal: a title, a count, the grid and its export buttons."""
    return html.Div([
        # Which figure the grid shows ({goal, month, unit}); the exports read the cases again from it.
        dcc.Store(id=ids.key, data=None),
        # The figure a user clicked ({goal, month, at}), set by assets/drill.js: one fixed input for the
        # guarded callback, so a redrawn table with new figure buttons fires no callback of its own.
        # Not None: a memory store mounted without data sends it once, which fired the callback on load.
        dcc.Store(id=ids.request, data={}),
        dcc.Download(id=ids.download),
        dbc.Modal(
            [
                # Our own ×: dash-bootstrap-components labels its close button in English only ("Close").
                dbc.ModalHeader([
                    dbc.ModalTitle(id=ids.title, children="Sagerne bag tallet", tag="h2", className="h5"),
                    html.Button(id=ids.close, n_clicks=0, type="button", className="btn-close", title="Luk",
                                **{"aria-label": "Luk"}),
                ], close_button=False),
                dbc.ModalBody([
                    html.P(id=ids.summary, className="small", role="status"),
                    html.Div([
                        dbc.Button("Eksportér CSV", id=ids.csv, color="secondary", outline=True, size="sm",
                                   className="me-2", n_clicks=0, type="button"),
                        dbc.Button("Eksportér Excel", id=ids.xlsx, color="secondary", outline=True, size="sm",
                                   n_clicks=0, type="button"),
                    ], className="d-flex justify-content-end mb-2 portal-export-bar"),
                    # Short values in one line each: no cell needs measuring (a month can hold thousands of cases).
                    grid(ids.grid, [], COLUMNS, row_id="case_ref", page_size=PAGE_SIZE,
                         no_rows="Ingen sager bag dette tal.", phone_columns=PHONE_COLUMNS,
                         defaultColDef={"autoHeight": False, "wrapText": False}),
                ]),
            ],
            id=ids.modal, is_open=False, size="xl", scrollable=True, labelledby=ids.title,
        ),
    ])


def drill_button(ids: DrillIds, goal: str, month: str, content: Any, title: str) -> dict[str, Any]:
    """Return a figure as a button that opens the cases behind goal `goal` in month 'YYYY-MM' (component JSON)."""
    # assets/drill.js reads the data attributes on click and puts them in the page's request store;
    # the server checks them against the customer like any browser-sent value.
    return element("Button", content, type="button", className="btn btn-link p-0 kpi-drill", title=title,
                   **{"data-drill": ids.request, "data-goal": goal, "data-month": month})
