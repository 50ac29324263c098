"""What the frame shows for an address: the navbar, the customer in context and the two search boxes.

Built by the shell's callbacks (callbacks/shell.py) when the address changes in the browser, and by
`pages._shell.shell_layout` when it draws the opened page into the layout (no round trip on load).
Both pass an `AccessContext` across every customer the user may see (`auth.guard.signed_in_context`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode

import dash_bootstrap_components as dbc
from dash import html

from auth.guard import AccessContext
from core.access import default_cvr, valid_cvr_format
from data import customers, users
from data import units as unit_data
from pages._nav import open_menu_items

MAX_SEARCH_TEXT = 100
# Not a choice: says that the list is cut, so a user scrolling for a customer knows to type instead.
MORE_CUSTOMERS = {"label": "… flere kunder: skriv en del af navnet eller CVR-nummeret", "value": "__flere__",
                  "disabled": True}
MORE_UNITS = {"label": "… flere enheder: skriv en del af koden eller navnet", "value": "__flere__", "disabled": True}


def cvr_from_search(search: str | None) -> str | None:
    """Return the CVR of a query string (`?cvr=…`) when it names exactly one of valid form, else None."""
    values = parse_qs((search or "").lstrip("?")).get("cvr", [])
    cvr = values[0] if len(values) == 1 else None
    return cvr if valid_cvr_format(cvr) else None


def unit_from_search(ctx: AccessContext, cvr: str, search: str | None) -> str | None:
    """Return the unit of a query string (`?enhed=…`) when it is one of customer `cvr`'s, else None."""
    values = parse_qs((search or "").lstrip("?")).get("enhed", [])
    unit = values[0] if len(values) == 1 else None
    return unit if unit_data.unit_kind(ctx.scope, cvr, unit) else None


def remembered_unit(ctx: AccessContext, cvr: str) -> str | None:
    """Return the unit the user last worked on when it belongs to `cvr`, the customer opened for them."""
    unit = getattr(ctx.user, "last_unit", None)
    if cvr != getattr(ctx.user, "last_cvr", None):
        return None
    return unit if unit_data.unit_kind(ctx.scope, cvr, unit) else None


@dataclass(frozen=True)
class OpenedCustomer:
    """The customer an address opens (its CVR, else the user's own), with its name; all None when not seen."""

    cvr: str | None
    name: str | None
    from_url: bool  # the CVR is the address's own (not the user's default)

    @property
    def option(self) -> dict[str, str] | None:
        """Return the customer search box's option of this customer, None when there is none."""
        return {"label": f"{self.name} ({self.cvr})", "value": self.cvr} if self.cvr else None


def opened_customer(ctx: AccessContext, search: str | None) -> OpenedCustomer:
    """Return the customer an address opens, read once for the menu and both search boxes."""
    url_cvr = cvr_from_search(search)
    cvr = url_cvr or default_cvr(ctx.user)
    name = customers.customer_name(ctx.scope, cvr) if cvr else None
    if name is None:
        return OpenedCustomer(None, None, False)
    return OpenedCustomer(cvr, name, url_cvr is not None)


def opened_unit(ctx: AccessContext, opened: OpenedCustomer, search: str | None) -> str | None:
    """Return the code of the unit an address opens (its own, else the one remembered for its customer)."""
    if opened.cvr is None:
        return None
    return unit_from_search(ctx, opened.cvr, search) if opened.from_url else remembered_unit(ctx, opened.cvr)


def nav_for_address(ctx: AccessContext, pathname: str | None, opened: OpenedCustomer,
                    unit: str | None) -> tuple[list, Any]:
    """Return the navbar's items and the context label for an address; remember the customer it names."""
    cvr = opened.cvr
    if opened.from_url:
        # The customer (and unit) in the address is what the user works on now: open it next time.
        users.remember_context(ctx.user, cvr, unit)
    query = {"cvr": cvr}
    if unit:
        # The unit chosen in the search box goes along to the next page (Drejebøger opens it).
        query["enhed"] = unit
    links = [
        dbc.NavItem(dbc.NavLink(item.label, href=f"{item.path}?{urlencode(query)}", active=pathname == item.path))
        for item in open_menu_items(ctx.user, cvr)
    ]
    team = f"/kontakt?{urlencode({'cvr': cvr})}" if cvr else "/kontakt"
    links.append(dbc.NavItem(dbc.NavLink("Kontakt dit team", href=team)))
    label = html.Span([html.Strong(opened.name), f" · CVR {cvr}"]) if opened.name else ""
    return links, label


def customer_option(ctx: AccessContext, cvr: Any) -> dict[str, str] | None:
    """Return the search box's option of customer `cvr` when the user may see it, else None."""
    if not (isinstance(cvr, str) and valid_cvr_format(cvr)):
        return None
    name = customers.customer_name(ctx.scope, cvr)
    return {"label": f"{name} ({cvr})", "value": cvr} if name else None


def customer_choices(ctx: AccessContext, text: Any, chosen: dict[str, str] | None) -> list[dict]:
    """Return the customer search box's options for the typed `text`, the `chosen` option always among them."""
    text = text if isinstance(text, str) else ""
    limit = customers.SEARCH_LIMIT
    rows = customers.search_customers(ctx.scope, text[:MAX_SEARCH_TEXT], limit=limit + 1)
    options = [{"label": f"{r['name']} ({r['cvr']})", "value": r["cvr"]} for r in rows[:limit]]
    if chosen is not None and chosen["value"] not in {o["value"] for o in options}:
        options.insert(0, chosen)
    if len(rows) > limit:
        options.append(MORE_CUSTOMERS)
    return options


def unit_option(row: dict[str, str]) -> dict[str, str]:
    """Return the unit search box's option of a unit row."""
    return {"label": f"{row['code']} – {row['name']} ({row['kind']})", "value": row["code"]}


def unit_choices(ctx: AccessContext, text: Any, code: Any) -> tuple[list[dict], dict[str, str] | None]:
    """Return the unit search box's options for the typed `text` and the unit `code` (None: not one the user sees)."""
    chosen = unit_data.find_unit(ctx.scope, code)
    text = text if isinstance(text, str) else ""
    limit = customers.SEARCH_LIMIT
    rows = unit_data.search_units(ctx.scope, text[:MAX_SEARCH_TEXT], limit=limit + 1)
    options = [unit_option(r) for r in rows[:limit]]
    if chosen is not None and chosen["code"] not in {o["value"] for o in options}:
        options.insert(0, unit_option(chosen))
    if len(rows) > limit:
        options.append(MORE_UNITS)
    return options, chosen
