"""Headless Chromium on Kundeaftaler and Kontakt dit team: tabs, downloads, exports, accessibility."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from data.workdays import danish_today
from tests import agreements_world as aw
from tests import world
from tests.browser.conftest import (assert_no_serious_axe_violations, choose_tab, settle, sign_in,
                                   wait_for_dash)

pytestmark = pytest.mark.browser


@pytest.fixture
def content(live_app):
    from data.db import get_session

    with live_app.app_context():
        return aw.build(get_session(), danish_today())


def test_kundeaftaler_tabs_downloads_and_export(content, live_server, page):
    sign_in(page, live_server, world.LAESER_A)
    page.goto(f"{live_server}/kundeaftaler?cvr={world.CVR_A}")
    wait_for_dash(page)
    main = page.locator("#kundeaftaler-content")
    main.get_by_text("Aftalen gælder regnskab og løn.").wait_for()
    text = main.inner_text()
    # Signed on paper: the names and days SA recorded from the signed copy.
    assert "Underskrevet på papir af: Søren Direktør, Dato: 8. feb. 2022" in text
    assert "Underskrevet på papir af: Karen Kunde, Dato: 9. feb. 2022" in text
    settle(page)
    assert_no_serious_axe_violations(page)

    with page.expect_download() as info:
        main.get_by_role("link", name="Hent aftale").click()
    assert info.value.suggested_filename == f"Kundeaftale_{world.CVR_A}_2022-02-08.pdf"
    with open(info.value.path(), "rb") as handle:
        assert handle.read().startswith(b"%PDF")

    # Tabs work from the keyboard: focus a tab (a radio) and press Space to choose it.
    page.get_by_role("radio", name="Dispensationer").focus()
    page.keyboard.press("Space")
    main.get_by_text("Dispensation for papirbilag").wait_for()
    assert "Udløbet" in main.inner_text() and "Gældende" in main.inner_text()
    wait_for_dash(page)
    settle(page)
    assert_no_serious_axe_violations(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Eksportér Excel").click()
    assert info.value.suggested_filename.startswith(f"Dispensationer_{world.CVR_A}_")
    with open(info.value.path(), "rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    assert sheet["A1"].value == "Dispensation" and sheet.max_row == 3
    with page.expect_download() as info:
        page.get_by_role("button", name="Eksportér CSV").click()
    with open(info.value.path(), encoding="utf-8-sig") as handle:
        csv_text = handle.read()
    # CSV is for machines: ISO 8601 dates (issue 14), never the screen's Danish format.
    assert "Dispensation for sen løn" in csv_text and "2023-01-15" in csv_text and "15-01-2023" not in csv_text
    # ... and its header says so for the date columns only, as the server's exports do.
    header = csv_text.splitlines()[0]
    assert "Udløber (ÅÅÅÅ-MM-DD)" in header and "Givet (ÅÅÅÅ-MM-DD)" in header
    assert "Dispensation (" not in header and "Status (" not in header

    choose_tab(page, "Opgaver hos 3. part")
    main.get_by_text("Økonomistyrelsen").wait_for()

    choose_tab(page, "Bilag")
    main.get_by_text("Bilag 2 – uden fil").wait_for()
    with page.expect_download() as info:
        main.get_by_role("link", name=re.compile("Ydelsesbeskrivelse")).click()
    with open(info.value.path(), "rb") as handle:
        assert handle.read() == b"%PDF-1.4 bilag A"
    assert aw.SECRET_B not in page.content()
    assert page.js_errors == []


def test_kundeaftaler_of_other_customer_is_refused(content, live_server, page):
    sign_in(page, live_server, world.LAESER_A)
    page.goto(f"{live_server}/kundeaftaler?cvr={world.CVR_B}")
    wait_for_dash(page)
    page.get_by_role("heading", name="Ingen adgang").wait_for()
    assert aw.SECRET_B not in page.content()
    response = page.request.get(f"{live_server}/filer/{content.files['annex_b']}")
    assert response.status == 404


def test_kontakt_dit_team(content, live_server, page):
    sign_in(page, live_server, world.LAESER_A)
    page.goto(f"{live_server}/kontakt?cvr={world.CVR_A}")
    wait_for_dash(page)
    page.get_by_role("heading", name="Kontakt dit team").wait_for()
    page.get_by_role("link", name="anne@statens-adm.dk").wait_for()
    # The page's own support line (the footer on every page has the address too).
    support = page.locator("#kontakt-support").get_by_role("link", name="kundeportal@statens-adm.dk")
    assert support.get_attribute("href") == "mailto:kundeportal@statens-adm.dk"
    settle(page)
    assert_no_serious_axe_violations(page)
