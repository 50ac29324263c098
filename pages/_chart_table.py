"""A chart's figures as a folded table: the text alternative of a Plotly chart."""

from __future__ import annotations

from typing import Any

from pages._component_json import element

# The button that draws a chart's figures as a table on demand (Rapporter, Information), and hides it again.
TABLE_SHOW = "Vis tallene bag grafen som tabel"
TABLE_HIDE = "Skjul tabellen med tallene"


def chart_table(summary: str, caption: str, columns: list[str], rows: list[tuple[str, list[str]]]) -> dict[str, Any]:
    """Return a <details> holding a table of the chart's figures: one row header and its cells per row."""
    return element("Details", [element("Summary", summary), table_region(caption, columns, rows)],
                   className="chart-table-details")


def table_region(caption: str, columns: list[str], rows: list[tuple[str, list[Any]]]) -> dict[str, Any]:
    """Return a table of a chart's figures in a scrolling region named by its caption (drawn on demand)."""
    header = element("Tr", [element("Th", column, scope="col") for column in columns])
    body = [element("Tr", [element("Th", label, scope="row")] + [element("Td", cell, className="text-end")
                                                                 for cell in cells])
            for label, cells in rows]
    table = element("Table", [element("Caption", caption), element("Thead", header), element("Tbody", body)],
                    className="table table-sm table-striped small mt-2 chart-table")
    # A scrolling region must be reachable from the keyboard, and named for screen readers.
    return element("Div", table, className="table-responsive", tabIndex="0", role="region", **{"aria-label": caption})

