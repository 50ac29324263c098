"""The frame around every page: header with search box and user menu, navbar (a menu button on a phone), page container."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask import has_request_context
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from pages.ids import shell as Shell
from web.legal import footer_context
from pages._email import mail_link


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


def _search_box() -> html.Div:
    return html.Div(
        [
            dcc.Dropdown(
                id=Shell.UNIT_SEARCH,
                placeholder="Bogføringskreds / løngruppe",
                options=[],
                searchable=True,
                clearable=True,
                labels=DROPDOWN_LABELS,
                className="shell-search",
            ),
            dcc.Dropdown(
                id=Shell.CUSTOMER_SEARCH,
                placeholder="Kundenavn / CVR-nummer",
                options=[],
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


def shell_layout() -> html.Div:
    """Return the app layout; built per request so the user menu names the signed-in user."""
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
                                html.Div(id=Shell.CONTEXT_LABEL, className="shell-context", **{"aria-live": "polite"}),
                            ],
                            className="shell-identity",
                        ),
                        html.Div([_search_box(), _user_menu()], className="shell-tools"),
                        _menu_toggle(),
                    ],
                    fluid=True,
                    className="shell-header-inner",
                ),
                className="shell-header",
            ),
            html.Nav(
                dbc.Container(html.Div(dbc.Nav(id=Shell.NAV, className="shell-nav"), id=Shell.MENU,
                                       className="shell-menu"), fluid=True),
                className="shell-navbar",
                **{"aria-label": "Hovedmenu"},
            ),
            html.Main(dbc.Container(dash.page_container, fluid=True, className="shell-main"), id=Shell.MAIN),
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
