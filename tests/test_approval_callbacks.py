"""Kundeaftaler's electronic approval through the callbacks: who sees »Godkend aftalen«, who may approve, the PDF."""

from __future__ import annotations

import datetime as dt
import json
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from core.access import AccessScope, Principal
from data import approvals, seal
from data.db import get_session
from data.models import Agreement, ApprovalEvent, User
from pages.ids import kundeaftaler as ids
from tests import agreements_world as aw
from tests import world
from data.workdays import danish_today

ALL = AccessScope(all_customers=True)


def _principal(session, email: str) -> Principal:
    return Principal.from_user(session.scalar(select(User).where(User.email == email)))


@pytest.fixture
def pending(app):
    """CVR A's Kundeaftale sent for approval; ADMIN_AB is its customer signatory, SA_ADMIN SA's."""
    with app.app_context():
        session = get_session()
        rows = aw.build(session, danish_today())
        admin = _principal(session, world.SA_ADMIN)
        approvals.register_signatory(ALL, world.CVR_A, admin, "kundeaftale",
                                     {"name": "Ada Tegner", "email": world.ADMIN_AB, "b_number": "B200001"})
        approvals.register_sa_signatory(admin, "kundeaftale",
                                        {"name": "SA Admin", "email": world.SA_ADMIN, "b_number": "B900010"})
        row = session.get(Agreement, rows.agreements["customer_a"])
        result = approvals.request_approval(ALL, world.CVR_A, admin, row.id, row.row_version)
        return {"id": row.id, "sha256": result["pdf_sha256"], "rows": rows}


def text_of(response) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False)


def tab(dash_client, cvr=world.CVR_A):
    return dash_client.fire(ids.TABS, "value", cvr=cvr, initial=True, values={ids.TABS: "kundeaftale"})


def approve(dash_client, shown, password=world.PASSWORD, cvr=world.CVR_A, as_user=world.ADMIN_AB, code=None):
    """Press »Godkend aftalen« with the password and (for an enrolled signer) the app's current code."""
    if code is None and as_user in world.TOTP_SECRETS:
        # The sign-in spent this step's code; tests approve right after it, so the step is forgotten.
        with dash_client.client.application.app_context():
            code = world.unspent_totp_code(get_session(), as_user)
    return dash_client.fire(ids.APPROVE, "n_clicks", cvr=cvr,
                            values={ids.APPROVE: 1, ids.APPROVE_SHOWN: shown, ids.APPROVE_PASSWORD: password,
                                    ids.APPROVE_CODE: code})


def _events(app) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(ApprovalEvent))


def test_the_customer_sees_awaiting_approval_and_only_the_signatory_gets_the_action(app, client, login, dash_client,
                                                                                      pending):
    login(world.LAESER_A)
    text = text_of(tab(dash_client))
    assert "Afventer godkendelse" in text and ids.APPROVE not in text
    client.get("/logout")
    login(world.ADMIN_AB)
    text = text_of(tab(dash_client))
    assert "Afventer godkendelse" in text and ids.APPROVE in text and pending["sha256"] in text


def test_the_signatory_approves_and_both_approvals_seal_the_pdf(app, client, login, dash_client, pending):
    shown = {"id": pending["id"], "sha256": pending["sha256"]}
    login(world.ADMIN_AB)
    pdf = client.get(f"/kundeaftaler/hent/kundeaftale?cvr={world.CVR_A}")
    assert approvals.sha256(pdf.data) == pending["sha256"]  # the PDF offered is the one approved
    response = approve(dash_client, shown)
    assert response.status_code == 200 and "Din godkendelse er registreret" in text_of(response)
    client.get("/logout")
    login(world.SA_ADMIN)
    response = approve(dash_client, shown, as_user=world.SA_ADMIN)
    assert "forseglet" in text_of(response)
    sealed = client.get(f"/kundeaftaler/hent/kundeaftale?cvr={world.CVR_A}")
    assert sealed.status_code == 200
    with app.app_context():
        assert seal.check_seal(sealed.data, seal.signing_certificate(seal.seal_key(current_app.config))).ok
    text = text_of(tab(dash_client))
    with app.app_context():
        names = {ev.party: ev.signer_name for ev in get_session().scalars(select(ApprovalEvent))}
    # The panel reads the approval records: both names, and no longer the paper copy's.
    assert f"Underskrevet af: {names['customer']}" in text and f"Underskrevet af: {names['sa']}" in text
    assert "Søren Direktør" not in text and "godkendt elektronisk af begge parter" in text


