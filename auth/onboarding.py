"""Public pages of administrator onboarding: the request, the e-mail confirmation and the online form.

No sign-in: the pages lie outside the wall (auth/wall.py). Requests are rate-limited per client
address (Flask-Limiter) and per e-mail address (the sign-in throttle's storage, keyed by an HMAC);
the answer is the same whether or not the CVR or the address is known, and the confirmation mail
goes out after the response, so its timing tells nothing either. Links carry secrets: their pages
are kept out of caches and Referer headers.
"""

from __future__ import annotations

import functools

from flask import Blueprint, Flask, current_app, make_response, render_template, request
from flask.wrappers import Response

from auth.extensions import limiter
from auth.links import public_base_url
from auth.throttle import get_login_attempts
from data import onboarding
from data.audit import bind_origin
from data.db import get_session
from data.errors import ValidationError
from data.mail import MailError, PendingMail, deliver, queue_mail

bp = Blueprint("onboarding", __name__, template_folder="templates")

REQUEST_PATH = "/ansoeg-administratoradgang"
CONFIRM_PREFIX = "/administratoradgang/bekraeft/"
FORM_PREFIX = "/administratoradgang/formular/"
MAILS_PER_ADDRESS_PER_HOUR = 3
DEFAULT_IP_LIMIT = "10 per hour"

REQUESTED_MESSAGE = (
    "Tak for din ansøgning. Vi sender en e-mail til den adresse, du har oplyst, med et link, som du skal bruge "
    "for at bekræfte ansøgningen. Linket virker i 24 timer. Først når du har bekræftet, sendes ansøgningen til "
    "Statens Administration. Kan du ikke finde e-mailen, så kig i din uønskede post."
)
CONFIRMED_MESSAGE = (
    "Tak. Din e-mailadresse er bekræftet, og ansøgningen er sendt til Statens Administration. Når "
    "systemadministratoren har behandlet den, får du svar på e-mail."
)
SUBMITTED_MESSAGE = (
    "Tak. Formularen er sendt til Statens Administration. Når administratoren er oprettet, får "
    "administratoren en e-mail med et link til at vælge sin adgangskode."
)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _page(template: str, status: int = 200, **context) -> Response:
    return _no_store(make_response(render_template(template, **context), status))


def _message(title: str, message: str) -> Response:
    return _page("auth/onboarding_message.html", title=title, message=message)


def _refused(exc: onboarding.LinkRefused) -> Response:
    return _page("auth/error.html", 400, title="Linket virker ikke", message=exc.message,
                 back_url=REQUEST_PATH, back_text="Ansøg om administratoradgang")


def ip_limit() -> str:
    """Return the per-client limit for requests (ONBOARDING_IP_LIMIT, a Flask-Limiter limit string)."""
    return current_app.config.get("ONBOARDING_IP_LIMIT") or DEFAULT_IP_LIMIT


def _ip_limit_breached(_request_limit) -> Response:  # noqa: ANN001
    error = "Der er sendt for mange ansøgninger fra din forbindelse. Vent en time, og prøv igen."
    response = _page("auth/onboarding_request.html", 429, values={}, errors={}, error=error)
    response.headers["Retry-After"] = "3600"
    return response


def _mail_allowed(email: str) -> bool:
    # A few mails per address an hour: enough for an applicant, useless for flooding someone's inbox.
    attempts = get_login_attempts()
    key = f"{attempts.prefix}/onboarding-mail/{attempts.account_key(email)}"
    return attempts.storage.incr(key, 3600) <= MAILS_PER_ADDRESS_PER_HOUR


def _deliver_after_response(app: Flask, pending: PendingMail) -> None:
    with app.app_context():
        try:
            deliver(pending)
        except Exception:  # noqa: BLE001 - the answer is already sent; the failure belongs in the log
            app.logger.exception("onboarding confirmation mail, outbox row %s", pending.outbox_id)


def _form_values() -> dict[str, str]:
    return {key: (value if isinstance(value, str) else "")[:1000] for key, value in request.form.items()}


@bp.route(REQUEST_PATH, methods=["GET", "POST"])
@limiter.limit(ip_limit, methods=["POST"], on_breach=_ip_limit_breached)
def request_access():
    """Ask for institution, CVR, name and e-mail; mail a confirmation link; the same answer for every CVR and address."""
    if request.method == "GET":
        return _page("auth/onboarding_request.html", values={}, errors={}, error=None)
    values = _form_values()
    try:
        data = onboarding.validate_request(values)
    except ValidationError as exc:
        return _page("auth/onboarding_request.html", 400, values=values, errors=exc.errors, error=exc.message)
    pending: PendingMail | None = None
    if _mail_allowed(data["email"]):
        bind_origin(get_session(), request.remote_addr)
        token = onboarding.request_access(data, request.remote_addr)
        link = f"{public_base_url()}{CONFIRM_PREFIX}{token}"
        try:
            pending = queue_mail(data["email"], *onboarding.confirmation_mail(data["name"], data["institution"],
                                                                              data["cvr"], link))
        except MailError:
            current_app.logger.warning("onboarding: an address mail cannot be sent to")
    response = _page("auth/reset_requested.html", message=REQUESTED_MESSAGE)
    if pending is not None:
        response.call_on_close(functools.partial(_deliver_after_response, current_app._get_current_object(), pending))
    return response


# `path:` so that every URL under the public prefix is answered here, never by Dash's catch-all page.
@bp.route(CONFIRM_PREFIX + "<path:token>", methods=["GET", "POST"])
def confirm(token: str):
    """Show the request a confirmation link is for; on POST confirm the address, so the request reaches SA."""
    bind_origin(get_session(), request.remote_addr)
    try:
        if request.method == "GET":
            # A GET only asks: mail scanners that open links must not confirm on the applicant's behalf.
            shown = onboarding.confirmation(token)
            return _page("auth/onboarding_confirm.html", token=token, application=shown)
        onboarding.confirm_email(token)
    except onboarding.LinkRefused as exc:
        return _refused(exc)
    return _message("E-mailadressen er bekræftet", CONFIRMED_MESSAGE)


@bp.route(FORM_PREFIX + "<path:token>", methods=["GET", "POST"])
def online_form(token: str):
    """Show the online form of an approved request; on POST check and store it (the link is then used up)."""
    bind_origin(get_session(), request.remote_addr)
    try:
        shown = onboarding.form_application(token)
        ministries = onboarding.ministry_options()
        if request.method == "GET":
            values = {"name": shown["name"], "email": shown["email"], "cvrs": shown["cvr"]}
            return _page("auth/onboarding_form.html", token=token, application=shown, ministries=ministries,
                         values=values, errors={}, error=None)
        values = _form_values()
        try:
            onboarding.submit_form(token, values)
        except ValidationError as exc:
            return _page("auth/onboarding_form.html", 400, token=token, application=shown, ministries=ministries,
                         values=values, errors=exc.errors, error=exc.message)
    except onboarding.LinkRefused as exc:
        return _refused(exc)
    return _message("Formularen er sendt", SUBMITTED_MESSAGE)
