"""The paths this app serves, and which menu items the navbar shows (the rights table, limited to them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dash

from core.access import can_do, menu_items_for
from core.rights import MENU_ITEMS, Action, MenuItem
from pages.ids import sa_ansoegninger, sa_persondatalog, sa_servicemaal, sa_tegningsberettigede, sagsimport

# Served, but never kept when the customer changes: the start page shows nothing per customer
# (the first page the user may open does), and 404 is no page.
NOT_DESTINATIONS = frozenset({"/", "/404"})


@dataclass(frozen=True)
class SaPage:
    """A page of SA's own work (not a customer's menu item), shown in the navbar to the staff it is for."""

    label: str
    path: str
    action: Action


# After the customer's menu items: SA's own pages, each opened by an SA action of the rights table.
SA_PAGES: tuple[SaPage, ...] = (
    SaPage("Servicemål", sa_servicemaal.PATH, Action.EDIT_CONTENT),
    SaPage("Indlæs sager", sagsimport.PATH, Action.EDIT_CONTENT),
    SaPage("Persondatalog", sa_persondatalog.PATH, Action.READ_PRIVACY_LOG),
    SaPage("Ansøgninger", sa_ansoegninger.PATH, Action.APPROVE_ADMINISTRATORS),
    SaPage("Tegningsberettigede", sa_tegningsberettigede.PATH, Action.REGISTER_SIGNATORIES),
    SaPage("Verificér aftale", sa_tegningsberettigede.VERIFY_PATH, Action.EDIT_CONTENT),
)


def served_paths() -> set[str]:
    """Return the paths of the pages registered with Dash."""
    return {page["path"] for page in dash.page_registry.values()}


def destination_paths() -> set[str]:
    """Return the served paths kept when the customer changes: every page but the start page and 404."""
    return served_paths() - NOT_DESTINATIONS


def menu_paths() -> frozenset[str]:
    """Return the paths of every menu item in the rights table, served here or not."""
    return frozenset(item.path for item in MENU_ITEMS.values())


def open_menu_items(user: Any, cvr: str | None) -> list[MenuItem | SaPage]:
    """Return the menu items `user` may open for `cvr` that this app serves, then SA's own pages for SA staff."""
    if not cvr:
        return []
    paths = served_paths()
    items: list[MenuItem | SaPage] = [item for item in menu_items_for(user, cvr) if item.path in paths]
    return items + [page for page in SA_PAGES if page.path in paths and can_do(user, page.action)]
