"""Stamdata's back-office: SA edits Generelt, adds and edits bogføringskredse and løngrupper; every save is
validated, version-checked and audited, "Seneste ændringer" shows it to the customer, customers are refused."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from core.access import AccessDenied, AccessScope, Principal
from data import customers
from data import units as unit_data
from data.db import get_session
from data.errors import Refused, ValidationError
from data.models import AccountingUnit, AuditLog, Customer, PayrollGroup, User
from pages.ids import stamdata as Ids
from tests import world

SCOPE_A = AccessScope.single(world.CVR_A)
SCOPE_B = AccessScope.single(world.CVR_B)
ALL = AccessScope(all_customers=True)
EAN_OK = "5798000010703"
GENERAL = {"name": "Statens Administration", "ministry_id": "1", "customer_type": "Statslig",
           "address": "Arenavej 33, 5800 Hjørring", "description": "Statens administrative fællesskab", "ean": EAN_OK}
UNIT = {"code": "10003", "name": "SA Byggeri", "ministry_id": "1", "server_name": "SRV-A3", "database_name": "NAV_A3"}
GENERAL_KIT, ACCOUNTING_KIT, PAYROLL_KIT = Ids.GENERAL_KIT, Ids.ACCOUNTING_KIT, Ids.PAYROLL_KIT


def _sa(app) -> Principal:
    with app.app_context():
        return Principal.from_user(get_session().scalar(select(User).where(User.email == world.SA_STAFF)))


def _customer(app, cvr=world.CVR_A) -> Customer:
    with app.app_context():
        customer = get_session().get(Customer, cvr)
        get_session().expunge(customer)
        return customer


def _audit(app, entity: str) -> list[AuditLog]:
    with app.app_context():
        rows = list(get_session().scalars(select(AuditLog).where(AuditLog.entity == entity).order_by(AuditLog.id)))
        get_session().expunge_all()
        return rows


def _text(response) -> str:
    assert response.status_code == 200, response.data[:300]
    return json.dumps(response.get_json(), ensure_ascii=False)


def _out(response, component: str, prop: str) -> Any:
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"].get(component, {}).get(prop, "unchanged")


# --- data layer -------------------------------------------------------------------------------------


def test_update_master_data_saves_bumps_the_version_and_audits(app):
    sa = _sa(app)
    with app.app_context():
        after = customers.update_master_data(ALL, world.CVR_A, sa, 1, GENERAL | {"name": "  SA  ", "ministry_id": "2",
                                                                                "ean": "5798 0000 1070 3"})
    assert after["name"] == "SA" and after["ministry"] == "Skatteministeriet - 9" and after["version"] == 2
    customer = _customer(app)
    assert (customer.name, customer.ministry_id, customer.ean, customer.version) == ("SA", 2, EAN_OK, 2)
    assert customer.updated_by
    [row] = _audit(app, "customer")
    assert row.cvr == world.CVR_A and row.entity_id == world.CVR_A and row.action == "update"
    assert row.before["name"] == "Statens Administration" and row.after["name"] == "SA"
    assert row.before["ministry"] == "Finansministeriet - 7" and row.after["ministry"] == "Skatteministeriet - 9"
    assert world.SA_STAFF in row.user_label


@pytest.mark.parametrize("field,value,message", [
    ("ean", "5798000010704", "kontrolciffer"),
    ("ean", "579800001070", "13 cifre"),
    ("ean", "57980000107OO", "13 cifre"),
    ("name", "   ", "Kundenavn skal udfyldes."),
    ("name", "x" * 201, "højst være 200 tegn"),
    ("customer_type", "", "Kundetype skal udfyldes."),
    ("ministry_id", "999", "Ukendt ministerområde."),
    ("ministry_id", None, "Vælg ministerområde."),
    ("ministry_id", {"$gt": 1}, "Ukendt ministerområde."),
])
def test_invalid_master_data_gets_a_danish_message_beside_the_field_and_nothing_written(app, field, value, message):
    sa = _sa(app)
    with app.app_context(), pytest.raises(ValidationError) as error:
        customers.update_master_data(ALL, world.CVR_A, sa, 1, GENERAL | {field: value})
    assert field in error.value.errors and message in error.value.errors[field]
    assert _customer(app).version == 1 and _audit(app, "customer") == []


def test_a_line_break_in_the_address_is_made_a_space(app):
    sa = _sa(app)
    with app.app_context():
        after = customers.update_master_data(ALL, world.CVR_A, sa, 1, GENERAL | {"address": "Vej 1\r\nBcc: x@y.dk"})
    assert "\n" not in after["address"] and "\r" not in after["address"]


def test_concurrent_master_data_edits_the_second_is_refused_and_the_first_kept(app):
    sa = _sa(app)
    with app.app_context():
        customers.update_master_data(ALL, world.CVR_A, sa, 1, GENERAL | {"name": "Først"})
    with app.app_context(), pytest.raises(customers.MasterDataConflict) as error:
        customers.update_master_data(ALL, world.CVR_A, sa, 1, GENERAL | {"name": "Anden"})
    assert "ændret samtidig" in error.value.message and "Der er ikke gemt noget" in error.value.message
    assert _customer(app).name == "Først" and len(_audit(app, "customer")) == 1


def test_master_data_of_a_customer_outside_the_scope_is_refused(app):
    sa = _sa(app)
    with app.app_context(), pytest.raises(AccessDenied):
        customers.update_master_data(SCOPE_B, world.CVR_A, sa, 1, GENERAL)
    with app.app_context(), pytest.raises(Refused, match="Kunden findes ikke"):
        customers.update_master_data(ALL, "20000023", sa, 1, GENERAL)
    assert _customer(app).version == 1


@pytest.mark.parametrize("kind,model", [(unit_data.ACCOUNTING, AccountingUnit), (unit_data.PAYROLL, PayrollGroup)])
def test_add_and_edit_a_unit_with_server_and_database_name(app, kind, model):
    sa = _sa(app)
    with app.app_context():
        created = unit_data.save_unit(ALL, world.CVR_A, sa, kind, None, None, UNIT)
    assert created["code"] == "10003" and created["server_name"] == "SRV-A3" and created["version"] == 1
    with app.app_context():
        updated = unit_data.save_unit(ALL, world.CVR_A, sa, kind, created["id"], 1,
                                      UNIT | {"code": "99999", "name": "SA Byg", "database_name": "NAV_X"})
    # The code stays: cases, runbooks and reports refer to the unit by it.
    assert (updated["code"], updated["name"], updated["database_name"], updated["version"]) == \
        ("10003", "SA Byg", "NAV_X", 2)
    with app.app_context():
        rows = (unit_data.accounting_units if kind == unit_data.ACCOUNTING else unit_data.payroll_groups)(
            SCOPE_A, world.CVR_A)
    row = next(r for r in rows if r["code"] == "10003")
    assert row["server_name"] == "SRV-A3" and row["database_name"] == "NAV_X"
    entity = unit_data.UNIT_ENTITIES[kind]
    create, update = _audit(app, entity)
    assert (create.action, create.before, create.after["code"]) == ("create", None, "10003")
    assert update.before["name"] == "SA Byggeri" and update.after["name"] == "SA Byg" and update.cvr == world.CVR_A


@pytest.mark.parametrize("code", ["10001", "LG100", "20001", "LG200"])
@pytest.mark.parametrize("kind", [unit_data.ACCOUNTING, unit_data.PAYROLL])
def test_a_unit_code_in_use_by_any_unit_is_refused(app, kind, code):
    sa = _sa(app)
    with app.app_context(), pytest.raises(ValidationError) as error:
        unit_data.save_unit(ALL, world.CVR_A, sa, kind, None, None, UNIT | {"code": code})
    assert "allerede i brug" in error.value.errors["code"]


@pytest.mark.parametrize("field,value,message", [
    ("code", "", "Kode skal udfyldes."), ("code", "10 03", "Kode må kun"), ("code", "../x", "Kode må kun"),
    ("name", "", "Navn skal udfyldes."), ("server_name", "s" * 101, "højst være 100 tegn"),
    ("ministry_id", "abc", "Ukendt ministerområde."),
])
def test_invalid_unit_gets_a_message_beside_the_field(app, field, value, message):
    sa = _sa(app)
    with app.app_context(), pytest.raises(ValidationError) as error:
        unit_data.save_unit(ALL, world.CVR_A, sa, unit_data.ACCOUNTING, None, None, UNIT | {field: value})
    assert message in error.value.errors[field]
    assert _audit(app, "accounting_unit") == []


def test_concurrent_unit_edits_the_second_is_refused_and_the_first_kept(app):
    sa = _sa(app)
    with app.app_context():
        unit = next(u for u in unit_data.accounting_units(SCOPE_A, world.CVR_A) if u["code"] == "10001")
        unit_data.save_unit(ALL, world.CVR_A, sa, unit_data.ACCOUNTING, unit["id"], 1, UNIT | {"name": "Først"})
    with app.app_context(), pytest.raises(customers.MasterDataConflict, match="ændret samtidig"):
        unit_data.save_unit(ALL, world.CVR_A, sa, unit_data.ACCOUNTING, unit["id"], 1, UNIT | {"name": "Anden"})
    with app.app_context():
        assert unit_data.get_unit(SCOPE_A, world.CVR_A, unit_data.ACCOUNTING, unit["id"])["name"] == "Først"


def test_another_customers_unit_is_not_found_through_this_customer(app):
    sa = _sa(app)
    with app.app_context():
        b_unit = next(u for u in unit_data.accounting_units(SCOPE_B, world.CVR_B))
        assert unit_data.get_unit(ALL, world.CVR_A, unit_data.ACCOUNTING, b_unit["id"]) is None
        with pytest.raises(Refused, match="findes ikke"):
            unit_data.save_unit(ALL, world.CVR_A, sa, unit_data.ACCOUNTING, b_unit["id"], 1, UNIT)
        with pytest.raises(AccessDenied):
            unit_data.save_unit(SCOPE_A, world.CVR_B, sa, unit_data.ACCOUNTING, b_unit["id"], 1, UNIT)
    with app.app_context():
        assert unit_data.get_unit(SCOPE_B, world.CVR_B, unit_data.ACCOUNTING, b_unit["id"])["name"] == \
            "Bøger Hovedkreds"


def test_recent_changes_are_this_customers_master_data_only(app):
    sa = _sa(app)
    with app.app_context():
        customers.update_master_data(ALL, world.CVR_A, sa, 1, GENERAL | {"name": "SA Ny"})
        unit_data.save_unit(ALL, world.CVR_A, sa, unit_data.PAYROLL, None, None, UNIT | {"code": "LG101"})
        customers.update_master_data(ALL, world.CVR_B, sa, 1, GENERAL | {"name": "Hemmelig B"})
        changes = customers.master_data_changes(SCOPE_A, world.CVR_A)
        assert customers.master_data_changes(SCOPE_B, world.CVR_A) == []
    assert [c["what"] for c in changes] == ["Løngruppe LG101", "Stamdata"]
    assert {"field": "Navn", "before": "Statens Administration", "after": "SA Ny"} in changes[1]["changes"]
    assert "Hemmelig B" not in json.dumps(changes, default=str)


# --- callbacks ----------------------------------------------------------------------------------------


def _fire(dash_client, component: str, values: dict | None = None, cvr: Any = world.CVR_A, output: Any = None):
    return dash_client.fire(component, "n_clicks", cvr=cvr, output=output, values={component: 1, **(values or {})})


def _fields(kit, values: dict[str, Any], ministry_id: str) -> dict:
    out = {kit.field(k): v for k, v in values.items() if k in kit.fields}
    out[ministry_id] = values.get("ministry_id")
    return out


def test_sa_edits_generelt_and_the_customer_sees_it_with_its_change(app, client, login, dash_client):
    login(world.SA_STAFF)
    opened = _fire(dash_client, GENERAL_KIT.edit)
    assert _out(opened, GENERAL_KIT.form_modal, "is_open") is True
    assert _out(opened, GENERAL_KIT.field("name"), "value") == "Statens Administration"
    assert _out(opened, Ids.GENERAL_MINISTRY, "value") == "1"
    assert {"label": "Skatteministeriet - 9", "value": "2"} in _out(opened, Ids.GENERAL_MINISTRY, "options")
    state = _out(opened, GENERAL_KIT.form_state, "data")
    saved = _fire(dash_client, GENERAL_KIT.save, {GENERAL_KIT.form_state: state,
                                                  **_fields(GENERAL_KIT, GENERAL | {"name": "SA Ny"},
                                                            Ids.GENERAL_MINISTRY)})
    assert _out(saved, GENERAL_KIT.form_modal, "is_open") is False
    assert _out(saved, GENERAL_KIT.saved, "data")["text"] == "Stamdata er gemt."
    assert _customer(app).name == "SA Ny"
    # The save draws the Generelt facts again for SA: what the customer now reads.
    redrawn = dash_client.fire(GENERAL_KIT.saved, "data", output=Ids.GENERAL_BODY, cvr=world.CVR_A,
                               values={GENERAL_KIT.saved: _out(saved, GENERAL_KIT.saved, "data")})
    assert "SA Ny" in _text(redrawn) and "Navn: Statens Administration → SA Ny" in _text(redrawn)

    client.get("/logout")
    login(world.LAESER_A)
    tab = dash_client.fire(Ids.TABS, "value", cvr=world.CVR_A, initial=True, values={Ids.TABS: "generelt"})
    text = _text(tab)
    assert "SA Ny" in text and "Seneste ændringer" in text and EAN_OK in text
    assert "Navn: Statens Administration → SA Ny" in text and world.SA_STAFF in text
    # No editing control on the customer's page.
    assert f'"{GENERAL_KIT.edit}"' not in text


def test_invalid_value_is_shown_beside_its_field_with_the_form_open(app, login, dash_client):
    login(world.SA_STAFF)
    saved = _fire(dash_client, GENERAL_KIT.save, {GENERAL_KIT.form_state: {"id": 0, "version": 1},
                                                  **_fields(GENERAL_KIT, GENERAL | {"ean": "5798000010704"},
                                                            Ids.GENERAL_MINISTRY)})
    assert _out(saved, GENERAL_KIT.field("ean"), "invalid") is True
    assert "kontrolciffer" in _out(saved, GENERAL_KIT.feedback("ean"), "children")
    assert _out(saved, GENERAL_KIT.form_modal, "is_open") == "unchanged"
    assert _customer(app).version == 1


def test_a_stale_generelt_form_is_refused_in_its_alert(app, login, dash_client):
    sa = _sa(app)
    with app.app_context():
        customers.update_master_data(ALL, world.CVR_A, sa, 1, GENERAL | {"name": "Først"})
    login(world.SA_STAFF)
    saved = _fire(dash_client, GENERAL_KIT.save, {GENERAL_KIT.form_state: {"id": 0, "version": 1},
                                                  **_fields(GENERAL_KIT, GENERAL | {"name": "Anden"},
                                                            Ids.GENERAL_MINISTRY)})
    assert "ændret samtidig" in _out(saved, GENERAL_KIT.form_alert, "children")
    assert _customer(app).name == "Først"


@pytest.mark.parametrize("kit,ministry,tab,grid", [
    (ACCOUNTING_KIT, Ids.ACCOUNTING_MINISTRY, "regnskab", Ids.ACCOUNTING_GRID),
    (PAYROLL_KIT, Ids.PAYROLL_MINISTRY, "loen", Ids.PAYROLL_GRID),
])
def test_sa_adds_and_edits_a_unit(app, login, dash_client, kit, ministry, tab, grid):
    assert kit.grid == grid
    login(world.SA_STAFF)
    opened = _fire(dash_client, kit.add)
    assert _out(opened, kit.form_modal, "is_open") is True and _out(opened, ministry, "value") == "1"
    assert _out(opened, kit.field("code"), "disabled") is False
    saved = _fire(dash_client, kit.save, _fields(kit, UNIT, ministry))
    assert "10003 SA Byggeri er gemt" in _out(saved, kit.saved, "data")["text"]
    body = Ids.ACCOUNTING_BODY if tab == "regnskab" else Ids.PAYROLL_BODY
    redrawn = dash_client.fire(kit.saved, "data", output=body, cvr=world.CVR_A,
                               values={kit.saved: _out(saved, kit.saved, "data")})
    assert "SA Byggeri" in _text(redrawn)
    content = dash_client.fire(Ids.TABS, "value", cvr=world.CVR_A, initial=True, values={Ids.TABS: tab})
    assert "SA Byggeri" in _text(content) and kit.add in _text(content)

    with app.app_context():
        rows = (unit_data.accounting_units if tab == "regnskab" else unit_data.payroll_groups)(SCOPE_A, world.CVR_A)
    unit = next(r for r in rows if r["code"] == "10003")
    opened = _fire(dash_client, kit.edit, {kit.grid: [{"id": unit["id"]}]})
    assert _out(opened, kit.field("server_name"), "value") == "SRV-A3"
    assert _out(opened, kit.field("code"), "disabled") is True
    state = _out(opened, kit.form_state, "data")
    saved = _fire(dash_client, kit.save, {kit.form_state: state, **_fields(kit, UNIT | {"name": "Omdøbt"}, ministry)})
    assert "Omdøbt er gemt" in _out(saved, kit.saved, "data")["text"]
    # The same form again: its version is stale now.
    stale = _fire(dash_client, kit.save, {kit.form_state: state, **_fields(kit, UNIT | {"name": "Igen"}, ministry)})
    assert "ændret samtidig" in _out(stale, kit.form_alert, "children")
    with app.app_context():
        assert unit_data.get_unit(SCOPE_A, world.CVR_A, tab, unit["id"])["name"] == "Omdøbt"


def test_a_forged_edit_of_another_customers_unit_finds_nothing(app, login, dash_client):
    login(world.SA_STAFF)
    with app.app_context():
        b_unit = unit_data.accounting_units(SCOPE_B, world.CVR_B)[0]
    opened = _fire(dash_client, ACCOUNTING_KIT.edit, {ACCOUNTING_KIT.grid: [{"id": b_unit["id"]}]})
    assert "findes ikke længere" in _out(opened, ACCOUNTING_KIT.saved, "data")["text"]
    saved = _fire(dash_client, ACCOUNTING_KIT.save, {ACCOUNTING_KIT.form_state: {"id": b_unit["id"], "version": 1},
                                                     **_fields(ACCOUNTING_KIT, UNIT, Ids.ACCOUNTING_MINISTRY)})
    assert "findes ikke" in _out(saved, ACCOUNTING_KIT.form_alert, "children")
    with app.app_context():
        assert unit_data.get_unit(SCOPE_B, world.CVR_B, unit_data.ACCOUNTING, b_unit["id"])["name"] == \
            "Bøger Hovedkreds"


def test_status_line_reports_the_last_save(login, dash_client):
    login(world.SA_STAFF)
    response = dash_client.fire(ACCOUNTING_KIT.saved, "data", output=GENERAL_KIT.status, cvr=world.CVR_A,
                                values={ACCOUNTING_KIT.saved: {"n": 1, "text": "Bogføringskredsen er gemt."}})
    assert "Bogføringskredsen er gemt." in _text(response)


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.ADMIN_AB])
def test_customers_are_refused_and_nothing_is_written(app, login, dash_client, email):
    login(email)
    saved = _fire(dash_client, GENERAL_KIT.save, {GENERAL_KIT.form_state: {"id": 0, "version": 1},
                                                  **_fields(GENERAL_KIT, GENERAL | {"name": "Kapret"},
                                                            Ids.GENERAL_MINISTRY)})
    assert saved.status_code == 403
    added = _fire(dash_client, ACCOUNTING_KIT.save, _fields(ACCOUNTING_KIT, UNIT, Ids.ACCOUNTING_MINISTRY))
    assert added.status_code == 403
    assert _customer(app).name == "Statens Administration" and _audit(app, "accounting_unit") == []


@pytest.mark.parametrize("email", [world.LAESER_A, world.ADMIN_AB])
def test_customers_see_no_editing_controls(login, dash_client, email):
    login(email)
    page = _text(dash_client.page("/stamdata", f"?cvr={world.CVR_A}"))
    for component in (GENERAL_KIT.form_modal, ACCOUNTING_KIT.save, PAYROLL_KIT.form_modal, GENERAL_KIT.status):
        assert f'"{component}"' not in page
    for tab, kit in (("generelt", GENERAL_KIT), ("regnskab", ACCOUNTING_KIT), ("loen", PAYROLL_KIT)):
        content = _text(dash_client.fire(Ids.TABS, "value", cvr=world.CVR_A, initial=True, values={Ids.TABS: tab}))
        assert f'"{kit.add}"' not in content and f'"{kit.edit}"' not in content


def test_sa_sees_the_editing_controls(login, dash_client):
    login(world.SA_STAFF)
    page = _text(dash_client.page("/stamdata", f"?cvr={world.CVR_A}"))
    for component in (GENERAL_KIT.form_modal, ACCOUNTING_KIT.form_modal, PAYROLL_KIT.form_modal, GENERAL_KIT.status):
        assert component in page
    content = _text(dash_client.fire(Ids.TABS, "value", cvr=world.CVR_A, initial=True, values={Ids.TABS: "generelt"}))
    assert GENERAL_KIT.edit in content


def test_the_lock_test_covers_every_editing_callback_of_the_page(app, client, dash_client):
    from tests.test_access_locks import _editing_callbacks

    outputs = " ".join(cb.output for cb in _editing_callbacks(app, dash_client))
    for component in (GENERAL_KIT.form_modal, ACCOUNTING_KIT.form_modal, PAYROLL_KIT.form_modal, GENERAL_KIT.status,
                      ACCOUNTING_KIT.edit, PAYROLL_KIT.edit, Ids.GENERAL_BODY, Ids.ACCOUNTING_BODY, Ids.PAYROLL_BODY):
        assert component in outputs, component


@pytest.mark.parametrize("hostile", [{"$gt": ""}, ["x", {"y": 1}], "x" * 20_000, -1, 2**70, True, "\u0000",
                                     "../../etc/passwd", {"id": 1, "version": {"a": 1}}, [{"id": 2**70}], 1.5])
def test_sa_hostile_values_in_every_editing_callback_get_an_answer_and_write_nothing(app, login, dash_client,
                                                                                     hostile):
    # SA passes the wrapper, so these payloads reach the data layer: an answer, never a 500, nothing written.
    from tests import _dash

    login(world.SA_STAFF)
    seen = 0
    for callback in _dash.callbacks(dash_client.dependencies()):
        if not any(part in callback.output for part in ("stamdata-", "kontakt-")):
            continue
        for trigger in callback.inputs:
            body = _dash.build_payload(callback, (trigger.id, trigger.property), cvr=world.CVR_A, default=hostile)
            response = dash_client.send(body)
            # 400: the payload check refuses some values (NUL) before any callback runs.
            assert response.status_code in (200, 204, 400), (callback.output, trigger, response.data[:300])
            assert b"Traceback" not in response.data
            seen += 1
    assert seen > 20
    assert _customer(app).version == 1
    for entity in ("customer", "accounting_unit", "payroll_group", "team_member"):
        assert _audit(app, entity) == []
