"""Forgotten password: same answer for every address, hashed single-use tokens that expire after an hour."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import hashlib
import re
import socket
from pathlib import Path

import pytest
from sqlalchemy import select

from auth.reset import INVALID_LINK_MESSAGE, REQUESTED_MESSAGE, RESET_MAILS_PER_ACCOUNT_PER_HOUR
from data.db import get_session
from data.models import MailOutbox, PasswordResetToken, User, utcnow
from tests import world
from tests.world import user_row

NEW_PASSWORD = "en-helt-ny-og-lang-adgangskode"
LINK = re.compile(r"(\S*/nulstil-adgangskode/([A-Za-z0-9_-]+))")


def request_reset(client, address: str):
    """POST the forgotten-password form and let the deferred mail go out (as a WSGI server does)."""
    response = client.post("/glemt-adgangskode", data={"email": address})
    response.close()
    return response


def mails(outbox: str) -> list[email.message.EmailMessage]:
    folder = Path(outbox)
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]


def link_of(message) -> tuple[str, str]:
    match = LINK.search(message.get_content())
    assert match, message.get_content()
    return match.group(1), match.group(2)


def tokens(app) -> list[PasswordResetToken]:
    with app.app_context():
        return list(get_session().scalars(select(PasswordResetToken).order_by(PasswordResetToken.id)))


def reset_token_for(client, app_config, address: str = world.LAESER_A) -> str:
    request_reset(client, address)
    return link_of(mails(app_config["MAIL_OUTBOX_PATH"])[-1])[1]


def test_form(client):
    page = client.get("/glemt-adgangskode")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Nulstil adgangskode" in html and 'name="email"' in html and 'name="csrf_token"' in html
    assert page.headers["Cache-Control"] == "no-store"


def test_same_answer_for_known_unknown_and_inactive_address(app, client, app_config):
    answers = []
    for address in (world.LAESER_A, "findes.ikke@example.dk", world.INACTIVE, world.SA_STAFF.upper()):
        response = request_reset(client, address)
        answers.append((response.status_code, response.get_data(as_text=True)))
    assert len(set(answers)) == 1
    status, html = answers[0]
    assert status == 200 and REQUESTED_MESSAGE in html and "Vi har sendt en e-mail" in html
    # Only the active users got a token and a mail.
    sent = mails(app_config["MAIL_OUTBOX_PATH"])
    assert sorted(m["To"] for m in sent) == sorted([world.LAESER_A, world.SA_STAFF])
    assert len(tokens(app)) == 2


@pytest.fixture
def reset_clock(monkeypatch):
    """Freeze the clock of auth.reset; the test moves it with `advance` (no wall-clock margins under load)."""
    import auth.reset

    class FrozenClock:
        def __init__(self) -> None:
            self.now = utcnow()

        def advance(self, delta: dt.timedelta) -> None:
            self.now += delta

    clock = FrozenClock()
    monkeypatch.setattr(auth.reset, "utcnow", lambda: clock.now)
    return clock


def test_only_a_hash_of_the_token_is_stored_and_it_expires_in_an_hour(app, client, app_config, reset_clock):
    before = reset_clock.now
    request_reset(client, world.LAESER_A)
    [message] = mails(app_config["MAIL_OUTBOX_PATH"])
    assert message["Subject"] == "Nulstil din adgangskode til Kundeportalen"
    link, token = link_of(message)
    assert link == f"http://localhost/nulstil-adgangskode/{token}"
    assert len(token) >= 40
    [row] = tokens(app)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.timezone.utc)
    assert dt.timedelta(minutes=59) < expires - before <= dt.timedelta(hours=1, seconds=5)
    assert row.used_at is None
    with app.app_context():
        [outbox] = get_session().scalars(select(MailOutbox)).all()
    assert outbox.recipient == world.LAESER_A and outbox.sent_at is not None


def test_link_uses_public_base_url(app, client, app_config):
    app.config["PUBLIC_BASE_URL"] = "https://kundeportal.statens-adm.dk/"
    request_reset(client, world.LAESER_A)
    link, token = link_of(mails(app_config["MAIL_OUTBOX_PATH"])[0])
    assert link == f"https://kundeportal.statens-adm.dk/nulstil-adgangskode/{token}"


def test_mail_goes_out_after_the_answer(client, app_config):
    response = client.post("/glemt-adgangskode", data={"email": world.LAESER_A})
    assert response.status_code == 200
    # Delivery runs when the server closes the response, so a slow mail server cannot reveal the address.
    assert mails(app_config["MAIL_OUTBOX_PATH"]) == []
    response.close()
    assert len(mails(app_config["MAIL_OUTBOX_PATH"])) == 1


def test_reset_sets_new_password(app, client, app_config):
    token = reset_token_for(client, app_config)
    form = client.get(f"/nulstil-adgangskode/{token}")
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert 'name="new_password"' in html and 'name="new_password_repeat"' in html and 'name="csrf_token"' in html
    assert form.headers["Referrer-Policy"] == "no-referrer"
    before = user_row(app, world.LAESER_A).session_version
    done = client.post(f"/nulstil-adgangskode/{token}",
                       data={"new_password": NEW_PASSWORD, "new_password_repeat": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert "Din adgangskode er ændret" in client.get("/login").get_data(as_text=True)
    user = user_row(app, world.LAESER_A)
    assert user.session_version == before + 1 and user.password_changed_at is not None
    assert client.post("/login", data={"email": world.LAESER_A, "password": world.PASSWORD}).status_code == 401
    assert client.post("/login", data={"email": world.LAESER_A, "password": NEW_PASSWORD}).status_code == 302


def test_link_is_single_use(app, client, app_config):
    token = reset_token_for(client, app_config)
    data = {"new_password": NEW_PASSWORD, "new_password_repeat": NEW_PASSWORD}
    assert client.post(f"/nulstil-adgangskode/{token}", data=data).status_code == 302
    for method in (client.get, client.post):
        again = method(f"/nulstil-adgangskode/{token}", data=data)
        assert again.status_code == 400
        assert INVALID_LINK_MESSAGE in again.get_data(as_text=True)
    [row] = tokens(app)
    assert row.used_at is not None


def test_success_voids_every_open_link_of_the_user(app, client, app_config):
    first = reset_token_for(client, app_config)
    second = reset_token_for(client, app_config)
    other_user = reset_token_for(client, app_config, world.LAESER_B)
    data = {"new_password": NEW_PASSWORD, "new_password_repeat": NEW_PASSWORD}
    assert client.post(f"/nulstil-adgangskode/{second}", data=data).status_code == 302
    assert client.get(f"/nulstil-adgangskode/{first}").status_code == 400
    assert client.get(f"/nulstil-adgangskode/{other_user}").status_code == 200


def test_a_password_change_voids_open_links(app, client, app_config):
    # A link mailed before the user changed their password (perhaps because someone else asked for
    # it) must not set a password afterwards.
    token = reset_token_for(client, app_config)
    client.post("/login", data={"email": world.LAESER_A, "password": world.PASSWORD})
    changed = client.post("/skift-adgangskode", data={"current_password": world.PASSWORD,
                                                      "new_password": NEW_PASSWORD, "new_password_repeat": NEW_PASSWORD})
    assert changed.status_code == 302
    data = {"new_password": "en-helt-anden-lang-adgangsfrase", "new_password_repeat": "en-helt-anden-lang-adgangsfrase"}
    for method in (client.get, client.post):
        refused = method(f"/nulstil-adgangskode/{token}", data=data)
        assert refused.status_code == 400 and INVALID_LINK_MESSAGE in refused.get_data(as_text=True)


def _expire_all(app) -> None:
    with app.app_context():
        db = get_session()
        for row in db.scalars(select(PasswordResetToken)):
            row.expires_at = utcnow() - dt.timedelta(seconds=1)
        db.commit()


@pytest.mark.parametrize("case", ["expired", "unknown", "malformed", "extra-segment", "too-long", "inactive-user"])
def test_bad_links_get_one_clear_message(app, client, app_config, case):
    token = reset_token_for(client, app_config)
    if case == "expired":
        _expire_all(app)
    elif case == "unknown":
        token = "A" * len(token)
    elif case == "malformed":
        token = "..%2F..%2Fetc"
    elif case == "extra-segment":
        token = token + "/stamdata"
    elif case == "too-long":
        token = "a" * 5000
    else:
        with app.app_context():
            db = get_session()
            db.scalar(select(User).where(User.email == world.LAESER_A)).is_active = False
            db.commit()
    for response in (client.get(f"/nulstil-adgangskode/{token}"),
                     client.post(f"/nulstil-adgangskode/{token}",
                                 data={"new_password": NEW_PASSWORD, "new_password_repeat": NEW_PASSWORD})):
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert INVALID_LINK_MESSAGE in html and 'href="/glemt-adgangskode"' in html
    assert client.post("/login", data={"email": world.LAESER_A, "password": NEW_PASSWORD}).status_code == 401


def test_expired_after_one_hour(app, client, app_config, reset_clock):
    token = reset_token_for(client, app_config)
    reset_clock.advance(dt.timedelta(minutes=59))
    assert client.get(f"/nulstil-adgangskode/{token}").status_code == 200
    reset_clock.advance(dt.timedelta(minutes=2))
    assert client.get(f"/nulstil-adgangskode/{token}").status_code == 400


@pytest.mark.parametrize(
    "new,repeat,message",
    [
        ("kort-kode", "kort-kode", "mindst 15 tegn"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "ikke ens"),
        ("polniypizdec0211", "polniypizdec0211", "almindelige eller lækkede"),
        ("password1234567890", "password1234567890", "almindelige eller lækkede"),
        ("123456789012345", "123456789012345", "for let at gætte"),
        (world.LAESER_A, world.LAESER_A, "ligner dit navn eller din e-mailadresse"),
    ],
)
def test_password_policy_applies(app, client, app_config, new, repeat, message):
    token = reset_token_for(client, app_config)
    response = client.post(f"/nulstil-adgangskode/{token}", data={"new_password": new, "new_password_repeat": repeat})
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    # The link still works after a refused attempt.
    assert tokens(app)[0].used_at is None
    assert client.get(f"/nulstil-adgangskode/{token}").status_code == 200


def test_reset_clears_must_change_password_and_ends_other_sessions(app, app_config):
    with app.app_context():
        db = get_session()
        db.scalar(select(User).where(User.email == world.LAESER_A)).must_change_password = True
        db.commit()
    elsewhere = app.test_client()
    assert elsewhere.post("/login", data={"email": world.LAESER_A, "password": world.PASSWORD}).status_code == 302
    assert elsewhere.get("/skift-adgangskode").status_code == 200
    client = app.test_client()
    token = reset_token_for(client, app_config)
    client.post(f"/nulstil-adgangskode/{token}", data={"new_password": NEW_PASSWORD, "new_password_repeat": NEW_PASSWORD})
    assert user_row(app, world.LAESER_A).must_change_password is False
    gone = elsewhere.get("/")
    assert gone.status_code == 302 and gone.headers["Location"].startswith("/login")
    assert client.post("/login", data={"email": world.LAESER_A, "password": NEW_PASSWORD}).headers["Location"] == "/"


def test_bad_address_input_gets_a_danish_message(client, app_config):
    for bad in ("", "ingen-snabel-a", "a" * 300 + "@example.dk"):
        response = client.post("/glemt-adgangskode", data={"email": bad})
        assert response.status_code == 400
        assert "Skriv den e-mailadresse" in response.get_data(as_text=True)
    assert mails(app_config["MAIL_OUTBOX_PATH"]) == []


def test_mails_per_address_are_capped_silently(app, client, app_config):
    answers = {request_reset(client, world.LAESER_A).get_data(as_text=True)
               for _ in range(RESET_MAILS_PER_ACCOUNT_PER_HOUR + 2)}
    assert len(answers) == 1
    assert len(mails(app_config["MAIL_OUTBOX_PATH"])) == RESET_MAILS_PER_ACCOUNT_PER_HOUR


def test_requests_per_ip_are_limited(app_config):
    app_config["RESET_IP_LIMIT"] = "3 per hour"
    from app import create_app
    from data.db import get_db

    app = create_app(app_config)
    with app.app_context():
        world.build(get_session())
    try:
        client = app.test_client()
        for i in range(3):
            assert request_reset(client, f"x{i}@example.dk").status_code == 200
        blocked = request_reset(client, "x9@example.dk")
        assert blocked.status_code == 429
        assert "for mange" in blocked.get_data(as_text=True)
    finally:
        get_db(app).dispose()


def test_smtp_failure_gives_the_same_answer(app, client):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT_S=2)
    response = request_reset(client, world.LAESER_A)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert REQUESTED_MESSAGE in html and "Traceback" not in html
    with app.app_context():
        [row] = get_session().scalars(select(MailOutbox)).all()
    assert row.transport == "smtp" and row.sent_at is None and row.error


def test_reset_pages_are_outside_the_sign_in_wall(client):
    assert client.get("/glemt-adgangskode").status_code == 200
    assert client.get("/nulstil-adgangskode/" + "A" * 43).status_code == 400


@pytest.fixture
def csrf_on(app_config):
    """Turn CSRF checks on, as in production (before the app is built)."""
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_reset_forms_without_csrf_token_get_400(csrf_on, app, client):
    response = client.post("/glemt-adgangskode", data={"email": world.LAESER_A})
    response.close()
    assert response.status_code == 400
    assert "Genindlæs siden" in response.get_data(as_text=True)
    assert mails(csrf_on["MAIL_OUTBOX_PATH"]) == []
    page = client.get("/glemt-adgangskode").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    ok = client.post("/glemt-adgangskode", data={"email": world.LAESER_A, "csrf_token": csrf})
    ok.close()
    assert ok.status_code == 200
    _link, token = link_of(mails(csrf_on["MAIL_OUTBOX_PATH"])[0])
    refused = client.post(f"/nulstil-adgangskode/{token}",
                          data={"new_password": NEW_PASSWORD, "new_password_repeat": NEW_PASSWORD})
    assert refused.status_code == 400
    assert tokens(app)[0].used_at is None


def test_public_base_url_prefers_the_setting_then_the_request_host(app):
    from auth.links import public_base_url

    with app.test_request_context("/", base_url="http://portal.test:8050"):
        app.config["PUBLIC_BASE_URL"] = ""
        assert public_base_url() == "http://portal.test:8050"
        app.config["PUBLIC_BASE_URL"] = "https://kundeportal.statens-adm.dk/"
        assert public_base_url() == "https://kundeportal.statens-adm.dk"
    app.config["PUBLIC_BASE_URL"] = ""
    with app.app_context():
        # No request (a CLI command, a test): no host to guess, so no address.
        assert public_base_url() == ""
