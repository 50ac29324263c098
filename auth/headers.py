"""Security headers on every response."""

from flask import Flask

# Scripts are not restricted here: Dash renders inline config and dash-ag-grid evaluates
# column functions; the directives below still stop framing, plugins and form hijacking.
CSP = "frame-ancestors 'none'; object-src 'none'; base-uri 'self'; form-action 'self'"


def _headers(response):
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CSP)
    return response


def init_app(app: Flask) -> None:
    """Add the security headers to every response of `app`."""
    app.after_request(_headers)
