"""A chart's figures as a folded table: the text alternative of a Plotly chart.

The table is written as the component JSON that Dash sends to the browser (type, namespace,
props) rather than as `dash.html` objects: a table of a few hundred cells took ~3 ms to build and
serialise as objects, and the KPI and Information callbacks that return it have a budget of
about 10 ms (benchmarks/RESULTS.md). Dash renders both forms alike; text is never parsed as HTML.
"""

from __future__ import annotations

from typing import Any


def _el(tag: str, children: Any = None, **props: Any) -> dict[str, Any]:
    props = {key: value for key, value in props.items() if value is not None}
    if children is not None:
        props["children"] = children
    return {"type": tag, "namespace": "dash_html_components", "props": props}


def chart_table(summary: str, caption: str, columns: list[str], rows: list[tuple[str, list[str]]]) -> dict[str, Any]:
    """Return a <details> holding a table of the chart's figures: one row header and its cells per row."""
    header = _el("Tr", [_el("Th", column, scope="col") for column in columns])
    body = [_el("Tr", [_el("Th", label, scope="row")] + [_el("Td", cell, className="text-end") for cell in cells])
            for label, cells in rows]
    table = _el("Table", [_el("Caption", caption), _el("Thead", header), _el("Tbody", body)],
                className="table table-sm table-striped small mt-2 chart-table")
    # A scrolling region must be reachable from the keyboard, and named for screen readers.
    region = _el("Div", table, className="table-responsive", tabIndex="0", role="region", **{"aria-label": caption})
    return _el("Details", [_el("Summary", summary), region], className="chart-table-details")