def test_without_sealing_no_seal_is_claimed(app, client, login, dash_client, pending):
    """SEALING_DISABLED: the approval signs the version, and neither the status nor the tab speaks of a seal."""
    shown = {"id": pending["id"], "sha256": pending["sha256"]}
    app.config["SEALING_DISABLED"] = True
    try:
        login(world.ADMIN_AB)
        approve(dash_client, shown)
        client.get("/logout")
        login(world.SA_ADMIN)
        done = text_of(approve(dash_client, shown, as_user=world.SA_ADMIN))
        assert "Aftalen er godkendt af begge parter." in done and "forseglet" not in done
        text = text_of(tab(dash_client))
        assert "godkendt elektronisk af begge parter" in text and "forseglet" not in text
        pdf = client.get(f"/kundeaftaler/hent/kundeaftale?cvr={world.CVR_A}")
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    finally:
        app.config["SEALING_DISABLED"] = False


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.SA_STAFF])
def test_every_other_account_is_refused_even_with_a_forged_payload(app, login, dash_client, pending, email):
    login(email)
    response = approve(dash_client, {"id": pending["id"], "sha256": pending["sha256"]})
    assert response.status_code == 403
    assert _events(app) == 0


def test_the_signatory_cannot_approve_another_customers_agreement(app, login, dash_client, pending):
    login(world.ADMIN_AB)
    forged = {"id": pending["rows"].agreements["customer_b"], "sha256": pending["sha256"]}
    for cvr in (world.CVR_A, world.CVR_B):
        response = approve(dash_client, forged, cvr=cvr)
        assert "registreret" not in text_of(response)
    assert _events(app) == 0


def test_wrong_password_is_shown_beside_the_field_and_nothing_is_recorded(app, login, dash_client, pending):
    login(world.ADMIN_AB)
    response = approve(dash_client, {"id": pending["id"], "sha256": pending["sha256"]}, password="forkert")
    assert "Adgangskoden er forkert." in text_of(response)
    assert _events(app) == 0


def test_a_changed_version_and_a_second_approval_are_refused(app, login, dash_client, pending):
    login(world.ADMIN_AB)
    assert "ændret, efter den blev vist" in text_of(approve(dash_client, {"id": pending["id"], "sha256": "a" * 64}))
    shown = {"id": pending["id"], "sha256": pending["sha256"]}
    approve(dash_client, shown)
    assert "allerede godkendt" in text_of(approve(dash_client, shown))
    assert _events(app) == 1


def test_stamdata_shows_the_customers_own_signatories_only(app, login, dash_client, pending):
    from pages.ids import stamdata as stamdata_ids

    with app.app_context():
        approvals.register_signatory(ALL, world.CVR_B, _principal(get_session(), world.SA_ADMIN), "kundeaftale",
                                     {"name": "Bo Hemmelig", "email": "bo.b@example.dk", "b_number": "B5"})
    login(world.LAESER_A)
    response = dash_client.fire(stamdata_ids.TABS, "value", cvr=world.CVR_A, initial=True,
                                values={stamdata_ids.TABS: "generelt"})
    text = text_of(response)
    assert "Tegningsberettigede" in text and "Ada Tegner" in text and "B200001" in text
    assert "Bo Hemmelig" not in text


# --- SA: Tegningsberettigede and Verificér aftale --------------------------------------------------------


def _save_signatory(dash_client, **values):
    from pages.ids import sa_tegningsberettigede as tids

    fields = {tids.field(name): values.get(name, "") for name in tids.FIELDS}
    return dash_client.fire(tids.SAVE, "n_clicks",
                            values={tids.SAVE: 1, tids.PARTY: values.get("party", "customer"),
                                    tids.KIND: values.get("kind", "databehandleraftale"), **fields})


