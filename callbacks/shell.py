"""Callbacks of the frame: navbar for the customer in context, typeahead search, navigation."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx as dash_ctx, html, no_update

from core.access import default_cvr, valid_cvr_format
from auth.guard import AccessContext, portal_callback
from data import customers, users
from data import units as unit_data
from pages._nav import destination_paths, menu_paths, open_menu_items
from pages.ids import shell as Shell

MAX_SEARCH_TEXT = 100
# Not a choice: says that the list is cut, so a user scrolling for a customer knows to type instead.
MORE_CUSTOMERS = {"label": "… flere kunder: skriv en del af navnet eller CVR-nummeret", "value": "__flere__",
                  "disabled": True}
MORE_UNITS = {"label": "… flere enheder: skriv en del af koden eller navnet", "value": "__flere__", "disabled": True}


def _cvr_from_search(search: str | None) -> str | None:
    values = parse_qs((search or "").lstrip("?")).get("cvr", [])
    cvr = values[0] if len(values) == 1 else None
    return cvr if valid_cvr_format(cvr) else None


def _unit_from_search(ctx: AccessContext, cvr: str, search: str | None) -> str | None:
    values = parse_qs((search or "").lstrip("?")).get("enhed", [])
    unit = values[0] if len(values) == 1 else None
    return unit if unit_data.unit_kind(ctx.scope, cvr, unit) else None


def _remembered_unit(ctx: AccessContext, cvr: str) -> str | None:
    """Return the unit the user last worked on when it belongs to `cvr`, the customer opened for them."""
    unit = getattr(ctx.user, "last_unit", None)
    if cvr != getattr(ctx.user, "last_cvr", None):
        return None
    return unit if unit_data.unit_kind(ctx.scope, cvr, unit) else None


@portal_callback(
    output=dict(nav=Output(Shell.NAV, "children"), label=Output(Shell.CONTEXT_LABEL, "children")),
    inputs=dict(pathname=Input(Shell.LOCATION, "pathname"), search=Input(Shell.LOCATION, "search")),
    menu=None,
)
def update_nav(ctx: AccessContext, pathname: str | None, search: str | None):
    """Show the menu items the user's rights open for the customer in the URL (and its chosen unit)."""
    url_cvr = _cvr_from_search(search)
    cvr = url_cvr or default_cvr(ctx.user)
    name = customers.customer_name(ctx.scope, cvr) if cvr else None
    if name is None:
        cvr = None
    query = {"cvr": cvr}
    unit = None
    if cvr:
        unit = _unit_from_search(ctx, cvr, search) if url_cvr else _remembered_unit(ctx, cvr)
    if url_cvr and cvr:
        # The customer (and unit) in the address is what the user works on now: open it next time.
        users.remember_context(ctx.user, cvr, unit)
    if unit:
        # The unit chosen in the search box goes along to the next page (Drejebøger opens it).
        query["enhed"] = unit
    links = [
        dbc.NavItem(dbc.NavLink(item.label, href=f"{item.path}?{urlencode(query)}", active=pathname == item.path))
        for item in open_menu_items(ctx.user, cvr)
    ]
    links.append(dbc.NavItem(dbc.NavLink("Kontakt dit team", href=f"/kontakt?{urlencode({'cvr': cvr})}" if cvr else "/kontakt")))
    label = html.Span([html.Strong(name), f" · CVR {cvr}"]) if name else ""
    return {"nav": links, "label": label}


def _customer_option(ctx: AccessContext, cvr: str | None) -> dict[str, str] | None:
    """Return the option of customer `cvr` when the user may see it, else None."""
    if not (isinstance(cvr, str) and valid_cvr_format(cvr)):
        return None
    name = customers.customer_name(ctx.scope, cvr)
    return {"label": f"{name} ({cvr})", "value": cvr} if name else None


# Options and value are set together: Dash's dropdown drops a value that is not among its options,
# so a customer from the URL beyond the first matches would otherwise be blanked at once.
@portal_callback(
    output=dict(options=Output(Shell.CUSTOMER_SEARCH, "options"), value=Output(Shell.CUSTOMER_SEARCH, "value")),
    inputs=dict(text=Input(Shell.CUSTOMER_SEARCH, "search_value"), search=Input(Shell.LOCATION, "search")),
    state=dict(value=State(Shell.CUSTOMER_SEARCH, "value")),
    menu=None,
)
def customer_search(ctx: AccessContext, text: str | None, search: str | None, value: str | None):
    """Offer the visible customers matching the typed text, and show the customer of the URL as chosen."""
    typing = dash_ctx.triggered_id == Shell.CUSTOMER_SEARCH
    chosen = _customer_option(ctx, value if typing else (_cvr_from_search(search) or default_cvr(ctx.user)))
    text = text if isinstance(text, str) else ""
    limit = customers.SEARCH_LIMIT
    rows = customers.search_customers(ctx.scope, text[:MAX_SEARCH_TEXT], limit=limit + 1)
    options = [{"label": f"{r['name']} ({r['cvr']})", "value": r["cvr"]} for r in rows[:limit]]
    if chosen is not None and chosen["value"] not in {o["value"] for o in options}:
        options.insert(0, chosen)
    if len(rows) > limit:
        options.append(MORE_CUSTOMERS)
    if typing:
        return {"options": options, "value": no_update}
    return {"options": options, "value": chosen["value"] if chosen else None}


