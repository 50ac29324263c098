"""Tabs work from the keyboard alone on every page that has them, and pass axe-core."""

from __future__ import annotations

import pytest

from tests import world
from tests.browser.conftest import assert_no_serious_axe_violations, sign_in, wait_for_dash

pytestmark = pytest.mark.browser

MAX_TAB_PRESSES = 60


def _tab_into_tab_bar(page) -> str:
    """Press Tab from the top of the page until a tab (radio) has focus; return its value."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(MAX_TAB_PRESSES):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return e && e.type === 'radio' && e.closest('.portal-tabs') ? e.value : null; }"
        )
        if focused:
            return focused
    raise AssertionError("no tab was reachable with the Tab key")


@pytest.mark.parametrize("path,first,second,content_id,expected", [
    ("/stamdata", "generelt", "regnskab", "stamdata-content", "SRV-A1"),
    ("/kundeaftaler", "kundeaftale", "databehandleraftale", "kundeaftaler-content", None),
    ("/drejeboeger", "regnskab", "loen", "drejeboeger-content", None),
])
def test_tabs_from_the_keyboard(live_server, page, path, first, second, content_id, expected):
    sign_in(page, live_server, world.LAESER_A)
    page.goto(f"{live_server}{path}?cvr={world.CVR_A}")
    wait_for_dash(page)
    content = page.locator(f"#{content_id}")
    before = content.inner_text()
    assert _tab_into_tab_bar(page) == first
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "(second) => { const e = document.activeElement; return e && e.value === second && e.checked; }", arg=second
    )
    wait_for_dash(page)
    page.wait_for_function("([id, before]) => document.getElementById(id).innerText !== before", arg=[content_id, before])
    if expected:
        content.get_by_text(expected).first.wait_for()
    assert page.locator("label.portal-tab.active").inner_text().strip() != ""
    assert_no_serious_axe_violations(page)
