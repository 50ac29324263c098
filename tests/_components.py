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
