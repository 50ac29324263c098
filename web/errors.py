"""Danish error answers: HTTP errors, CSRF failures and unexpected exceptions, never a stack trace."""

from __future__ import annotations

from dash.exceptions import DependencyException
from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, NotFound

from core.access import AccessDenied, NotSignedIn
from data.team import support_email


def server_error() -> str:
    """Return the message of an unexpected error, naming the support address."""
    return f"Der opstod en fejl. Prøv igen, eller kontakt {support_email()}."


# Werkzeug's own texts are English; these are what a user reads instead, per status code.
HTTP_TEXTS: dict[int, tuple[str, str]] = {
    400: ("Ugyldig forespørgsel", "Forespørgslen kunne ikke forstås."),
    401: ("Log ind", "Du skal logge ind for at bruge Kundeportalen."),
    403: ("Ingen adgang", "Du har ikke adgang til det, du bad om."),
    404: ("Siden findes ikke", "Siden eller filen findes ikke."),
    405: ("Ikke tilladt", "Siden kan ikke bruges på den måde."),
    413: ("For stor forespørgsel", "Det, der blev sendt, er for stort."),
    429: ("For mange forsøg", "Der er sendt for mange forespørgsler. Vent lidt, og prøv igen."),
}
FALLBACK_TEXT = ("Forespørgslen kunne ikke gennemføres", "Forespørgslen kunne ikke gennemføres. Prøv igen.")


def _english_default(exc: HTTPException) -> bool:
    # Werkzeug's classes carry English descriptions; ours (AccessDenied, abort(404, "…")) Danish ones.
    return any(exc.description == vars(cls).get("description") for cls in type(exc).__mro__
               if cls.__module__.startswith("werkzeug"))


def danish_http_error(exc: HTTPException):
    """Answer an HTTP error in Danish: JSON on Dash's endpoints and for JSON clients, else a small page."""
    if exc.response is not None:
        return exc.response  # an answer made for the occasion (e.g. a rate limit's own page)
    code = exc.code or 500
    title, message = HTTP_TEXTS.get(code, FALLBACK_TEXT)
    # A rate limit's description is its limit ("3 per 1 hour"), not a sentence for the user.
    if exc.description and code != 429 and not _english_default(exc):
        message = exc.description
    if request.path.startswith("/_dash-") or request.accept_mimetypes.best == "application/json":
        response = jsonify(error=message)
    else:
        page = render_template("auth/error.html", title=title, message=message, back_url="/", back_text="Til forsiden")
        response = current_app.response_class(page, mimetype="text/html")
    response.status_code = code
    # A 405 still names the methods the resource takes; a 429 may say when to come back.
    for header, value in exc.get_headers():
        if header in ("Allow", "Retry-After", "WWW-Authenticate"):
            response.headers[header] = value
    return response


def _error(exc: Exception):
    dash_endpoint = request.path.startswith("/_dash-")
    if isinstance(exc, DependencyException) and request.path.startswith("/_dash-component-suites/"):
        # Dash refuses a file that no component registered ('../', unknown package): that is a 404.
        exc = NotFound("Filen findes ikke.")
    if isinstance(exc, HTTPException):
        if exc.code is None or exc.code < 400:
            return exc  # redirects raised as exceptions (e.g. RequestRedirect) pass through
        return danish_http_error(exc)
    current_app.logger.exception("request failed: %s", request.path)
    if dash_endpoint:
        return jsonify(error=server_error()), 500
    return f"<!DOCTYPE html><html lang=\"da\"><title>Fejl</title><h1>Der opstod en fejl</h1><p>{server_error()}</p></html>", 500


def csrf_failed(exc: CSRFError):
    """Answer a POST without a valid CSRF token with 400 and a Danish message (JSON for Dash)."""
    message = "Siden var udløbet eller kom ikke fra Kundeportalen. Genindlæs siden, og prøv igen."
    if request.path.startswith("/_dash-"):
        return jsonify(error=message), 400
    back = request.path if request.path in ("/login", "/glemt-adgangskode", "/skift-adgangskode") else "/"
    page = render_template("auth/error.html", title="Formularen kunne ikke sendes", message=message,
                           back_url=back, back_text="Prøv igen")
    return page, 400


def init_app(app: Flask) -> None:
    """Answer every error in Danish: access refusals, CSRF failures, HTTP errors and crashes."""
    app.register_error_handler(AccessDenied, danish_http_error)
    app.register_error_handler(NotSignedIn, danish_http_error)
    app.register_error_handler(CSRFError, csrf_failed)
    app.register_error_handler(Exception, _error)
