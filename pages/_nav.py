"""Which menu items the navbar shows: the rights table, limited to pages this app serves."""

from __future__ import annotations

from typing import Any

import dash

from core.access import menu_items_for
from core.rights import MenuItem


def served_paths() -> set[str]:
    """Return the paths of the pages registered with Dash."""
    return {page["path"] for page in dash.page_registry.values()}


def open_menu_items(user: Any, cvr: str | None) -> list[MenuItem]:
    """Return the menu items `user` may open for `cvr` that this app serves."""
    if not cvr:
        return []
    paths = served_paths()
    return [item for item in menu_items_for(user, cvr) if item.path in paths]
