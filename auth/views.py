"""Server-rendered sign-in, sign-out and change-password pages (work without JavaScript)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, flash, get_flashed_messages, make_response, redirect, render_template, request, session
from flask_login import current_user, login_user
from sqlalchemy import select

from auth.extensions import limiter
from auth.saml import logout_redirect, mitid_markers, password_sign_in_refused
from core.passwords import hash_password, needs_rehash, policy_errors, verify_password
from auth.second_factor import begin_pending, pending_redirect
from auth.session import SECOND_FACTOR_KEY, end_session, principal_for, second_factor_done, start_session
from data import second_factor as factors
from auth.throttle import (
    DEVICE_COOKIE,
    counts_as_failed_sign_in,
    get_login_attempts,
    ip_limit,
    ip_limit_breached,
    throttled_response,
    wait_text,
)
from data.db import get_session, transaction
from data.models import User, normalise_email, utcnow

bp = Blueprint("auth", __name__, template_folder="templates")

LOGIN_FAILED = "Forkert e-mail eller adgangskode."
PASSWORD_CHECK_THROTTLED = ("Der har været for mange forsøg med en forkert nuværende adgangskode. "
                            "Vent {wait}, og prøv igen.")
PASSWORD_CHANGED = "Din adgangskode er ændret."
SAME_PASSWORD = "Den nye adgangskode skal være forskellig fra den nuværende."
MAX_EMAIL = 254
MAX_PASSWORD_INPUT = 1024
# Proof, kept in the signed session (never in the page), that the user typed the current password at
# sign-in a moment ago: the forced change does not ask for it again while the proof is fresh.
SIGN_IN_PROOF = "password_proof"
SIGN_IN_PROOF_MAX_AGE_S = 15 * 60


def safe_next(target: str | None) -> str:
    """Return `target` if it is a local path, else '/': sign-in never redirects off-site."""
    if not target or not isinstance(target, str):
        return "/"
    target = target.strip()
    # urlsplit drops tabs and newlines before it looks, so '/a\r\nb' would pass as a path and then
    # break the Location header: a target with any control character is no target.
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def find_user_by_email(email: str) -> User | None:
    """Return the user with this e-mail (case-insensitive), or None."""
    return get_session().scalar(select(User).where(User.email == normalise_email(email)))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(ip_limit, methods=["POST"], deduct_when=counts_as_failed_sign_in, on_breach=ip_limit_breached)
def login():
    """Show the sign-in form; on POST check e-mail and password (unless throttled, 429) and start a new session."""
    next_url = safe_next(request.values.get("next"))
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(next_url)
        timed_out = session.pop("timed_out", False)
        return render_template("auth/login.html", next_url=next_url, timed_out=timed_out, email="")
    email = (request.form.get("email") or "").strip()[:MAX_EMAIL]
    password = (request.form.get("password") or "")[:MAX_PASSWORD_INPUT]
    attempts = get_login_attempts()
    device_cookie = request.cookies.get(DEVICE_COOKIE)
    attempt = attempts.begin(email, device_cookie)
    if attempt.blocked:
        # Refused before the password is looked at; the same answer whether or not the e-mail exists.
        return throttled_response(attempt.retry_after, next_url=next_url, email=email)
    user = find_user_by_email(email) if email else None
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        attempts.failed(attempt)
        return render_template("auth/login.html", next_url=next_url, error=LOGIN_FAILED, email=email), 401
    attempts.succeeded(attempt)
    mitid_only = password_sign_in_refused(user)
    if mitid_only:
        return render_template("auth/login.html", next_url=next_url, error=mitid_only, email=email), 403
    if needs_rehash(user.password_hash):
        with transaction():
            user.password_hash = hash_password(password)
    if factors.is_enrolled(user) or factors.is_required(get_session(), user):
        # Only half signed in: Flask-Login's session starts after the code (auth/second_factor.py).
        begin_pending(user, next_url)
        response = redirect(pending_redirect(user))
        attempts.set_device_cookie(response, attempts.new_device_cookie(email, device_cookie))
        return response
    # A new session at sign-in: nothing from before survives (session fixation).
    session.clear()
    login_user(principal_for(user))
    start_session()
    if user.must_change_password:
        session[SIGN_IN_PROOF] = {"user": user.id, "sid": session["sid"], "at": int(time.time())}
    response = redirect("/skift-adgangskode" if user.must_change_password else next_url)
    # This browser is now trusted for this account: others' failures will not lock it out.
    attempts.set_device_cookie(response, attempts.new_device_cookie(email, device_cookie))
    return response


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Ask on GET; on POST (CSRF-checked) end the session, so a copy of its cookie stops working too."""
    if request.method == "GET":
        # A link or <img> on another site must not sign the user out: GET only asks.
        if not current_user.is_authenticated:
            return redirect("/login")
        return render_template("auth/logout.html")
    # A MitID Erhverv session also ends its single sign-on at NemLog-in (signed LogoutRequest).
    idp_logout = logout_redirect()
    end_session()
    if idp_logout:
        return redirect(idp_logout)
    flash("Du er logget ud.", "info")
    return redirect("/login")