def test_the_sa_administrator_registers_a_signatory_and_a_new_account_gets_a_set_password_link(app, login,
                                                                                              dash_client, pending):
    from data.models import MailOutbox, PasswordResetToken, Signatory

    login(world.SA_ADMIN)
    response = _save_signatory(dash_client, cvr=world.CVR_A, name="Nina Ny", email="nina.ny@example.dk",
                               b_number="B777")
    assert response.status_code == 200 and "oprettet en bruger" in text_of(response)
    with app.app_context():
        session = get_session()
        user = session.scalar(select(User).where(User.email == "nina.ny@example.dk"))
        assert session.scalar(select(Signatory).where(Signatory.user_id == user.id)).cvr == world.CVR_A
        assert session.scalar(select(func.count()).select_from(PasswordResetToken)
                              .where(PasswordResetToken.user_id == user.id)) == 1
        mail = session.scalar(select(MailOutbox).where(MailOutbox.recipient == "nina.ny@example.dk"))
        assert mail is not None and mail.status == "sent" and not mail.body_text  # its secret link is not stored
        eml = next(Path(app.config["MAIL_OUTBOX_PATH"]).glob(f"*{mail.id}*"))
        # The welcome mail carries a single-use link to choose a password, never a password.
        body = message_from_bytes(eml.read_bytes(), policy=default).get_body(("plain",)).get_content()
        assert "/nulstil-adgangskode/" in body and world.PASSWORD not in body


def test_signatory_form_errors_are_shown_beside_the_fields(login, dash_client, pending):
    login(world.SA_ADMIN)
    response = _save_signatory(dash_client, cvr="99999999", name="", email="x", b_number="")
    body = response.get_json()["response"]
    from pages.ids import sa_tegningsberettigede as tids

    assert all(body[tids.field(name)]["invalid"] for name in ("name", "email", "b_number"))
    assert body[tids.feedback("email")]["children"] == "Skriv en gyldig e-mailadresse, fx navn@institution.dk."
    text = text_of(_save_signatory(dash_client, cvr="99999999", name="A", email="a@example.dk", b_number="B1"))
    assert "Der findes ingen kunde med det CVR-nummer." in text


@pytest.mark.parametrize("email", [world.SA_STAFF, world.ADMIN_AB])
def test_only_the_sa_administrator_may_register(app, login, dash_client, pending, email):
    login(email)
    response = _save_signatory(dash_client, cvr=world.CVR_A, name="X", email="x@example.dk", b_number="B1")
    assert response.status_code == 403
    with app.app_context():
        assert get_session().scalar(select(User).where(User.email == "x@example.dk")) is None


def test_the_verification_page_reads_a_sealed_pdf_and_detects_a_change(app, client, login, dash_client, pending):
    import base64

    from pages.ids import sa_tegningsberettigede as tids

    shown = {"id": pending["id"], "sha256": pending["sha256"]}
    login(world.ADMIN_AB)
    approve(dash_client, shown)
    client.get("/logout")
    login(world.SA_ADMIN)
    approve(dash_client, shown, as_user=world.SA_ADMIN)
    sealed = client.get(f"/kundeaftaler/hent/kundeaftale?cvr={world.CVR_A}").data

    def verify(content: bytes) -> str:
        data = "data:application/pdf;base64," + base64.b64encode(content).decode()
        return text_of(dash_client.fire(tids.VERIFY_UPLOAD, "contents", values={tids.VERIFY_UPLOAD: data}))

    text = verify(sealed)
    assert "Seglet er intakt" in text and "version 3" in text and "B200001" in text
    # One byte of the first page's content changed, the file's structure untouched (a byte elsewhere may
    # break the PDF's cross-reference table, which is "not a sealed agreement", not a broken seal).
    changed = bytearray(sealed)
    changed[sealed.index(b"stream\n") + len(b"stream\n") + 20] ^= 0x01
    assert "seglet er brudt" in verify(bytes(changed))
    assert "ikke en forseglet aftale" in verify(b"%PDF-1.4 ikke forseglet\n%%EOF")


