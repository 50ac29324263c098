"""Sessions: new at sign-in, cookie flags, idle and absolute timeouts, ended by logout, password change,
deactivation; forced password change; the password policy at change."""

from __future__ import annotations

import datetime
import re

import pytest
from sqlalchemy import select

import auth.session
from data.db import get_session
from tests import world
from tests.world import set_user, user_row

SESSION_COOKIE = "kundeportal_session"
NEW_PASSWORD = "en-helt-ny-og-lang-adgangskode"
UPDATE = "/_dash-update-component"


class FakeClock:
    """Stands in for the `time` module inside auth.session."""

    def __init__(self, start: float):
        self.now = start

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    import time as real_time

    fake = FakeClock(real_time.time())
    monkeypatch.setattr(auth.session, "time", fake)
    return fake


def sign_in(client, email: str = world.LAESER_A, password: str = world.PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def signed_in(client) -> bool:
    """Tell whether `client` gets past the sign-in wall (page and Dash endpoint agree)."""
    page = client.get("/")
    layout = client.get("/_dash-layout")
    assert (page.status_code == 200) == (layout.status_code == 200), (page.status_code, layout.status_code)
    if page.status_code != 200:
        assert page.status_code == 302 and page.headers["Location"].startswith("/login")
        assert layout.status_code == 401
    return page.status_code == 200


def session_data(app, client) -> dict:
    cookie = client.get_cookie(SESSION_COOKIE)
    if cookie is None:
        return {}
    return dict(app.session_interface.get_signing_serializer(app).loads(cookie.value))


# --- a new session at sign-in -----------------------------------------------------------------


def test_sign_in_starts_a_new_session(app, client):
    client.get("/login")  # an anonymous session (the CSRF token lives in it)
    before_cookie = client.get_cookie(SESSION_COOKIE)
    before = session_data(app, client)
    assert "_user_id" not in before
    assert sign_in(client).status_code == 302
    after = session_data(app, client)
    assert after["_user_id"].startswith(str(user_row(app, world.LAESER_A).id) + ":")
    assert after["sid"] and after["sid"] != before.get("sid")
    assert before_cookie is None or client.get_cookie(SESSION_COOKIE).value != before_cookie.value
    assert after.get("csrf_token") != before.get("csrf_token") or "csrf_token" not in before


def test_each_sign_in_gets_its_own_session_id(app):
    one, two = app.test_client(), app.test_client()
    sign_in(one), sign_in(two)
    assert session_data(app, one)["sid"] != session_data(app, two)["sid"]


def test_planted_pre_sign_in_cookie_stays_anonymous(app):
    attacker, victim = app.test_client(), app.test_client()
    attacker.get("/login")
    planted = attacker.get_cookie(SESSION_COOKIE)
    if planted is not None:
        victim.set_cookie(SESSION_COOKIE, planted.value)
    assert sign_in(victim).status_code == 302
    assert signed_in(victim)
    assert not signed_in(attacker)


# --- cookie flags ---------------------------------------------------------------------------------


def _session_set_cookie(response) -> str:
    [header] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith(SESSION_COOKIE + "=")]
    return header


def test_session_cookie_flags(client):
    header = _session_set_cookie(sign_in(client))
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Secure" not in header
    # A browser-session cookie: no lifetime of its own (the server enforces the timeouts).
    assert "Expires=" not in header and "Max-Age=" not in header


def test_session_cookie_secure_when_configured(app_config):
    app_config["SESSION_COOKIE_SECURE"] = True
    from app import create_app
    from data.db import get_db

    app = create_app(app_config)
    with app.app_context():
        world.build(get_session())
    try:
        client = app.test_client()
        response = client.post("/login", data={"email": world.LAESER_A, "password": world.PASSWORD},
                               base_url="https://localhost")
        assert response.status_code == 302
        assert "Secure" in _session_set_cookie(response)
        device = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("kp_device=")]
        assert device and "Secure" in device[0]
        csrf = [h for h in client.get("/login", base_url="https://localhost").headers.getlist("Set-Cookie")
                if h.startswith("_csrf_token=")]
        assert csrf and "Secure" in csrf[0]
    finally:
        get_db(app).dispose()


