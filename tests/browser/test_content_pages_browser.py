"""Headless Chromium on Møder, Aktionsliste and Drejebøger: filter, fold, export, download, history, print."""

from __future__ import annotations

import re

import pytest

from tests import content_world, world
from tests.browser.conftest import (assert_no_serious_axe_violations, choose_tab, settle, sign_in,
                                   wait_for_dash)

pytestmark = pytest.mark.browser


@pytest.fixture
def content(live_app):
    from data.db import get_session

    with live_app.app_context():
        return content_world.build(get_session())


def open_page(page, base: str, path: str) -> None:
    page.goto(f"{base}{path}")
    wait_for_dash(page)


def test_moeder_filter_and_download(content, live_server, page):
    sign_in(page, live_server, world.LAESER_A)
    open_page(page, live_server, f"/moeder?cvr={world.CVR_A}")
    main = page.locator("#moeder-content")
    main.get_by_role("heading", name="Kommende møder").wait_for()
    assert "Statusmøde marts" in main.inner_text() and "Årsmøde 2022" in main.inner_text()
    assert_no_serious_axe_violations(page)
    year = page.get_by_label("Vis år")
    assert year.evaluate("e => e.options[e.selectedIndex].text") == "Alle år"

    year.select_option("2022")
    main.get_by_text("Afholdte møder").wait_for()
    main.get_by_text("Årsmøde 2022").wait_for()
    page.wait_for_function("() => !document.querySelector('#moeder-content').innerText.includes('Statusmøde marts')")

    with page.expect_download() as info:
        main.get_by_role("link", name=re.compile("Materiale til årsmøde")).click()
    download = info.value
    assert download.suggested_filename == "materiale-2022.pdf"
    with open(download.path(), "rb") as handle:
        assert handle.read().startswith(b"%PDF")
    assert content_world.SECRET_B not in page.content()


def _detail_count(page) -> int:
    return page.locator(".aktion-detail").count()


