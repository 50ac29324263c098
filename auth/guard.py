"""The one access wrapper: every callback and every page layout goes through it.

Callback modules declare callbacks with `portal_callback(...)` at import time; `register_callbacks`
attaches them to a Dash app. Before the callback body runs, the wrapper authenticates the user,
reads the CVR from the callback's own `cvr` input and checks the right for its menu item.
"""

from __future__ import annotations

import functools
from urllib.parse import urlencode
from dataclasses import dataclass
from typing import Any, Callable

from dash import html
from flask import request
from flask_login import current_user

from core.access import (
    AccessDenied,
    AccessScope,
    NotSignedIn,
    can_access,
    can_do,
    customer_scope,
    default_cvr,
    menu_items_for,
    menu_scope,
    require_access,
    require_action,
    valid_cvr_format,
)
from core.rights import MENU_ITEMS, Action, Menu, rights_open_menu
from data.db import get_session
from data.audit import bind_origin
from data.scoping import bind_scope

GUARD_MARK = "__portal_guard__"


@dataclass(frozen=True)
class AccessContext:
    """What a guarded callback or layout may use: the user, the checked CVR and its scope."""

    user: Any
    cvr: str | None
    scope: AccessScope


@dataclass(frozen=True)
class CallbackSpec:
    """A callback declared at import time, attached to each app by `register_callbacks`."""

    args: tuple
    kwargs: dict
    func: Callable


_DECLARED: list[CallbackSpec] = []


def bind_request(scope: AccessScope) -> None:
    """Scope the request's queries to `scope` and mark its audit rows with the client's address."""
    session = get_session()
    bind_scope(session, scope)
    bind_origin(session, request.remote_addr)


def _signed_in_user() -> Any:
    user = current_user
    if user is None or not user.is_authenticated:
        raise NotSignedIn()
    if getattr(user, "must_change_password", False):
        raise AccessDenied("Du skal vælge en ny adgangskode, før du kan bruge Kundeportalen.")
    return user._get_current_object() if hasattr(user, "_get_current_object") else user


def signed_in_context() -> AccessContext:
    """Return the signed-in user's context across every customer they may see, their queries scoped to it.

    What a callback guarded with `menu=None` receives, for code outside a callback (the layout request).
    Raises NotSignedIn, or AccessDenied while the user must choose a new password.
    """
    user = _signed_in_user()
    ctx = AccessContext(user, None, customer_scope(user))
    bind_request(ctx.scope)
    return ctx


def portal_callback(*args: Any, menu: Menu | None, action: Action | None = None, **kwargs: Any) -> Callable:
    """Declare a Dash callback guarded for `menu` (and SA `action`); raises NotSignedIn / AccessDenied when called."""
    # With a menu, the callback's dependencies must be given by name (`inputs=dict(...)`,
    # `state=dict(...)`) and one of them must be named `cvr`: that value is checked. The decorated
    # function receives an `AccessContext` first, then the named values (without `cvr`).
    # With `menu=None` the callback only needs a signed-in user; its scope is every CVR the user
    # may see. With `action` (e.g. Action.EDIT_CONTENT for the back-office) the user must also be
    # allowed that action by the rights table: a customer account is refused before the body runs,
    # whatever the payload says.
    if menu is not None:
        deps = {**(kwargs.get("inputs") or {}), **(kwargs.get("state") or {})}
        if "cvr" not in deps:
            raise ValueError("A callback guarded by a menu needs a dependency named 'cvr'.")

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def guarded(*cb_args: Any, **cb_kwargs: Any) -> Any:
            user = _signed_in_user()
            if menu is None:
                ctx = AccessContext(user, None, customer_scope(user))
            else:
                cvr = cb_kwargs.pop("cvr", None)
                ctx = AccessContext(user, cvr, require_access(user, menu, cvr))
            if action is not None:
                require_action(user, action)
            # Every query the callback makes from here on stays inside the CVRs on which the user
            # holds this menu's right (a page like Brugeradministration works across all of them);
            # the data functions narrow further to the checked CVR.
            bind_request(ctx.scope if menu is None else menu_scope(user, menu))
            return func(ctx, *cb_args, **cb_kwargs)

        setattr(guarded, GUARD_MARK, {"menu": menu, "action": action})
        _DECLARED.append(CallbackSpec(args, kwargs, guarded))
        # The module's name for the callback is the guarded function too: a later direct call
        # cannot skip the check (as `guarded_layout` does for layouts).
        return guarded

    return decorator


def register_callbacks(dash_app: Any) -> None:
    """Attach every declared callback to `dash_app` (called once per app by create_app)."""
    for spec in _DECLARED:
        dash_app.callback(*spec.args, **spec.kwargs)(spec.func)