def has_sign_in_proof(user_id: int) -> bool:
    """Tell whether this session signed `user_id` in with the password moments ago (forced change only)."""
    proof = session.get(SIGN_IN_PROOF)
    if not isinstance(proof, dict):
        return False
    at = proof.get("at")
    # Bound to this session's id as well as the user: a proof copied into another session is worthless.
    return (proof.get("user") == user_id and proof.get("sid") == session.get("sid") and isinstance(at, int)
            and 0 <= time.time() - at <= SIGN_IN_PROOF_MAX_AGE_S)


def _change_form(forced: bool, proven: bool, errors: list[str], status: int = 200):
    return make_response(render_template("auth/change_password.html", forced=forced, proven=proven,
                                         errors=errors), status)


@bp.route("/skift-adgangskode", methods=["GET", "POST"])
def change_password():
    """Change the signed-in user's password; asks the current one unless sign-in just proved it (429 on guessing)."""
    forced = bool(current_user.must_change_password)
    proven = forced and has_sign_in_proof(current_user.id)
    if request.method == "GET":
        return _change_form(forced, proven, [])
    current = (request.form.get("current_password") or "")[:MAX_PASSWORD_INPUT]
    new = (request.form.get("new_password") or "")[:MAX_PASSWORD_INPUT]
    repeat = (request.form.get("new_password_repeat") or "")[:MAX_PASSWORD_INPUT]
    user = get_session().get(User, current_user.id)
    errors: list[str] = []
    if proven and user is not None:
        # The password was checked at sign-in; the new one must still differ from it.
        if new == repeat and verify_password(user.password_hash, new):
            errors.append(SAME_PASSWORD)
    else:
        attempts = get_login_attempts()
        attempt = attempts.begin_password_check(current_user.id)
        if attempt.blocked:
            # Refused before the password is looked at: a stolen session cannot guess the password on.
            message = PASSWORD_CHECK_THROTTLED.format(wait=wait_text(attempt.retry_after))
            response = _change_form(forced, proven, [message], 429)
            response.headers["Retry-After"] = str(attempt.retry_after)
            return response
        if user is None or not verify_password(user.password_hash, current):
            errors.append("Den nuværende adgangskode er forkert.")
        else:
            attempts.succeeded(attempt)
        if not errors and new == current:
            errors.append(SAME_PASSWORD)
    if new != repeat:
        errors.append("De to nye adgangskoder er ikke ens.")
    errors.extend(policy_errors(new, email=user.email if user else "", name=user.name if user else ""))
    if errors:
        return _change_form(forced, proven, errors, 400)
    with transaction():
        user.password_hash = hash_password(new)
        user.must_change_password = False
        user.password_changed_at = utcnow()
        # Every other session of this user ends; this one is renewed below.
        user.session_version += 1
    # The new session is the same sign-in: a MitID session stays one (still for the assertion's CVR only, no way
    # round SAML_CUSTOMER_PASSWORD_LOGIN), and it keeps the second factor it was signed in with.
    kept = mitid_markers()
    factor = session.get(SECOND_FACTOR_KEY)
    session.clear()
    login_user(principal_for(user))
    start_session()
    session.update(kept)
    if factor:
        second_factor_done(factor)
    flash(PASSWORD_CHANGED, "success")
    return redirect("/adgangskode-aendret")


@bp.route("/adgangskode-aendret")
def password_changed():
    """Tell the user the password change succeeded (once, after the change; otherwise go to the front page)."""
    messages = get_flashed_messages(with_categories=True)
    if ("success", PASSWORD_CHANGED) not in messages:
        return redirect("/")
    return render_template("auth/password_changed.html")
