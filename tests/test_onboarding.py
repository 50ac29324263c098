"""Administrator onboarding (issue 11): request → confirm → SA approves → online form → account → set password.

The end-to-end test runs on real SMTP on loopback (aiosmtpd); the others read the outbox folder.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from data import onboarding
from data.db import get_session
from data.models import AdminApplication, AuditLog, Grant, MailOutbox, User
from pages.ids import sa_ansoegninger as Ids
from pages.ids.sa_ansoegninger import KIT
from tests import world
from tests.conftest import DashClient, enrol_second_factor, sign_in
from tests.test_mail import Recorder, free_port

NOT_A_CUSTOMER = "30000005"  # a well-formed CVR (modulus 11) of no customer
NEW_PASSWORD = "en-helt-ny-og-lang-adgangskode"
CONFIRM_LINK = re.compile(r"(/administratoradgang/bekraeft/([0-9]+\.[A-Za-z0-9_-]+))")
FORM_LINK = re.compile(r"(/administratoradgang/formular/([0-9]+\.[A-Za-z0-9_-]+))")
RESET_LINK = re.compile(r"(/nulstil-adgangskode/([A-Za-z0-9_-]+))")
REQUEST = {"institution": "Center for Cirkler", "cvr": world.CVR_C, "name": "Åse Ansøger",
           "email": "aase@cirkler.dk"}


# --- helpers ------------------------------------------------------------------------------------


def outbox(app_config) -> list[email.message.EmailMessage]:
    folder = Path(app_config["MAIL_OUTBOX_PATH"])
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in files]


def link_in(message, pattern: re.Pattern) -> str:
    match = pattern.search(message.get_content())
    assert match, message.get_content()
    return match.group(1)


def apply(client, **overrides):
    """POST the public request and let the deferred mail go out (as a WSGI server does)."""
    response = client.post("/ansoeg-administratoradgang", data={**REQUEST, **overrides})
    response.close()
    return response


def rows(app) -> list[AdminApplication]:
    with app.app_context():
        return list(get_session().scalars(select(AdminApplication).order_by(AdminApplication.id)))


def response_of(response) -> dict:
    assert response.status_code == 200, response.data[:500]
    return response.get_json()["response"]


def decide(dash: DashClient, button: str, application_id: int) -> dict:
    """Click Godkend / Opret / Erstat on the application, then »yes«; return the second answer's outputs."""
    selected = [{"id": application_id}]
    asked = response_of(dash.fire(button, "n_clicks", values={(button, "n_clicks"): 1,
                                                             (KIT.grid, "selectedRows"): selected}))
    state = asked[KIT.confirm_state]["data"]
    return confirm(dash, state)


def confirm(dash: DashClient, state: Any) -> dict:
    return response_of(dash.fire(KIT.confirm_yes, "n_clicks", values={(KIT.confirm_yes, "n_clicks"): 1,
                                                                      (KIT.confirm_state, "data"): state}))


def approved_form_link(app, app_config, client, sa_client, **overrides) -> tuple[int, str]:
    """Request, confirm and approve an application; return its id and the form link from the mail."""
    apply(client, **overrides)
    confirm_link = link_in(outbox(app_config)[-1], CONFIRM_LINK)
    assert client.post(confirm_link).status_code == 200
    application_id = rows(app)[-1].id
    done = decide(DashClient(sa_client), Ids.APPROVE, application_id)
    assert done[KIT.confirm_modal]["is_open"] is False, done
    return application_id, link_in(outbox(app_config)[-1], FORM_LINK)


@pytest.fixture
def sa_client(app):
    client = app.test_client()
    assert sign_in(client, world.SA_ADMIN).status_code == 302
    return client


# --- end to end, on real SMTP -----------------------------------------------------------------------


@pytest.fixture
def smtp(app_config):
    handler = Recorder()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT_S=5,
                      PUBLIC_BASE_URL="https://kundeportal.example")
    yield handler
    controller.stop()


