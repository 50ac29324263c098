"""SA's Servicemål catalogue page: only SA staff open it or reach its callbacks; SA adds goals and new versions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.formatting import da_date, form_date
from data import goals
from data.db import get_session
from data.models import ServiceGoalVersion
from data.rules import add_months
from pages.ids import sa_servicemaal as Ids
from pages.ids.sa_servicemaal import KIT
from tests import _dash, world
from tests._components import response_text
from tests.kpi_world import add_goals

CUSTOMER_ACCOUNTS = [world.LAESER_A, world.REDIGER_A, world.RAPPORTER_A, world.ADMIN_AB]
FORM = {"title": "Kreditortransaktioner", "rule_text": "Kreditortransaktioner bogføres inden 2 arbejdsdage.",
        "rule_value": "2", "target_pct": "97,5"}


@pytest.fixture
def catalogue(app):
    with app.app_context():
        return add_goals(get_session())


def _page_callbacks(dash_client) -> list[_dash.Callback]:
    found = [cb for cb in _dash.callbacks(dash_client.dependencies()) if "sa-servicemaal-" in cb.output]
    assert len(found) == 4
    return found


def _out(response, component, prop):
    assert response.status_code == 200, response.data[:300]
    return response.get_json()["response"][component][prop]


def _open_edit(dash_client, goal_id):
    return dash_client.fire(KIT.edit, "n_clicks", output=KIT.form_modal, values={
        (KIT.edit, "n_clicks"): 1, (KIT.grid, "selectedRows"): [{"id": goal_id}]})


def _save(dash_client, fields, *, form_state=None, area=None, rule_kind="within_days"):
    values = {(KIT.save, "n_clicks"): 1, (KIT.form_state, "data"): form_state, (Ids.AREA, "value"): area,
              (Ids.RULE_KIND, "value"): rule_kind}
    values.update({(KIT.field(name), "value"): value for name, value in fields.items()})
    return dash_client.fire(KIT.save, "n_clicks", output=KIT.form_modal, values=values)


@pytest.mark.parametrize("email", CUSTOMER_ACCOUNTS)
def test_every_callback_refuses_every_customer_account(login, dash_client, catalogue, email):
    # The catalogue belongs to no customer: the SA action alone decides, whatever the payload says.
    login(email)
    for callback in _page_callbacks(dash_client):
        for dep in callback.inputs:
            body = _dash.build_payload(callback, (dep.id, dep.property), values={
                (KIT.grid, "selectedRows"): [{"id": catalogue["A1"]}]} if callback.has_input(KIT.edit, "n_clicks")
                else None)
            response = dash_client.send(body)
            assert response.status_code == 403, (callback.output, dep, response.data[:200])


def test_anonymous_gets_nothing(dash_client, catalogue):
    for callback in _page_callbacks(dash_client):
        response = dash_client.send(_dash.build_payload(callback, (callback.inputs[0].id, callback.inputs[0].property)))
        assert response.status_code == 401


@pytest.mark.parametrize("email", CUSTOMER_ACCOUNTS)
def test_the_page_is_refused_to_customers_and_not_in_their_menu(login, dash_client, email):
    login(email)
    text = response_text(dash_client.page(Ids.PATH, f"?cvr={world.CVR_A}"))
    assert "kun for medarbejdere i Statens Administration" in text and "Tilføj" not in text


def test_sa_staff_open_the_page_and_read_the_catalogue(login, dash_client, catalogue):
    login(world.SA_STAFF)
    assert "Servicemål" in response_text(dash_client.page(Ids.PATH, f"?cvr={world.CVR_A}"))
    rows = _out(dash_client.fire(KIT.saved, "data", values={(KIT.saved, "data"): {"n": 1}}), KIT.grid, "rowData")
    assert [r["code"] for r in rows] == ["A1", "A5", "L1", "R1"]
    assert rows[0]["rule"] == "Inden for 3 arbejdsdage" and rows[0]["target"] == "95,0 %"
    assert rows[1]["rule"] == "Senest den 15. i måneden (næste arbejdsdag, hvis den dag ikke er en arbejdsdag)" and rows[0]["valid_from"] == "Fra start"


def test_sa_saves_a_new_version_from_the_first_open_month(app, login, dash_client, catalogue):
    login(world.SA_STAFF)
    opened = _open_edit(dash_client, catalogue["A1"])
    assert _out(opened, KIT.field("code"), "disabled") is True
    assert _out(opened, Ids.RULE_KIND, "value") == "within_days"
    state = _out(opened, KIT.form_state, "data")
    start = _out(opened, KIT.field("valid_from"), "value")
    with app.app_context():
        assert start == form_date(goals.first_open_month())
    saved = _save(dash_client, FORM | {"valid_from": start}, form_state=state)
    assert _out(saved, KIT.form_modal, "is_open") is False
    assert f"Servicemålet A1 er gemt og gælder fra {da_date(goals.first_open_month())}." in _out(saved, KIT.saved, "data")["text"]
    rows = _out(dash_client.fire(KIT.saved, "data", values={(KIT.saved, "data"): {"n": 2}}), KIT.grid, "rowData")
    assert rows[0]["target"] == "97,5 %" and rows[0]["valid_from"] == da_date(goals.first_open_month())
    versions = dash_client.fire(Ids.VERSIONS, "n_clicks", values={(Ids.VERSIONS, "n_clicks"): 1,
                                                                  (KIT.grid, "selectedRows"): [{"id": catalogue["A1"]}]})
    text = response_text(versions)
    assert "Fra start" in text and da_date(goals.first_open_month()) in text and "Inden for 2 arbejdsdage" in text and world.SA_STAFF in text


def test_a_stale_form_is_refused_and_the_first_save_kept(app, login, dash_client, catalogue):
    login(world.SA_STAFF)
    state = _out(_open_edit(dash_client, catalogue["A1"]), KIT.form_state, "data")
    with app.app_context():
        start = form_date(goals.first_open_month())
    first = _save(dash_client, FORM | {"valid_from": start}, form_state=state)
    assert _out(first, KIT.form_modal, "is_open") is False
    second = _save(dash_client, FORM | {"valid_from": start, "target_pct": "50"}, form_state=state)
    assert "ændret samtidig" in _out(second, KIT.form_alert, "children")
    with app.app_context():
        assert goals.get_goal(catalogue["A1"])["target_pct"] == 97.5


def test_a_closed_month_is_refused_beside_the_field(app, login, dash_client, catalogue):
    login(world.SA_STAFF)
    state = _out(_open_edit(dash_client, catalogue["A1"]), KIT.form_state, "data")
    with app.app_context():
        closed = add_months(goals.first_open_month(), -1)
    refused = _save(dash_client, FORM | {"valid_from": form_date(closed)}, form_state=state)
    assert _out(refused, KIT.field("valid_from"), "invalid") is True
    assert "afsluttet og rapporteret" in _out(refused, KIT.feedback("valid_from"), "children")
    assert _out(refused, KIT.form_alert, "children") == "Servicemålet er ikke gemt. Ret de markerede felter."
    with app.app_context():
        assert get_session().scalar(select(ServiceGoalVersion.id)) is None


def test_sa_adds_a_goal(app, login, dash_client, catalogue):
    login(world.SA_STAFF)
    opened = dash_client.fire(KIT.add, "n_clicks", output=KIT.form_modal,
                              values={(KIT.add, "n_clicks"): 1})
    assert _out(opened, KIT.field("code"), "disabled") is False
    start = _out(opened, KIT.field("valid_from"), "value")
    missing = _save(dash_client, FORM | {"code": "L9", "valid_from": start}, area=None, rule_kind=None)
    feedback = {name: _out(missing, KIT.feedback(name), "children") for name in ("area", "rule_kind")}
    assert feedback == {"area": "Vælg et område.", "rule_kind": "Vælg en regeltype."}
    saved = _save(dash_client, FORM | {"code": "L9", "valid_from": start}, area="Løn", rule_kind="by_day_of_month")
    assert _out(saved, KIT.form_modal, "is_open") is False
    with app.app_context():
        created = [g for g in goals.catalogue() if g["code"] == "L9"][0]
    assert created["area"] == "Løn" and created["rule_kind"] == "by_day_of_month" and created["rule_value"] == 2
    assert created["valid_from"] == dt.datetime.strptime(start, "%d-%m-%Y").date()
