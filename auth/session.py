"""Loading the signed-in user, session timeouts, and the CSRF cookie for Dash's renderer."""

from __future__ import annotations

import datetime as dt
import secrets
import time

from typing import Any, Sequence

from flask import Flask, current_app, g, request, session
from flask import session as session_cookie
from flask_login import logout_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import Row, delete, literal, select
from sqlalchemy.exc import IntegrityError

from core.access import Principal
from core.rights import Right
from auth.extensions import login_manager
from data.db import get_session, transaction
from data.scoping import unscoped
from data.models import EndedSession, Grant, User, utcnow

CSRF_COOKIE = "_csrf_token"
# Set in the session once the second factor is done: a TOTP code (or recovery code) after the password,
# or a sign-in that counts as two factors by itself (MitID Erhverv at assurance level Substantial).
# The sign-in wall ends any session of a user who must have a second factor and lacks this mark.
SECOND_FACTOR_KEY = "second_factor"
# Session keys of a MitID Erhverv sign-in (auth/saml.py): the assertion's CVR, and MitID as the second factor.
MITID_CVR_KEY = "mitid_cvr"
MFA_MITID = "mitid"
# flask.g key of the one reading of user, grants and ended session that a request shares (`_sign_in_rows`).
_SIGN_IN_ROWS = "portal_sign_in_rows"


@login_manager.user_loader
def load_user(session_id: str) -> Principal | None:
    """Return the principal for a session id 'user:version', or None when it is void."""
    user_id, version = _parse_session_id(session_id)
    if user_id is None:
        return None
    rows = _sign_in_rows(user_id, _sid(session_cookie.get("sid")))
    principal = _principal_from_rows(rows, version)
    if principal is None:
        return None
    acting_cvr = session_cookie.get(MITID_CVR_KEY)
    # A MitID Erhverv session acts for the assertion's CVR only, on every request of the session.
    return principal.acting_for(acting_cvr) if acting_cvr else principal


def _parse_session_id(session_id: Any) -> tuple[int | None, int | None]:
    try:
        user_id_text, version_text = session_id.split(":", 1)
        return int(user_id_text), int(version_text)
    except (ValueError, AttributeError):
        return None, None


def _sid(value: Any) -> str | None:
    return value if value and isinstance(value, str) else None


def _sign_in_rows(user_id: int, sid: str | None) -> list[Row]:
    """Return the user's row once per grant (one row without grants), each saying whether `sid` was signed out."""
    # One statement instead of three (user, grants, ended session) on every request: each saved statement is
    # a round trip to PostgreSQL. Columns, not entities: nothing of it stays in the session's identity map.
    # Both readers of a request (`load_user` and the wall's `_is_ended`, in either order) share one
    # reading: the first reads and leaves it in flask.g, the second takes it from there; a third reads
    # again. flask.g lives one request, so a revoked grant or an ended session counts from the next one.
    cached = g.pop(_SIGN_IN_ROWS, None)
    if cached is not None and cached[0] == (user_id, sid):
        return cached[1]
    ended = (select(EndedSession.sid).where(EndedSession.sid == sid).exists() if sid is not None
             else literal(False))
    stmt = (
        select(User.id, User.email, User.name, User.b_number, User.is_active, User.is_sa_staff, User.is_sa_admin,
               User.session_version, User.must_change_password, User.last_cvr, User.last_unit,
               Grant.cvr, Grant.rights, ended.label("ended"))
        .outerjoin(Grant, Grant.user_id == User.id)
        .where(User.id == user_id)
        .order_by(Grant.id)
    )
    session = get_session()
    with unscoped(session, "sign-in: the user's own record and grants on every CVR"):
        rows = session.execute(stmt).all()
    g.setdefault(_SIGN_IN_ROWS, ((user_id, sid), rows))
    return rows


def _principal_from_rows(rows: Sequence[Row], version: int | None) -> Principal | None:
    """Return the principal of `_sign_in_rows`' rows, or None for a missing, inactive or re-versioned user."""
    if not rows:
        return None
    user = rows[0]
    if not user.is_active or user.session_version != version:
        return None
    # One row per grant (its cvr and rights); a user without grants has one row with cvr None.
    return Principal.from_user(user, grants=[row for row in rows if row.cvr is not None])


