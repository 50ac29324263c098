"""Drejebøger: tabs, submenu, runbooks with history and diff, print view — for the customer in context only."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

import pytest

from pages.ids import drejeboeger as ids
from pages.ids import shell as shell_ids
from tests._components import response_text
from tests import content_world, world

READERS = [world.LAESER_A, world.REDIGER_A, world.ADMIN_AB, world.SA_STAFF]
KEY_A = {"area": "Regnskab", "unit_code": "10001", "section": "Finans"}


@pytest.fixture
def content(app):
    from data.db import get_session

    with app.app_context():
        return content_world.build(get_session())


def tab(dash_client, name, cvr, selection=None):
    return dash_client.fire(ids.TABS, "value", cvr=cvr, initial=True,
                            values={ids.TABS: name, ids.SELECTION: selection or {}})


def diff(dash_client, cvr, old, new, key=None):
    return dash_client.fire(ids.DIFF_FROM, "value", cvr=cvr, initial=True,
                            values={ids.DIFF_FROM: old, ids.DIFF_TO: new,
                                    ids.RUNBOOK_KEY: KEY_A if key is None else key})


def printed(dash_client, cvr, selection):
    return dash_client.fire(ids.PRINT_SELECTION, "data", cvr=cvr, initial=True, values={ids.PRINT_SELECTION: selection})


def text(response) -> str:
    return response_text(response)


# --- the page ---------------------------------------------------------------------------------


@pytest.mark.parametrize("email", READERS)
def test_regnskab_runbook_shows(login, dash_client, content, email):
    login(email)
    response = tab(dash_client, "regnskab", world.CVR_A)
    assert response.status_code == 200, response.data[:300]
    body = text(response)
    for expected in ["Bogføringskredse", "10001 SA Drift", "10002 SA Projekter", "Finans", "Kreditor",
                     "Særlige opmærksomhedspunkter", "Afvigelse", "Vedhæftninger", "Opgaver", "Frekvens",
                     "Periodisering", "Moms bogføres netto.", "Månedsafstemning", "Månedligt",
                     "Seneste ændringer: 1. jun. 2023 kl. 12:15 (Bent Berg)", "Se historik", "Udskriv",
                     f"/filer/{content.files['guide_a']}", "konteringsvejledning.pdf",
                     "fane=regnskab&enhed=10001&afsnit=Finans&print=1"]:
        assert expected in body, expected
    # B's file linked from A's runbook is not offered.
    assert f"/filer/{content.files['guide_b']}" not in body and content_world.SECRET_B not in body


def test_selected_unit_and_section_and_empty_runbook(login, dash_client, content):
    login(world.LAESER_A)
    body = text(tab(dash_client, "regnskab", world.CVR_A, {"fane": "regnskab", "enhed": "10002", "afsnit": "Kreditor"}))
    assert "Der er endnu ingen drejebog for Kreditor på 10002 SA Projekter" in body
    body = text(tab(dash_client, "loen", world.CVR_A, {"fane": "loen", "enhed": "LG100", "afsnit": "mTime"}))
    assert "Registrering i mTime" in body and "Løngrupper" in body
    for section in ["Afrapportering", "Afstemning", "Løn", "mTime"]:
        assert urlencode({"afsnit": section}) in body
    body = text(tab(dash_client, "refusion", world.CVR_A))
    for section in ["Afstemning", "Kontering", "Virklister", "Refusion"]:
        assert urlencode({"afsnit": section}) in body
    assert "Der er endnu ingen drejebog for Afstemning på LG100 SA Løn" in body


@pytest.mark.parametrize("selection,message", [
    ({"fane": "regnskab", "enhed": "20001"}, "Bogføringskreds i adressen findes ikke for denne kunde"),
    ({"fane": "regnskab", "enhed": "../../etc"}, "Bogføringskreds i adressen findes ikke for denne kunde"),
    ({"fane": "regnskab", "enhed": "x" * 60}, "Bogføringskreds i adressen findes ikke for denne kunde"),
    ({"fane": "regnskab", "afsnit": "Hemmeligt"}, "Ukendt afsnit i adressen"),
    ({"fane": "regnskab", "enhed": ["10001"]}, "Bogføringskreds i adressen findes ikke"),
    ("ikke et objekt", "Moms bogføres netto."),
])
def test_bad_selection_is_a_clear_message(login, dash_client, content, selection, message):
    login(world.LAESER_A)
    response = tab(dash_client, "regnskab", world.CVR_A, selection)
    assert response.status_code == 200
    body = text(response)
    assert message in body and content_world.SECRET_B not in body


@pytest.mark.parametrize("bad_tab", ["ukendt", None, 7, {"a": 1}, "x" * 5000])
def test_unknown_tab(login, dash_client, content, bad_tab):
    login(world.LAESER_A)
    response = tab(dash_client, bad_tab, world.CVR_A)
    assert response.status_code == 200 and "Ukendt faneblad" in text(response)


def test_empty_states(login, dash_client, content):
    login(world.SA_STAFF)
    assert "Ingen bogføringskredse registreret" in text(tab(dash_client, "regnskab", world.CVR_C))
    assert "Ingen løngrupper registreret" in text(tab(dash_client, "refusion", world.CVR_C))


# --- history and diff -------------------------------------------------------------------------


@pytest.mark.parametrize("email", READERS)
def test_diff_between_versions(login, dash_client, content, email):
    login(email)
    response = diff(dash_client, world.CVR_A, "1", "2")
    assert response.status_code == 200, response.data[:300]
    body = text(response)
    assert "Ændringer fra version 1 til version 2" in body
    assert "Tilføjet: " in body and "Periodisering" in body
    assert "Fjernet: " in body and "Gammel opgave" in body
    assert "Ændret: " in body and "Moms bogføres brutto." in body and "Moms bogføres netto." in body
    assert re.search(r'"type":\s*"Ins"', body) and re.search(r'"type":\s*"Del"', body)
    assert content_world.SECRET_B not in body and "vejledning-" not in body
    # The only difference in the first task is a link to another customer's file: not shown as a change.
    assert "Bogføring af kreditorfakturaer" not in body
    assert re.search(r"1 punkt er uændret\.|\d+ punkter er uændrede\.", body)


@pytest.mark.parametrize("old,new,message", [
    ("1", "1", "Vælg to forskellige versioner"),
    ("1", "99", "Versionen findes ikke"),
    ("abc", "2", "Ugyldigt versionsnummer"),
    ("1" * 5000, "2", "Ugyldigt versionsnummer"),
    (None, {"x": 1}, "Ugyldigt versionsnummer"),
    ("²", "2", "Ugyldigt versionsnummer"),  # str.isdigit() says yes, int() says no
    ("١", "2", "Ugyldigt versionsnummer"),  # an Arabic-Indic one: int() would read it as 1
])
def test_bad_versions(login, dash_client, content, old, new, message):
    login(world.LAESER_A)
    response = diff(dash_client, world.CVR_A, old, new)
    assert response.status_code == 200 and message in text(response)


@pytest.mark.parametrize("key", [
    {"area": "Regnskab", "unit_code": "20001", "section": "Finans"},  # B's unit with A in context
    {"area": "Regnskab", "unit_code": "../x", "section": "Finans"},
    {"area": "Hemmelig", "unit_code": "10001", "section": "Finans"},
    "streng",
])
def test_forged_runbook_key_finds_nothing(login, dash_client, content, key):
    login(world.LAESER_A)
    response = diff(dash_client, world.CVR_A, "1", "2", key)
    assert response.status_code == 200
    body = text(response)
    assert "Ukendt drejebog" in body or "Versionen findes ikke" in body
    assert content_world.SECRET_B not in body


def test_diff_structure():
    from data.runbooks import diff_contents

    old = {"points": [{"deviation": "A", "description": "x", "file_ids": [1]},
                      {"deviation": "B", "description": "y", "file_ids": []}],
           "tasks": [{"task": "T", "description": "d", "frequency": "Dagligt", "file_ids": []}]}
    new = {"points": [{"deviation": "A", "description": "x2", "file_ids": [1, 2]},
                      {"deviation": "C", "description": "z", "file_ids": []}],
           "tasks": [{"task": "T", "description": "d", "frequency": "Dagligt", "file_ids": []}]}
    result = diff_contents(old, new, 1, 2)
    kinds = {(c.kind, c.name) for c in result.points}
    assert kinds == {("changed", "A"), ("added", "C"), ("removed", "B")}
    changed = next(c for c in result.points if c.kind == "changed")
    assert {f.field for f in changed.fields} == {"description", "file_ids"}
    assert next(f for f in changed.fields if f.field == "description").new == "x2"
    assert result.tasks == () and result.unchanged_tasks == 1 and not result.is_empty
    assert diff_contents(new, new).is_empty


def test_diff_tolerates_malformed_content():
    from data.runbooks import diff_contents, normalize_content

    junk = {"points": ["x", {"deviation": 5, "file_ids": ["7", "../etc", True, -1]}], "tasks": "nope"}
    assert normalize_content(junk) == {"points": [{"deviation": "5", "description": "", "file_ids": [7]}],
                                       "tasks": []}
    assert normalize_content(None) == {"points": [], "tasks": []}
    result = diff_contents(None, junk)
    assert [c.kind for c in result.points] == ["added"]
    # Repeated names are matched in order.
    twice = {"tasks": [{"task": "T", "description": "1"}, {"task": "T", "description": "2"}]}
    once = {"tasks": [{"task": "T", "description": "1"}]}
    assert [c.kind for c in diff_contents(once, twice).tasks] == ["added"]


# --- print view -------------------------------------------------------------------------------


@pytest.mark.parametrize("email", READERS)
def test_print_view(login, dash_client, content, email):
    login(email)
    page = dash_client.page("/drejeboeger", f"?cvr={world.CVR_A}&fane=regnskab&enhed=10001&afsnit=Finans&print=1")
    assert b"runbook-print-view" in page.data and ids.TABS.encode() not in page.data
    response = printed(dash_client, world.CVR_A, {"fane": "regnskab", "enhed": "10001", "afsnit": "Finans"})
    body = text(response)
    for expected in ["Udskriv", "Statens Administration", world.CVR_A, "Periodisering", "Månedsafstemning",
                     "Seneste ændringer: 1. jun. 2023 kl. 12:15"]:
        assert expected in body, expected
    assert "Se historik" not in body and content_world.SECRET_B not in body


@pytest.mark.parametrize("selection,message", [
    ({"fane": "x", "enhed": "10001", "afsnit": "Finans"}, "Ukendt faneblad"),
    ({"fane": "regnskab", "enhed": "../../x", "afsnit": "Finans"}, "Ugyldig bogføringskreds"),
    ({"fane": "regnskab", "enhed": "20001", "afsnit": "Finans"}, "findes ikke for denne kunde"),
    ({"fane": "regnskab", "enhed": "10001", "afsnit": "Hemmelig"}, "Ukendt afsnit"),
    ({"fane": "regnskab", "enhed": "10002", "afsnit": "Kreditor"}, "Der er endnu ingen drejebog"),
    (["x"], "Ukendt faneblad"),
])
def test_print_view_bad_input(login, dash_client, content, selection, message):
    login(world.LAESER_A)
    response = printed(dash_client, world.CVR_A, selection)
    assert response.status_code == 200
    assert message in text(response) and content_world.SECRET_B not in text(response)


# --- other customers --------------------------------------------------------------------------


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.RAPPORTER_A])
def test_forged_payloads_for_b_are_refused(login, dash_client, content, email):
    login(email)
    sel = {"fane": "regnskab", "enhed": "20001", "afsnit": "Finans"}
    for response in (tab(dash_client, "regnskab", world.CVR_B, sel), diff(dash_client, world.CVR_B, "1", "2"),
                     printed(dash_client, world.CVR_B, sel)):
        assert response.status_code == 403
        assert content_world.SECRET_B.encode() not in response.data


def test_rapporter_only_is_refused_on_a(login, dash_client, content):
    login(world.RAPPORTER_A)
    assert tab(dash_client, "regnskab", world.CVR_A).status_code == 403
    page = dash_client.page("/drejeboeger", f"?cvr={world.CVR_A}")
    assert "Ingen adgang".encode() in page.data


@pytest.mark.parametrize("search", [
    f"?cvr={world.CVR_B}", f"?cvr={world.CVR_B}&fane=regnskab&enhed=20001&afsnit=Finans&print=1",
    "?cvr=" + "1" * 4000,
])
def test_page_url_of_other_customer(login, dash_client, content, search):
    login(world.LAESER_A)
    page = dash_client.page("/drejeboeger", search)
    assert page.status_code == 200 and "Ingen adgang".encode() in page.data
    assert content_world.SECRET_B.encode() not in page.data


def test_huge_query_values_are_bounded(login, dash_client, content):
    login(world.LAESER_A)
    page = dash_client.page("/drejeboeger", f"?cvr={world.CVR_A}&fane={'q' * 5000}&enhed={'e' * 5000}")
    assert page.status_code == 200 and b"q" * 200 not in page.data and b"e" * 200 not in page.data


def _stores(page_response) -> dict:
    import json

    layout = json.loads(page_response.data)["response"][shell_ids.PAGE_CONTENT]["children"]
    found = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if node.get("type") == "Store":
                found[props.get("id")] = props.get("data")
            if node.get("type") == "RadioItems":
                found[props.get("id")] = props.get("value")
            for value in props.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(layout)
    return found


@pytest.mark.parametrize("unit, tab_key, shown", [
    ("LG100", "loen", "Løngrupper"),
    ("10002", "regnskab", "Der er endnu ingen drejebog for Finans på 10002 SA Projekter"),
])
def test_unit_from_the_search_box_opens_its_tab(login, dash_client, content, unit, tab_key, shown):
    # The search box puts only ?enhed= in the URL: the page opens the tab of the unit's kind on it.
    login(world.LAESER_A)
    stores = _stores(dash_client.page("/drejeboeger", f"?cvr={world.CVR_A}&enhed={unit}"))
    assert stores[ids.SELECTION]["fane"] == tab_key and stores[ids.TABS] == tab_key
    body = text(tab(dash_client, tab_key, world.CVR_A, stores[ids.SELECTION]))
    assert "findes ikke" not in body and shown in body


def test_unit_of_another_customer_opens_no_tab_of_it(login, dash_client, content):
    login(world.LAESER_A)
    stores = _stores(dash_client.page("/drejeboeger", f"?cvr={world.CVR_A}&enhed=20001"))
    assert stores[ids.TABS] == "regnskab" and stores[ids.SELECTION]["fane"] is None


def test_admin_ab_reads_b_with_b_in_context(login, dash_client, content):
    login(world.ADMIN_AB)
    body = text(tab(dash_client, "regnskab", world.CVR_B))
    assert f"Afvigelse {content_world.SECRET_B}" in body and f"/filer/{content.files['guide_b']}" in body
    assert "Periodisering" not in body


def test_stamp_is_danish_local_time():
    from callbacks.drejeboeger import stamp

    assert stamp(dt.datetime(2022, 1, 28, 7, 38, 52, tzinfo=dt.timezone.utc)) == "28. jan. 2022 kl. 08:38"
    assert stamp(None) == "–"
