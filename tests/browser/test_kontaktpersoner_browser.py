"""Headless Chromium: a Rediger user adds, edits and deletes a contact and sees it on the chosen Stamdata tab."""

from __future__ import annotations


import pytest

from tests import world
from tests.browser.conftest import assert_no_serious_axe_violations, sign_in, wait_for_dash

pytestmark = pytest.mark.browser

HOSTILE_TITLE = '<img src=x onerror="window.__xss=1">Bogholder'


@pytest.fixture
def catalogue(live_app):
    from data.db import get_session
    from data.roles_catalogue import ensure_role_catalogue

    with live_app.app_context():
        ensure_role_catalogue(get_session())
        get_session().commit()


def _grid_row(page, text: str):
    return page.locator(f"#kontaktpersoner-grid .ag-center-cols-container .ag-row").filter(has_text=text).first


def _stamdata_tab(page, base: str, tab: str):
    page.goto(f"{base}/stamdata?cvr={world.CVR_A}&tab={tab}")
    content = page.locator("#stamdata-content")
    content.get_by_role("heading", name="Kontaktpersoner").wait_for()
    wait_for_dash(page)
    return content


def test_add_edit_delete_contact_and_see_it_on_stamdata(catalogue, live_server, page):
    sign_in(page, live_server, world.REDIGER_A)
    page.goto(f"{live_server}/kontaktpersoner?cvr={world.CVR_A}")
    page.get_by_role("heading", name="Kontaktpersoner", level=1).wait_for()
    wait_for_dash(page)
    assert_no_serious_axe_violations(page)

    # Add.
    page.get_by_role("button", name="Tilføj").click()
    form = page.locator("#kontaktpersoner-form-modal")
    form.get_by_role("heading", name="Tilføj kontaktperson").wait_for()
    page.fill("#kontaktpersoner-title", HOSTILE_TITLE)
    page.fill("#kontaktpersoner-name", "Hans Hansen")
    page.fill("#kontaktpersoner-email", "hans@")
    page.fill("#kontaktpersoner-phone", "+45 12 34 56 78")
    # The role's obvious Stamdata tab is ticked for a new contact (Regnskab for »Kontaktperson – Regnskab«).
    form.locator("#kontaktpersoner-roles").get_by_text("Kontaktperson – Regnskab", exact=True).click()
    tabs = form.locator("#kontaktpersoner-tabs")
    page.wait_for_function("() => document.querySelector('#kontaktpersoner-tabs input[value=regnskab]').checked")
    form.locator("#kontaktpersoner-roles").get_by_text("Kontaktperson – Uddata", exact=True).click()
    form.get_by_text("sikker postkasse").wait_for()
    wait_for_dash(page)
    # A tab already chosen is never changed by a further role.
    assert [tabs.locator(f"input[value={key}]").is_checked() for key in ("generelt", "regnskab", "loen")] == [
        False, True, False]
    # The SA-only roles are shown but locked for a customer user.
    assert form.locator("#kontaktpersoner-sa-roles input[type=checkbox]").first.is_disabled()
    form.get_by_role("button", name="Gem").click()
    form.locator("#kontaktpersoner-email-feedback").get_by_text("E-mail er ikke en gyldig e-mailadresse").wait_for()
    # At the button: what stopped the save; and the focus is on the field to fix.
    summary = form.locator("#kontaktpersoner-form-summary")
    summary.get_by_text("E-mail er ikke en gyldig e-mailadresse").wait_for()
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'kontaktpersoner-email'")
    wait_for_dash(page)
    assert_no_serious_axe_violations(page)
    page.fill("#kontaktpersoner-email", "hans@institution.dk")
    form.get_by_role("button", name="Gem").click()
    page.locator("#kontaktpersoner-status").get_by_text("Kontaktpersonen »Hans Hansen« er gemt.").wait_for()
    row = _grid_row(page, "Hans Hansen")
    row.wait_for()
    assert "12 34 56 78" in row.inner_text() and HOSTILE_TITLE in row.inner_text()

    # It shows on Regnskab, not on Løn.
    content = _stamdata_tab(page, live_server, "regnskab")
    content.get_by_text("Hans Hansen").first.wait_for()
    assert "Kontaktperson – Regnskab" in content.inner_text()
    content = _stamdata_tab(page, live_server, "loen")
    assert "Hans Hansen" not in content.inner_text()

    # Edit: new name, also shown on Løn.
    page.goto(f"{live_server}/kontaktpersoner?cvr={world.CVR_A}")
    _grid_row(page, "Hans Hansen").locator("[col-id=name]").click()
    page.get_by_role("button", name="Rediger").click()
    form.get_by_role("heading", name="Rediger kontaktperson").wait_for()
    assert page.input_value("#kontaktpersoner-name") == "Hans Hansen"
    page.fill("#kontaktpersoner-name", "Hans H. Hansen")
    form.locator("#kontaktpersoner-tabs").get_by_text("Løn", exact=True).click()
    form.get_by_role("button", name="Gem").click()
    _grid_row(page, "Hans H. Hansen").wait_for()

    content = _stamdata_tab(page, live_server, "loen")
    content.get_by_text("Hans H. Hansen").first.wait_for()

    # History, then delete with confirmation.
    page.goto(f"{live_server}/kontaktpersoner?cvr={world.CVR_A}")
    _grid_row(page, "Hans H. Hansen").locator("[col-id=name]").click()
    page.get_by_role("button", name="Se historik").click()
    history = page.locator("#kontaktpersoner-history-modal")
    history.get_by_text("Hans Hansen → Hans H. Hansen").wait_for()
    history.get_by_role("button", name="Luk").click()
    history.wait_for(state="hidden")
    # The ×  in a modal's header closes it too (by its »Annuller«: the form forgets what it was editing).
    page.get_by_role("button", name="Rediger").click()
    form.get_by_role("heading", name="Rediger kontaktperson").wait_for()
    form.locator(".modal-header .btn-close").click()
    form.wait_for(state="hidden")
    wait_for_dash(page)
    page.get_by_role("button", name="Slet").click()
    confirm = page.locator("#kontaktpersoner-confirm-modal")
    confirm.get_by_text("Vil du slette kontaktpersonen »Hans H. Hansen«?").wait_for()
    confirm.get_by_role("button", name="Slet").click()
    page.locator("#kontaktpersoner-status").get_by_text("er slettet").wait_for()
    assert _grid_row(page, "Hans H. Hansen").count() == 0

    content = _stamdata_tab(page, live_server, "regnskab")
    assert "Hans H. Hansen" not in content.inner_text()
    # The hostile title was only ever text.
    assert page.evaluate("() => window.__xss") is None
    assert page.js_errors == []
