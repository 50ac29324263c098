"""Headless Chromium on Information and Rapporter: periods, year and filters, exports and drill-through."""

from __future__ import annotations

import csv
import io
import re

import pytest

from data.rules import add_months
from core.formatting import da_month
from tests import reports_world, world
from tests.browser.conftest import assert_no_serious_axe_violations, sign_in, wait_for_dash
from tests.kpi_world import rec

pytestmark = pytest.mark.browser


@pytest.fixture
def report_cases(live_app):
    """The report world plus one A1 case of CVR A in January of the year before the latest closed month."""
    from data.cases_import import import_case_records
    from data.db import get_session

    with live_app.app_context():
        session = get_session()
        reports_world.build(session)
        year_before = reports_world.months()[0].year - 1
        report = import_case_records(session, [rec("A-OLD", f"{year_before}-01-12 10:00", f"{year_before}-01-12 11:00")])
        assert report.ok, report.summary_lines()
        return year_before


def choose(page, dropdown_id: str, option_text: str) -> None:
    """Open a Dash 4 dropdown and click the option whose label is exactly `option_text`."""
    page.click(f"#{dropdown_id}")
    popover = page.locator(".dash-dropdown-content[data-state=open]")
    popover.get_by_role("option", name=re.compile(rf"^{re.escape(option_text)}$")).click()
    page.keyboard.press("Escape")
    wait_for_dash(page)


def kpi_row(page, code: str):
    """Return the KPI table's row of goal `code`."""
    return page.locator(f"#rapporter-kpi-table tbody tr[data-code='{code}']")


def cell(page, code: str, field: str) -> str:
    """Return the text of column `field` in the KPI table's row of goal `code`."""
    return kpi_row(page, code).locator(f"[data-field={field}]").inner_text().strip()


def test_information_period_export_and_print(report_cases, live_server, page):
    last, prev, _ = reports_world.months()
    sign_in(page, live_server, world.LAESER_A)
    page.goto(f"{live_server}/information?cvr={world.CVR_A}")
    report = page.locator("#information-report")
    report.get_by_role("cell", name="A1 Kreditortransaktioner").wait_for()
    header = report.locator("thead").inner_text()
    assert da_month(last).capitalize() in header and da_month(add_months(last, -2)).capitalize() in header
    a1 = report.locator("tr", has_text="A1 Kreditortransaktioner").inner_text()
    # Latest closed month: 4 of 5 A1 cases met against a 95 % target, marked without relying on colour.
    assert "80,0 %" in a1 and "✗" in a1
    # Each trend chart's figures unfold as a table, reachable and scrollable from the keyboard. The charts
    # above the button are drawn once scrolled to: let them arrive first, so the click does not race the
    # button moving down under them (the click was lost once in a full run under load).
    toggle = page.get_by_role("button", name="Vis tallene bag grafen som tabel")
    toggle.scroll_into_view_if_needed()
    page.locator("#information-trends .js-plotly-plot").first.wait_for()
    wait_for_dash(page)
    toggle.click()
    regnskab = page.get_by_role("region", name="Målopfyldelse for Regnskab pr. måned (–: ingen sager)")
    assert "80,0 %" in regnskab.get_by_role("row", name=re.compile("^A1")).inner_text()
    wait_for_dash(page)
    assert_no_serious_axe_violations(page)

    choose(page, "information-period", da_month(prev).capitalize())
    page.wait_for_function(
        "(m) => !document.querySelector('#information-report thead').innerText.includes(m)",
        arg=da_month(last).capitalize(),
    )
    assert "80,0 %" not in report.inner_text()
    assert "100,0 %" in report.locator("tr", has_text="A1 Kreditortransaktioner").inner_text()

    with page.expect_download() as info:
        page.get_by_role("button", name="Eksportér CSV").click()
    with open(info.value.path(), encoding="utf-8-sig") as handle:
        body = handle.read()
    assert "Kreditortransaktioner" in body and f"{da_month(prev)} (%)" in body and ";100,0" in body
    assert f"{da_month(last)} (%)" not in body

    page.emulate_media(media="print")
    assert not page.get_by_role("button", name="Udskriv").is_visible()
    assert report.is_visible() and not page.locator(".shell-navbar").is_visible()
    # The figures that are buttons on screen (they open their cases) are printed as text.
    printed = report.locator("tr", has_text="A1 Kreditortransaktioner")
    assert "100,0 %" in printed.inner_text() and printed.locator(".kpi-drill").first.is_visible()
    page.emulate_media(media="screen")
    assert page.js_errors == []


def test_information_trends_are_drawn_when_scrolled_to_or_printed(report_cases, live_server, page):
    """The report is drawn on load; the trend charts below it when they come into view, or before printing."""
    page.set_viewport_size({"width": 1366, "height": 300})
    sign_in(page, live_server, world.LAESER_A)
    page.goto(f"{live_server}/information?cvr={world.CVR_A}")
    page.locator("#information-report").get_by_role("cell", name="A1 Kreditortransaktioner").wait_for()
    wait_for_dash(page)
    assert page.evaluate("() => document.querySelector('[data-lazy]').getBoundingClientRect().top") > 450
    assert page.locator("#information-trends .js-plotly-plot").count() == 0
    # »Udskriv« draws the waiting charts first, then opens the print dialog (stubbed: it counts the charts).
    page.evaluate("""() => { window.__printed = -1; window.print = () => {
        window.__printed = document.querySelectorAll('#information-trends .js-plotly-plot').length; }; }""")
    page.get_by_role("button", name="Udskriv").click()
    page.wait_for_function("() => window.__printed >= 0")
    assert page.evaluate("() => window.__printed") == 2
    # A new visit: scrolling down draws them too.
    page.goto(f"{live_server}/information?cvr={world.CVR_A}")
    page.locator("#information-report").get_by_role("cell", name="A1 Kreditortransaktioner").wait_for()
    page.locator("#information-trends").scroll_into_view_if_needed()
    page.locator("#information-trends .main-svg .scatterlayer").first.wait_for()
    assert page.js_errors == []