# --- timeouts ----------------------------------------------------------------------------------------


def test_idle_timeout_30_minutes(client, clock):
    sign_in(client)
    clock.now += 29 * 60
    assert signed_in(client)  # activity: the idle clock starts again
    clock.now += 29 * 60
    assert signed_in(client)
    clock.now += 31 * 60
    assert not signed_in(client)
    assert "din session udløb" in client.get("/login").get_data(as_text=True)


def test_idle_timeout_ends_dash_requests_too(client, clock):
    sign_in(client)
    clock.now += 31 * 60
    response = client.post(UPDATE, json={"output": "x.children", "outputs": {}, "inputs": [], "changedPropIds": []})
    assert response.status_code == 401


def test_absolute_timeout_12_hours(client, clock):
    sign_in(client)
    for _ in range(35):  # active every 20 minutes: 11 h 40 min
        clock.now += 20 * 60
        assert signed_in(client)
    clock.now += 21 * 60  # 12 h 1 min after sign-in, though active
    assert not signed_in(client)
    assert sign_in(client).status_code == 302
    assert signed_in(client)


# --- sessions ended on purpose ---------------------------------------------------------------------


def test_logout_makes_a_copied_cookie_worthless(app, client):
    sign_in(client)
    stolen = client.get_cookie(SESSION_COOKIE).value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie(SESSION_COOKIE, stolen)
    assert not signed_in(thief)
    # Signing in again works, with a fresh session.
    assert sign_in(client).status_code == 302 and signed_in(client)


def test_logout_holds_on_every_worker_and_after_a_restart(app, app_config, client):
    # Two app instances on one database, each with its own in-process rate-limit storage: two gunicorn
    # workers without Redis, or the same worker before and after a restart.
    from app import create_app
    from data.db import get_db

    other_worker = create_app(app_config)
    try:
        sign_in(client)
        stolen = client.get_cookie(SESSION_COOKIE).value
        thief = other_worker.test_client()
        thief.set_cookie(SESSION_COOKIE, stolen)
        assert signed_in(thief)  # the copy works on the other worker while the session lives
        client.post("/logout")
        assert not signed_in(thief)
        restarted = create_app(app_config).test_client()
        restarted.set_cookie(SESSION_COOKIE, stolen)
        assert not signed_in(restarted)
    finally:
        get_db(other_worker).dispose()


def test_ended_sessions_are_forgotten_once_they_would_have_expired(app, client, monkeypatch):
    from data.models import EndedSession

    # The sign-out's clock is frozen, so the stored lifetime is measured against the moment it was written.
    signed_out_at = datetime.datetime.now(datetime.timezone.utc)
    monkeypatch.setattr(auth.session, "utcnow", lambda: signed_out_at)
    sign_in(client)
    client.post("/logout")
    with app.app_context():
        [row] = get_session().scalars(select(EndedSession)).all()
        lifetime = row.expires_at.replace(tzinfo=None) - signed_out_at.replace(tzinfo=None)
        assert abs(lifetime.total_seconds() - (app.config["SESSION_ABSOLUTE_TIMEOUT_S"] + 60)) < 30
        row.expires_at = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
        get_session().commit()
    sign_in(client)
    client.post("/logout")
    with app.app_context():
        rows = get_session().scalars(select(EndedSession)).all()
        assert len(rows) == 1 and rows[0].expires_at.year > 2000


def test_password_change_ends_the_users_other_sessions(app):
    here, there, someone_else = app.test_client(), app.test_client(), app.test_client()
    sign_in(here), sign_in(there), sign_in(someone_else, world.LAESER_B)
    response = here.post("/skift-adgangskode", data={"current_password": world.PASSWORD, "new_password": NEW_PASSWORD,
                                                     "new_password_repeat": NEW_PASSWORD})
    assert response.status_code == 302
    assert signed_in(here)
    assert not signed_in(there)
    assert signed_in(someone_else)
    assert sign_in(there).status_code == 401
    assert sign_in(there, password=NEW_PASSWORD).status_code == 302


