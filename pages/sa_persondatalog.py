"""Persondatalog (/sa/persondatalog): who looked up a person, when, where; for insight requests.

SA's system administrator only (Action.READ_PRIVACY_LOG). A search by name or e-mail lists every
view of the matching persons the log still keeps (data/privacy.py); the export re-reads the same
search on the server, never the rows the browser shows.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import html

from auth.guard import action_layout
from core.formatting import da_datetime, da_number
from core.rights import Action
from data import privacy
from pages._grid import csv_export_button, export_bar, xlsx_export_button
from pages.ids import sa_persondatalog as Ids

dash.register_page(__name__, path=Ids.PATH, title="Persondatalog – Kundeportalen", name="Persondatalog")

COLUMNS: list[tuple[str, str]] = [
    ("at", "Tidspunkt"), ("name", "Person"), ("email", "E-mail"), ("entity_label", "Type"),
    ("viewer", "Set af"), ("source", "Side eller eksport"), ("cvr", "CVR-nummer"),
    ("client_address", "Klientadresse"),
]


def export_rows(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return log entries as the table and the export show them (Danish timestamps)."""
    return [dict(entry, at=da_datetime(entry["at"])) for entry in entries]


def result_view(query: Any, entries: list[dict[str, Any]]) -> Any:
    """Return the search result: a count and a table, or why there is none."""
    text = query.strip() if isinstance(query, str) else ""
    if len(text) < privacy.MIN_QUERY_LENGTH:
        return html.P(f"Skriv mindst {privacy.MIN_QUERY_LENGTH} tegn af personens navn eller e-mailadresse.",
                      className="text-muted")
    if not entries:
        return html.P(f"Ingen opslag på en person, der matcher »{text}«.", className="text-muted portal-empty")
    count = f"{da_number(len(entries))} opslag på personer, der matcher »{text}«"
    if len(entries) >= privacy.SEARCH_LIMIT:
        count += f" (de nyeste {da_number(privacy.SEARCH_LIMIT)}; gør søgningen mere præcis)"
    rows = export_rows(entries)
    table = dbc.Table(
        [html.Thead(html.Tr([html.Th(label, scope="col") for _, label in COLUMNS])),
         html.Tbody([html.Tr([html.Td(row[field]) for field, _ in COLUMNS]) for row in rows])],
        striped=True, size="sm", responsive=True, className="persondatalog-table",
    )
    return html.Div([html.P(count + "."), table])


@action_layout(Action.READ_PRIVACY_LOG)
def layout(**_query: Any) -> html.Div:
    """Return the search form, the result and the export buttons."""
    days = privacy.retention_days()
    return html.Div(
        [
            html.H1("Persondatalog", className="h3"),
            html.P(
                "Her kan du se, hvem der har set oplysninger om en person (kontaktpersoner, brugere og "
                "teammedlemmer) i Kundeportalen: hvornår, på hvilken side eller i hvilken eksport, for hvilken "
                f"kunde og fra hvilken adresse. Brug det til at besvare en anmodning om indsigt. Loggen gemmes i "
                f"{da_number(days)} dage."
            ),
            html.Form(
                [
                    dbc.Label("Person (navn eller e-mail)", html_for=Ids.QUERY),
                    html.Div(
                        [dbc.Input(id=Ids.QUERY, type="search", maxLength=200, autoComplete="off",
                                   debounce=True, className="me-2"),
                         dbc.Button("Søg", id=Ids.SEARCH, color="primary", type="button")],
                        className="d-flex mb-3",
                    ),
                ],
                role="search",
                className="mb-2",
            ),
            export_bar(csv_export_button(Ids.EXPORT_CSV), xlsx_export_button(Ids.EXPORT_XLSX),
                       download_id=Ids.DOWNLOAD),
            html.Div(id=Ids.RESULT, role="status", className="mt-3"),
        ]
    )
