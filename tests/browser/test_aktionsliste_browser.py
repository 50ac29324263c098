"""Headless Chromium on Aktionsliste: every arrow tells the truth, and the unit from the search narrows the list."""

from __future__ import annotations

import re

import pytest

from tests import content_world, world
from tests.browser.conftest import assert_no_serious_axe_violations, sign_in, wait_for_dash

pytestmark = pytest.mark.browser

# Per item drawn: its toggle's aria-expanded, its arrow, and whether its second line is drawn.
ROW_STATES = """() => [...document.querySelectorAll('#aktionsliste-grid button.aktion-toggle')].map(b => {
    const id = b.getAttribute('aria-controls').replace('aktion-detail-', '');
    return {id, expanded: b.getAttribute('aria-expanded'),
            arrow: b.querySelector('.aktion-chevron').textContent,
            shown: !!document.getElementById('aktion-detail-' + id)};
})"""


@pytest.fixture
def content(live_app):
    from data.db import get_session

    with live_app.app_context():
        return content_world.build(get_session())


def states(page) -> dict[str, tuple[str, str, bool]]:
    """Return per drawn item (id) its aria-expanded, arrow and whether its second line is drawn."""
    return {s["id"]: (s["expanded"], s["arrow"], s["shown"]) for s in page.evaluate(ROW_STATES)}


def settled(page, expected: dict[str, bool]) -> None:
    """Wait until exactly the items of `expected` are drawn with their second lines open or closed as given."""
    page.wait_for_function(
        f"""(want) => {{
            const got = ({ROW_STATES})();
            return got.length === Object.keys(want).length && got.every(s => (s.id in want) && s.shown === want[s.id]);
        }}""",
        arg={str(k): v for k, v in expected.items()},
    )
    wait_for_dash(page)
    # Then every arrow and accessible state must say the same as the second line.
    for item, (aria, arrow, shown) in states(page).items():
        assert (aria, arrow) == (("true", "\u25BE") if shown else ("false", "\u25B8")), (item, aria, arrow, shown)


def toggle(page, item: int) -> None:
    page.locator("#aktionsliste-grid").get_by_role("button", name=re.compile(f"aktion {item}$")).click()


def test_arrows_follow_every_fold(content, live_server, page):
    bank, loen = content.actions["open_regnskab"], content.actions["open_loen"]
    sign_in(page, live_server, world.LAESER_A)
    page.goto(f"{live_server}/aktionsliste?cvr={world.CVR_A}")
    page.locator("#aktionsliste-grid").get_by_text("Afstemning af bankkonti").wait_for()
    settled(page, {bank: False, loen: False})

    # "Udvid alle" on rows already drawn, then "Fold alle sammen" after one row was opened by hand.
    page.get_by_role("button", name="Udvid alle").click()
    settled(page, {bank: True, loen: True})
    page.get_by_role("button", name="Fold alle sammen").click()
    settled(page, {bank: False, loen: False})
    toggle(page, bank)
    settled(page, {bank: True, loen: False})
    page.get_by_role("button", name="Udvid alle").click()
    settled(page, {bank: True, loen: True})
    toggle(page, loen)
    settled(page, {bank: True, loen: False})
    page.get_by_role("button", name="Fold alle sammen").click()
    settled(page, {bank: False, loen: False})

    # Sorting and filtering keep each arrow with its own second line.
    toggle(page, loen)
    settled(page, {bank: False, loen: True})
    page.locator("#aktionsliste-grid").get_by_role("columnheader", name="Emne").click()
    settled(page, {bank: False, loen: True})
    page.get_by_role("button", name="Udvid alle").click()
    settled(page, {bank: True, loen: True})
    page.locator("#aktionsliste-area").get_by_label("Løn", exact=True).check()
    settled(page, {loen: True})
    toggle(page, loen)
    settled(page, {loen: False})
    page.locator("#aktionsliste-area").get_by_label("Alle", exact=True).check()
    settled(page, {bank: True, loen: True})
    page.get_by_role("button", name="Fold alle sammen").click()
    settled(page, {bank: False, loen: False})
    assert page.js_errors == []


def test_unit_from_the_search_narrows_the_list_until_removed(content, live_server, page):
    from tests.browser.test_foundation_browser import choose_in_dropdown

    sign_in(page, live_server, world.ADMIN_AB)
    page.goto(f"{live_server}/aktionsliste?cvr={world.CVR_A}")
    grid = page.locator("#aktionsliste-grid")
    grid.get_by_text("Ny lønart til tillæg").wait_for()
    # The unit chosen in the shell's search goes into the URL and presets the visible unit filter.
    choose_in_dropdown(page, "shell-search-unit", "10001", "SA Drift")
    page.wait_for_url(re.compile(r"/aktionsliste\?.*enhed=10001"))
    unit = page.get_by_label("Bogføringskreds / løngruppe")
    page.wait_for_function("() => document.querySelector('#aktionsliste-unit').value === '10001'")
    assert unit.evaluate("e => e.options[e.selectedIndex].text") == "Bogføringskreds 10001 – SA Drift"
    page.locator("#aktionsliste-summary").get_by_text("for bogføringskreds 10001 SA Drift").wait_for()
    grid.get_by_text("Afstemning af bankkonti").wait_for()
    assert "Ny lønart til tillæg" not in grid.inner_text()
    with page.expect_download() as info:
        page.get_by_role("button", name="Eksportér CSV").click()
    with open(info.value.path(), encoding="utf-8-sig") as handle:
        body = handle.read()
    assert "Afstemning af bankkonti" in body and "Ny lønart til tillæg" not in body
    wait_for_dash(page)
    assert_no_serious_axe_violations(page)

    # Removing the filter lists every unit again.
    unit.select_option(value="*")
    grid.get_by_text("Ny lønart til tillæg").wait_for()
    assert "for bogføringskreds" not in page.locator("#aktionsliste-summary").inner_text()

    # A unit of another customer in the URL is ignored: every item of A, nothing of B, no error.
    page.goto(f"{live_server}/aktionsliste?cvr={world.CVR_A}&enhed=20001")
    grid.get_by_text("Ny lønart til tillæg").wait_for()
    wait_for_dash(page)
    assert page.locator("#aktionsliste-unit").input_value() == "*"
    assert content_world.SECRET_B not in page.content() and "Bøger Hovedkreds" not in page.content()
    assert page.js_errors == []
