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
