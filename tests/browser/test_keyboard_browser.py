"""Keyboard only: sign in, find a customer, open the user menu and a page from the menu, add a contact person.

No click and no `fill`: every step is Tab, Shift+Tab, Enter, Space, Escape, arrow keys or typed text, as a
user without a mouse works. The test asserts where the focus is at each step, so a control that the keyboard
cannot reach (or a focus lost to the page's top after a callback) fails here.
"""

from __future__ import annotations

import re

import pytest

from tests import world
from tests.browser.conftest import assert_no_serious_axe_violations, wait_for_dash

pytestmark = pytest.mark.browser

MAX_TABS = 80

# A short description of the focused element: id, role or tag, and its accessible text.
FOCUSED_JS = """() => {
    const e = document.activeElement;
    if (!e || e === document.body) { return ""; }
    const text = (e.getAttribute('aria-label') || e.innerText || e.value || '').trim().slice(0, 60);
    return [e.id || '', e.getAttribute('role') || e.tagName.toLowerCase(), text].join('|');
}"""


def _focused(page) -> str:
    return page.evaluate(FOCUSED_JS)


def _tab_to(page, matches, *, backwards: bool = False, limit: int = MAX_TABS) -> str:
    """Press Tab (or Shift+Tab) until the focused element's description satisfies `matches`; return it."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        focused = _focused(page)
        seen.append(focused)
        if matches(focused):
            return focused
    raise AssertionError(f"not reachable with the keyboard; the focus went through: {seen}")


def _id_is(component_id: str):
    return lambda focused: focused.split("|", 1)[0] == component_id


def _text_is(text: str):
    return lambda focused: focused.rsplit("|", 1)[-1] == text


@pytest.fixture
def catalogue(live_app):
    from data.db import get_session
    from data.roles_catalogue import ensure_role_catalogue

    with live_app.app_context():
        ensure_role_catalogue(get_session())
        get_session().commit()


def test_sign_in_search_menu_and_add_a_contact_with_the_keyboard_only(catalogue, live_server, page):
    page.goto(f"{live_server}/login")

    # Sign in: the form's fields and button in Tab order, sent with Enter.
    _tab_to(page, _id_is("email"))
    page.keyboard.type(world.ADMIN_AB)
    _tab_to(page, _id_is("password"))
    page.keyboard.type(world.PASSWORD)
    page.keyboard.press("Enter")
    # An administrator has the second factor: the code page, its field focused, the code typed and sent.
    page.wait_for_url(lambda url: "/login/kode" in url)
    if not _id_is("code")(_focused(page)):  # the field has autofocus; Tab to it otherwise
        _tab_to(page, _id_is("code"))
    page.keyboard.type(world.totp_code(world.ADMIN_AB))
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)
    page.wait_for_selector("#shell-search-customer", state="attached")
    wait_for_dash(page)

    # Find the customer: Tab into the customer search, open it with Enter, type, choose with Enter.
    _tab_to(page, lambda f: "shell-search-customer" in f or "Kundenavn / CVR-nummer" in f)
    page.keyboard.press("Enter")
    search = page.locator(".dash-dropdown-content[data-state=open] input.dash-dropdown-search")
    search.wait_for()
    page.keyboard.type("Bøger")
    page.wait_for_function(
        "() => document.querySelectorAll('.dash-dropdown-content[data-state=open] [role=option]').length === 1")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"cvr={world.CVR_B}"))
    wait_for_dash(page)

    # The user menu opens with Enter and closes with Escape, giving the focus back to its button.
    _tab_to(page, _text_is("Brugermenu"))
    page.keyboard.press("Enter")
    menu = page.locator(".shell-user-menu .dropdown-menu")
    menu.wait_for(state="visible")
    page.keyboard.press("Escape")
    menu.wait_for(state="hidden")
    assert _focused(page).endswith("|Brugermenu")

    # The main menu: Tab to Kontaktpersoner and follow it with Enter.
    _tab_to(page, _text_is("Kontaktpersoner"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/kontaktpersoner\?cvr={world.CVR_B}"))
    page.get_by_role("heading", name="Kontaktpersoner", level=1).wait_for()
    wait_for_dash(page)

    # The page's main action: »Tilføj« with Space opens the form; Escape closes it without saving.
    _tab_to(page, _text_is("Tilføj"))
    page.keyboard.press("Space")
    form = page.locator("#kontaktpersoner-form-modal")
    form.get_by_role("heading", name="Tilføj kontaktperson").wait_for()
    page.keyboard.press("Escape")
    form.wait_for(state="hidden")

    # Again, and this time fill it in: the fields in Tab order, a role ticked with Space, »Gem« with Enter.
    _tab_to(page, _text_is("Tilføj"), backwards=True)
    page.keyboard.press("Enter")
    form.get_by_role("heading", name="Tilføj kontaktperson").wait_for()
    wait_for_dash(page)
    _tab_to(page, _id_is("kontaktpersoner-title"), limit=10)
    page.keyboard.type("Bogholder")
    page.keyboard.press("Tab")
    page.keyboard.type("Karin Tastatur")
    # A save with the e-mail missing: the summary at the button, and the focus on the field to fix.
    _tab_to(page, _text_is("Gem"))
    page.keyboard.press("Enter")
    form.locator("#kontaktpersoner-form-summary").get_by_text("E-mail").first.wait_for()
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'kontaktpersoner-email'")
    page.keyboard.type("karin@boeger.dk")
    # A role: Tab to its checkbox and tick it with Space (its obvious Stamdata tab is ticked for her).
    _tab_to(page, lambda f: "Kontaktperson – Regnskab" in f or _checkbox_label(page) == "Kontaktperson – Regnskab")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('#kontaktpersoner-tabs input[value=regnskab]').checked")
    wait_for_dash(page)
    _tab_to(page, _text_is("Gem"))
    page.keyboard.press("Enter")
    page.locator("#kontaktpersoner-status").get_by_text("Kontaktpersonen »Karin Tastatur« er gemt.").wait_for()
    form.wait_for(state="hidden")
    page.locator("#kontaktpersoner-grid").get_by_text("Karin Tastatur").wait_for()
    assert not page.js_errors
    assert_no_serious_axe_violations(page)


def _checkbox_label(page) -> str:
    """Return the role name of the focused checkbox (its label's first line), or ''."""
    return page.evaluate("""() => {
        const e = document.activeElement;
        if (!e || e.type !== 'checkbox') { return ''; }
        const label = document.querySelector(`label[for="${e.id}"]`) || e.closest('label');
        const strong = label && label.querySelector('strong');
        return strong ? strong.innerText.trim() : '';
    }""")