def _received(handler) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(e.content, policy=email.policy.default) for e in handler.envelopes]


def test_onboarding_end_to_end_with_real_mail(smtp, app, client, sa_client):
    # 1. The public request, linked from the sign-in page.
    assert "/ansoeg-administratoradgang" in client.get("/login").get_data(as_text=True)
    page = client.get("/ansoeg-administratoradgang").get_data(as_text=True)
    assert "Ansøg om administratoradgang" in page and 'name="csrf_token"' in page
    answer = apply(client)
    assert answer.status_code == 200 and "Tak for din ansøgning" in answer.get_data(as_text=True)
    [mail] = _received(smtp)
    assert mail["To"] == REQUEST["email"]
    confirm_link = link_in(mail, CONFIRM_LINK)
    assert mail.get_content().count("https://kundeportal.example/administratoradgang/bekraeft/") == 1
    # Nothing reaches SA before the address is confirmed.
    sa = DashClient(sa_client)
    grid = response_of(sa.fire(KIT.saved, "data", output=KIT.grid, values={(KIT.saved, "data"): None}))
    assert grid[KIT.grid]["rowData"] == []

    # 2. The confirmation: a GET only asks, the POST confirms.
    assert "Bekræft" in client.get(confirm_link).get_data(as_text=True)
    assert rows(app)[0].state == onboarding.UNCONFIRMED
    assert "bekræftet" in client.post(confirm_link).get_data(as_text=True)
    grid = response_of(sa.fire(KIT.saved, "data", output=KIT.grid, values={(KIT.saved, "data"): None}))
    [row] = grid[KIT.grid]["rowData"]
    assert row["state"] == "Afventer godkendelse" and world.CVR_C in row["cvr"] and row["administrators"] == ""
    application_id = row["id"]

    # 3. SA's system administrator approves: the applicant gets the single-use form link.
    done = decide(sa, Ids.APPROVE, application_id)
    assert "er godkendt" in done[KIT.changed]["data"]["text"]
    form_mail = _received(smtp)[-1]
    assert form_mail["To"] == REQUEST["email"] and "14 dage" in form_mail.get_content()
    form_link = link_in(form_mail, FORM_LINK)

    # 4. The online form: ministerområde, two CVR numbers (one has an administrator), name, e-mail, phone.
    form = client.get(form_link).get_data(as_text=True)
    assert "Ministerområde" in form and "Finansministeriet - 7" in form
    bad = client.post(form_link, data={"ministry": "1", "cvrs": "20000008", "name": "", "email": "x",
                                       "phone": "12"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "kontrolcifferet" in text and "Navn skal udfyldes." in text
    submitted = client.post(form_link, data={"ministry": "2", "cvrs": f"{world.CVR_B}, {world.CVR_C}",
                                             "name": "Ny Administrator", "email": "ny.admin@cirkler.dk",
                                             "phone": "+45 12 34 56 78"})
    assert submitted.status_code == 200 and "Formularen er sendt" in submitted.get_data(as_text=True)

    # 5. SA reviews: CVR B has an administrator, so »Opret« is refused and SA must choose »Erstat«.
    chosen = response_of(sa.fire(KIT.grid, "selectedRows", values={(KIT.grid, "selectedRows"): [{"id": application_id}]}))
    assert chosen[Ids.CREATE]["disabled"] is False and chosen[Ids.REPLACE]["disabled"] is False
    details = str(chosen[Ids.DETAILS]["children"])
    assert "Ny Administrator" in details and world.ADMIN_AB in details
    refused = decide(sa, Ids.CREATE, application_id)
    assert "allerede en administrator" in refused[KIT.confirm_alert]["children"]
    assert world.ADMIN_AB in refused[KIT.confirm_alert]["children"]
    with app.app_context():
        assert get_session().scalar(select(User).where(User.email == "ny.admin@cirkler.dk")) is None
    done = decide(sa, Ids.REPLACE, application_id)
    assert "er administrator for" in done[KIT.changed]["data"]["text"], done

    # 6. The welcome mail carries a set-password link, never a password.
    welcome = _received(smtp)[-1]
    assert welcome["To"] == "ny.admin@cirkler.dk"
    assert "Adgangskode:" not in welcome.get_content() and "7 dage" in welcome.get_content()
    reset = link_in(welcome, RESET_LINK)
    new_admin = app.test_client()
    assert sign_in(new_admin, "ny.admin@cirkler.dk", NEW_PASSWORD).status_code == 401
    chosen = new_admin.post(reset, data={"new_password": NEW_PASSWORD, "new_password_repeat": NEW_PASSWORD})
    assert chosen.status_code == 302 and chosen.location.endswith("/login")

    # 7. Signed in as administrator of exactly those CVRs; the former administrator keeps CVR A only.
    # An administrator must have a second factor: the first sign-in goes on to enrolment (issue 13).
    first = sign_in(new_admin, "ny.admin@cirkler.dk", NEW_PASSWORD)
    assert first.status_code == 302 and first.location == "/to-trinsbekraeftelse/opsaet"
    enrol_second_factor(new_admin)
    with app.app_context():
        session = get_session()
        user = session.scalar(select(User).where(User.email == "ny.admin@cirkler.dk"))
        grants = {g.cvr: g.rights for g in session.scalars(select(Grant).where(Grant.user_id == user.id))}
        assert grants == {world.CVR_B: ["Administrator"], world.CVR_C: ["Administrator"]}
        former = session.scalar(select(User).where(User.email == world.ADMIN_AB))
        assert {g.cvr: g.rights for g in former.grants} == {world.CVR_A: ["Administrator"]}
        actions = list(session.scalars(select(AuditLog.action).where(AuditLog.entity == onboarding.ENTITY)
                                       .order_by(AuditLog.id)))
        assert actions == ["request", "confirm_email", "approve", "submit_form", "create_account"]
        user_rows = list(session.scalars(select(AuditLog).where(AuditLog.entity == "user")))
        assert {(r.action, r.cvr) for r in user_rows} == {("create", world.CVR_B), ("create", world.CVR_C),
                                                            ("replace_administrator", world.CVR_B)}
    as_admin = DashClient(new_admin)
    own = as_admin.page("/brugeradministration", f"?cvr={world.CVR_C}").get_data(as_text=True)
    other = as_admin.page("/brugeradministration", f"?cvr={world.CVR_A}").get_data(as_text=True)
    assert "Ingen adgang" not in own and "Ingen adgang" in other
    # Every link carrying a secret was sent directly; no mail body with a link was kept.
    with app.app_context():
        assert all(not (r.body_text or "") for r in get_session().scalars(select(MailOutbox)))


# --- the links --------------------------------------------------------------------------------------


def _refused(response, words: str) -> None:
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and "Linket virker ikke" in text and words in text, text[:800]


def test_altered_and_other_applicants_form_links_are_refused(app, app_config, client, sa_client):
    first_id, first = approved_form_link(app, app_config, client, sa_client)
    second_id, second = approved_form_link(app, app_config, client, sa_client, email="b@cirkler.dk")
    _refused(client.get(first[:-1] + ("A" if first[-1] != "A" else "B")), "ugyldigt")
    # The first application's id with the second applicant's secret.
    forged = f"/administratoradgang/formular/{first_id}.{second.rsplit('.', 1)[1]}"
    _refused(client.get(forged), "ugyldigt")
    _refused(client.post(forged, data={"ministry": "1", "cvrs": world.CVR_C, "name": "X Y",
                                       "email": "x@y.dk", "phone": "12345678"}), "ugyldigt")
    _refused(client.get("/administratoradgang/formular/not-a-token"), "ugyldigt")
    # A confirmation link is no form link.
    _refused(client.get(link_in(outbox(app_config)[0], CONFIRM_LINK).replace("bekraeft", "formular")), "ugyldigt")
    assert [r.state for r in rows(app)] == [onboarding.APPROVED, onboarding.APPROVED]


def test_a_used_form_link_is_refused(app, app_config, client, sa_client):
    _id, link = approved_form_link(app, app_config, client, sa_client)
    data = {"ministry": "1", "cvrs": world.CVR_C, "name": "Ny Administrator", "email": "ny@cirkler.dk",
            "phone": "12345678"}
    assert client.post(link, data=data).status_code == 200
    _refused(client.get(link), "allerede brugt")
    _refused(client.post(link, data={**data, "name": "Anden"}), "allerede brugt")
    assert rows(app)[0].form_name == "Ny Administrator"


def test_an_expired_form_link_is_refused(app, app_config, client, sa_client):
    application_id, link = approved_form_link(app, app_config, client, sa_client)
    with app.app_context():
        session = get_session()
        session.execute(update(AdminApplication).where(AdminApplication.id == application_id)
                        .values(form_expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
        session.commit()
    _refused(client.get(link), "udløbet")
    _refused(client.post(link, data={"ministry": "1", "cvrs": world.CVR_C, "name": "A B", "email": "a@b.dk",
                                     "phone": "12345678"}), "udløbet")
    assert rows(app)[0].state == onboarding.APPROVED
    # SA sends a new link: the old one stops working, the new one opens the form.
    done = decide(DashClient(sa_client), Ids.APPROVE, application_id)
    assert "nyt link" in done[KIT.changed]["data"]["text"]
    new_link = link_in(outbox(app_config)[-1], FORM_LINK)
    assert new_link != link
    _refused(client.get(link), "ugyldigt")
    assert client.get(new_link).status_code == 200
    # Rejected after all: the new link stops working too.
    sa = DashClient(sa_client)
    opened = response_of(sa.fire(KIT.edit, "n_clicks", values={(KIT.edit, "n_clicks"): 1,
                                                              (KIT.grid, "selectedRows"): [{"id": application_id}]}))
    response_of(sa.fire(KIT.save, "n_clicks", values={(KIT.save, "n_clicks"): 1,
                                                     (KIT.form_state, "data"): opened[KIT.form_state]["data"],
                                                     (KIT.field("reason"), "value"): "Formularen kom ikke."}))
    assert rows(app)[0].state == onboarding.REJECTED
    _refused(client.get(new_link), "ugyldigt")


def test_confirmation_links_expired_reused_and_altered_are_refused(app, app_config, client):
    apply(client)
    link = link_in(outbox(app_config)[-1], CONFIRM_LINK)
    _refused(client.post(link[:-2] + "xy"), "ugyldigt")
    assert client.post(link).status_code == 200
    _refused(client.get(link), "allerede brugt")
    _refused(client.post(link), "allerede brugt")
    apply(client, email="sen@cirkler.dk")
    late = link_in(outbox(app_config)[-1], CONFIRM_LINK)
    with app.app_context():
        session = get_session()
        session.execute(update(AdminApplication).where(AdminApplication.applicant_email == "sen@cirkler.dk")
                        .values(confirm_expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)))
        session.commit()
    _refused(client.post(late), "udløbet")
    assert [r.state for r in rows(app)] == [onboarding.AWAITING, onboarding.UNCONFIRMED]


def test_tokens_are_stored_hashed(app, app_config, client, sa_client):
    _id, form_link = approved_form_link(app, app_config, client, sa_client)
    confirm_token = link_in(outbox(app_config)[0], CONFIRM_LINK).rsplit("/", 1)[1]
    form_token = form_link.rsplit("/", 1)[1]
    [row] = rows(app)
    assert row.confirm_token_hash == onboarding.hash_token(confirm_token)
    assert row.form_token_hash == onboarding.hash_token(form_token)
    with app.app_context():
        dumped = str([(r.before, r.after) for r in get_session().scalars(select(AuditLog))])
    assert confirm_token.split(".")[1] not in dumped and form_token.split(".")[1] not in dumped


# --- the public request ------------------------------------------------------------------------------


def test_the_answer_is_the_same_for_known_and_unknown_cvrs_and_addresses(app, app_config, client):
    answers = [apply(client, **values) for values in (
        {}, {"cvr": NOT_A_CUSTOMER}, {"email": world.ADMIN_AB}, {"email": "ukendt@nowhere.dk", "cvr": NOT_A_CUSTOMER})]
    assert {a.status_code for a in answers} == {200}
    assert len({a.data for a in answers}) == 1
    assert len(outbox(app_config)) == 4


def test_request_fields_are_checked_with_danish_messages(app, app_config, client):
    response = apply(client, cvr="12345678", name="", email="ikke-en-adresse")
    text = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "kontrolcifferet" in text and "Navn skal udfyldes." in text and "gyldig e-mailadresse" in text
    assert outbox(app_config) == [] and rows(app) == []


def test_requests_are_rate_limited_per_address(app, app_config, client):
    answers = [apply(client) for _ in range(5)]
    assert {a.status_code for a in answers} == {200} and len({a.data for a in answers}) == 1
    assert len(outbox(app_config)) == 3 and len(rows(app)) == 3


def test_requests_are_rate_limited_per_client(app_config):
    app_config["ONBOARDING_IP_LIMIT"] = "2 per hour"
    from app import create_app
    from data.db import get_db, unscoped_session

    app = create_app(app_config)
    world.unscoped_outside_requests(get_db(app))
    with app.app_context(), unscoped_session("tests: the test world") as session:
        world.build(session)
    try:
        client = app.test_client()
        codes = [apply(client, email=f"a{i}@cirkler.dk").status_code for i in range(3)]
        assert codes == [200, 200, 429]
        assert len(outbox(app_config)) == 2
    finally:
        get_db(app).dispose()


@pytest.fixture
def csrf_on(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_public_forms_need_the_csrf_token(csrf_on, app, client):
    assert apply(client).status_code == 400
    assert rows(app) == []
    page = client.get("/ansoeg-administratoradgang").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert apply(client, csrf_token=token).status_code == 200
    link = link_in(outbox(csrf_on)[-1], CONFIRM_LINK)
    assert client.post(link).status_code == 400
    assert rows(app)[0].state == onboarding.UNCONFIRMED


# --- SA's Ansøgninger -----------------------------------------------------------------------------


def test_only_sas_system_administrator_opens_ansoegninger(app, client, login):
    login(world.SA_STAFF)
    dash = DashClient(client)
    assert "Ingen adgang" in dash.page(Ids.PATH).get_data(as_text=True)
    refused = dash.fire(KIT.saved, "data", output=KIT.grid, values={(KIT.saved, "data"): None})
    assert refused.status_code == 403


def test_the_second_of_two_decisions_is_refused_and_the_first_kept(app, app_config, client, sa_client):
    apply(client)
    assert client.post(link_in(outbox(app_config)[-1], CONFIRM_LINK)).status_code == 200
    application_id = rows(app)[0].id
    sa = DashClient(sa_client)
    selected = [{"id": application_id}]
    asked = response_of(sa.fire(Ids.APPROVE, "n_clicks", values={(Ids.APPROVE, "n_clicks"): 1,
                                                                (KIT.grid, "selectedRows"): selected}))
    state = asked[KIT.confirm_state]["data"]
    # Another system administrator rejects meanwhile, from a form opened at the same version.
    opened = response_of(sa.fire(KIT.edit, "n_clicks", values={(KIT.edit, "n_clicks"): 1,
                                                              (KIT.grid, "selectedRows"): selected}))
    form_state = opened[KIT.form_state]["data"]
    empty = response_of(sa.fire(KIT.save, "n_clicks", values={(KIT.save, "n_clicks"): 1,
                                                             (KIT.form_state, "data"): form_state,
                                                             (KIT.field("reason"), "value"): " "}))
    assert empty[KIT.feedback("reason")]["children"] == "Begrundelse skal udfyldes."
    first = confirm(sa, state)
    assert "er godkendt" in first[KIT.changed]["data"]["text"]
    stale = response_of(sa.fire(KIT.save, "n_clicks", values={(KIT.save, "n_clicks"): 1,
                                                             (KIT.form_state, "data"): form_state,
                                                             (KIT.field("reason"), "value"): "Ukendt ansøger"}))
    assert "ændret samtidig" in stale[KIT.form_alert]["children"]
    again = confirm(sa, state)
    assert "ændret samtidig" in again[KIT.confirm_alert]["children"]
    [row] = rows(app)
    assert row.state == onboarding.APPROVED and row.reason == ""
    assert len([m for m in outbox(app_config) if FORM_LINK.search(m.get_content())]) == 1


def test_rejection_with_a_reason_is_mailed_and_audited(app, app_config, client, sa_client):
    apply(client)
    assert client.post(link_in(outbox(app_config)[-1], CONFIRM_LINK)).status_code == 200
    application_id = rows(app)[0].id
    sa = DashClient(sa_client)
    opened = response_of(sa.fire(KIT.edit, "n_clicks", values={(KIT.edit, "n_clicks"): 1,
                                                              (KIT.grid, "selectedRows"): [{"id": application_id}]}))
    done = response_of(sa.fire(KIT.save, "n_clicks", values={(KIT.save, "n_clicks"): 1,
                                                            (KIT.form_state, "data"): opened[KIT.form_state]["data"],
                                                            (KIT.field("reason"), "value"): "Ukendt institution."}))
    assert "er afvist" in done[KIT.saved]["data"]["text"]
    [row] = rows(app)
    assert row.state == onboarding.REJECTED and row.reason == "Ukendt institution."
    with app.app_context():
        session = get_session()
        queued = session.scalars(select(MailOutbox).where(MailOutbox.recipient == REQUEST["email"],
                                                          MailOutbox.body_text.is_not(None))).all()
        assert len(queued) == 1 and "Ukendt institution." in queued[0].body_text
        assert session.scalar(select(AuditLog).where(AuditLog.action == "reject")).after["reason"] == \
            "Ukendt institution."
    # A rejected application is approved by no forged click.
    refused = decide(sa, Ids.APPROVE, application_id)
    assert "ændret samtidig" in refused[KIT.confirm_alert]["children"]
    assert rows(app)[0].state == onboarding.REJECTED


def test_an_account_on_a_cvr_without_administrator_needs_no_choice(app, app_config, client, sa_client):
    application_id, link = approved_form_link(app, app_config, client, sa_client)
    assert client.post(link, data={"ministry": "2", "cvrs": world.CVR_C, "name": "Ny Administrator",
                                   "email": "ny@cirkler.dk", "phone": "12345678"}).status_code == 200
    sa = DashClient(sa_client)
    chosen = response_of(sa.fire(KIT.grid, "selectedRows", values={(KIT.grid, "selectedRows"): [{"id": application_id}]}))
    assert chosen[Ids.REPLACE]["disabled"] is True and chosen[Ids.CREATE]["disabled"] is False
    done = decide(sa, Ids.CREATE, application_id)
    assert "er administrator for Center for Cirkler" in done[KIT.changed]["data"]["text"]
    welcome = outbox(app_config)[-1]
    assert welcome["To"] == "ny@cirkler.dk" and RESET_LINK.search(welcome.get_content())
    assert rows(app)[0].state == onboarding.CREATED
