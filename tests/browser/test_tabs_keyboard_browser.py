"""Tabs work from the keyboard alone on every page that has them, and pass axe-core."""

from __future__ import annotations

import pytest

from tests import world
from tests.browser.conftest import assert_no_serious_axe_violations, sign_in, wait_for_dash

pytestmark = pytest.mark.browser

MAX_TAB_PRESSES = 60

# The focused element as (group id, value, checked) when it is a tab of a tab bar, else None.
FOCUSED_TAB_JS = """() => {
    const e = document.activeElement;
    const group = e && e.type === 'radio' ? e.closest('.portal-tabs') : null;
    return group ? [group.id, e.value, e.checked] : null;
}"""


def _focused_tab(page) -> tuple[str, str, bool] | None:
    found = page.evaluate(FOCUSED_TAB_JS)
    return tuple(found) if found else None


def _tab_into_tab_bar(page) -> tuple[str, str, bool]:
    """Press Tab from the top of the page until a tab has focus; return (group id, value, checked)."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(MAX_TAB_PRESSES):
        page.keyboard.press("Tab")
        focused = _focused_tab(page)
        if focused:
            return focused
    raise AssertionError("no tab was reachable with the Tab key")


@pytest.mark.parametrize("path,tabs_id,first,second,second_label,content_id", [
    ("/stamdata", "stamdata-tabs", "generelt", "regnskab", "Regnskab", "stamdata-content"),
    ("/kundeaftaler", "kundeaftaler-tabs", "kundeaftale", "databehandleraftale", "Databehandleraftale",
     "kundeaftaler-content"),
    ("/drejeboeger", "drejeboeger-tabs", "regnskab", "loen", "Løn", "drejeboeger-content"),
])
def test_tabs_from_the_keyboard(live_server, page, path, tabs_id, first, second, second_label, content_id):
    sign_in(page, live_server, world.LAESER_A)
    page.goto(f"{live_server}{path}?cvr={world.CVR_A}")
    wait_for_dash(page)
    # Wait for the first tab's content, so a late first render is not mistaken for the switch.
    page.wait_for_function("(id) => { const e = document.getElementById(id); return e && e.innerText.trim() !== ''; }",
                           arg=content_id)
    wait_for_dash(page)
    before = page.locator(f"#{content_id}").inner_text()

    # Tab lands on the chosen tab, and the tab bar is one Tab stop: Tab leaves it, Shift+Tab returns.
    assert _tab_into_tab_bar(page) == (tabs_id, first, True)
    page.keyboard.press("Tab")
    assert _focused_tab(page) is None
    page.keyboard.press("Shift+Tab")
    assert _focused_tab(page) == (tabs_id, first, True)

    # The arrow key moves to the next tab and chooses it; its content follows.
    page.keyboard.press("ArrowRight")
    assert _focused_tab(page) == (tabs_id, second, True)
    page.wait_for_function(
        "([id, before]) => { const e = document.getElementById(id); return e && e.innerText !== before; }",
        arg=[content_id, before])
    wait_for_dash(page)
    assert page.locator(f"#{tabs_id} input:checked").get_attribute("value") == second
    assert page.locator(f"#{tabs_id} label.portal-tab.active").inner_text().strip() == second_label

    assert not page.js_errors
    assert_no_serious_axe_violations(page)
