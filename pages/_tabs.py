"""Keyboard-operable tabs: a radio group styled as tabs.

The Tabs component of dash-bootstrap-components 2.0.4 renders under Dash 4 with tabindex=-1 on
every tab and aria-controls pointing nowhere, so no tab can be reached from the keyboard. Native
radio inputs sharing one `name` give a single Tab stop and arrow keys for free, and screen readers
announce the choice. Callbacks read the chosen tab from the `value` property.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html


def tab_bar(tabs_id: str, items: list[tuple[str, str]], active: str, label: str) -> html.Div:
    """Return a tab bar of `(key, label)` items with `active` chosen; `label` names the group."""
    return html.Div(
        dbc.RadioItems(
            id=tabs_id,
            options=[{"label": text, "value": key} for key, text in items],
            value=active,
            # One shared name makes the radios one group: a single Tab stop, arrows move within it.
            name=tabs_id,
            inline=True,
            class_name="portal-tabs no-print",
            input_class_name="btn-check",
            label_class_name="portal-tab",
            label_checked_class_name="active",
        ),
        role="radiogroup",
        className="portal-tab-bar",
        **{"aria-label": label},
    )


def tab_panel(panel_id: str, label: str, **kwargs) -> html.Div:
    """Return the region whose content follows the chosen tab (announced when it changes)."""
    return html.Div(id=panel_id, role="region", **{"aria-label": label, "aria-live": "polite"}, **kwargs)
