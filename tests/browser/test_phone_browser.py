"""A phone (390 × 844): no page is wider than the screen, the menu opens with its button, axe passes at both widths."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from tests import agreements_world, content_world, reports_world, world
from tests.browser.conftest import axe_violations, settle, type_second_factor, wait_for_dash
from data.workdays import danish_today

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

# The demo's kinds of account, each at a customer it may open (Administrator of two, SA staff of all).
ACCOUNTS = [world.LAESER_A, world.REDIGER_A, world.ADMIN_AB, world.RAPPORTER_A, world.SA_STAFF]
# Pages of every signed-in user outside the customer's menu (the user menu, the start page).
USER_PAGES = ["/", "/roller", "/notifikationer"]
# Flask pages (not Dash) a signed-in user reaches from the user menu.
FLASK_PAGES = ["/skift-adgangskode"]

WIDTHS_JS = "() => [document.documentElement.scrollWidth, window.innerWidth]"
# The outermost elements that stick out to the right of the screen (not inside a box that scrolls or
# clips them), to name in a failure.
WIDE_JS = """() => {
    const name = e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
        (typeof e.className === 'string' && e.className ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
    const sticks = e => e.getBoundingClientRect().right > window.innerWidth + 0.5;
    const clipped = e => {
        for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
            if (getComputedStyle(p).overflowX !== 'visible') return true;
        }
        return false;
    };
    const out = [];
    for (const e of document.body.querySelectorAll('*')) {
        if (sticks(e) && !(e.parentElement && sticks(e.parentElement)) && !clipped(e)) out.push(name(e));
    }
    return out.slice(0, 5);
}"""


@pytest.fixture
def filled(live_app):
    """Give the test world content on every page: meetings, actions, runbooks, agreements, report cases."""

    from data.db import get_session

    with live_app.app_context():
        session = get_session()
        content_world.build(session)
        agreements_world.build(session, danish_today())
        reports_world.build(session)


def _sign_in_on_a_phone(page, base: str, email: str) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/login")
    _assert_fits(page, "/login")
    page.fill("#email", email)
    page.fill("#password", world.PASSWORD)
    page.click("button[type=submit]")
    if email in world.TOTP_SECRETS:
        page.wait_for_url(lambda url: "/login/kode" in url)
        _assert_fits(page, "/login/kode")
    type_second_factor(page, email)
    page.wait_for_url(lambda url: "/login" not in url)
    # On a phone the search fields wait behind the menu button: the shell is up once they exist.
    page.wait_for_selector("#shell-search-customer", state="attached")
    wait_for_dash(page)


def _settled(page) -> None:
    """Wait until Dash and every grid on the page have drawn their rows."""
    wait_for_dash(page)
    page.wait_for_load_state("networkidle")
    wait_for_dash(page)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def _assert_fits(page, where: str) -> None:
    scroll_width, inner_width = page.evaluate(WIDTHS_JS)
    assert scroll_width <= inner_width, f"{where} er {scroll_width - inner_width} px bredere end telefonens skærm"


def _paths_in_menu(page) -> list[str]:
    hrefs = page.locator("#shell-nav a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [href for href in hrefs if href]


def _open_menu_and_follow(page, name: str) -> None:
    """Open the phone's menu with its button and follow the link `name`."""
    nav = page.locator("#shell-nav")
    toggle = page.get_by_role("button", name="Menu", exact=True)
    assert toggle.is_visible()
    assert not nav.is_visible(), "menuen fylder skærmen, før den er åbnet"
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    link = nav.get_by_role("link", name=name, exact=True)
    link.wait_for()
    # The search fields open with the menu too.
    assert page.locator("#shell-search-customer").is_visible()
    link.click()


@pytest.mark.parametrize("email", ACCOUNTS)
def test_every_page_fits_a_phone_and_passes_axe_at_both_widths(filled, live_server, page, email):
    _sign_in_on_a_phone(page, live_server, email)
    page.goto(f"{live_server}/?cvr={world.CVR_A}")
    _settled(page)
    paths = _paths_in_menu(page)
    assert paths, "brugeren ser ingen menupunkter"

    # The menu is reachable on a phone: the button opens it, a link leads on, and the menu closes again.
    target = page.locator("#shell-nav a").last
    label = target.inner_text()
    want = target.get_attribute("href")
    _open_menu_and_follow(page, label)
    page.wait_for_url(re.compile(re.escape(urlsplit(want).path) + r"(\?|$)"))
    _settled(page)
    assert not page.locator("#shell-nav").is_visible()

    problems: list[str] = []
    for path in paths + [f"{p}?cvr={world.CVR_A}" for p in USER_PAGES] + FLASK_PAGES:
        page.set_viewport_size(PHONE)
        page.goto(f"{live_server}{path}")
        if path not in FLASK_PAGES:
            _settled(page)
        scroll_width, inner_width = page.evaluate(WIDTHS_JS)
        if scroll_width > inner_width:
            problems.append(f"{path}: {scroll_width - inner_width} px bredere end skærmen: {page.evaluate(WIDE_JS)}")
        settle(page)
        problems += [f"{path} (390 px): {v['id']} {v['impact']} {v['nodes']}" for v in axe_violations(page)]
        page.set_viewport_size(DESKTOP)
        if path not in FLASK_PAGES:
            _settled(page)
        settle(page)
        problems += [f"{path} (1366 px): {v['id']} {v['impact']} {v['nodes']}" for v in axe_violations(page)]
    assert problems == [], "\n".join(problems)
    assert page.js_errors == []


HEADERS_JS = """(id) => [...document.querySelectorAll('#' + id + ' .ag-header-cell-text')]
    .map(e => e.innerText).filter(t => t).join('|')"""


def _wait_for_headers(page, grid_id: str, headers: list[str]) -> None:
    """Wait until the grid's header texts (the selection column's has none) are `headers`, in order."""
    page.wait_for_function(f"(id) => ({HEADERS_JS})(id) === {'|'.join(headers)!r}", arg=grid_id)


def test_grids_show_the_phones_columns_and_no_empty_strip(filled, live_server, page):
    from pages.ids import aktionsliste as Ids

    _sign_in_on_a_phone(page, live_server, world.LAESER_A)
    page.goto(f"{live_server}/aktionsliste?cvr={world.CVR_A}")
    _settled(page)
    grid = page.locator(f"#{Ids.GRID}")
    grid.get_by_text("Afstemning af bankkonti").wait_for()
    # The most important fields first, and only those: the item, its subject and its deadline.
    _wait_for_headers(page, Ids.GRID, ["Id", "Emne", "Deadline"])
    _assert_fits(page, "/aktionsliste")
    # The grid ends under its last row: no empty strip kept for a "no rows" text that is not shown.
    rows_bottom, body_bottom = page.evaluate(f"""() => {{
        const rows = [...document.querySelectorAll('#{Ids.GRID} .ag-center-cols-container .ag-row')];
        const body = document.querySelector('#{Ids.GRID} .ag-center-cols-viewport');
        return [Math.max(...rows.map(r => r.getBoundingClientRect().bottom)), body.getBoundingClientRect().bottom];
    }}""")
    assert body_bottom - rows_bottom < 4

    # A wider screen gets the desktop's columns back, unchanged.
    page.set_viewport_size(DESKTOP)
    _wait_for_headers(page, Ids.GRID, ["Id", "Område", "Bogføringskreds / løngruppe", "Emne", "Deadline",
                                       "Ansvarlig", "Procesområde", "Status"])
    assert page.js_errors == []
