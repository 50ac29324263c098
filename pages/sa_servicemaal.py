"""Servicemål (SA only): the catalogue of service goals, each change in force from the first of an open month."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import html

from auth.guard import action_layout
from core.rights import Action
from data.goals import MAX_LENGTHS, RULE_KIND_LABELS, first_open_month
from data.rules import AREAS
from core.formatting import da_date
from pages._edit import edit_stores, field_feedback, form_modal, status_line, text_field
from pages._grid import grid
from pages._history import history_modal
from pages.ids import sa_servicemaal as Ids
from pages.ids.sa_servicemaal import KIT

dash.register_page(__name__, path=Ids.PATH, title="Servicemål – Kundeportalen", name="Servicemål")

_WIDTHS = {"code": {"maxWidth": 90}, "area": {"maxWidth": 120}, "title": {"minWidth": 160},
           "rule": {"flex": 2, "minWidth": 200}, "target": {"maxWidth": 100}, "next": {"minWidth": 160}}
COLUMNS = [{"field": field, "headerName": header, **_WIDTHS.get(field, {})} for field, header in Ids.GRID_COLUMNS]


def goals_grid() -> dag.AgGrid:
    """Return the catalogue grid (rows are loaded by a guarded callback)."""
    return grid(
        KIT.grid, [], COLUMNS, csv_file_name="Servicemaal",
        getRowId="params.data.row_id",
        dashGridOptions={"rowSelection": {"mode": "singleRow", "checkboxes": True, "enableClickSelection": True}},
        no_rows="Kataloget er tomt. Klik på »Tilføj« for at oprette et servicemål.",
        className="ag-theme-alpine",
    )


def _field(name: str, label: str, help_text: str | None = None, kind: str = "text") -> html.Div:
    return text_field(KIT, name, label, max_length=MAX_LENGTHS[name], help_text=help_text, kind=kind,
                      multiline=name == "rule_text")


def _select(select_id: str, label: str, options: list[dict], feedback: str) -> html.Div:
    return html.Div([dbc.Label(label, html_for=select_id), dbc.Select(id=select_id, options=options),
                     field_feedback(KIT, feedback)], className="mb-3")


def goal_form() -> dbc.Modal:
    """Return the goal form; the form callback fills it and locks code and område on an existing goal."""
    body = [
        html.P("En ændring gælder fra den 1. i en måned, der ikke er afsluttet. Tal for tidligere måneder "
               "ændres aldrig: de er rapporteret efter den regel og det mål, der gjaldt dengang.",
               className="small"),
        dbc.Row([
            dbc.Col(_field("code", "Kode", "Fx A6. Kan ikke ændres, når servicemålet er oprettet."), md=4),
            dbc.Col(_select(Ids.AREA, "Område", [{"label": a, "value": a} for a in AREAS], "area"), md=8),
        ]),
        _field("title", "Titel"),
        _field("rule_text", "Regeltekst", "Teksten kunderne læser i Servicemålsrapporten."),
        dbc.Row([
            dbc.Col(_select(Ids.RULE_KIND, "Regeltype",
                            [{"label": label, "value": kind} for kind, label in RULE_KIND_LABELS.items()],
                            "rule_kind"), md=6),
            dbc.Col(_field("rule_value", "Parameter", "Antal arbejdsdage (N) eller dag i måneden (D)."), md=6),
        ]),
        dbc.Row([
            dbc.Col(_field("target_pct", "Mål %", "Fx 95 eller 97,5."), md=6),
            dbc.Col(_field("valid_from", "Gælder fra", "Den 1. i en måned, fx 01-01-2027."), md=6),
        ]),
    ]
    return form_modal(KIT, body, title="Servicemål")


@action_layout(Action.EDIT_CONTENT)
def layout(**_query):
    """Return the Servicemål catalogue page (SA staff only); the grid and every save go through guarded callbacks."""
    return html.Div(
        [
            *edit_stores(KIT, None),
            html.H1("Servicemål", className="h3"),
            html.P(["Kataloget over servicemål, som alle kunders Servicemålsrapport og KPI-oversigt måles efter. "
                    f"Ændringer kan tidligst gælde fra {da_date(first_open_month())}; afsluttede måneder "
                    "beholder den regel og det mål, de blev rapporteret efter."]),
            html.Div(
                [
                    dbc.Button("Tilføj", id=KIT.add, color="primary", className="me-2"),
                    dbc.Button("Rediger", id=KIT.edit, color="secondary", className="me-2", disabled=True),
                    dbc.Button("Se versioner", id=Ids.VERSIONS, color="secondary", outline=True, disabled=True),
                ],
                className="mb-3 d-flex flex-wrap align-items-center",
                role="toolbar",
                **{"aria-label": "Handlinger for servicemål"},
            ),
            status_line(KIT),
            goals_grid(),
            goal_form(),
            history_modal(Ids.VERSIONS_MODAL, Ids.VERSIONS_TITLE, Ids.VERSIONS_BODY, Ids.VERSIONS_CLOSE,
                          "Versioner af servicemålet"),
        ]
    )
