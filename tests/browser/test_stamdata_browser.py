"""Headless Chromium on Stamdata: the unit chosen in the search box opens its tab and stands first, marked."""

from __future__ import annotations

import re

import pytest

from tests import world
from tests.browser.conftest import assert_no_serious_axe_violations, sign_in, wait_for_dash

pytestmark = pytest.mark.browser

FIRST_ROW = """(id) => {
    const rows = [...document.querySelectorAll('#' + id + ' .ag-center-cols-container .ag-row')]
        .sort((a, b) => Number(a.getAttribute('row-index')) - Number(b.getAttribute('row-index')));
    return rows.length ? {code: rows[0].querySelector('[col-id=code]').innerText.trim(),
                          weight: getComputedStyle(rows[0]).fontWeight, count: rows.length} : null;
}"""


def first_row(page, grid_id: str):
    return page.evaluate(FIRST_ROW, grid_id)


def test_unit_from_the_search_opens_its_tab_first_and_marked(live_server, page):
    from tests.browser.test_foundation_browser import choose_in_dropdown

    sign_in(page, live_server, world.LAESER_A)
    page.goto(f"{live_server}/stamdata?cvr={world.CVR_A}")
    page.locator("#stamdata-content").get_by_text("Arenavej 33").wait_for()

    # 10002 is the second bogføringskreds: chosen in the search, it opens Regnskab and stands first.
    choose_in_dropdown(page, "shell-search-unit", "10002", "SA Projekter")
    page.wait_for_url(re.compile(r"/stamdata\?.*enhed=10002"))
    page.locator("#stamdata-content").get_by_text("SRV-A2").wait_for()
    assert page.locator("#stamdata-tabs input:checked").get_attribute("value") == "regnskab"
    page.wait_for_function(f"() => ({FIRST_ROW})('stamdata-regnskab-grid')?.code === '10002'")
    row = first_row(page, "stamdata-regnskab-grid")
    assert row["count"] == 2 and int(row["weight"]) >= 600
    assert "Valgt i søgefeltet: bogføringskreds 10002 SA Projekter." in page.locator("#stamdata-unit-note").inner_text()
    wait_for_dash(page)
    assert_no_serious_axe_violations(page)
    # Away to Generelt and back: the list is drawn again, the chosen unit first again.
    page.locator("label.portal-tab", has_text="Generelt").click()
    page.locator("#stamdata-content").get_by_text("Arenavej 33").wait_for()
    page.locator("label.portal-tab", has_text="Regnskab").click()
    page.locator("#stamdata-content").get_by_text("SRV-A2").wait_for()
    page.wait_for_function(f"() => ({FIRST_ROW})('stamdata-regnskab-grid')?.code === '10002'")

    # A løngruppe opens Løn.
    page.goto(f"{live_server}/stamdata?cvr={world.CVR_A}&enhed=LG100")
    page.locator("#stamdata-content").get_by_text("SA Løn").first.wait_for()
    assert page.locator("#stamdata-tabs input:checked").get_attribute("value") == "loen"
    page.wait_for_function(f"() => ({FIRST_ROW})('stamdata-loen-grid')?.code === 'LG100'")

    # The other kind's list keeps its own order.
    page.locator("label.portal-tab", has_text="Regnskab").click()
    page.locator("#stamdata-content").get_by_text("SRV-A1").wait_for()
    assert first_row(page, "stamdata-regnskab-grid")["code"] == "10001"

    # A unit of another customer is ignored quietly: Generelt, no note, no error.
    page.goto(f"{live_server}/stamdata?cvr={world.CVR_A}&enhed=20001")
    page.locator("#stamdata-content").get_by_text("Arenavej 33").wait_for()
    wait_for_dash(page)
    assert page.locator("#stamdata-tabs input:checked").get_attribute("value") == "generelt"
    assert not page.locator("#stamdata-unit-note").is_visible()
    assert "Bøger" not in page.content()
    assert page.js_errors == []
