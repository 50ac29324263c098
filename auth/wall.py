"""The sign-in wall: every route but sign-in, reset, health and static files needs a user."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, request
from flask_login import current_user

from auth.session import end_session, enforce_timeouts, has_second_factor, requires_second_factor

# Exact paths and prefixes reachable without signing in.
# The footer's two pages are for everyone: the law wants the accessibility statement reachable without an account.
# The second factor's two pages check the half-signed-in session themselves (auth/second_factor.py).
PUBLIC_PATHS = frozenset({"/login", "/login/kode", "/to-trinsbekraeftelse/opsaet", "/glemt-adgangskode", "/ansoeg-administratoradgang", "/health", "/_favicon.ico",
                          "/favicon.ico", "/tilgaengelighedserklaering", "/behandling-af-personoplysninger"})
# MitID Erhverv (auth/saml.py): the way in, the IdP's answers, and the metadata NemLog-in reads.
SAML_PATHS = frozenset({"/saml/login", "/saml/acs", "/saml/metadata", "/saml/slo"})
PUBLIC_PATHS = PUBLIC_PATHS | SAML_PATHS
PUBLIC_PREFIXES = ("/nulstil-adgangskode/", "/administratoradgang/bekraeft/", "/administratoradgang/formular/",
                   "/assets/", "/_dash-component-suites/")
# Reachable signed in while a new password is still owed.
PASSWORD_CHANGE_PATHS = frozenset({"/skift-adgangskode", "/logout"})


def is_public(path: str) -> bool:
    """Tell whether `path` lies outside the sign-in wall."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def _is_dash_endpoint(path: str) -> bool:
    return path.startswith("/_dash-") or path.startswith("/_reload-hash")


def _wall():
    enforce_timeouts()
    path = request.path
    if is_public(path):
        return None
    if not current_user.is_authenticated:
        if _is_dash_endpoint(path) or request.method not in ("GET", "HEAD"):
            return jsonify(error="Du skal logge ind for at bruge Kundeportalen."), 401
        target = request.full_path if request.query_string else path
        return redirect("/login?" + urlencode({"next": target}))
    if requires_second_factor(current_user) and not has_second_factor():
        # A session without the second factor for a user who must have one (signed in before it became
        # required, or by a path that did not mark it): it ends here, and the user signs in again.
        end_session()
        if _is_dash_endpoint(path) or request.method not in ("GET", "HEAD"):
            return jsonify(error="Du skal logge ind med to-trinsbekræftelse for at bruge Kundeportalen."), 401
        return redirect("/login?" + urlencode({"next": request.full_path if request.query_string else path}))
    if getattr(current_user, "must_change_password", False) and path not in PASSWORD_CHANGE_PATHS:
        if _is_dash_endpoint(path) or request.method not in ("GET", "HEAD"):
            return jsonify(error="Du skal vælge en ny adgangskode, før du kan bruge Kundeportalen."), 403
        return redirect("/skift-adgangskode")
    return None


def init_app(app: Flask) -> None:
    """Install the wall before every other `before_request` handler (CSRF included)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _wall)
