"""Kundeaftaler's electronic approval through the callbacks: who sees »Godkend aftalen«, who may approve, the PDF."""

from __future__ import annotations

import datetime as dt
import json

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

ALL = AccessScope(all_customers=True)


def _principal(session, email: str) -> Principal:
    return Principal.from_user(session.scalar(select(User).where(User.email == email)))


@pytest.fixture
def pending(app):
    """CVR A's Kundeaftale sent for approval; ADMIN_AB is its customer signatory, SA_ADMIN SA's."""
    with app.app_context():
        session = get_session()
        rows = aw.build(session, dt.date.today())
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


def approve(dash_client, shown, password=world.PASSWORD, cvr=world.CVR_A):
    return dash_client.fire(ids.APPROVE, "n_clicks", cvr=cvr,
                            values={ids.APPROVE: 1, ids.APPROVE_SHOWN: shown, ids.APPROVE_PASSWORD: password})


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
    response = approve(dash_client, shown)
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
