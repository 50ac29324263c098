"""Issue 13, second factor: two-step sign-in, enrolment, recovery codes, throttling, the wall, SA's reset."""

from __future__ import annotations

import json
import re
import time

import pyotp
import pytest
from sqlalchemy import select

from core import totp
from data import second_factor
from data.db import get_session
from data.models import AuditLog, Grant, MailOutbox, RecoveryCode, User
from pages.ids import brugeradministration as Ids
from pages.ids.brugeradministration import KIT
from tests import world
from tests.conftest import DashClient, complete_second_factor, enrol_second_factor, sign_in
from tests.test_brugeradministration import Callbacks, _out


def _password(client, email: str, password: str = world.PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def _anonymous_to_the_wall(client) -> None:
    """Assert that `client` gets nothing past the wall: pages send to sign-in, Dash answers 401."""
    page = client.get("/stamdata")
    assert page.status_code == 302 and page.location.startswith("/login")
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert client.get(path).status_code == 401
    forged = client.post("/_dash-update-component", json={
        "output": "_pages_content.children", "outputs": {"id": "_pages_content", "property": "children"},
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/stamdata"}],
        "changedPropIds": ["_pages_location.pathname"]})
    assert forged.status_code == 401
    assert world.CVR_A not in forged.get_data(as_text=True)


@pytest.mark.parametrize("email", [world.SA_STAFF, world.SA_ADMIN, world.ADMIN_AB])
def test_sa_staff_and_administrators_cannot_sign_in_with_a_password_alone(client, email):
    response = _password(client, email)
    assert response.status_code == 302 and response.location == "/login/kode"
    # Half signed in: the password was right, but nothing is reachable, Dash's endpoints included.
    _anonymous_to_the_wall(client)
    page = client.get("/login/kode")
    assert page.status_code == 200 and "Indtast kode fra din godkendelsesapp" in page.get_data(as_text=True)
    done = client.post("/login/kode", data={"code": world.totp_code(email)})
    assert done.status_code == 302 and done.location == "/"
    assert client.get("/stamdata").status_code == 200
    assert client.get("/_dash-layout").status_code == 200


def test_the_code_page_keeps_where_the_user_was_going(client):
    response = client.post("/login", data={"email": world.SA_STAFF, "password": world.PASSWORD,
                                           "next": "/stamdata?cvr=33391005"})
    assert response.location == "/login/kode"
    done = complete_second_factor(client, world.SA_STAFF)
    assert done.location == "/stamdata?cvr=33391005"


def test_wrong_code_is_refused_in_danish_and_signs_nobody_in(client):
    _password(client, world.SA_STAFF)
    right = world.totp_code(world.SA_STAFF)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    # Five tries: the throttle's free ones (tested below).
    for code in (wrong, "", "abcdef", "1" * 500, "ABCDE-FGHJK"):
        response = client.post("/login/kode", data={"code": code})
        assert response.status_code == 401
        assert "Koden er forkert eller allerede brugt" in response.get_data(as_text=True)
    _anonymous_to_the_wall(client)


def test_the_code_page_without_a_password_first_sends_to_sign_in(client):
    response = client.post("/login/kode", data={"code": world.totp_code(world.SA_STAFF)})
    assert response.status_code == 302 and response.location == "/login"
    _anonymous_to_the_wall(client)


def test_a_wrong_password_never_reaches_the_code_page(client):
    response = _password(client, world.SA_STAFF, "forkert-adgangskode-helt-sikkert")
    assert response.status_code == 401
    assert client.post("/login/kode", data={"code": world.totp_code(world.SA_STAFF)}).location == "/login"


def test_a_used_code_cannot_be_used_again_within_its_window(app):
    first, second = app.test_client(), app.test_client()
    code = world.totp_code(world.SA_STAFF)
    _password(first, world.SA_STAFF)
    assert first.post("/login/kode", data={"code": code}).status_code == 302
    # Someone who saw the code (and knows the password) a second later gets nothing.
    _password(second, world.SA_STAFF)
    assert second.post("/login/kode", data={"code": code}).status_code == 401
    _anonymous_to_the_wall(second)
    # The app's next code is accepted (within the window).
    assert second.post("/login/kode", data={"code": world.totp_code(world.SA_STAFF, 1)}).status_code == 302
    assert world.user_row(app, world.SA_STAFF).totp_last_step == totp.current_step() + 1 or \
        world.user_row(app, world.SA_STAFF).totp_last_step == totp.current_step()


def test_code_attempts_are_throttled_per_user(app):
    client = app.test_client()
    _password(client, world.ADMIN_AB)
    right = world.totp_code(world.ADMIN_AB)
    wrong = f"{(int(right) + 7) % 1_000_000:06d}"
    statuses = [client.post("/login/kode", data={"code": wrong}).status_code for _ in range(10)]
    assert statuses[:5] == [401] * 5 and 429 in statuses
    blocked = client.post("/login/kode", data={"code": right})
    # Even the right code waits: guessing six digits at request speed is not possible.
    assert blocked.status_code == 429 and "for mange forkerte koder" in blocked.get_data(as_text=True)
    assert int(blocked.headers["Retry-After"]) >= 1
    _anonymous_to_the_wall(client)
    # Another user's codes are counted apart.
    other = app.test_client()
    assert sign_in(other, world.SA_STAFF).status_code == 302


def test_enrolment_is_mandatory_for_sa_staff_and_administrators(app):
    world.set_user(app, world.SA_STAFF, totp_secret=None, totp_enabled_at=None)
    client = app.test_client()
    response = _password(client, world.SA_STAFF)
    assert response.status_code == 302 and response.location == "/to-trinsbekraeftelse/opsaet"
    # Nothing else is reachable until enrolment is done; the code page sends back to enrolment.
    _anonymous_to_the_wall(client)
    assert client.get("/login/kode").location == "/to-trinsbekraeftelse/opsaet"
    page = client.get("/to-trinsbekraeftelse/opsaet").get_data(as_text=True)
    assert "påkrævet" in page and 'src="data:image/svg+xml' in page
    secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    # The same secret until it is confirmed (a reload does not invalidate the scanned QR code).
    assert secret in client.get("/to-trinsbekraeftelse/opsaet").get_data(as_text=True).replace(" ", "")
    wrong = client.post("/to-trinsbekraeftelse/opsaet", data={"code": "000000"})
    assert wrong.status_code == 400 and "Koden passer ikke" in wrong.get_data(as_text=True)
    _anonymous_to_the_wall(client)
    done = client.post("/to-trinsbekraeftelse/opsaet", data={"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([A-Z0-9]{5}-[A-Z0-9]{5})</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/stamdata").status_code == 200
    with app.app_context():
        session = get_session()
        user = session.scalar(select(User).where(User.email == world.SA_STAFF))
        # Stored encrypted with a key derived from the app secret, never in clear; codes only as hashes.
        assert user.totp_secret != secret and secret not in user.totp_secret
        assert totp.decrypt_secret(app.config["SECRET_KEY"], user.totp_secret) == secret
        assert totp.decrypt_secret("another-secret-key-" + "y" * 32, user.totp_secret) is None
        hashes = session.scalars(select(RecoveryCode.code_hash).where(RecoveryCode.user_id == user.id)).all()
        assert len(hashes) == 10 and all(h.startswith("$argon2") for h in hashes)
        assert not any(c.replace("-", "") in h for c in codes for h in hashes)
    # Shown once: the enrolment page now sends the enrolled user away.
    assert client.get("/to-trinsbekraeftelse/opsaet").location == "/to-trinsbekraeftelse"
    settings = client.get("/to-trinsbekraeftelse").get_data(as_text=True)
    assert "10 ubrugte gendannelseskoder" in settings and codes[0] not in settings


def test_the_second_factor_is_optional_for_other_users(app):
    client = app.test_client()
    # Without it, a Læser signs in with the password alone.
    assert _password(client, world.LAESER_A).location == "/"
    menu = json.dumps(client.get("/_dash-layout").get_json(), ensure_ascii=False)
    assert "To-trinsbekræftelse" in menu and "/to-trinsbekraeftelse" in menu
    assert "ikke slået til" in client.get("/to-trinsbekraeftelse").get_data(as_text=True)
    secret, codes, _ = enrol_second_factor(client)
    assert len(codes) == 10
    client.post("/logout")
    # From now on the code is asked for.
    assert _password(client, world.LAESER_A).location == "/login/kode"
    _anonymous_to_the_wall(client)
    # A recovery code works once (typed in lower case with spaces, as people do).
    typed = codes[3].lower().replace("-", " ")
    response = client.post("/login/kode", data={"code": typed})
    assert response.status_code == 302 and response.location == "/"
    client.post("/logout")
    _password(client, world.LAESER_A)
    assert client.post("/login/kode", data={"code": codes[3]}).status_code == 401
    assert client.post("/login/kode", data={"code": codes[4]}).status_code == 302
    # The user may turn an optional second factor off again, with a code.
    assert client.post("/to-trinsbekraeftelse", data={"code": "000000"}).status_code == 401
    # The step of enrolment's code is spent: the app's next code.
    off = client.post("/to-trinsbekraeftelse", data={"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert off.status_code == 302
    client.post("/logout")
    assert _password(client, world.LAESER_A).location == "/"
    with app.app_context():
        user = get_session().scalar(select(User).where(User.email == world.LAESER_A))
        assert user.totp_secret is None
        assert get_session().scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all() == []


def test_a_required_second_factor_cannot_be_turned_off(app, client):
    sign_in(client, world.ADMIN_AB)
    response = client.post("/to-trinsbekraeftelse", data={"code": world.totp_code(world.ADMIN_AB, 1)})
    assert response.status_code == 400 and "påkrævet" in response.get_data(as_text=True)
    assert second_factor.is_enrolled(world.user_row(app, world.ADMIN_AB))


def test_a_session_without_the_second_factor_ends_when_the_user_becomes_administrator(app, client):
    assert _password(client, world.REDIGER_A).location == "/"
    assert client.get("/stamdata").status_code == 200
    with app.app_context():
        session = get_session()
        user = session.scalar(select(User).where(User.email == world.REDIGER_A))
        grant = session.scalar(select(Grant).where(Grant.user_id == user.id))
        grant.rights = ["Administrator"]
        session.commit()
    assert client.post("/_dash-update-component", json={}).status_code == 401
    _anonymous_to_the_wall(client)
    # Signing in again goes through enrolment.
    assert _password(client, world.REDIGER_A).location == "/to-trinsbekraeftelse/opsaet"


def test_changing_the_password_keeps_the_second_factor_of_the_session(client):
    sign_in(client, world.SA_STAFF)
    new = "en-helt-ny-og-lang-adgangskode-til-sa"
    response = client.post("/skift-adgangskode", data={"current_password": world.PASSWORD, "new_password": new,
                                                      "new_password_repeat": new})
    assert response.status_code == 302
    assert client.get("/stamdata").status_code == 200


# --- SA's system administrator resets a second factor ---------------------------------------------


def _enrolled_with_codes(app, email: str) -> int:
    with app.app_context():
        session = get_session()
        user = session.scalar(select(User).where(User.email == email))
        session.add(RecoveryCode(user_id=user.id, code_hash="$argon2id$test"))
        session.commit()
        return user.id


def test_sa_system_administrator_resets_a_second_factor(app, client, dash_client):
    victim_id = _enrolled_with_codes(app, world.ADMIN_AB)
    victim = app.test_client()
    sign_in(victim, world.ADMIN_AB)
    assert victim.get("/stamdata").status_code == 200
    sign_in(client, world.SA_ADMIN)
    page = dash_client.page("/brugeradministration", f"?cvr={world.CVR_A}").get_data(as_text=True)
    assert "Nulstil to-trinsbekr" in page
    cb = Callbacks(app, client, dash_client)
    ask = cb.ask(Ids.RESET_SECOND_FACTOR, victim_id)
    assert _out(ask, KIT.confirm_modal, "is_open") is True
    assert _out(ask, KIT.confirm_state, "data") == {"action": "reset_second_factor", "id": victim_id}
    done = cb.confirm("reset_second_factor", victim_id)
    assert "er nulstillet" in _out(done, KIT.changed, "data")["text"]
    with app.app_context():
        session = get_session()
        user = session.get(User, victim_id)
        assert user.totp_secret is None and user.totp_enabled_at is None
        assert session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == victim_id)).all() == []
        row = session.scalar(select(AuditLog).where(AuditLog.action == "second_factor_reset"))
        assert row.entity_id == str(victim_id) and row.cvr == world.CVR_A and world.SA_ADMIN in row.user_label
        mail = session.scalar(select(MailOutbox).where(MailOutbox.recipient == world.ADMIN_AB))
        assert mail is not None and "to-trinsbekræftelse er nulstillet" in mail.subject.lower()
    # The victim's session ends; the next sign-in goes through enrolment.
    assert victim.get("/stamdata").status_code == 302
    assert _password(victim, world.ADMIN_AB).location == "/to-trinsbekraeftelse/opsaet"
    history = cb.history(victim_id)
    assert "To-trinsbekræftelse nulstillet" in json.dumps(history.get_json(), ensure_ascii=False)


@pytest.mark.parametrize("actor", [world.SA_STAFF, world.ADMIN_AB])
def test_reset_is_refused_to_everyone_else_even_with_a_forged_callback(app, client, dash_client, actor):
    target = world.REDIGER_A if actor == world.ADMIN_AB else world.ADMIN_AB
    world.set_user(app, target, totp_secret=totp.encrypt_secret(app.config["SECRET_KEY"], pyotp.random_base32()),
            totp_enabled_at=world.user_row(app, world.SA_STAFF).totp_enabled_at)
    target_id = world.user_row(app, target).id
    sign_in(client, actor)
    page = dash_client.page("/brugeradministration", f"?cvr={world.CVR_A}").get_data(as_text=True)
    # The button is not offered (hidden), and its enabling callback keeps it disabled.
    assert '"className":"d-none"' in page.replace(" ", "") or "d-none" in page
    cb = Callbacks(app, client, dash_client)
    assert cb.ask(Ids.RESET_SECOND_FACTOR, target_id).status_code == 204
    forged = cb.confirm("reset_second_factor", target_id)
    assert "er nulstillet" not in forged.get_data(as_text=True)
    with app.app_context():
        assert get_session().get(User, target_id).totp_secret is not None
        assert get_session().scalar(select(AuditLog).where(AuditLog.action == "second_factor_reset")) is None
        assert get_session().scalar(select(MailOutbox).where(MailOutbox.recipient == target)) is None


def test_sa_staffs_second_factor_is_reset_from_the_command_line_by_sas_system_administrator(app, runner):
    from data.db import get_session
    from data.models import AuditLog, MailOutbox, User

    refused = runner.invoke(args=["reset-second-factor", world.SA_STAFF, "--by", world.SA_STAFF])
    assert refused.exit_code != 0 and "Kun Statens Administrations systemadministrator" in refused.output
    unknown = runner.invoke(args=["reset-second-factor", "ingen@example.dk", "--by", world.SA_ADMIN])
    assert unknown.exit_code != 0 and "Der findes ingen bruger" in unknown.output
    result = runner.invoke(args=["reset-second-factor", world.SA_STAFF, "--by", world.SA_ADMIN])
    assert result.exit_code == 0, result.output
    with app.app_context():
        session = get_session()
        user = session.scalar(select(User).where(User.email == world.SA_STAFF))
        assert user.totp_secret is None and user.totp_enabled_at is None
        assert session.scalar(select(AuditLog).where(AuditLog.action == "second_factor_reset",
                                                     AuditLog.entity_id == str(user.id))) is not None
        assert session.scalar(select(MailOutbox).where(MailOutbox.recipient == world.SA_STAFF)) is not None
