"""Danish error answers: HTTP errors, CSRF failures and unexpected exceptions, never a stack trace."""

from __future__ import annotations

from dash.exceptions import DependencyException
from flask import Flask, current_app, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from limits.errors import StorageError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
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


# Unavailable services: the database (restarting, unreachable, its connections cut) and the shared
# limiter store (Redis). Both answer 503 with Retry-After, never a stack trace.
RETRY_AFTER_S = 5
DATABASE_DOWN = ("Kundeportalen kan ikke nå sin database lige nu. Intet er gemt fra denne handling. "
                 "Prøv igen om lidt.")
SIGN_IN_DOWN = ("Log ind er midlertidigt utilgængelig, fordi kontrollen af loginforsøg ikke kan nås. "
                "Prøv igen om lidt.")
LIMITER_DOWN = "Funktionen er midlertidigt utilgængelig. Prøv igen om lidt."
# The routes whose throttles fail closed: no attempt is let through uncounted.
SIGN_IN_PATHS = ("/login", "/glemt-adgangskode", "/nulstil-adgangskode/", "/skift-adgangskode")


def _sign_in_route() -> bool:
    return request.path.startswith(SIGN_IN_PATHS)


def _limiter_store_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [StorageError]
    try:
        import redis.exceptions

        errors += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError]
    except ImportError:  # pragma: no cover - redis is only needed where REDIS_URL is set
        pass
    return tuple(errors)


def _database_unavailable(exc: BaseException) -> bool:
    """Tell whether `exc` says the database cannot be reached (not that a statement was wrong)."""
    if isinstance(exc, PoolTimeoutError):
        return True
    if isinstance(exc, DBAPIError):
        # A cut connection (terminated backend, restart) or no connection at all: OperationalError
        # covers "connection refused", "the database system is shutting down", "terminating connection".
        return bool(exc.connection_invalidated) or isinstance(exc, OperationalError)
    return False


def _unavailable(message: str, *, page_title: str, plain: bool):
    if request.path.startswith("/_dash-") or request.accept_mimetypes.best == "application/json":
        response = jsonify(error=message)
    elif plain:
        # No template: the page must not need the database it reports missing (the footer reads it).
        response = current_app.response_class(
            f'<!DOCTYPE html><html lang="da"><head><meta charset="utf-8"><title>{page_title}</title></head>'
            f"<body><h1>{page_title}</h1><p>{message}</p></body></html>", mimetype="text/html")
    else:
        back = "/login" if _sign_in_route() else "/"
        page = render_template("auth/error.html", title=page_title, message=message, back_url=back,
                               back_text="Prøv igen")
        response = current_app.response_class(page, mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    response.headers["Cache-Control"] = "no-store"
    return response


def database_unavailable(exc: BaseException):
    """Answer 503 in Danish when the database cannot be reached; the request's transaction was rolled back."""
    current_app.logger.warning("database unavailable on %s: %s", request.path, type(exc).__name__)
    return _unavailable(DATABASE_DOWN, page_title="Kundeportalen er midlertidigt utilgængelig", plain=True)


def limiter_unavailable(exc: BaseException):
    """Answer 503 in Danish when the limiter store (Redis) cannot be reached: sign-in is refused, not let through."""
    current_app.logger.warning("limiter store unavailable on %s: %s", request.path, type(exc).__name__)
    sign_in = _sign_in_route()
    return _unavailable(SIGN_IN_DOWN if sign_in else LIMITER_DOWN,
                        page_title="Log ind er midlertidigt utilgængelig" if sign_in else "Midlertidigt utilgængelig",
                        plain=False)


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
    if _database_unavailable(exc):
        return database_unavailable(exc)
    if isinstance(exc, _limiter_store_errors()):
        return limiter_unavailable(exc)
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
