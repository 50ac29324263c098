"""Aktionsliste: the action items agreed between the customer and SA, each in two lines.

SA staff see the same list with an editing toolbar above it (new item, edit, close, reopen); the
form and the confirm dialog are in their layout only, and every editing callback is locked by
Action.EDIT_CONTENT in the access wrapper whatever the page shows. Everyone who reads the list can
open the selected item's Historik.
"""

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from core.access import can_do
from core.rights import Action, Menu
from data.actions import AREA_ALL, AREA_CHOICES, AREAS, MAX_LENGTHS, UNIT_ALL
from data.units import unit_options as customer_units
from pages._edit import confirm_dialog, edit_stores, field_feedback, form_modal, status_line, text_field
from pages._grid import export_bar, grid, xlsx_export_button
from pages._history import history_modal
from pages.ids import aktionsliste as Ids
from pages.ids.aktionsliste import KIT

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
        # On a phone: the item, what it is about and its deadline (status and the rest are in the second line).
        phone_columns=[("id", {"minWidth": 56, "maxWidth": 64}), ("subject", {"minWidth": 120, "flex": 2}),
                       ("deadline", {"minWidth": 110})],
        defaultColDef={"filter": False, "autoHeight": False, "wrapText": False,
                       "suppressKeyboardEvent": {"function": "aktionKey(params)"}},
        dashGridOptions={
            "isFullWidthRow": {"function": "aktionIsDetail(params)"},
            "fullWidthCellRenderer": "AktionDetail",
            "isExternalFilterPresent": {"function": "true"},
            "doesExternalFilterPass": {"function": "aktionFilter(params)"},
            "postSortRows": {"function": "aktionPostSort(params)"},
            # One item at a time, for Historik (and SA's editing); a second line is never selected.
            "rowSelection": {"mode": "singleRow", "checkboxes": True, "enableClickSelection": True,
                             "isRowSelectable": {"function": "aktionIsMain(params)"}},
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


def _text_field(name: str, label: str, **kwargs: Any) -> html.Div:
    # A date input's value is ISO 'YYYY-MM-DD': ten characters.
    return text_field(KIT, name, label, max_length=MAX_LENGTHS.get(name, len("2026-12-31")), **kwargs)


def _select(control_id: str, label: str, feedback: str) -> html.Div:
    # Options and value are filled when the form opens (the customer's units and meetings, read in scope).
    return html.Div([dbc.Label(label, html_for=control_id), dbc.Select(id=control_id, options=[]),
                     field_feedback(KIT, feedback)], className="mb-3")


def item_form() -> dbc.Modal:
    """Return SA's action-item form: every field of both lines, and the meeting it was agreed at."""
    body = [
        html.Fieldset(
            [
                html.Legend("Område", className="h6"),
                dbc.RadioItems(id=Ids.FORM_AREA, options=[{"label": a, "value": a} for a in AREAS], inline=True),
                field_feedback(KIT, "area"),
            ],
            className="mb-3",
        ),
        _select(Ids.FORM_UNIT, "Bogføringskreds / løngruppe (fra Stamdata)", "unit"),
        _text_field("subject", "Emne"),
        _text_field("deadline", "Deadline", kind="date"),
        _text_field("owner", "Ansvarlig", help_text="Fx Kunden eller Statens Administration."),
        _text_field("process_area", "Procesområde", help_text="Fx Finans, Kreditor eller Løn."),
        _select(Ids.FORM_STATUS, "Status", "status"),
        _text_field("description", "Beskrivelse", multiline=True),
        _text_field("status_detail", "Detaljeret status", multiline=True),
        _select(Ids.FORM_MEETING, "Møde (valgfrit)", "meeting"),
    ]
    return form_modal(KIT, body, title="Aktionspunkt", save_label="Gem", cancel_label="Annuller")


def toolbar(editing: bool) -> html.Div:
    """Return the toolbar over the grid: Historik for every reader, SA's editing buttons where `editing`."""
    buttons = []
    if editing:
        buttons += [
            dbc.Button("Nyt aktionspunkt", id=KIT.add, color="primary", size="sm", className="me-2"),
            dbc.Button("Rediger", id=KIT.edit, color="secondary", size="sm", className="me-2", disabled=True),
            dbc.Button("Afslut", id=Ids.CLOSE, color="secondary", outline=True, size="sm", className="me-2",
                       disabled=True),
            dbc.Button("Genåbn", id=Ids.REOPEN, color="secondary", outline=True, size="sm", className="me-2",
                       disabled=True),
        ]
    buttons.append(dbc.Button("Historik", id=Ids.HISTORY, color="secondary", outline=True, size="sm",
                              disabled=True))
    return html.Div(buttons, className="d-flex flex-wrap align-items-center mb-2 aktion-toolbar", role="toolbar",
                    **{"aria-label": "Handlinger for det valgte aktionspunkt"})


@guarded_layout(Menu.AKTIONSLISTE)
def layout(ctx: AccessContext, omraade: str | None = None, enhed: str | None = None, **_query):
    """Return the Aktionsliste page; the items are loaded by a guarded callback."""
    area = omraade if omraade in AREA_CHOICES else AREA_ALL
    units = customer_units(ctx.scope, ctx.cvr)
    # The unit chosen in the search box presets the filter; a code that is not this customer's
    # (read in SQL scope above) is ignored and the list shows every unit.
    unit = enhed if any(u["code"] == enhed for u in units) else UNIT_ALL
    # SA edits on the page the customer reads; the wrapper, not this, is what refuses everyone else.
    editing = can_do(ctx.user, Action.EDIT_CONTENT)
    return html.Div(
        [
            *edit_stores(KIT, ctx.cvr),
            html.H1("Aktionsliste", className="h3"),
            html.P(
                "Aftalte opgaver mellem kunden og Statens Administration. Vælg en opgave (klik, Enter eller "
                "mellemrum) for at se den detaljerede beskrivelse og status. Markér en opgave for at se dens "
                "historik."
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
            toolbar(editing),
            status_line(KIT),
            html.Div(
                [
                    html.P(id=Ids.SUMMARY, className="small text-muted mb-1", **{"aria-live": "polite"}),
                    html.Div(id=Ids.EMPTY, **{"aria-live": "polite"}),
                    html.Div(action_grid(), id=Ids.GRID_WRAP, hidden=True),
                ],
                id=Ids.CONTENT,
            ),
            *([item_form(), confirm_dialog(KIT, title="Afslut aktionspunkt", yes_label="Afslut")] if editing else []),
            history_modal(Ids.HISTORY_MODAL, Ids.HISTORY_TITLE, Ids.HISTORY_BODY, Ids.HISTORY_CLOSE,
                          "Historik for aktionspunkt"),
        ]
    )