def principal_for(user: User) -> Principal:
    """Build the signed-in principal from `user` with its grants on every CVR (sign-in reads across customers)."""
    session = get_session()
    with unscoped(session, "sign-in: the user's own grants on every CVR"):
        principal = Principal.from_user(user)
        # Grants read across customers must not answer a later, scoped look-up from the identity
        # map: detach them and let the collection load again, under the scope then in force.
        for grant in list(user.grants):
            session.expunge(grant)
        session.expire(user, ["grants"])
    return principal


def second_factor_done(method: str = "totp") -> None:
    """Mark the current session as signed in with two factors (`method`: 'totp', 'recovery' or 'mitid')."""
    # Call after login_user() and start_session(): start_session() does not clear it, session.clear() does.
    session[SECOND_FACTOR_KEY] = method


def has_second_factor() -> bool:
    """Tell whether the current session was signed in with two factors."""
    return bool(session.get(SECOND_FACTOR_KEY))


def requires_second_factor(principal: Principal) -> bool:
    """Tell whether `principal` may use the portal only after two factors: SA staff and administrators."""
    return principal.is_sa or any(Right.ADMINISTRATOR in rights for rights in principal.grants.values())


def start_session() -> None:
    """Stamp a fresh session with its start and last-activity times."""
    now = int(time.time())
    # A fresh random id: the session after sign-in shares nothing with any cookie from before.
    session["sid"] = secrets.token_urlsafe(16)
    session["started_at"] = now
    session["seen_at"] = now
    session.permanent = False


def end_session() -> None:
    """Sign out and record the session id as ended, so a copy of the cookie is worthless afterwards."""
    sid = session.get("sid")
    if sid:
        # Kept in the database, not in a worker's memory: every worker and host refuses the copy, and
        # a restart does not bring it back. Rows are kept until the session would have expired anyway.
        now = utcnow()
        lifetime = dt.timedelta(seconds=int(current_app.config["SESSION_ABSOLUTE_TIMEOUT_S"]) + 60)
        try:
            with transaction() as db:
                db.execute(delete(EndedSession).where(EndedSession.expires_at < now))
                if db.get(EndedSession, sid) is None:
                    db.add(EndedSession(sid=sid, expires_at=now + lifetime))
        except IntegrityError:
            pass  # a second sign-out of the same session at the same moment: it is ended already
    logout_user()
    session.clear()


def _is_ended(sid: str | None) -> bool:
    sid = _sid(sid)
    if sid is None:
        return True
    user_id, _version = _parse_session_id(session.get("_user_id"))
    rows = _sign_in_rows(user_id, sid) if user_id is not None else []
    if rows:
        return bool(rows[0].ended)
    # No such user (or a malformed id): only the ended-session check is left to make.
    return get_session().scalar(select(EndedSession.sid).where(EndedSession.sid == sid)) is not None


def enforce_timeouts() -> None:
    """End the session when it has been idle too long, has lived past its absolute limit, or was signed out."""
    if "_user_id" not in session:
        return
    now = int(time.time())
    started = session.get("started_at", 0)
    seen = session.get("seen_at", 0)
    cfg = current_app.config
    if now - seen > cfg["SESSION_IDLE_TIMEOUT_S"] or now - started > cfg["SESSION_ABSOLUTE_TIMEOUT_S"]:
        logout_user()
        session.clear()
        session["timed_out"] = True
        return
    if _is_ended(session.get("sid")):
        logout_user()
        session.clear()
        return
    # Written at most once a minute so that Dash's many callback requests don't rewrite the cookie each time.
    if now - seen >= 60:
        session["seen_at"] = now


def _set_csrf_cookie(response):
    # Dash's renderer copies this cookie into the X-CSRFToken header of every callback POST.
    # Static files and the load balancer's health probe need no token (and so start no session).
    if request.path in ("/health", "/favicon.ico", "/_favicon.ico") or request.path.startswith(
            ("/static", "/assets/", "/_dash-component-suites")):
        return response
    token = generate_csrf()
    response.set_cookie(
        CSRF_COOKIE,
        token,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=False,
        path="/",
    )
    return response


def init_app(app: Flask) -> None:
    """Install the CSRF cookie on `app` (the wall runs the timeout check first)."""
    app.after_request(_set_csrf_cookie)
