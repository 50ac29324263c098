"""The second factor's pages: the code after the password, enrolment, and the user's own settings.

Sign-in with a second factor is two steps. After the right password the session holds only a
*pending* mark (user id and session version, with a time limit); Flask-Login's session is
established only after a valid code, so the sign-in wall treats the half-signed-in browser as
anonymous everywhere, Dash's endpoints included. A user who must have a second factor and has not
enrolled is sent to enrolment from the pending state and can reach nothing else until it is done.

Other sign-in paths (MitID Erhverv at Substantial) call `auth.session.second_factor_done()` after
`login_user()`: the wall ends any session of SA staff or an administrator that lacks that mark.
"""

from __future__ import annotations

import time

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, session
from flask_login import current_user, login_user

from auth.extensions import limiter
from auth.session import principal_for, second_factor_done, start_session
from auth.throttle import counts_as_failed_sign_in, get_login_attempts, ip_limit, ip_limit_breached, wait_text
from core import totp
from data import second_factor as factors
from data.db import get_session, transaction
from data.models import User

bp = Blueprint("second_factor", __name__, template_folder="templates")

PENDING_KEY = "second_factor_pending"
ENROL_KEY = "second_factor_enrol"
# The code must follow the password within this time, or the password is asked for again.
PENDING_TTL_S = 10 * 60
CODE_WRONG = "Koden er forkert eller allerede brugt. Prøv igen med en ny kode fra din godkendelsesapp."
CODE_THROTTLED = "Der har været for mange forkerte koder. Vent {wait}, og prøv igen."
MAX_CODE_INPUT = 64


def begin_pending(user: User, next_url: str) -> None:
    """Start a half-signed-in session for `user`: the password was right, the second factor is owed."""
    session.clear()
    session[PENDING_KEY] = {"user": f"{user.id}:{user.session_version}", "at": int(time.time()), "next": next_url}


def pending_redirect(user: User) -> str:
    """Return where a half-signed-in `user` goes: the code page, or enrolment when they have no second factor."""
    return "/login/kode" if factors.is_enrolled(user) else "/to-trinsbekraeftelse/opsaet"


def _pending_user() -> tuple[User | None, str]:
    data = session.get(PENDING_KEY)
    if not isinstance(data, dict):
        return None, "/"
    next_url = data.get("next") if isinstance(data.get("next"), str) else "/"
    try:
        user_id_text, version_text = str(data.get("user", "")).split(":", 1)
        user_id, version = int(user_id_text), int(version_text)
        started = int(data.get("at", 0))
    except (TypeError, ValueError):
        return None, "/"
    if time.time() - started > PENDING_TTL_S:
        session.pop(PENDING_KEY, None)
        return None, "/"
    user = get_session().get(User, user_id)
    if user is None or not user.is_active or user.session_version != version:
        return None, "/"
    return user, next_url


def _complete_sign_in(user: User, method: str, next_url: str) -> str:
    """Establish the Flask-Login session after the second factor; return where the user goes next."""
    session.clear()
    login_user(principal_for(user))
    start_session()
    second_factor_done(method)
    return "/skift-adgangskode" if user.must_change_password else next_url


def _throttled(template: str, attempt, **context):
    message = CODE_THROTTLED.format(wait=wait_text(attempt.retry_after))
    response = make_response(render_template(template, error=message, **context), 429)
    response.headers["Retry-After"] = str(max(1, int(attempt.retry_after)))
    return response


@bp.route("/login/kode", methods=["GET", "POST"])
@limiter.limit(ip_limit, methods=["POST"], deduct_when=counts_as_failed_sign_in, on_breach=ip_limit_breached)
def code():
    """Ask for the code from the authenticator app (or a recovery code) after the password; 429 when throttled."""
    user, next_url = _pending_user()
    if user is None:
        flash("Log ind med din e-mail og adgangskode.", "info")
        return redirect("/login")
    if not factors.is_enrolled(user):
        return redirect("/to-trinsbekraeftelse/opsaet")
    if request.method == "GET":
        return render_template("auth/second_factor_code.html")
    attempts = get_login_attempts()
    attempt = attempts.begin_code_check(user.id)
    if attempt.blocked:
        return _throttled("auth/second_factor_code.html", attempt)
    typed = (request.form.get("code") or "")[:MAX_CODE_INPUT]
    method = factors.check_code(get_session(), user, typed)
    if method is None:
        attempts.failed(attempt)
        return render_template("auth/second_factor_code.html", error=CODE_WRONG), 401
    attempts.succeeded(attempt)
    target = _complete_sign_in(user, method, next_url)
    if method == factors.RECOVERY:
        left = factors.remaining_recovery_codes(get_session(), user)
        flash(f"Du er logget ind med en gendannelseskode. Du har {left} tilbage.", "info")
    return redirect(target)


