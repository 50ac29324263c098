"""Kontakt dit team's back-office: SA staff add, edit and remove the team per customer, validated (no extra
recipients through a mailto: link), version-checked and audited; customers are refused and see no controls."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from core.access import AccessDenied, AccessScope, Principal
from data import team
from data.customers import MasterDataConflict
from data.db import get_session
from data.errors import Refused, ValidationError
from data.models import AuditLog, TeamMember, User
from pages.ids import kontakt as Ids
from pages.ids.kontakt import KIT
from tests import agreements_world as aw
from tests import world
from data.workdays import danish_today

SCOPE_A = AccessScope.single(world.CVR_A)
SCOPE_B = AccessScope.single(world.CVR_B)
ALL = AccessScope(all_customers=True)
MEMBER = {"name": "Cecilie Clausen", "role": "Regnskabskonsulent", "email": "cecilie@statens-adm.dk",
          "phone": "+45 72 30 01 01"}


@pytest.fixture
def content(app):
    with app.app_context():
        return aw.build(get_session(), danish_today())


def _sa(app) -> Principal:
    with app.app_context():
        return Principal.from_user(get_session().scalar(select(User).where(User.email == world.SA_STAFF)))


def _members(app, cvr=world.CVR_A) -> list[dict[str, Any]]:
    with app.app_context():
        return team.team_members(AccessScope.single(cvr), cvr)


def _member_id(app, name: str, cvr=world.CVR_A) -> int:
    return next(m["id"] for m in _members(app, cvr) if m["name"] == name)


def _audit(app) -> list[AuditLog]:
    with app.app_context():
        rows = list(get_session().scalars(select(AuditLog).where(AuditLog.entity == team.ENTITY).order_by(AuditLog.id)))
        get_session().expunge_all()
        return rows


def _out(response, component: str, prop: str) -> Any:
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"].get(component, {}).get(prop, "unchanged")


def _text(response) -> str:
    assert response.status_code == 200, response.data[:300]
    return json.dumps(response.get_json(), ensure_ascii=False)


# --- data layer -------------------------------------------------------------------------------------


def test_create_update_delete_are_audited(app, content):
    sa = _sa(app)
    with app.app_context():
        created = team.create_member(ALL, world.CVR_A, sa, MEMBER)
    assert created["version"] == 1 and created["phone"] == "72300101"
    with app.app_context():
        updated = team.update_member(ALL, world.CVR_A, sa, created["id"], 1, MEMBER | {"role": "Kundeansvarlig"})
    assert updated["role"] == "Kundeansvarlig" and updated["version"] == 2
    with app.app_context():
        team.delete_member(ALL, world.CVR_A, sa, created["id"], 2)
    assert "Cecilie Clausen" not in [m["name"] for m in _members(app)]
    create, update, delete = _audit(app)
    assert [r.action for r in (create, update, delete)] == ["create", "update", "delete"]
    assert all(r.cvr == world.CVR_A and r.entity_id == str(created["id"]) for r in (create, update, delete))
    assert update.before["role"] == "Regnskabskonsulent" and update.after["role"] == "Kundeansvarlig"
    assert delete.before["name"] == "Cecilie Clausen" and delete.after is None


@pytest.mark.parametrize("field,value,message", [
    ("email", "a@b.dk?cc=angriber@evil.dk", "gyldig e-mailadresse"),
    ("email", "a?cc=angriber@evil.dk", "gyldig e-mailadresse"),
    ("email", "a&bcc=x@statens-adm.dk", "gyldig e-mailadresse"),
    ("email", "anne@statens-adm.dk\r\nBcc: x@evil.dk", "ugyldige tegn"),
    ("email", "anne@statens-adm.dk\nBcc: x@evil.dk", "ugyldige tegn"),
    ("email", "ikke-en-adresse", "gyldig e-mailadresse"),
    ("email", "", "E-mail skal udfyldes."),
    ("name", "", "Navn skal udfyldes."),
    ("role", "", "Rolle skal udfyldes."),
    ("name", "\x00", "ugyldige tegn"),
    ("phone", "123", "8 cifre"),
    ("name", "x" * 201, "højst være 200 tegn"),
])
def test_invalid_member_gets_a_danish_message_beside_the_field_and_nothing_written(app, content, field, value,
                                                                                   message):
    sa = _sa(app)
    with app.app_context(), pytest.raises(ValidationError) as error:
        team.create_member(ALL, world.CVR_A, sa, MEMBER | {field: value})
    assert message in error.value.errors[field]
    assert len(_members(app)) == 2 and _audit(app) == []


def test_concurrent_edits_the_second_is_refused_and_the_first_kept(app, content):
    sa = _sa(app)
    anne = _member_id(app, "Anne Andersen")
    with app.app_context():
        team.update_member(ALL, world.CVR_A, sa, anne, 1, MEMBER | {"name": "Anne Først"})
    with app.app_context(), pytest.raises(MasterDataConflict, match="ændret samtidig"):
        team.update_member(ALL, world.CVR_A, sa, anne, 1, MEMBER | {"name": "Anne Anden"})
    with app.app_context(), pytest.raises(MasterDataConflict):
        team.delete_member(ALL, world.CVR_A, sa, anne, 1)
    assert "Anne Først" in [m["name"] for m in _members(app)]


def test_another_customers_member_is_not_found_through_this_customer(app, content):
    sa = _sa(app)
    b_member = _members(app, world.CVR_B)[0]["id"]
    with app.app_context():
        assert team.get_member(ALL, world.CVR_A, b_member) is None
        with pytest.raises(Refused, match="findes ikke"):
            team.update_member(ALL, world.CVR_A, sa, b_member, 1, MEMBER)
        with pytest.raises(Refused, match="findes ikke"):
            team.delete_member(ALL, world.CVR_A, sa, b_member, 1)
        with pytest.raises(AccessDenied):
            team.create_member(SCOPE_A, world.CVR_B, sa, MEMBER)
    assert len(_members(app, world.CVR_B)) == 1


# --- the page and its callbacks ---------------------------------------------------------------------


def _fire(dash_client, component: str, values: dict | None = None, cvr: Any = world.CVR_A, output: Any = None):
    return dash_client.fire(component, "n_clicks", cvr=cvr, output=output, values={component: 1, **(values or {})})


def _fields(values: dict[str, Any]) -> dict:
    return {KIT.field(k): v for k, v in values.items()}


def test_sa_adds_edits_and_removes_a_member_and_the_customer_sees_it(app, client, login, dash_client, content):
    login(world.SA_STAFF)
    page = _text(dash_client.page("/kontakt", f"?cvr={world.CVR_A}"))
    assert f'"{KIT.add}"' in page and "Rediger team" in page and "Anne Andersen" in page

    assert _out(_fire(dash_client, KIT.add), KIT.form_modal, "is_open") is True
    saved = _fire(dash_client, KIT.save, _fields(MEMBER))
    assert _out(saved, KIT.form_modal, "is_open") is False
    status = _out(saved, KIT.saved, "data")
    assert "Cecilie Clausen" in status["text"]
    loaded = dash_client.fire(KIT.saved, "data", cvr=world.CVR_A, values={KIT.saved: status})
    assert "Cecilie Clausen" in [r["name"] for r in _out(loaded, KIT.grid, "rowData")]
    assert "mailto:cecilie@statens-adm.dk" in json.dumps(_out(loaded, Ids.TEAM, "children"))

    cecilie = _member_id(app, "Cecilie Clausen")
    opened = _fire(dash_client, KIT.edit, {KIT.grid: [{"id": cecilie}]})
    assert _out(opened, KIT.field("email"), "value") == "cecilie@statens-adm.dk"
    state = _out(opened, KIT.form_state, "data")
    saved = _fire(dash_client, KIT.save, {KIT.form_state: state, **_fields(MEMBER | {"role": "Lønkonsulent"})})
    assert "er gemt" in _out(saved, KIT.saved, "data")["text"]
    stale = _fire(dash_client, KIT.save, {KIT.form_state: state, **_fields(MEMBER | {"role": "Igen"})})
    assert "ændret samtidig" in _out(stale, KIT.form_alert, "children")

    asked = dash_client.fire(Ids.DELETE, "n_clicks", cvr=world.CVR_A, values={Ids.DELETE: 1, KIT.grid: [{"id": cecilie}]})
    assert "Cecilie Clausen" in _out(asked, KIT.confirm_text, "children")
    confirm_state = _out(asked, KIT.confirm_state, "data")
    done = dash_client.fire(KIT.confirm_yes, "n_clicks", cvr=world.CVR_A,
                            values={KIT.confirm_yes: 1, KIT.confirm_state: confirm_state})
    assert "er fjernet" in _out(done, KIT.changed, "data")["text"]
    assert "Cecilie Clausen" not in [m["name"] for m in _members(app)]

    client.get("/logout")
    login(world.LAESER_A)
    page = _text(dash_client.page("/kontakt", f"?cvr={world.CVR_A}"))
    assert "Anne Andersen" in page and "Cecilie Clausen" not in page


def test_an_address_with_cc_is_refused_beside_the_field(app, login, dash_client, content):
    login(world.SA_STAFF)
    saved = _fire(dash_client, KIT.save, _fields(MEMBER | {"email": "cecilie@statens-adm.dk?cc=x@evil.dk"}))
    assert _out(saved, KIT.field("email"), "invalid") is True
    assert "gyldig e-mailadresse" in _out(saved, KIT.feedback("email"), "children")
    assert len(_members(app)) == 2


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.RAPPORTER_A, world.ADMIN_AB])
def test_customers_are_refused_and_see_no_controls(app, login, dash_client, content, email):
    login(email)
    page = _text(dash_client.page("/kontakt", f"?cvr={world.CVR_A}"))
    assert "Anne Andersen" in page
    for component in (KIT.add, KIT.form_modal, KIT.cvr, Ids.DELETE):
        assert f'"{component}"' not in page
    assert _fire(dash_client, KIT.save, _fields(MEMBER)).status_code == 403
    anne = _member_id(app, "Anne Andersen")
    forged = dash_client.fire(KIT.confirm_yes, "n_clicks", cvr=world.CVR_A,
                              values={KIT.confirm_yes: 1, KIT.confirm_state: {"id": anne, "version": 1}})
    assert forged.status_code == 403
    assert len(_members(app)) == 2 and _audit(app) == []


def test_the_lock_test_covers_every_editing_callback_of_the_page(app, client, dash_client):
    from tests.test_access_locks import _editing_callbacks

    outputs = " ".join(cb.output for cb in _editing_callbacks(app, dash_client))
    for component in (KIT.form_modal, KIT.confirm_modal, KIT.grid, KIT.edit):
        assert component in outputs, component
