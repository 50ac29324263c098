"""Security headers on every response, with a Content-Security-Policy that allows no foreign script.

Scripts run only from this origin and, inline, only Dash's own renderer bootstrap (allowed by its
hash, from `Dash.csp_hashes()`): an injected `<script>` or event-handler attribute does not run
even if some text ever reached the page unescaped. Styles may be inline because Plotly and
dash-ag-grid write `<style>` elements at runtime; style cannot run code.
"""

from __future__ import annotations

import re
from typing import Iterable

from flask import Flask, current_app, request
from flask_login import current_user

# Everything but scripts: the same for every page.
_BASE_DIRECTIVES = (
    "default-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
)


def build_csp(script_hashes: Iterable[str] = ()) -> str:
    """Return the Content-Security-Policy value that allows scripts from this origin and the given hashes."""
    script_src = " ".join(["'self'", *script_hashes])
    return "; ".join([*_BASE_DIRECTIVES, f"script-src {script_src}"])


def _policy(response) -> str:
    """Return the policy of `response`: HTML pages allow Dash's inline scripts by their hashes."""
    dash_app = current_app.extensions.get("dash_app")
    if dash_app is None or response.mimetype != "text/html":
        return build_csp()
    # Computed per page, not once: Dash adds its page-title script on the first request it routes.
    return build_csp(dash_app.csp_hashes())


# A year, the usual minimum for HSTS; the portal is served over TLS only in production.
HSTS = "max-age=31536000; includeSubDomains"
# Files that are the same for everyone (and fingerprinted by Dash): they may be cached.
_SHARED_STATIC_PREFIXES = ("/assets/", "/_dash-component-suites/", "/_favicon.ico", "/favicon.ico")
# Dash's answers built for the one user: the layout (pages, menu) and every callback's output.
_DASH_PER_USER_PREFIXES = ("/_dash-layout", "/_dash-update-component", "/_dash-dependencies")


# A year: Dash names every asset it links with its file's modification time (`/assets/portal.css?m=...`), so a
# changed file comes under a new URL and the old one may be kept. Without this Flask sends `no-cache`, and
# every page load waited for a round trip per asset (a 304) before its scripts could run.
STATIC_MAX_AGE_S = 31536000


# A vendored bundle loaded on demand (assets/vendor, e.g. plotly-basic-4.1.1.min.js) carries its version in its
# name: another version is another file (tests/test_plotly_bundle.py checks the name against the package).
_VERSIONED_VENDOR_FILE = re.compile(r"^/assets/vendor/[\w.-]+-\d+\.\d+\.\d+(\.min)?\.js$")


def _fingerprinted_asset() -> bool:
    """Tell whether this request is for an asset under a URL that changes with its content."""
    path = request.path
    return path.startswith("/assets/") and bool(request.args.get("m")) or bool(_VERSIONED_VENDOR_FILE.match(path))


def _keep_out_of_caches() -> bool:
    """Tell whether this response holds anything of the signed-in user (so no cache may keep it)."""
    path = request.path
    if path.startswith(_DASH_PER_USER_PREFIXES):
        return True
    if path.startswith(_SHARED_STATIC_PREFIXES):
        return False
    return bool(getattr(current_user, "is_authenticated", False))


def _headers(response):
    if current_app.config.get("PORTAL_ENV") == "production":
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    # Checked in this order: an answer already marked no-store (e.g. the 503 of a database that cannot be
    # reached) must not look up the signed-in user again.
    if "no-store" not in response.headers.get("Cache-Control", "") and _keep_out_of_caches():
        # A browser's back button or a shared proxy must not show one user's page to the next.
        response.headers["Cache-Control"] = "no-store"
    elif response.status_code in (200, 304) and _fingerprinted_asset():
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = STATIC_MAX_AGE_S
        response.cache_control.immutable = True
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", _policy(response))
    return response


def init_app(app: Flask) -> None:
    """Add the security headers to every response of `app`."""
    app.after_request(_headers)
