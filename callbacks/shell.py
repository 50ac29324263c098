"""Callbacks of the frame: navbar for the customer in context, typeahead search, navigation."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import Input, Output, State, ctx as dash_ctx, no_update

from core.access import default_cvr, valid_cvr_format
from auth.guard import AccessContext, portal_callback
from data import customers
from data import units as unit_data
from pages._nav import destination_paths, menu_paths, open_menu_items
from pages._shell_state import (
    customer_choices,
    customer_option,
    cvr_from_search,
    nav_for_address,
    opened_customer,
    opened_unit,
    remembered_unit,
    unit_choices,
    unit_from_search,
)
from pages.ids import shell as Shell


# Not on load: the layout arrives with the frame drawn for the opened address (pages._shell.shell_layout).
# When it could not draw it, dcc.Location sets the address on mount, and that change fires these.
@portal_callback(
    output=dict(nav=Output(Shell.NAV, "children"), label=Output(Shell.CONTEXT_LABEL, "children")),
    inputs=dict(pathname=Input(Shell.LOCATION, "pathname"), search=Input(Shell.LOCATION, "search")),
    menu=None,
    prevent_initial_call=True,
)
def update_nav(ctx: AccessContext, pathname: str | None, search: str | None):
    """Show the menu items the user's rights open for the customer in the URL (and its chosen unit)."""
    opened = opened_customer(ctx, search)
    links, label = nav_for_address(ctx, pathname, opened, opened_unit(ctx, opened, search))
    return {"nav": links, "label": label}


# Options and value are set together: Dash's dropdown drops a value that is not among its options,
# so a customer from the URL beyond the first matches would otherwise be blanked at once.
@portal_callback(
    output=dict(options=Output(Shell.CUSTOMER_SEARCH, "options"), value=Output(Shell.CUSTOMER_SEARCH, "value")),
    inputs=dict(text=Input(Shell.CUSTOMER_SEARCH, "search_value"), search=Input(Shell.LOCATION, "search")),
    state=dict(value=State(Shell.CUSTOMER_SEARCH, "value")),
    menu=None,
    prevent_initial_call=True,
)
def customer_search(ctx: AccessContext, text: str | None, search: str | None, value: str | None):
    """Offer the visible customers matching the typed text, and show the customer of the URL as chosen."""
    typing = dash_ctx.triggered_id == Shell.CUSTOMER_SEARCH
    chosen = customer_option(ctx, value) if typing else opened_customer(ctx, search).option
    options = customer_choices(ctx, text, chosen)
    if typing:
        return {"options": options, "value": no_update}
    return {"options": options, "value": chosen["value"] if chosen else None}


# Like the customer search, options and value go together, and the value is an input too: a mouse pick
# clears the typed text, and a list refilled for the empty text without the picked unit made the dropdown
# drop the pick (the field fell back to its placeholder). The chosen unit is always among the options.
@portal_callback(
    output=dict(options=Output(Shell.UNIT_SEARCH, "options"), value=Output(Shell.UNIT_SEARCH, "value")),
    inputs=dict(text=Input(Shell.UNIT_SEARCH, "search_value"), value=Input(Shell.UNIT_SEARCH, "value"),
                search=Input(Shell.LOCATION, "search")),
    menu=None,
    prevent_initial_call=True,
)
def unit_options(ctx: AccessContext, text: str | None, value: str | None, search: str | None):
    """Offer the units the user may see matching the typed text, keep a pick, and show the unit of the URL."""
    from_url = f"{Shell.LOCATION}.search" in (dash_ctx.triggered_prop_ids or {})
    code = opened_unit(ctx, opened_customer(ctx, search), search) if from_url else value
    options, chosen = unit_choices(ctx, "" if from_url else text, code)
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
    url_cvr = cvr_from_search(search)
    # Filled in for the user (their only or last customer, their last unit) on an address without a
    # customer, rather than picked: the page they opened stays.
    filled = False
    # On a slow browser both boxes' answers to a new address can land in one pass, and Dash then names both
    # as triggered, in no fixed order: an empty unit box must not hide the customer filled in beside it.
    changed = dash_ctx.triggered_prop_ids or {}
    unit_changed = f"{Shell.UNIT_SEARCH}.value" in changed
    customer_changed = f"{Shell.CUSTOMER_SEARCH}.value" in changed
    if unit_changed and (unit_value or not customer_changed):
        if not isinstance(unit_value, str) or len(unit_value) > 20:
            return no_update
        cvr = unit_data.unit_customer(ctx.scope, unit_value)
        if cvr is None:
            return no_update
        if cvr == url_cvr and unit_value == unit_from_search(ctx, cvr, search):
            return no_update  # the unit of the address, shown as chosen: nowhere to go
        query = {"cvr": cvr, "enhed": unit_value}
        filled = url_cvr is None and cvr == default_cvr(ctx.user) and unit_value == remembered_unit(ctx, cvr)
    else:
        if not (isinstance(cvr_value, str) and valid_cvr_format(cvr_value)):
            return no_update
        if customers.customer_name(ctx.scope, cvr_value) is None:
            return no_update
        if cvr_value == url_cvr:
            return no_update
        query = {"cvr": cvr_value}
        filled = url_cvr is None and cvr_value == default_cvr(ctx.user)
        unit = remembered_unit(ctx, cvr_value) if filled else None
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
