"""Forgotten password: a single-use, one-hour link by e-mail, then a new password.

Only a SHA-256 hash of each token is stored. The answer to a reset request is the same, and
comes as fast, whether or not the address belongs to an active user: the e-mail itself is
delivered after the response has been sent (`call_on_close`).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import secrets

from flask import Blueprint, Flask, current_app, flash, make_response, redirect, render_template, request, session
from flask.wrappers import Response
from flask_login import logout_user
from sqlalchemy import select, update

from auth.extensions import limiter
from auth.links import public_base_url
from core.passwords import hash_password, policy_errors
from auth.throttle import get_login_attempts
from data.db import get_session, transaction
from data.mail import MailError, PendingMail, deliver, queue_mail
from data.models import PasswordResetToken, User, utcnow

bp = Blueprint("reset", __name__, template_folder="templates")

MAX_EMAIL = 254
MAX_PASSWORD_INPUT = 1024
RESET_MAILS_PER_ACCOUNT_PER_HOUR = 5
DEFAULT_REQUEST_IP_LIMIT = "20 per hour"
_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")

REQUESTED_MESSAGE = (
    "Vi har sendt en e-mail med et link til at nulstille din adgangskode, hvis adressen hører til en bruger "
    "i Kundeportalen. Linket virker i 1 time og kan kun bruges én gang. Kan du ikke finde e-mailen, så kig "
    "i din uønskede post."
)
INVALID_LINK_MESSAGE = (
    "Linket er ugyldigt, udløbet eller allerede brugt. Et link til at nulstille adgangskoden virker i 1 time "
    "og kun én gang. Bed om et nyt link."
)
MAIL_SUBJECT = "Nulstil din adgangskode til Kundeportalen"
MAIL_BODY = """Hej {name}

Vi har fået en anmodning om at nulstille adgangskoden til din bruger i Kundeportalen.

Åbn dette link for at vælge en ny adgangskode:
{link}

Linket virker i 1 time og kan kun bruges én gang.

Har du ikke selv bedt om at nulstille adgangskoden, kan du se bort fra denne e-mail. Din nuværende adgangskode virker fortsat.

Venlig hilsen
Statens Administration
"""


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest under which a reset token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(user: User, max_age_s: int | None = None) -> str:
    """Store the hash of a new reset token for `user` (commits) and return the token itself."""
    # `max_age_s` lets a welcome mail's set-password link live longer than a reset link's hour.
    token = secrets.token_urlsafe(32)
    max_age = int(max_age_s or current_app.config.get("RESET_TOKEN_MAX_AGE_S", 3600))
    now = utcnow()
    with transaction() as db:
        db.add(PasswordResetToken(user_id=user.id, token_hash=hash_token(token), created_at=now,
                                  expires_at=now + dt.timedelta(seconds=max_age)))
    return token


def find_valid_token(token: str) -> PasswordResetToken | None:
    """Return the unused, unexpired token row for `token` whose user is active, or None."""
    if not token or not _TOKEN_PATTERN.match(token):
        return None
    row = get_session().scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_token(token)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    user = get_session().get(User, row.user_id)
    if user is None or not user.is_active:
        return None
    if user.password_changed_at is not None and row.created_at <= user.password_changed_at:
        # The password was changed after the link was sent (by the user, or through another link):
        # the link belongs to a password that no longer exists.
        return None
    return row


def reset_link(token: str) -> str:
    """Return the absolute link for `token`, on PUBLIC_BASE_URL when set, else on this request's host."""
    return f"{public_base_url()}/nulstil-adgangskode/{token}"


def _no_store(response: Response) -> Response:
    # The token is in the URL: keep the page out of caches and the token out of Referer headers.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _deliver_after_response(app: Flask, pending: PendingMail) -> None:
    with app.app_context():
        try:
            deliver(pending)
        except Exception:  # noqa: BLE001 - the answer is already sent; the failure belongs in the log
            app.logger.exception("password reset mail, outbox row %s", pending.outbox_id)


