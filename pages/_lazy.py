"""Sections drawn when they scroll into view: the page is ready when what is above the fold is drawn."""

from __future__ import annotations

from dash import dcc, html

# assets/lazy.js watches elements carrying this attribute (the store's id) and, the first time one comes
# within a screen's reach, sets the store to True through Dash, which fires the section's guarded callback.
LAZY_ATTRIBUTE = "data-lazy"


def lazy_trigger(store_id: str, after: str) -> list:
    """Return a store that turns True when this spot first scrolls near the view, and its marker.

    `after` is a CSS selector that matches once the section above is drawn: until then the spot is
    watched not at all, since an empty section above would put it in view on every load.
    """
    # The store only says "seen"; the callback it fires still checks the right and reads scoped data.
    return [dcc.Store(id=store_id, data=False),
            html.Div(className="portal-lazy-mark",
                     **{LAZY_ATTRIBUTE: store_id, "data-lazy-after": after, "aria-hidden": "true"})]


def seen(value: object) -> bool:
    """Return True when a lazy store's browser-sent value says the section has scrolled into view."""
    return value is True