def test_aktionsliste_fold_filter_sort_export(content, live_server, page):
    sign_in(page, live_server, world.LAESER_A)
    open_page(page, live_server, f"/aktionsliste?cvr={world.CVR_A}")
    grid = page.locator("#aktionsliste-grid")
    grid.get_by_text("Afstemning af bankkonti").wait_for()
    assert "Ny lønart til tillæg" in grid.inner_text()
    assert "Lukket emne om kreditorer" not in grid.inner_text()
    assert "Overskredet" in grid.inner_text()
    assert _detail_count(page) == 0
    assert_no_serious_axe_violations(page)

    # Fold out and in with the mouse.
    toggle = grid.get_by_role("button", name=re.compile(f"aktion {content.actions['open_regnskab']}$"))
    toggle.click()
    page.locator(".aktion-detail").get_by_text("Afventer kontoudtog fra banken.").wait_for()
    assert toggle.get_attribute("aria-expanded") == "true"
    toggle = grid.get_by_role("button", name=re.compile(f"aktion {content.actions['open_regnskab']}$"))
    toggle.click()
    page.wait_for_function("() => document.querySelectorAll('.aktion-detail').length === 0")

    # And with the keyboard: Enter and Space on a focused cell of the item.
    grid.get_by_text("Ny lønart til tillæg").click()
    page.keyboard.press("Enter")
    page.locator(".aktion-detail").get_by_text("Lønart oprettes i næste lønkørsel.").wait_for()
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelectorAll('.aktion-detail').length === 0")

    # Udvid alle, then sort by Emne: every second line stays under its own item.
    page.get_by_role("button", name="Udvid alle").click()
    page.wait_for_function("() => document.querySelectorAll('.aktion-detail').length === 2")
    grid.get_by_role("columnheader", name="Emne").click()
    wait_for_dash(page)
    order = page.evaluate(
        """() => [...document.querySelectorAll('#aktionsliste-grid .ag-center-cols-container [row-index], '
                   + '#aktionsliste-grid .ag-full-width-container [row-index]')]
              .map(r => [Number(r.getAttribute('row-index')), r.getAttribute('row-id')])
              .sort((a, b) => a[0] - b[0]).map(r => r[1])"""
    )
    order = list(dict.fromkeys(order))
    assert [rid[0] for rid in order] == ["m", "d", "m", "d"]
    assert order[0][2:] == order[1][2:] and order[2][2:] == order[3][2:]
    # Folding all in and out again keeps the sort the user chose (the grid is not rebuilt).
    page.get_by_role("button", name="Fold alle sammen").click()
    page.wait_for_function("() => document.querySelectorAll('.aktion-detail').length === 0")
    page.get_by_role("button", name="Udvid alle").click()
    page.wait_for_function("() => document.querySelectorAll('.aktion-detail').length === 2")
    assert grid.get_by_role("columnheader", name="Emne").get_attribute("aria-sort") == "ascending"
    page.get_by_role("button", name="Fold alle sammen").wait_for()

    # Filters: Løn only; then Regnskab with closed items.
    page.get_by_label("Løn", exact=True).check()
    page.wait_for_function(
        "() => !document.querySelector('#aktionsliste-grid').innerText.includes('Afstemning af bankkonti')"
    )
    grid.get_by_text("Ny lønart til tillæg").wait_for()
    page.get_by_label("Regnskab", exact=True).check()
    page.get_by_label("Vis afsluttede").check()
    grid.get_by_text("Lukket emne om kreditorer").wait_for()

    with page.expect_download() as info:
        page.get_by_role("button", name="Eksportér CSV").click()
    with open(info.value.path(), encoding="utf-8-sig") as handle:
        body = handle.read()
    assert "Detaljeret status" in body and "Lukket emne om kreditorer" in body
    assert "Ny lønart til tillæg" not in body
    with page.expect_download() as info:
        page.get_by_role("button", name="Eksportér Excel").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    settle(page)
    assert_no_serious_axe_violations(page)


def test_drejeboeger_history_tabs_and_print(content, live_server, page):
    sign_in(page, live_server, world.LAESER_A)
    open_page(page, live_server, f"/drejeboeger?cvr={world.CVR_A}")
    body = page.locator("#drejeboeger-content")
    body.get_by_role("cell", name="Moms bogføres netto.").wait_for()
    assert "Seneste ændringer: 1. jun. 2023 kl. 12:15 (Bent Berg)" in body.inner_text()
    assert_no_serious_axe_violations(page)

    page.get_by_text("Se historik").click()
    diff = page.locator("#drejeboeger-diff")
    diff.get_by_text("Ændringer fra version 1 til version 2:").wait_for()
    assert "Tilføjet:" in diff.inner_text() and "Fjernet:" in diff.inner_text() and "Ændret:" in diff.inner_text()
    assert diff.locator("ins").count() > 0 and diff.locator("del").count() > 0
    settle(page)
    assert_no_serious_axe_violations(page)

    print_href = body.get_by_role("link", name=re.compile("^Udskriv")).get_attribute("href")
    assert "print=1" in print_href

    choose_tab(page, "Løn")
    body.get_by_role("link", name="mTime").click()
    page.wait_for_url(re.compile(r"afsnit=mTime"))
    page.locator("#drejeboeger-content").get_by_text("Registrering i mTime").wait_for()

    open_page(page, live_server, print_href)
    view = page.locator(".runbook-print-view")
    view.get_by_text("Periodisering").wait_for()
    assert not page.locator(".shell-header").is_visible() and not page.locator(".shell-navbar").is_visible()
    assert page.locator("#drejeboeger-tabs").count() == 0
    assert page.get_by_role("button", name="Udskriv").is_visible()
    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="Udskriv").is_visible()
    page.emulate_media(media="screen")
    assert_no_serious_axe_violations(page)
