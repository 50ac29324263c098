"""A chart's figures as a folded table: the text alternative of a Plotly chart."""

from __future__ import annotations

from typing import Any

from dash import html


def chart_table(summary: str, caption: str, columns: list[str], rows: list[tuple[str, list[str]]]) -> Any:
    """Return a <details> holding a table of the chart's figures: one row header and its cells per row."""
    header = html.Tr([html.Th(column, scope="col") for column in columns])
    body = [html.Tr([html.Th(label, scope="row")] + [html.Td(cell, className="text-end") for cell in cells])
            for label, cells in rows]
    return html.Details([
        html.Summary(summary),
        html.Div(html.Table([html.Caption(caption), html.Thead(header), html.Tbody(body)],
                            className="table table-sm table-striped small mt-2 chart-table"),
                 # A scrolling region must be reachable from the keyboard, and named for screen readers.
                 className="table-responsive", tabIndex="0", role="region", **{"aria-label": caption}),
    ], className="chart-table-details")
