"""The paths this app serves, and which menu items the navbar shows (the rights table, limited to them)."""

from __future__ import annotations

from typing import Any

import dash

from core.access import menu_items_for
from core.rights import MENU_ITEMS, MenuItem

# Served, but never kept when the customer changes: the start page shows nothing per customer
# (the first page the user may open does), and 404 is no page.
NOT_DESTINATIONS = frozenset({"/", "/404"})


def served_paths() -> set[str]:
    """Return the paths of the pages registered with Dash."""
    return {page["path"] for page in dash.page_registry.values()}


def destination_paths() -> set[str]:
    """Return the served paths kept when the customer changes: every page but the start page and 404."""
    return served_paths() - NOT_DESTINATIONS


def menu_paths() -> frozenset[str]:
    """Return the paths of every menu item in the rights table, served here or not."""
    return frozenset(item.path for item in MENU_ITEMS.values())


def open_menu_items(user: Any, cvr: str | None) -> list[MenuItem]:
    """Return the menu items `user` may open for `cvr` that this app serves."""
    if not cvr:
        return []
    paths = served_paths()
    return [item for item in menu_items_for(user, cvr) if item.path in paths]
