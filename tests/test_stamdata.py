"""Stamdata: Generelt / Regnskab / Løn of the customer in context, and nothing of any other."""

import pytest

from tests._components import response_text
from tests import world


def tab(dash_client, name, cvr):
    return dash_client.call(
        "stamdata-content.children", {"id": "stamdata-content", "property": "children"},
        [{"id": "stamdata-tabs", "property": "value", "value": name}],
        [{"id": "stamdata-cvr", "property": "data", "value": cvr}],
    )


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.ADMIN_AB, world.TWO_CVRS, world.SA_STAFF])
def test_general_tab_shows_master_data(login, dash_client, email):
    login(email)
    response = tab(dash_client, "generelt", world.CVR_A)
    assert response.status_code == 200
    text = response_text(response)
    for expected in ["Statens Administration", world.CVR_A, "Finansministeriet - 7", "Statslig", "Arenavej 33", "Seneste ændringer"]:
        assert expected in text


def find_component(node, component_id):
    """Return the rendered component with `component_id` anywhere in a callback's output tree."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            return node
        children = node.get("props", {}).get("children")
        return find_component(children, component_id) if children is not None else None
    if isinstance(node, list):
        for child in node:
            found = find_component(child, component_id)
            if found is not None:
                return found
    return None


def test_regnskab_and_loen_tabs(login, dash_client):
    login(world.LAESER_A)
    regnskab = tab(dash_client, "regnskab", world.CVR_A).get_json()["response"]["stamdata-content"]["children"]
    rows = find_component(regnskab, "stamdata-regnskab-grid")["props"]["rowData"]
    assert [r["code"] for r in rows] == ["10001", "10002"]
    assert rows[0]["server_name"] == "SRV-A1" and rows[0]["database_name"] == "NAV_A1"
    assert rows[0]["ministry"] == "Finansministeriet - 7"
    loen = tab(dash_client, "loen", world.CVR_A).get_json()["response"]["stamdata-content"]["children"]
    assert [r["code"] for r in find_component(loen, "stamdata-loen-grid")["props"]["rowData"]] == ["LG100"]


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
