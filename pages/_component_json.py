"""HTML components written directly as the JSON Dash sends to the browser.

For the few large, read-only tables on the report pages (the Servicemålsrapport and the charts'
tables): building a few hundred `dash.html` objects and serialising them cost the KPI and
Information callbacks several milliseconds of a ~10 ms budget (benchmarks/RESULTS.md). Dash's
renderer takes `{"type", "namespace", "props"}` exactly as it takes the objects' own JSON; text is
still text, never parsed as HTML. Everywhere else the pages use `dash.html` as usual.
"""

from __future__ import annotations

from typing import Any


def element(tag: str, children: Any = None, **props: Any) -> dict[str, Any]:
    """Return the component JSON of `dash.html.<tag>` with `children` and the given props (None dropped)."""
    clean = {key: value for key, value in props.items() if value is not None}
    if children is not None:
        clean["children"] = children
    return {"type": tag, "namespace": "dash_html_components", "props": clean}