def test_deactivation_ends_sessions(app, client):
    sign_in(client)
    assert signed_in(client)
    set_user(app, world.LAESER_A, is_active=False)
    assert not signed_in(client)
    assert sign_in(client).status_code == 401


def test_session_version_bump_ends_sessions(app, client):
    sign_in(client)
    set_user(app, world.LAESER_A, session_version=user_row(app, world.LAESER_A).session_version + 1)
    assert not signed_in(client)


# --- forced password change -------------------------------------------------------------------------


def test_must_change_password_forces_the_change_page(app, client):
    set_user(app, world.LAESER_A, must_change_password=True)
    response = sign_in(client)
    assert response.status_code == 302 and response.headers["Location"] == "/skift-adgangskode"
    page = client.get("/skift-adgangskode")
    assert page.status_code == 200 and "Du skal vælge en ny adgangskode" in page.get_data(as_text=True)
    for path in ("/", "/stamdata?cvr=33391005"):
        blocked = client.get(path)
        assert blocked.status_code == 302 and blocked.headers["Location"] == "/skift-adgangskode"
    assert client.get("/_dash-layout").status_code == 403
    assert client.post(UPDATE, json={}).status_code == 403
    done = client.post("/skift-adgangskode", data={"current_password": world.PASSWORD, "new_password": NEW_PASSWORD,
                                                   "new_password_repeat": NEW_PASSWORD})
    assert done.status_code == 302
    assert user_row(app, world.LAESER_A).must_change_password is False
    assert signed_in(client)


def test_forced_user_may_still_log_out(app, client):
    set_user(app, world.LAESER_A, must_change_password=True)
    sign_in(client)
    assert client.post("/logout").headers["Location"] == "/login"
    assert not signed_in(client)


# --- the password policy at change ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "new,ok",
    [
        ("korte-men-gode1", True),  # 15 characters: the minimum
        ("fjorten-tegn-x", False),  # 14
        ("x" * 15, False),  # one repeated character
        ("polniypizdec0211", False),  # on the common-password list
        ("Q8$" + "en lang sætning med mellemrum og æøå " * 2, True),  # > 64 characters, spaces and æøå
        ("z" + "y9" * 63 + "w", True),  # 128 characters
        ("z" + "y9" * 64, False),  # 129
    ],
)
def test_password_policy_on_change(app, client, new, ok):
    sign_in(client)
    response = client.post("/skift-adgangskode", data={"current_password": world.PASSWORD, "new_password": new,
                                                       "new_password_repeat": new})
    assert (response.status_code == 302) is ok, response.get_data(as_text=True)[-800:]
    if not ok:
        assert re.search(r'class="auth-error"', response.get_data(as_text=True))
    client.post("/logout")
    assert (sign_in(client, password=new).status_code == 302) is ok


@pytest.mark.parametrize(
    "current,new,repeat,message",
    [
        ("forkert-nuvaerende-kode", NEW_PASSWORD, NEW_PASSWORD, "nuværende adgangskode er forkert"),
        (world.PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "!", "ikke ens"),
        (world.PASSWORD, world.PASSWORD, world.PASSWORD, "forskellig fra den nuværende"),
        (world.PASSWORD, world.LAESER_A, world.LAESER_A, "ligner dit navn eller din e-mailadresse"),
    ],
)
def test_change_password_errors(app, client, current, new, repeat, message):
    sign_in(client)
    response = client.post("/skift-adgangskode", data={"current_password": current, "new_password": new,
                                                       "new_password_repeat": repeat})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert signed_in(client)


def test_change_password_needs_sign_in(client):
    response = client.get("/skift-adgangskode")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert client.post("/skift-adgangskode", data={"current_password": "x"}).status_code == 401


def test_a_request_reads_user_grants_and_ended_session_in_one_statement(app, client):
    """The sign-in checks of a request (user loader and the wall's ended-session check) share one statement."""
    from sqlalchemy import event

    from data.db import get_db

    sign_in(client)
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = get_db(app).engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get("/_dash-layout").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    reads = [s for s in statements if any(table in s for table in ("user_account", "grant_", "ended_session"))]
    assert len(reads) == 1, reads