def test_the_start_page_shows_the_agreement_awaiting_the_signatorys_approval_only(app, client, login, dash_client,
                                                                                 pending):
    login(world.ADMIN_AB)
    text = text_of(dash_client.page("/"))
    assert "Afventer din godkendelse" in text and "Godkend aftalen: Kundeaftale version 3" in text
    client.get("/logout")
    login(world.LAESER_A)
    assert "Afventer din godkendelse" not in text_of(dash_client.page("/"))
    client.get("/logout")
    login(world.SA_ADMIN)  # SA's signatory of Kundeaftaler
    assert "Godkend aftalen: Kundeaftale version 3" in text_of(dash_client.page("/"))
    approve(dash_client, {"id": pending["id"], "sha256": pending["sha256"]}, as_user=world.SA_ADMIN)
    assert "Afventer din godkendelse" not in text_of(dash_client.page("/"))


def test_password_guesses_on_approval_are_throttled(app, login, dash_client, pending):
    login(world.ADMIN_AB)
    shown = {"id": pending["id"], "sha256": pending["sha256"]}
    texts = [text_of(approve(dash_client, shown, password=f"gæt-{i}")) for i in range(6)]
    assert all("Adgangskoden er forkert." in t for t in texts[:5])
    assert "For mange forkerte forsøg" in texts[5]
    # Blocked: even the right password is not checked until the wait is over.
    assert "For mange forkerte forsøg" in text_of(approve(dash_client, shown))
    assert _events(app) == 0


def test_a_later_published_version_is_the_one_sent_for_and_given_approval(app, client, login, dash_client):
    from data import agreement_edits

    with app.app_context():
        session = get_session()
        rows = aw.build(session, danish_today())
        admin = _principal(session, world.SA_ADMIN)
        approvals.register_signatory(ALL, world.CVR_A, admin, "kundeaftale",
                                     {"name": "Ada Tegner", "email": world.ADMIN_AB, "b_number": "B200001"})
        approvals.register_sa_signatory(admin, "kundeaftale",
                                        {"name": "SA Admin", "email": world.SA_ADMIN, "b_number": "B900010"})
        draft = agreement_edits.start_draft(ALL, world.CVR_A, admin, "kundeaftale")
        later = (danish_today() + dt.timedelta(days=40)).isoformat()
        agreement_edits.save_draft(ALL, world.CVR_A, admin, draft["id"], draft["row_version"],
                                   {"title": "Kundeaftale", "valid_from": later,
                                    "sections": "# Formål\nDen nye version."})
        agreement_edits.publish_draft(ALL, world.CVR_A, admin, draft["id"],
                                      session.get(Agreement, draft["id"]).row_version)
    login(world.SA_STAFF)
    response = dash_client.fire(ids.REQUEST_APPROVAL, "n_clicks", cvr=world.CVR_A,
                                values={ids.REQUEST_APPROVAL: 1, ids.TABS: "kundeaftale"})
    assert "Version 4 er sendt til godkendelse" in text_of(response)
    client.get("/logout")
    login(world.ADMIN_AB)
    text = text_of(tab(dash_client))
    assert ids.APPROVE in text and f"version={draft['id']}" in text
    with app.app_context():
        row = get_session().get(Agreement, draft["id"])
        sha = row.approval_pdf_sha256
        assert rows.agreements["customer_a"] != row.id
    pdf = client.get(f"/kundeaftaler/hent/kundeaftale?cvr={world.CVR_A}&version={draft['id']}")
    assert approvals.sha256(pdf.data) == sha
    assert "registreret" in text_of(approve(dash_client, {"id": draft["id"], "sha256": sha}))


def test_the_approval_asks_an_enrolled_signatory_for_the_code(app, client, login, dash_client, pending):
    shown = {"id": pending["id"], "sha256": pending["sha256"]}
    login(world.ADMIN_AB)
    card = text_of(tab(dash_client))
    assert "Kode fra din godkendelsesapp" in card
    # A wrong or missing code approves nothing and says why; the right one approves.
    for code in ("", "12345"):
        response = approve(dash_client, shown, code=code)
        out = response.get_json()["response"]
        assert out[ids.APPROVE_CODE]["invalid"] is True and "Koden er forkert" in out[ids.APPROVE_FEEDBACK]["children"]
        assert _events(app) == 0
    assert "Din godkendelse er registreret" in text_of(approve(dash_client, shown))
    assert _events(app) == 1
