"""Headless Chromium: an opened page arrives drawn in the layout, and moving on still goes through the router."""

from __future__ import annotations

import json
import re

import pytest

from pages.ids import shell as shell_ids
from tests import world
from tests.browser.conftest import sign_in, wait_for_dash

pytestmark = pytest.mark.browser

# What the router and the shell's callbacks write: on a page drawn into the layout, none is asked for on load.
FRAME_OUTPUTS = (shell_ids.PAGE_CONTENT, shell_ids.NAV, shell_ids.CUSTOMER_SEARCH, shell_ids.UNIT_SEARCH,
                 shell_ids.REDIRECT)


def _record_callbacks(page) -> list[str]:
    outputs: list[str] = []

    def record(request):
        if request.url.endswith("/_dash-update-component") or "/_dash-update-component?" in request.url:
            body = json.loads(request.post_data or "{}")
            # What fired it, and from which page: a failure then says which property changed, and where.
            outputs.append(f"{body.get('output', '?')} <- {','.join(body.get('changedPropIds') or [])}"
                           f" from {request.headers.get('referer', '?')}")

    page.on("request", record)
    return outputs


def _frame_calls(outputs: list[str]) -> list[str]:
    return [o for o in outputs if any(target in o.split(" <- ")[0] for target in FRAME_OUTPUTS)]


def test_opened_page_needs_no_frame_callback_and_links_still_route(live_server, page):
    sign_in(page, live_server, world.LAESER_A)
    wait_for_dash(page)
    outputs = _record_callbacks(page)
    page.goto(f"{live_server}/information?cvr={world.CVR_A}")
    page.get_by_role("heading", name="Servicemålsrapport", level=1).wait_for()
    wait_for_dash(page)
    page.evaluate("() => new Promise(r => setTimeout(r, 300))")
    # Only the opened page's own requests: one the start page (after sign-in) sent late would name it.
    opened = [o for o in outputs if o.endswith(f" from {live_server}/information?cvr={world.CVR_A}")]
    assert _frame_calls(opened) == [], outputs
    # The frame as the callbacks would draw it: the menu for this customer, the customer chosen in the search box.
    nav = page.locator("#shell-nav")
    assert nav.get_by_role("link", name="Information").get_attribute("class").find("active") >= 0
    assert world.CVR_A in page.locator("#shell-context-label").inner_text()
    assert world.CVR_A in page.locator("#shell-search-customer").inner_text()
    assert page.title().startswith("Information")

    # A link in the menu moves within the app: the router draws the next page, the callbacks the frame.
    nav.get_by_role("link", name="Stamdata").click()
    page.wait_for_url(re.compile(rf"/stamdata\?cvr={world.CVR_A}"))
    page.get_by_role("heading", name="Stamdata", level=1).wait_for()
    wait_for_dash(page)
    assert any(shell_ids.PAGE_CONTENT in o for o in outputs), outputs
    page.wait_for_function("() => document.querySelector('#shell-nav a.active')?.textContent === 'Stamdata'")
    # And back again, through the browser's history.
    page.go_back()
    page.get_by_role("heading", name="Servicemålsrapport", level=1).wait_for()
    page.wait_for_function("() => document.querySelector('#shell-nav a.active')?.textContent === 'Information'")


def test_an_address_without_a_customer_is_still_filled_in(live_server, page):
    sign_in(page, live_server, world.LAESER_A)
    page.goto(f"{live_server}/information")
    # Drawn by the router and the shell's callbacks, which put the user's only customer into the address.
    page.wait_for_url(re.compile(rf"/information\?cvr={world.CVR_A}"))
    page.get_by_role("heading", name="Servicemålsrapport", level=1).wait_for()
    assert world.CVR_A in page.locator("#shell-context-label").inner_text()