def test_rapporter_year_filters_drill_through_and_export(report_cases, live_server, page):
    last, prev, _ = reports_world.months()
    a1_handled = 5 + (1 if prev.year == last.year else 0)
    sign_in(page, live_server, world.RAPPORTER_A)
    page.goto(f"{live_server}/rapporter?cvr={world.CVR_A}")
    page.get_by_role("heading", name="KPI-oversigt").wait_for()
    kpi_row(page, "A1").wait_for()
    assert cell(page, "A1", "handled") == str(a1_handled)
    assert cell(page, "A1", "not_met") == "1"
    assert cell(page, "L1", "ytd_text").startswith("100,0 %")
    page.locator("#rapporter-chart-box").scroll_into_view_if_needed()
    page.locator("#rapporter-chart .main-svg").first.wait_for()
    # The chart's figures unfold as a table (its text alternative).
    page.get_by_text("Vis tallene bag grafen som tabel").click()
    page.locator("#rapporter-chart-table table").get_by_role("rowheader", name="A1").first.wait_for()
    wait_for_dash(page)
    assert_no_serious_axe_violations(page)

    # Area Løn: only the payroll goal is left.
    choose(page, "rapporter-area", "Løn")
    kpi_row(page, "A1").wait_for(state="detached")
    assert cell(page, "L1", "handled") == "2"
    choose(page, "rapporter-area", "Alle områder")
    # One bogføringskreds: the single A1 case on 10002.
    choose(page, "rapporter-unit", "10002 – SA Projekter")
    page.wait_for_function(
        "() => { const c = document.querySelector('#rapporter-kpi-table tr[data-code=A1] [data-field=handled]');"
        " return c && c.innerText.trim() === '1'; }"
    )
    assert cell(page, "A1", "handled") == "1"
    choose(page, "rapporter-unit", "Alle")

    # Drill-through: the cases behind A1 in the latest closed month, every one of them and no other.
    choose(page, "rapporter-drill-month", da_month(last).capitalize())
    with page.expect_download() as info:
        page.get_by_role("button", name="Hent sager (CSV)").click()
    with open(info.value.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read()), delimiter=";"))
    assert sorted(r["Sagsreference"] for r in rows) == ["A-1", "A-2", "A-3", "A-4", "A-5"]
    assert sum(r["Overholdt"] == "Ja" for r in rows) == 4

    # The year before: only the January case counts.
    choose(page, "rapporter-year", str(report_cases))
    page.wait_for_function(
        "() => { const c = document.querySelector('#rapporter-kpi-table tr[data-code=A1] [data-field=handled]');"
        " return c && c.innerText.trim() === '1'; }"
    )
    assert cell(page, "A1", "handled") == "1"
    assert cell(page, "A1", "ytd_text").startswith("100,0 %")

    with page.expect_download() as info:
        page.get_by_role("button", name="Eksportér CSV").click()
    with open(info.value.path(), encoding="utf-8-sig") as handle:
        body = handle.read()
    assert "Kreditortransaktioner" in body and "B-0" not in body
    with page.expect_download() as info:
        page.get_by_role("button", name="Eksportér Excel").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    assert page.js_errors == []


def test_information_figure_opens_its_cases_in_a_grid(report_cases, live_server, page):
    """A figure of the Servicemålsrapport is a button: it opens the cases behind it; the × (Luk) closes them."""
    last, _, _ = reports_world.months()
    sign_in(page, live_server, world.LAESER_A)
    page.goto(f"{live_server}/information?cvr={world.CVR_A}")
    report = page.locator("#information-report")
    report.get_by_role("cell", name="A1 Kreditortransaktioner").wait_for()
    # The marks are coloured and also spoken.
    colour = page.evaluate("() => getComputedStyle(document.querySelector('.kpi-missed .kpi-mark')).color")
    assert colour == "rgb(176, 42, 55)"
    report.locator("tr", has_text="A1 Kreditortransaktioner").get_by_role("button", name=re.compile("80,0 %")).click()
    modal = page.get_by_role("dialog")
    modal.locator("#information-drill-grid .ag-center-cols-container [role=row]").first.wait_for()
    refs = sorted(t.strip() for t in modal.locator(
        "#information-drill-grid .ag-center-cols-container [col-id=case_ref]").all_inner_texts())
    assert refs == ["A-1", "A-2", "A-3", "A-4", "A-5"]
    assert f"{da_month(last)}" in modal.get_by_role("heading").inner_text()
    wait_for_dash(page)
    assert_no_serious_axe_violations(page)
    modal.get_by_role("button", name="Luk").click()
    modal.wait_for(state="hidden")
    assert page.js_errors == []
