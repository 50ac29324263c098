"""Stamdata: Generelt / Regnskab / Løn of the customer in context, and nothing of any other."""

import pytest

from pages.ids import shell as shell_ids
from pages.ids import stamdata as ids
from tests._components import find_component, response_text
from tests import world

GRIDS = {"regnskab": ids.ACCOUNTING_GRID, "loen": ids.PAYROLL_GRID}


def tab(dash_client, name, cvr):
    return dash_client.fire(ids.TABS, "value", cvr=cvr, initial=True, values={ids.TABS: name})


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.ADMIN_AB, world.TWO_CVRS, world.SA_STAFF])
def test_general_tab_shows_master_data(login, dash_client, email):
    login(email)
    response = tab(dash_client, "generelt", world.CVR_A)
    assert response.status_code == 200
    text = response_text(response)
    for expected in ["Statens Administration", world.CVR_A, "Finansministeriet - 7", "Statslig", "Arenavej 33", "Seneste ændringer"]:
        assert expected in text


def test_regnskab_and_loen_tabs(login, dash_client):
    login(world.LAESER_A)
    regnskab = tab(dash_client, "regnskab", world.CVR_A).get_json()["response"][ids.CONTENT]["children"]
    rows = find_component(regnskab, ids.ACCOUNTING_GRID)["props"]["rowData"]
    assert [r["code"] for r in rows] == ["10001", "10002"]
    assert rows[0]["server_name"] == "SRV-A1" and rows[0]["database_name"] == "NAV_A1"
    assert rows[0]["ministry"] == "Finansministeriet - 7"
    loen = tab(dash_client, "loen", world.CVR_A).get_json()["response"][ids.CONTENT]["children"]
    assert [r["code"] for r in find_component(loen, ids.PAYROLL_GRID)["props"]["rowData"]] == ["LG100"]


def test_empty_states(login, dash_client):
    login(world.SA_STAFF)
    assert "Ingen bogføringskredse registreret" in response_text(tab(dash_client, "regnskab", world.CVR_C))
    assert "Ingen løngrupper registreret" in response_text(tab(dash_client, "loen", world.CVR_C))


@pytest.mark.parametrize("email", [world.RAPPORTER_A, world.LAESER_B])
def test_without_read_right_on_a_is_refused(login, dash_client, email):
    login(email)
    response = tab(dash_client, "generelt", world.CVR_A)
    assert response.status_code == 403
    assert b"Statens Administration" not in response.data
    page = dash_client.page("/stamdata", f"?cvr={world.CVR_A}")
    assert "Ingen adgang".encode() in page.data and b"Arenavej" not in page.data


@pytest.mark.parametrize("bad_tab", ["ukendt", None, 7, {"a": 1}, "x" * 5000])
def test_unknown_tab(login, dash_client, bad_tab):
    login(world.LAESER_A)
    response = tab(dash_client, bad_tab, world.CVR_A)
    assert response.status_code == 200
    assert "Ukendt faneblad" in response_text(response)


def test_sa_staff_unknown_customer(login, dash_client):
    login(world.SA_STAFF)
    response = tab(dash_client, "generelt", "20000023")
    assert "Kunden findes ikke" in response_text(response)


# --- the unit chosen in the search box (?enhed=) ---------------------------------------------------


def page_props(dash_client, search, component_id):
    page = dash_client.page("/stamdata", search)
    assert page.status_code == 200
    found = find_component(page.get_json()["response"][shell_ids.PAGE_CONTENT]["children"], component_id)
    return page, (found or {}).get("props", {})


def chosen(dash_client, grid, unit, cvr=world.CVR_A):
    return dash_client.fire(ids.UNIT, "data", output=GRIDS[grid], cvr=cvr, initial=True, values={ids.UNIT: unit})


@pytest.mark.parametrize("email", [world.LAESER_A, world.ADMIN_AB, world.SA_STAFF])
@pytest.mark.parametrize("enhed,tab_key", [("10002", "regnskab"), ("LG100", "loen")])
def test_unit_from_the_search_opens_its_tab(login, dash_client, email, enhed, tab_key):
    login(email)
    page, tabs = page_props(dash_client, f"?cvr={world.CVR_A}&enhed={enhed}", ids.TABS)
    assert tabs["value"] == tab_key
    _, store = page_props(dash_client, f"?cvr={world.CVR_A}&enhed={enhed}", ids.UNIT)
    assert store["data"] == enhed
    kind = "bogføringskreds 10002 SA Projekter" if enhed == "10002" else "løngruppe LG100 SA Løn"
    assert f"Valgt i søgefeltet: {kind}." in response_text(page)
    # A tab asked for in the address still wins.
    _, tabs = page_props(dash_client, f"?cvr={world.CVR_A}&enhed={enhed}&tab=generelt", ids.TABS)
    assert tabs["value"] == "generelt"


@pytest.mark.parametrize("email", [world.LAESER_A, world.ADMIN_AB, world.SA_STAFF])
@pytest.mark.parametrize("enhed", ["20001", "LG200", "99999", "x" * 300, "10001%27%20OR%201=1--", "..%2F"])
def test_unit_of_another_customer_in_the_url_is_ignored_quietly(login, dash_client, email, enhed):
    login(email)
    page, tabs = page_props(dash_client, f"?cvr={world.CVR_A}&enhed={enhed}", ids.TABS)
    assert tabs["value"] == "generelt"
    assert page_props(dash_client, f"?cvr={world.CVR_A}&enhed={enhed}", ids.UNIT)[1]["data"] is None
    assert "Ingen adgang".encode() not in page.data and "Valgt i søgefeltet".encode() not in page.data
    assert "Bøger".encode() not in page.data


def test_chosen_unit_comes_first_and_is_marked(login, dash_client):
    login(world.LAESER_A)
    response = chosen(dash_client, "regnskab", "10002")
    assert response.status_code == 200
    rows = response.get_json()["response"][ids.ACCOUNTING_GRID]["rowData"]
    assert [(r["code"], r.get("chosen", False)) for r in rows] == [("10002", True), ("10001", False)]
    assert rows[0]["server_name"] == "SRV-A2"
    rows = chosen(dash_client, "loen", "LG100").get_json()["response"][ids.PAYROLL_GRID]["rowData"]
    assert [(r["code"], r["chosen"]) for r in rows] == [("LG100", True)]
    # The grids the tab draws carry the highlight rule the marked row needs.
    regnskab = tab(dash_client, "regnskab", world.CVR_A).get_json()["response"][ids.CONTENT]["children"]
    style = find_component(regnskab, ids.ACCOUNTING_GRID)["props"]["getRowStyle"]
    assert style["styleConditions"][0]["condition"] == "params.data.chosen === true"


@pytest.mark.parametrize("email", [world.LAESER_A, world.ADMIN_AB])
@pytest.mark.parametrize("unit", ["20001", "LG200", "LG100", None, "", "x" * 5000, ["10001"], {"a": 1}, 7, "10001'--"])
def test_chosen_unit_of_another_customer_or_kind_changes_nothing(login, dash_client, email, unit):
    login(email)
    response = chosen(dash_client, "regnskab", unit)
    assert response.status_code == 204
    assert "Bøger".encode() not in response.data and b"SRV-B1" not in response.data


@pytest.mark.parametrize("email", [world.LAESER_A, world.RAPPORTER_A])
def test_forged_chosen_unit_for_b_is_refused(login, dash_client, email):
    login(email)
    response = chosen(dash_client, "regnskab", "20001", cvr=world.CVR_B)
    assert response.status_code == 403
    assert b"SRV-B1" not in response.data
