"""The frame around every page: header with search box and user menu, navbar (a menu button on a phone), page container."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
# Dash's router's own parsing of an address, so a page drawn into the layout gets what the router gives it.
from dash._pages import _parse_query_string, _path_to_page
from flask import has_request_context, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from auth.guard import signed_in_context
from core.access import AccessDenied, NotSignedIn
from pages.ids import shell as Shell
from pages._shell_state import (
    customer_choices,
    cvr_from_search,
    nav_for_address,
    opened_customer,
    opened_unit,
    unit_choices,
)
from web.legal import footer_context
from pages._email import mail_link

logger = logging.getLogger(__name__)
LAYOUT_PATH = "/_dash-layout"


def _logout_form() -> html.Form:
    # Signing out is a POST with the CSRF token (GET /logout only asks), so no other site can do it.
    # Only for a signed-in user: Dash also builds the layout once to validate it, on whatever request
    # comes first (the health probe, say), and that must not start a session.
    signed_in = has_request_context() and current_user.is_authenticated
    token = generate_csrf() if signed_in else ""
    return html.Form(
        [
            dcc.Input(type="hidden", name="csrf_token", value=token),
            html.Button("Log ud", type="submit", className="dropdown-item", id=Shell.LOGOUT),
        ],
        action="/logout",
        method="POST",
        className="m-0",
    )


def _user_menu() -> dbc.DropdownMenu:
    name = current_user.name if has_request_context() and current_user.is_authenticated else ""
    return dbc.DropdownMenu(
        [
            # A plain div: dbc's header item renders role="heading" without aria-level (axe: critical).
            html.Div(name or "Bruger", className="dropdown-header shell-user-name"),
            dbc.DropdownMenuItem("Skift adgangskode", href="/skift-adgangskode", external_link=True),
            dbc.DropdownMenuItem("To-trinsbekræftelse", href="/to-trinsbekraeftelse", external_link=True),
            # The role help is for every signed-in user, not only those who edit contacts.
            dbc.DropdownMenuItem("Roller i Kundeportalen", href="/roller"),
            dbc.DropdownMenuItem("Notifikationer", href="/notifikationer"),
            _logout_form(),
        ],
        label="Brugermenu",
        align_end=True,
        color="light",
        className="shell-user-menu",
    )


# Dash 4's dropdown texts default to English.
DROPDOWN_LABELS = {
    "search": "Søg",
    "clear_search": "Ryd søgning",
    "clear_selection": "Ryd valg",
    "no_options_found": "Ingen resultater",
    "select_all": "Vælg alle",
    "deselect_all": "Fravælg alle",
    "selected_count": "{num_selected} valgt",
}


def _search_box(drawn: DrawnAddress | None) -> html.Div:
    return html.Div(
        [
            dcc.Dropdown(
                id=Shell.UNIT_SEARCH,
                placeholder="Bogføringskreds / løngruppe",
                options=drawn.unit_options if drawn else [],
                **({"value": drawn.unit_value} if drawn else {}),
                searchable=True,
                clearable=True,
                labels=DROPDOWN_LABELS,
                className="shell-search",
            ),
            dcc.Dropdown(
                id=Shell.CUSTOMER_SEARCH,
                placeholder="Kundenavn / CVR-nummer",
                options=drawn.customer_options if drawn else [],
                **({"value": drawn.customer_value} if drawn else {}),
                searchable=True,
                clearable=True,
                labels=DROPDOWN_LABELS,
                className="shell-search",
            ),
        ],
        id=Shell.SEARCH,
        className="shell-search-box",
        role="search",
        **{"aria-label": "Søg kunde"},
    )


def _menu_toggle() -> html.Button:
    # Shown on a phone only (assets/portal.css). It opens the menu and the search fields, which a
    # phone hides so the page starts on the first screen. The toggle is plain browser behaviour in
    # assets/shell.js: it reads and writes no data, so it needs no round trip to the server.
    return html.Button(
        [html.Span(className="shell-menu-icon", **{"aria-hidden": "true"}), "Menu"],
        id=Shell.MENU_TOGGLE,
        type="button",
        className="shell-menu-toggle",
        **{"aria-expanded": "false", "aria-controls": f"{Shell.MENU} {Shell.SEARCH}"},
    )


@dataclass(frozen=True)
class DrawnAddress:
    """The opened address with its page and the frame drawn for it, as the router and shell callbacks would."""

    pathname: str
    search: str
    content: Any
    title: str
    nav: list
    label: Any
    customer_options: list
    customer_value: str | None
    unit_options: list
    unit_value: str | None


def _opened_address() -> tuple[str, str, dict] | None:
    """Return the path, query and page of the address whose layout the browser asks for, when it can be told."""
    # The browser asks for the layout from the page it opened, and the portal's Referrer-Policy
    # (same-origin) has it name that page's address. Only an address with a CVR is drawn here: one
    # without is filled in by the shell's callbacks, which then move the browser to the customer's
    # address. A browser that sends only the origin names "/", which has none.
    if not has_request_context() or request.path != LAYOUT_PATH or not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if f"{parts.scheme}://{parts.netloc}" != request.host_url.rstrip("/"):
        return None
    search = f"?{parts.query}" if parts.query else ""
    if cvr_from_search(search) is None:
        return None
    page, variables = _path_to_page(dash.get_app().strip_relative_path(parts.path))
    if not page or variables:
        return None  # unknown (404) or a path template: the router draws it
    return parts.path, search, page


def draw_opened_address() -> DrawnAddress | None:
    """Draw the page the layout request comes from, and the frame for it; None when the router must.

    The page goes through its own guard (`guarded_layout`), and the frame through the signed-in
    user's scope, exactly as in the callbacks that draw them otherwise.
    """
    address = _opened_address()
    if address is None:
        return None
    pathname, search, page = address
    try:
        # The frame first: the page's guard narrows the request's scope to its menu.
        ctx = signed_in_context()
        if not ctx.scope.allows(cvr_from_search(search)):
            # A customer the user may not see: the router refuses it, and nothing here repeats its CVR.
            return None
        # The address's customer and unit are read once for the menu and both search boxes.
        opened = opened_customer(ctx, search)
        unit_code = opened_unit(ctx, opened, search)
        nav, label = nav_for_address(ctx, pathname, opened, unit_code)
        chosen = opened.option
        customer_options = customer_choices(ctx, "", chosen)
        unit_options, unit = unit_choices(ctx, "", unit_code)
        layout, title = page["layout"], page["title"]
        content = layout(**_parse_query_string(search)) if callable(layout) else layout
        title = title() if callable(title) else title
    except (NotSignedIn, AccessDenied):
        return None  # the callbacks refuse it as they always do
    except Exception:
        # Never a blank page: the router and the callbacks draw it again, and show any error as they do.
        # Nothing after this reads the database in this request; its session is rolled back when it ends.
        logger.exception("page %s not drawn into the layout", pathname)
        return None
    return DrawnAddress(pathname, search, content, title, nav, label, customer_options,
                        chosen["value"] if chosen else None, unit_options, unit["code"] if unit else None)


def _page_container(drawn: DrawnAddress | None) -> html.Div:
    """Return Dash's page container (the ids of `dash.page_container`), the opened page drawn in it if it could be."""
    if drawn is None:
        # dcc.Location sets the address on mount: the router and the shell's callbacks draw the rest.
        return html.Div([
            dcc.Location(id=Shell.LOCATION, refresh="callback-nav"),
            html.Div(id=Shell.PAGE_CONTENT, disable_n_clicks=True),
            dcc.Store(id=Shell.PAGE_STORE),
            html.Div(id=Shell.PAGE_DUMMY, disable_n_clicks=True),
        ])
    return html.Div([
        # The address as the browser has it: dcc.Location has nothing to set on mount, so neither the
        # router nor the shell's callbacks are called on load. A later change of address calls them.
        dcc.Location(id=Shell.LOCATION, refresh="callback-nav", pathname=drawn.pathname, search=drawn.search),
        html.Div(drawn.content, id=Shell.PAGE_CONTENT, disable_n_clicks=True),
        dcc.Store(id=Shell.PAGE_STORE, data={"title": drawn.title}),
        html.Div(id=Shell.PAGE_DUMMY, disable_n_clicks=True),
    ])


