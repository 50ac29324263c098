"""Headless Chromium walks the foundation: sign in, search a customer, Stamdata tabs, sign out."""

from __future__ import annotations

import re

import pytest

from tests import world
from tests.browser.conftest import choose_tab, assert_no_serious_axe_violations, sign_in, wait_for_dash

pytestmark = pytest.mark.browser


def choose_in_dropdown(page, dropdown_id: str, text: str, option_text: str) -> None:
    """Open a Dash 4 dropdown, type `text` into its search field and click the matching option."""
    page.click(f"#{dropdown_id}")
    popover = page.locator(".dash-dropdown-content[data-state=open]")
    popover.locator("input.dash-dropdown-search").fill(text)
    option = popover.get_by_role("option", name=re.compile(re.escape(option_text)))
    option.click()


def test_sign_in_search_stamdata_tabs_and_sign_out(live_server, page):
    sign_in(page, live_server, world.TWO_CVRS)
    wait_for_dash(page)
    assert_no_serious_axe_violations(page)

    # The customer field offers only this user's two customers, narrowing server-side as one types.
    page.click("#shell-search-customer")
    options = page.locator(".dash-dropdown-content[data-state=open] [role=option]")
    options.first.wait_for()
    page.locator(".dash-dropdown-content[data-state=open] input.dash-dropdown-search").fill("Bøger")
    page.wait_for_function(
        "() => document.querySelectorAll('.dash-dropdown-content[data-state=open] [role=option]').length === 1"
    )
    assert "Styrelsen for Bøger (20000007)" in options.first.inner_text()
    page.locator(".dash-dropdown-content[data-state=open] input.dash-dropdown-search").fill("Cirkler")
    page.wait_for_function(
        "() => document.querySelectorAll('.dash-dropdown-content[data-state=open] [role=option]').length === 0"
    )
    page.keyboard.press("Escape")

    choose_in_dropdown(page, "shell-search-customer", "Bøger", "Styrelsen for Bøger")
    page.wait_for_url(re.compile(r"cvr=20000007"))
    nav = page.locator("#shell-nav")
    nav.get_by_role("link", name="Stamdata").click()
    page.wait_for_url(re.compile(r"/stamdata\?cvr=20000007"))
    page.get_by_role("heading", name="Stamdata", level=1).wait_for()
    content = page.locator("#stamdata-content")
    content.get_by_text("Styrelsen for Bøger").first.wait_for()
    assert "20000007" in content.inner_text()
    assert "Statens Administration" not in content.inner_text()
    wait_for_dash(page)
    assert_no_serious_axe_violations(page)

    choose_tab(page, "Regnskab")
    content.get_by_text("Bøger Hovedkreds").wait_for()
    assert "SRV-B1" in content.inner_text() and "NAV_B1" in content.inner_text()
    assert "SRV-A1" not in content.inner_text()
    wait_for_dash(page)
    assert_no_serious_axe_violations(page)

    choose_tab(page, "Løn")
    content.get_by_text("Bøger Løn").wait_for()
    assert "SA Løn" not in content.inner_text()

    page.get_by_role("button", name="Brugermenu").click()
    page.locator(".shell-user-menu").get_by_role("button", name="Log ud").click()
    page.wait_for_url(re.compile(r"/login"))
    page.get_by_text("Du er logget ud.").wait_for()
    # Signed out for real: the portal sends the browser back to the sign-in page.
    page.goto(f"{live_server}/stamdata?cvr=20000007")
    assert "/login" in page.url
    assert page.js_errors == []


def test_unit_search_takes_the_user_to_the_units_customer(live_server, page):
    sign_in(page, live_server, world.ADMIN_AB)
    wait_for_dash(page)
    choose_in_dropdown(page, "shell-search-unit", "20001", "Bøger Hovedkreds")
    page.wait_for_url(re.compile(r"cvr=20000007.*enhed=20001|enhed=20001.*cvr=20000007"))
    page.locator("#shell-context-label").get_by_text("Styrelsen for Bøger").wait_for()
    assert page.js_errors == []


def test_login_page_is_accessible_and_shows_a_neutral_error(live_server, page):
    page.goto(f"{live_server}/login")
    assert_no_serious_axe_violations(page)
    page.fill("#email", world.LAESER_A)
    page.fill("#password", "forkert-adgangskode-helt-sikkert")
    page.click("button[type=submit]")
    page.get_by_role("alert").wait_for()
    assert page.get_by_role("alert").inner_text() == "Forkert e-mail eller adgangskode."
    assert "/login" in page.url


def test_print_shows_the_page_and_hides_navigation_and_controls(live_server, page):
    sign_in(page, live_server, world.LAESER_A)
    page.goto(f"{live_server}/stamdata?cvr={world.CVR_A}")
    page.locator("#stamdata-content table").wait_for()
    page.evaluate("""() => {
        const b = document.createElement('button'); b.className = 'no-print-probe'; b.textContent = 'Udskriv';
        const d = document.createElement('div'); d.className = 'no-print'; d.textContent = 'Kun på skærm';
        document.querySelector('#stamdata-content').append(b, d);
    }""")
    assert page.locator(".shell-navbar").is_visible()
    page.emulate_media(media="print")
    for selector in (".shell-header", ".shell-navbar", ".shell-search-box", ".shell-user-menu", ".no-print",
                     ".no-print-probe"):
        assert not page.locator(selector).first.is_visible(), selector
    assert page.get_by_role("heading", name="Stamdata", level=1).is_visible()
    assert page.locator("#stamdata-content table").is_visible()


def test_sa_staff_type_the_apps_code_on_an_accessible_page(live_server, page):
    # Issue 13: the password alone is not enough for SA staff; the code page passes axe.
    page.goto(f"{live_server}/login")
    page.fill("#email", world.SA_STAFF)
    page.fill("#password", world.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/login/kode"))
    page.get_by_role("heading", name="Indtast kode fra din godkendelsesapp").wait_for()
    assert_no_serious_axe_violations(page)
    page.fill("#code", "000000")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.get_by_role("alert").inner_text().startswith("Koden er forkert")
    page.goto(f"{live_server}/stamdata?cvr={world.CVR_A}")
    assert "/login" in page.url
    page.goto(f"{live_server}/login/kode")
    page.fill("#code", world.totp_code(world.SA_STAFF))
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_selector("#shell-search-customer", state="attached")
    assert "/login" not in page.url
    assert page.js_errors == []