def _unit_option(row: dict[str, str]) -> dict[str, str]:
    return {"label": f"{row['code']} – {row['name']} ({row['kind']})", "value": row["code"]}


# Like the customer search, options and value go together, and the value is an input too: a mouse pick
# clears the typed text, and a list refilled for the empty text without the picked unit made the dropdown
# drop the pick (the field fell back to its placeholder). The chosen unit is always among the options.
@portal_callback(
    output=dict(options=Output(Shell.UNIT_SEARCH, "options"), value=Output(Shell.UNIT_SEARCH, "value")),
    inputs=dict(text=Input(Shell.UNIT_SEARCH, "search_value"), value=Input(Shell.UNIT_SEARCH, "value"),
                search=Input(Shell.LOCATION, "search")),
    menu=None,
)
def unit_options(ctx: AccessContext, text: str | None, value: str | None, search: str | None):
    """Offer the units the user may see matching the typed text, keep a pick, and show the unit of the URL."""
    from_url = f"{Shell.LOCATION}.search" in (dash_ctx.triggered_prop_ids or {})
    if from_url:
        cvr = _cvr_from_search(search) or default_cvr(ctx.user)
        code = (_unit_from_search(ctx, cvr, search) if _cvr_from_search(search) else _remembered_unit(ctx, cvr)) \
            if cvr and customers.customer_name(ctx.scope, cvr) else None
    else:
        code = value
    chosen = unit_data.find_unit(ctx.scope, code)
    text = text if isinstance(text, str) and not from_url else ""
    limit = customers.SEARCH_LIMIT
    rows = unit_data.search_units(ctx.scope, text[:MAX_SEARCH_TEXT], limit=limit + 1)
    options = [_unit_option(r) for r in rows[:limit]]
    if chosen is not None and chosen["code"] not in {o["value"] for o in options}:
        options.insert(0, _unit_option(chosen))
    if len(rows) > limit:
        options.append(MORE_UNITS)
    if from_url:
        return {"options": options, "value": chosen["code"] if chosen else None}
    return {"options": options, "value": no_update}


@portal_callback(
    output=Output(Shell.REDIRECT, "href"),
    inputs=dict(cvr_value=Input(Shell.CUSTOMER_SEARCH, "value"), unit_value=Input(Shell.UNIT_SEARCH, "value")),
    state=dict(pathname=State(Shell.LOCATION, "pathname"), search=State(Shell.LOCATION, "search")),
    prevent_initial_call=True,
    menu=None,
)
def navigate_to_choice(ctx: AccessContext, cvr_value, unit_value, pathname, search):
    """Put the chosen customer (or the unit's customer) in the URL, keeping the current page."""
    query: dict[str, str] = {}
    url_cvr = _cvr_from_search(search)
    # Filled in for the user (their only or last customer, their last unit) on an address without a
    # customer, rather than picked: the page they opened stays.
    filled = False
    if dash_ctx.triggered_id == Shell.UNIT_SEARCH:
        if not isinstance(unit_value, str) or len(unit_value) > 20:
            return no_update
        cvr = unit_data.unit_customer(ctx.scope, unit_value)
        if cvr is None:
            return no_update
        if cvr == url_cvr and unit_value == _unit_from_search(ctx, cvr, search):
            return no_update  # the unit of the address, shown as chosen: nowhere to go
        query = {"cvr": cvr, "enhed": unit_value}
        filled = url_cvr is None and cvr == default_cvr(ctx.user) and unit_value == _remembered_unit(ctx, cvr)
    else:
        if not (isinstance(cvr_value, str) and valid_cvr_format(cvr_value)):
            return no_update
        if customers.customer_name(ctx.scope, cvr_value) is None:
            return no_update
        if cvr_value == url_cvr:
            return no_update
        query = {"cvr": cvr_value}
        filled = url_cvr is None and cvr_value == default_cvr(ctx.user)
        unit = _remembered_unit(ctx, cvr_value) if filled else None
        if unit:
            query["enhed"] = unit
    # The pathname is the client's: keep it only when it is one of our pages, never '//other.host'.
    path = pathname if isinstance(pathname, str) and pathname in destination_paths() else None
    if filled:
        if path is None:
            return no_update  # the start page names no customer: it stays the start page
        # The user opened this address: keep it, so a page their rights do not open says why
        # (guarded_layout's refusal, with a link onward) instead of silently showing another page.
        return f"{path}?{urlencode(query)}"
    items = open_menu_items(ctx.user, query["cvr"])
    # A menu page the user's rights do not open at the customer they switch to would only say "Ingen
    # adgang": go to the first page they may open there instead.
    if path in menu_paths() and path not in {item.path for item in items}:
        path = None
    if path is None:
        path = items[0].path if items else "/"
    return f"{path}?{urlencode(query)}"