def shell_layout() -> html.Div:
    """Return the app layout; built per request so the user menu names the signed-in user.

    Asked for by a page the browser opened (see `draw_opened_address`), it holds that page and the
    frame drawn for it, so the page is ready without a round trip of callbacks.
    """
    drawn = draw_opened_address()
    return html.Div(
        [
            dcc.Location(id=Shell.REDIRECT, refresh="callback-nav"),
            html.Header(
                dbc.Container(
                    [
                        html.Div(
                            [
                                html.Div("Velkommen", className="shell-welcome"),
                                html.A("STATENS ADMINISTRATION", href="/", className="shell-brand"),
                                html.Div(id=Shell.CONTEXT_LABEL, className="shell-context",
                                         **({"children": drawn.label} if drawn else {}), **{"aria-live": "polite"}),
                            ],
                            className="shell-identity",
                        ),
                        html.Div([_search_box(drawn), _user_menu()], className="shell-tools"),
                        _menu_toggle(),
                    ],
                    fluid=True,
                    className="shell-header-inner",
                ),
                className="shell-header",
            ),
            html.Nav(
                dbc.Container(html.Div(dbc.Nav(id=Shell.NAV, className="shell-nav",
                                               **({"children": drawn.nav} if drawn else {})), id=Shell.MENU,
                                       className="shell-menu"), fluid=True),
                className="shell-navbar",
                **{"aria-label": "Hovedmenu"},
            ),
            html.Main(dbc.Container(_page_container(drawn), fluid=True, className="shell-main"), id=Shell.MAIN),
            _footer(),
        ]
    )


def _footer() -> html.Footer:
    # Plain links (full page loads): the two pages are server-rendered and public, outside Dash.
    info = footer_context()
    links: list = []
    for label, href in info["links"]:
        links += [" · "] if links else []
        links.append(html.A(label, href=href))
    return html.Footer(
        [
            html.P([f"{info['name']} · {info['address']} · ",
                    mail_link(info["support_email"])]),
            html.P(links),
        ],
        className="portal-footer",
    )