def _mail_allowed(email: str) -> bool:
    # A few mails per address an hour: enough for a user, useless for flooding someone's inbox.
    attempts = get_login_attempts()
    key = f"{attempts.prefix}/reset-mail/{attempts.account_key(email)}"
    return attempts.storage.incr(key, 3600) <= RESET_MAILS_PER_ACCOUNT_PER_HOUR


def request_ip_limit() -> str:
    """Return the per-client-IP limit for reset requests (RESET_IP_LIMIT, a Flask-Limiter limit string)."""
    return current_app.config.get("RESET_IP_LIMIT") or DEFAULT_REQUEST_IP_LIMIT


def _request_ip_breached(request_limit) -> Response:  # noqa: ANN001
    error = "Der er bedt om for mange nye adgangskoder fra din forbindelse. Vent en time, og prøv igen."
    response = make_response(render_template("auth/forgot_password.html", email="", error=error), 429)
    response.headers["Retry-After"] = "3600"
    return _no_store(response)


@bp.route("/glemt-adgangskode", methods=["GET", "POST"])
@limiter.limit(request_ip_limit, methods=["POST"], on_breach=_request_ip_breached)
def forgot_password():
    """Ask for an e-mail address and send a reset link; the answer never tells whether the address exists."""
    if request.method == "GET":
        return _no_store(make_response(render_template("auth/forgot_password.html", email="", error=None)))
    email = (request.form.get("email") or "").strip()
    if not email or len(email) > MAX_EMAIL or "@" not in email:
        page = render_template("auth/forgot_password.html", email=email[:MAX_EMAIL],
                               error="Skriv den e-mailadresse, du logger ind med.")
        return _no_store(make_response(page, 400))
    from auth.views import find_user_by_email

    user = find_user_by_email(email)
    pending: PendingMail | None = None
    if user is not None and user.is_active and _mail_allowed(email):
        token = issue_token(user)
        try:
            pending = queue_mail(user.email, MAIL_SUBJECT, MAIL_BODY.format(name=user.name, link=reset_link(token)))
        except MailError:
            current_app.logger.warning("password reset: user %s has an address mail cannot be sent to", user.id)
    response = _no_store(make_response(render_template("auth/reset_requested.html", message=REQUESTED_MESSAGE)))
    if pending is not None:
        response.call_on_close(functools.partial(_deliver_after_response, current_app._get_current_object(), pending))
    return response


def _invalid_link() -> Response:
    return _no_store(make_response(render_template("auth/reset_invalid.html", message=INVALID_LINK_MESSAGE), 400))


# `path:` so that every URL under this public prefix is answered here, never by Dash's catch-all page.
@bp.route("/nulstil-adgangskode/<path:token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Set a new password through a valid reset link; unknown, expired and used links get one Danish message."""
    row = find_valid_token(token)
    if row is None:
        return _invalid_link()
    if request.method == "GET":
        return _no_store(make_response(render_template("auth/reset_password.html", token=token, errors=[])))
    user = get_session().get(User, row.user_id)
    new = (request.form.get("new_password") or "")[:MAX_PASSWORD_INPUT]
    repeat = (request.form.get("new_password_repeat") or "")[:MAX_PASSWORD_INPUT]
    errors: list[str] = []
    if new != repeat:
        errors.append("De to adgangskoder er ikke ens.")
    errors.extend(policy_errors(new, email=user.email, name=user.name))
    if errors:
        return _no_store(make_response(render_template("auth/reset_password.html", token=token, errors=errors), 400))
    new_hash = hash_password(new)
    now = utcnow()
    with transaction() as db:
        # Claimed with a conditional UPDATE, so two simultaneous posts of one link cannot both succeed.
        claimed = db.execute(
            update(PasswordResetToken)
            .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None))
            .values(used_at=now)
        ).rowcount
        if claimed != 1:
            db.rollback()
            return _invalid_link()
        db.execute(
            update(PasswordResetToken)
            .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
            .values(used_at=now)
        )
        user.password_hash = new_hash
        user.must_change_password = False
        user.password_changed_at = now
        # Every session of this user ends, on every device.
        user.session_version += 1
    logout_user()
    session.clear()
    flash("Din adgangskode er ændret. Log ind med den nye adgangskode.", "success")
    return _no_store(redirect("/login"))