def _enrolling_user() -> tuple[User | None, bool, str]:
    """Return the user enrolling, whether they are half-signed-in (pending), and where they go afterwards."""
    user, next_url = _pending_user()
    if user is not None:
        return user, True, next_url
    if current_user.is_authenticated:
        return get_session().get(User, current_user.id), False, "/to-trinsbekraeftelse"
    return None, False, "/"


def _enrol_secret() -> str:
    # Kept encrypted in the (signed, but readable) session cookie until a code confirms it.
    secret_key = current_app.config["SECRET_KEY"]
    stored = session.get(ENROL_KEY)
    secret = totp.decrypt_secret(secret_key, stored) if isinstance(stored, str) else None
    if secret is None:
        secret = totp.new_secret()
        session[ENROL_KEY] = totp.encrypt_secret(secret_key, secret)
    return secret


def _enrol_page(user: User, secret: str, pending: bool, error: str | None = None, status: int = 200):
    uri = totp.provisioning_uri(secret, user.email)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render_template("auth/second_factor_enrol.html", qr=totp.qr_data_uri(uri), secret=grouped,
                           pending=pending, required=factors.is_required(get_session(), user), error=error), status


@bp.route("/to-trinsbekraeftelse/opsaet", methods=["GET", "POST"])
@limiter.limit(ip_limit, methods=["POST"], deduct_when=counts_as_failed_sign_in, on_breach=ip_limit_breached)
def enrol():
    """Set up the second factor: QR code, then a code to confirm it; shows the ten recovery codes once."""
    user, pending, next_url = _enrolling_user()
    if user is None:
        return redirect("/login")
    if factors.is_enrolled(user):
        return redirect("/login/kode" if pending else "/to-trinsbekraeftelse")
    secret = _enrol_secret()
    if request.method == "GET":
        return _enrol_page(user, secret, pending)
    attempts = get_login_attempts()
    attempt = attempts.begin_code_check(user.id)
    if attempt.blocked:
        message = CODE_THROTTLED.format(wait=wait_text(attempt.retry_after))
        page, _ = _enrol_page(user, secret, pending, message)
        response = make_response(page, 429)
        response.headers["Retry-After"] = str(max(1, int(attempt.retry_after)))
        return response
    step = totp.matching_step(secret, (request.form.get("code") or "")[:MAX_CODE_INPUT], None)
    if step is None:
        attempts.failed(attempt)
        return _enrol_page(user, secret, pending, "Koden passer ikke. Tjek, at du har scannet QR-koden, og "
                                                  "indtast den nyeste kode fra appen.", 400)
    attempts.succeeded(attempt)
    with transaction() as db:
        db_user = db.get(User, user.id)
        codes = factors.enrol(db, db_user, secret, step)
    session.pop(ENROL_KEY, None)
    if pending:
        next_url = _complete_sign_in(db_user, "totp", next_url)
    else:
        # Other sessions of this user were signed in without the factor: this one now has it.
        second_factor_done("totp")
    return render_template("auth/second_factor_recovery.html", codes=codes, next_url=next_url)


@bp.route("/to-trinsbekraeftelse", methods=["GET", "POST"])
def settings():
    """Show the signed-in user's second factor; POST turns an optional one off after a valid code."""
    db = get_session()
    user = db.get(User, current_user.id)
    required = factors.is_required(db, user)
    enrolled = factors.is_enrolled(user)
    context = {"required": required, "enrolled": enrolled,
               "remaining": factors.remaining_recovery_codes(db, user) if enrolled else 0}
    if request.method == "GET":
        return render_template("auth/second_factor_settings.html", **context)
    if required or not enrolled:
        return render_template("auth/second_factor_settings.html", error=(
            "To-trinsbekræftelse er påkrævet for din konto og kan ikke slås fra." if required
            else "Du har ikke opsat to-trinsbekræftelse."), **context), 400
    attempts = get_login_attempts()
    attempt = attempts.begin_code_check(user.id)
    if attempt.blocked:
        return _throttled("auth/second_factor_settings.html", attempt, **context)
    if factors.check_code(db, user, (request.form.get("code") or "")[:MAX_CODE_INPUT]) is None:
        attempts.failed(attempt)
        return render_template("auth/second_factor_settings.html", error=CODE_WRONG, **context), 401
    attempts.succeeded(attempt)
    with transaction() as tx:
        factors.disable_own(tx, tx.get(User, user.id))
    flash("To-trinsbekræftelse er slået fra.", "success")
    return redirect("/to-trinsbekraeftelse")