def denied_layout(message: str | None = None, onward: tuple[str, str] | None = None) -> html.Div:
    """Return the Danish 'ingen adgang' page: why, and where to go instead (`onward`: label and address)."""
    links: list = [html.A(f"Gå til {onward[0]}", href=onward[1]), " eller "] if onward else []
    return html.Div(
        [
            html.H1("Ingen adgang", className="h3"),
            html.P(message or "Du har ikke rettighed til denne side for den valgte kunde."),
            html.P(
                [
                    "Kontakt din lokale administrator, hvis du mener, at du skal have adgang. ",
                    *links,
                    html.A("gå til forsiden" if onward else "Gå til forsiden", href="/"),
                    "." if onward else "",
                ]
            ),
        ],
        className="alert alert-warning portal-denied",
        role="alert",
    )


def choose_customer_layout() -> html.Div:
    """Return the prompt shown when no customer is in context yet."""
    return html.Div(
        [
            html.H1("Vælg en kunde", className="h3"),
            html.P("Søg efter bogføringskreds, løngruppe, kundenavn eller CVR-nummer i søgefelterne i sidehovedet."),
        ],
        className="alert alert-info",
        role="status",
    )


def _refusal_reason(user: Any, menu: Menu, cvr: str) -> str | None:
    """Return why a menu needing a B-number is closed to `user` at `cvr` (None: the general refusal)."""
    item = MENU_ITEMS[menu]
    if not item.needs_b_number:
        return None
    rights = user.rights_on(cvr) if hasattr(user, "rights_on") else frozenset()
    if rights_open_menu(menu, rights, has_b_number=True):
        # The right is there; only the B-number is missing.
        return (f"{item.label} kræver rettigheden »Rapporter« og et B-nummer på din bruger. "
                "Bed din lokale administrator om at tilføje dit B-nummer.")
    return (f"{item.label} kræver rettigheden »Rapporter« for den valgte kunde. "
            "Bed din lokale administrator om at give dig rettigheden.")


def _onward(user: Any, cvr: str) -> tuple[str, str] | None:
    """Return the first page `user` may open at `cvr` (label, address), for a refusal to link to."""
    items = menu_items_for(user, cvr)
    return (items[0].label, f"{items[0].path}?{urlencode({'cvr': cvr})}") if items else None


def signed_in_layout(func: Callable) -> Callable:
    """Guard a page open to every signed-in user; its queries see only the customers the user may see."""
    return _layout_for_action(None)(func)


def action_layout(action: Action) -> Callable:
    """Guard a page of SA's own work across customers (e.g. the case import); others get 'ingen adgang'."""
    return _layout_for_action(action)


def _layout_for_action(action: Action | None) -> Callable:
    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def layout(**query: Any) -> Any:
            user = current_user
            if user is None or not user.is_authenticated:
                return denied_layout("Du skal logge ind for at bruge Kundeportalen.")
            if getattr(user, "must_change_password", False):
                return denied_layout("Du skal vælge en ny adgangskode, før du kan bruge Kundeportalen.")
            if action is not None and not can_do(user, action):
                return denied_layout("Siden er kun for medarbejdere i Statens Administration.")
            bind_request(customer_scope(user))
            return func(**query)

        setattr(layout, GUARD_MARK, {"menu": None, "action": action})
        return layout

    return decorator


def guarded_layout(menu: Menu) -> Callable:
    """Guard a page's `layout(**query)`: check the right for its CVR; denied users get 'ingen adgang'."""
    # The wrapped function receives an `AccessContext` first. Denied users get the Danish
    # 'ingen adgang' page, never the layout.

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def layout(cvr: Any = None, **query: Any) -> Any:
            user = current_user
            if user is None or not user.is_authenticated:
                return denied_layout("Du skal logge ind for at bruge Kundeportalen.")
            if cvr in (None, ""):
                cvr = default_cvr(user)
                if cvr is None:
                    return choose_customer_layout()
            if not valid_cvr_format(cvr):
                return denied_layout("Ugyldigt CVR-nummer i adressen. Et CVR-nummer består af 8 cifre.")
            if not can_access(user, menu, cvr):
                return denied_layout(_refusal_reason(user, menu, cvr), _onward(user, cvr))
            ctx = AccessContext(user, cvr, AccessScope.single(cvr))
            bind_request(menu_scope(user, menu))
            # The query string is the client's: a repeated key (a list) is as ambiguous as a repeated
            # CVR and is dropped, and a key named like the context argument must not collide with it.
            query = {key: value for key, value in query.items() if isinstance(value, str) and key != "ctx"}
            return func(ctx, **query)

        setattr(layout, GUARD_MARK, {"menu": menu})
        return layout

    return decorator


__all__ = [
    "AccessContext",
    "AccessDenied",
    "GUARD_MARK",
    "choose_customer_layout",
    "denied_layout",
    "guarded_layout",
    "portal_callback",
    "action_layout",
    "bind_request",
    "register_callbacks",
    "signed_in_context",
    "signed_in_layout",
]
