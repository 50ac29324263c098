"""Helpers for reading Dash component trees returned by callbacks (as JSON)."""

from __future__ import annotations

import json
from typing import Any


def texts(component: Any) -> list[str]:
    """Return the text leaves of a serialised component tree, in document order."""
    if isinstance(component, dict):
        return texts(component.get("props", {}).get("children"))
    if isinstance(component, list):
        return [text for child in component for text in texts(child)]
    return [] if component is None else [str(component)]


def response_text(response: Any) -> str:
    """Return a callback response as readable text: JSON escapes undone, whichever encoder Dash used."""
    return json.dumps(response.get_json(silent=True), ensure_ascii=False)


def find_component(node: Any, component_id: Any) -> dict | None:
    """Return the serialised component with `component_id` anywhere in a component tree, None when absent."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            return node
        children = node.get("props", {}).get("children")
        return find_component(children, component_id) if children is not None else None
    if isinstance(node, list):
        for child in node:
            found = find_component(child, component_id)
            if found is not None:
                return found
    return None


def tagged(node: Any, tag: str) -> list[dict]:
    """Return every serialised `html.<tag>` in a component tree, in document order."""
    if isinstance(node, list):
        return [found for child in node for found in tagged(child, tag)]
    if not isinstance(node, dict):
        return []
    own = [node] if node.get("type") == tag else []
    return own + tagged(node.get("props", {}).get("children"), tag)


KPI_COUNT_FIELDS = ("handled", "met", "not_met", "reopened", "open", "overdue")


def kpi_table_rows(table: Any) -> dict[str, dict[str, Any]]:
    """Return Rapporter's KPI table (pages/_kpi_table.py) as {code: {field: value}}, in the table's order.

    Counts come back as ints ("1.234" -> 1234), every other cell as its text; a column the table lacks is None.
    """
    rows: dict[str, dict[str, Any]] = {}
    for row in tagged(table, "Tr"):
        code = row["props"].get("data-code")
        if code is None:
            continue
        cells = {cell["props"]["data-field"]: "".join(texts(cell)) for cell in row["props"]["children"]}
        values: dict[str, Any] = {"median_text": None, **cells}
        for field in KPI_COUNT_FIELDS:
            values[field] = int(cells[field].replace(".", ""))
        rows[code] = values
    return rows
