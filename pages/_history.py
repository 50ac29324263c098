"""The audit trail of one record as a table: when, who, what was done, and each field before → after."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import dash_bootstrap_components as dbc
from dash import html

from core.formatting import da_datetime
from pages._edit import modal_header

ValueText = Callable[[str, Any], str]


def plain_value(_key: str, value: Any) -> str:
    """Return a stored audit value as text: lists joined, booleans as Ja/Nej, empty as '–'."""
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "–"
    return str(value) if value not in (None, "") else "–"


def _changes(before: Mapping | None, after: Mapping | None, fields: Sequence[tuple[str, str]],
             value_text: ValueText) -> html.Ul:
    items = []
    for key, label in fields:
        old = (before or {}).get(key)
        new = (after or {}).get(key)
        if before is not None and after is not None and old == new:
            continue
        if before is None:
            items.append(html.Li(f"{label}: {value_text(key, new)}"))
        elif after is None:
            items.append(html.Li(f"{label}: {value_text(key, old)}"))
        else:
            items.append(html.Li(f"{label}: {value_text(key, old)} → {value_text(key, new)}"))
    return html.Ul(items or [html.Li("Ingen feltændringer")], className="mb-0")


def history_table(entries: list[dict[str, Any]], fields: Sequence[tuple[str, str]],
                  action_labels: Mapping[str, str], value_text: ValueText = plain_value,
                  class_name: str = "") -> html.Table | html.P:
    """Return audit `entries` (at, user, action, before, after) as a table, newest first as given."""
    if not entries:
        return html.P("Ingen historik registreret.", className="text-muted")
    return html.Table(
        [
            html.Thead(html.Tr([html.Th("Tidspunkt", scope="col"), html.Th("Bruger", scope="col"),
                                html.Th("Handling", scope="col"), html.Th("Ændringer", scope="col")])),
            html.Tbody([
                html.Tr([
                    html.Td(da_datetime(e["at"])),
                    html.Td(e["user"]),
                    html.Td(action_labels.get(e["action"], e["action"])),
                    html.Td(_changes(e["before"], e["after"], fields, value_text)),
                ])
                for e in entries
            ]),
        ],
        className=f"table table-sm {class_name}".strip(),
    )


def history_modal(modal_id: str, title_id: str, body_id: str, close_id: str, title: str) -> dbc.Modal:
    """Return a closed, scrollable modal that shows one record's history."""
    return dbc.Modal(
        [
            modal_header(title, title_id, close_id),
            dbc.ModalBody(html.Div(id=body_id)),
            dbc.ModalFooter(dbc.Button("Luk", id=close_id, color="secondary")),
        ],
        id=modal_id,
        labelledby=title_id,
        is_open=False,
        size="xl",
        scrollable=True,
        # Shown at once: a fading modal is half-transparent for a moment, and nothing here needs animating.
        fade=False,
    )
