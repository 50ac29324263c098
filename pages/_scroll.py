"""A box that scrolls a wide table sideways on a narrow screen, so the page itself never does."""

from __future__ import annotations

from typing import Any

from dash import html


def scroll_region(child: Any, label: str, **kwargs: Any) -> html.Div:
    """Wrap `child` in a sideways-scrolling region named `label`, reachable from the keyboard."""
    # A scrolling region must take keyboard focus (WCAG 2.1.1; axe's scrollable-region-focusable),
    # and a focusable region needs a name for screen readers.
    class_name = " ".join(filter(None, ["portal-scroll", kwargs.pop("className", None)]))
    return html.Div(child, className=class_name, tabIndex="0", role="region", **{"aria-label": label}, **kwargs)
