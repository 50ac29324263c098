"""Headless Chromium on Rapporter: the table sorts and exports follow it, pickers follow the area, the chart, print."""

from __future__ import annotations

import csv
import io
import re

import openpyxl
import pytest

from tests import reports_world, world
from tests.browser.conftest import sign_in, wait_for_dash
from tests.kpi_world import PAY_A, UNIT_A, rec

pytestmark = pytest.mark.browser


@pytest.fixture
def ten_goals(live_app):
    """The report world plus the rest of the real catalogue, each goal with a case in the latest closed month."""
    from data.cases_import import import_case_records
    from data.db import get_session
    from data.models import ServiceGoal
    from data.rules import default_service_goals
    from sqlalchemy import select

    with live_app.app_context():
        session = get_session()
        reports_world.build(session)
        known = set(session.scalars(select(ServiceGoal.code)))
        specs = [spec for spec in default_service_goals() if spec["code"] not in known]
        session.add_all(ServiceGoal(**spec) for spec in specs)
        session.commit()
        day = reports_world.months()[0].replace(day=10).isoformat()
        extra = [rec(f"X-{spec['code']}", f"{day} 09:00", f"{day} 10:00", goal=spec["code"],
                     unit=PAY_A if spec["area"] in ("Løn", "Refusion") else UNIT_A) for spec in specs]
        extra += [rec(f"X-{code}", f"{day} 09:00", f"{day} 10:00", goal=code) for code in ("A5", "R1")]
        report = import_case_records(session, extra)
        assert report.ok, report.summary_lines()
        return len(known | {s["code"] for s in specs})


ROWS = "#rapporter-kpi-table tbody tr"


def open_dashboard(page, live_server) -> None:
    sign_in(page, live_server, world.RAPPORTER_A)
    page.goto(f"{live_server}/rapporter?cvr={world.CVR_A}")
    page.get_by_role("heading", name="KPI-oversigt").wait_for()
    page.locator(ROWS).first.wait_for()
    # The chart is drawn when it comes near the view (pages/_lazy.py).
    page.locator("#rapporter-chart-box").scroll_into_view_if_needed()
    page.locator("#rapporter-chart .main-svg").first.wait_for()
    wait_for_dash(page)


def open_in_a_short_window(page, live_server) -> None:
    """Open Rapporter as RAPPORTER_A in a window so short that the chart's spot is below the fold."""
    page.set_viewport_size({"width": 1366, "height": 300})
    sign_in(page, live_server, world.RAPPORTER_A)
    page.goto(f"{live_server}/rapporter?cvr={world.CVR_A}")
    page.locator(ROWS).first.wait_for()
    wait_for_dash(page)


def test_chart_and_histogram_wait_until_scrolled_to(ten_goals, live_server, page):
    """On load only the table is drawn (plotly is not even loaded); scrolling down draws chart and histogram."""
    # A short window: the test world's ten goals make a short table, and the chart sits right below it.
    open_in_a_short_window(page, live_server)
    assert page.evaluate("() => document.querySelector('[data-lazy]').getBoundingClientRect().top") > 450
    assert page.locator(".js-plotly-plot").count() == 0
    assert page.evaluate("() => typeof window.Plotly") == "undefined"
    page.locator("#rapporter-histogram-box").scroll_into_view_if_needed()
    page.locator("#rapporter-chart .main-svg .scatterlayer .trace").first.wait_for(state="attached")
    page.locator("#rapporter-histogram .main-svg .barlayer").first.wait_for(state="attached")
    assert page.js_errors == []


def shown_codes(page) -> list[str]:
    return page.eval_on_selector_all(ROWS, "rows => rows.map(r => r.querySelector('[data-field=code]').innerText.trim())")


def header(page, name: str):
    """Return the KPI table's column header whose sort button is named `name`."""
    return page.locator("#rapporter-kpi-table thead th", has=page.get_by_role("button", name=name, exact=True))


def options_of(page, dropdown_id: str) -> list[str]:
    """Open a Dash 4 dropdown, return its option labels and close it again."""
    page.click(f"#{dropdown_id}")
    popover = page.locator(".dash-dropdown-content[data-state=open]")
    popover.get_by_role("option").first.wait_for()
    labels = [t.strip() for t in popover.get_by_role("option").all_inner_texts()]
    page.keyboard.press("Escape")
    return labels


def choose(page, dropdown_id: str, option_text: str) -> None:
    page.click(f"#{dropdown_id}")
    popover = page.locator(".dash-dropdown-content[data-state=open]")
    popover.get_by_role("option", name=re.compile(rf"^{re.escape(option_text)}$")).click()
    page.keyboard.press("Escape")
    wait_for_dash(page)


def test_a_header_sorts_the_table_and_the_exports_follow_it(ten_goals, live_server, page):
    open_dashboard(page, live_server)
    report_order = shown_codes(page)
    assert len(report_order) == ten_goals
    # A click on Mål: ascending, the header says so to screen readers; a second click: descending.
    page.get_by_role("button", name="Mål", exact=True).click()
    page.wait_for_function("() => document.querySelector('#rapporter-kpi-table th[aria-sort]')")
    wait_for_dash(page)
    assert header(page, "Mål").get_attribute("aria-sort") == "ascending"
    ascending = shown_codes(page)
    assert ascending == sorted(report_order, key=lambda code: (code.rstrip("0123456789"), int(code[-1])))
    # From the keyboard as well: the header's button takes Enter.
    page.get_by_role("button", name="Mål", exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#rapporter-kpi-table th[aria-sort=descending]')")
    wait_for_dash(page)
    assert shown_codes(page) == ascending[::-1]
    with page.expect_download() as info:
        page.get_by_role("button", name="Eksportér CSV").click()
    with open(info.value.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read()), delimiter=";"))
    assert [r["Mål"] for r in rows] == ascending[::-1]

    # Another column, and the Excel file in the same order; the area filter keeps the sort.
    choose(page, "rapporter-area", "Løn")
    page.wait_for_function(f"() => document.querySelectorAll('{ROWS}').length === 3")
    assert shown_codes(page) == ["L3", "L2", "L1"]
    page.get_by_role("button", name="Antal - år til seneste afsluttede måned", exact=True).click()
    page.wait_for_function("() => document.querySelector('#rapporter-kpi-table th[aria-sort=ascending]')")
    wait_for_dash(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Eksportér Excel").click()
    with open(info.value.path(), "rb") as handle:
        sheet = openpyxl.load_workbook(io.BytesIO(handle.read())).active
    assert [row[0].value for row in sheet.iter_rows(min_row=2)] == shown_codes(page)
    assert sorted(shown_codes(page)) == ["L1", "L2", "L3"]
    assert page.js_errors == []


def test_pickers_follow_the_area_and_a_row_click_picks_the_goal(ten_goals, live_server, page):
    open_dashboard(page, live_server)
    assert "A1 – Kreditortransaktioner" in options_of(page, "rapporter-goal")
    choose(page, "rapporter-area", "Løn")
    page.wait_for_function("() => document.querySelector('#rapporter-goal').innerText.includes('L1')")
    assert options_of(page, "rapporter-goal") == ["L1 – Lønindberetninger", "L2 – Ansættelser og fratrædelser",
                                                  "L3 – Lønafstemning"]
    assert [o.split(" – ")[0] for o in options_of(page, "rapporter-unit")] == ["Alle", PAY_A]
    # A click on a goal's code in the KPI table picks that goal for the histogram and the drill-through.
    page.locator(ROWS).get_by_role("button", name="L3", exact=True).click()
    page.wait_for_function("() => document.querySelector('#rapporter-goal').innerText.includes('L3')")
    wait_for_dash(page)
    # Back on every area, a Løn goal the user chose stays.
    choose(page, "rapporter-area", "Alle områder")
    assert "L3 – Lønafstemning" in page.locator("#rapporter-goal").inner_text()
    assert "10001" in " ".join(options_of(page, "rapporter-unit"))
    assert page.js_errors == []


def chart_boxes(page) -> dict:
    return page.evaluate("""() => {
        const gd = document.querySelector('#rapporter-chart .js-plotly-plot');
        const box = el => { const r = el.getBoundingClientRect();
                            return {l: r.left, r: r.right, t: r.top, b: r.bottom}; };
        const shown = el => getComputedStyle(el).display !== 'none';
        return {svg: box(gd.querySelector('.main-svg')), plot: box(gd.querySelector('.cartesianlayer .bg, .nsewdrag')),
                ticks: [...gd.querySelectorAll('.xtick text')].map(box),
                grey: [...gd.querySelectorAll('.scatterlayer [class*="tracecontext-"]')].filter(shown).length,
                traces: [...gd.querySelectorAll('.scatterlayer .trace')].filter(shown).length,
                legend: gd.querySelectorAll('.legend .traces').length,
                title: (gd.querySelector('.gtitle') || {}).textContent,
                labels: [...gd.querySelectorAll('.annotation-text')].map(e => e.textContent)};
    }""")


def test_chart_on_a_phone_shows_one_goal_at_a_time(ten_goals, live_server, page):
    page.set_viewport_size({"width": 390, "height": 844})
    open_dashboard(page, live_server)
    page.locator("#rapporter-chart").scroll_into_view_if_needed()
    boxes = chart_boxes(page)
    svg, ticks = boxes["svg"], boxes["ticks"]
    # The chosen goal and its target line only: the grey goals behind it are left out on a phone.
    assert boxes["grey"] == 0 and boxes["traces"] == 2 and boxes["legend"] == 0
    assert boxes["labels"] == ["Servicemål 95,0 %"] and boxes["title"].startswith("A1 ")
    assert ticks, "no month labels"
    for tick in ticks:  # every month label inside the chart, none cut
        assert svg["l"] <= tick["l"] and tick["r"] <= svg["r"] and tick["b"] <= svg["b"]
    for left, right in zip(ticks, ticks[1:]):  # and none on top of the next
        assert left["r"] <= right["l"] + 1
    assert boxes["plot"]["b"] - boxes["plot"]["t"] > 150
    assert page.js_errors == []


def test_chart_on_a_desktop_shows_the_others_grey_and_a_row_click_colours_its_goal(ten_goals, live_server, page):
    open_dashboard(page, live_server)
    boxes = chart_boxes(page)
    assert boxes["grey"] == ten_goals - 1 and boxes["title"].startswith("A1 ")
    page.locator(ROWS).get_by_role("button", name="L1", exact=True).click()
    page.wait_for_function("""() => (document.querySelector('#rapporter-chart .gtitle') || {}).textContent
        ?.startsWith('L1 ')""")
    assert chart_boxes(page)["labels"] == ["Servicemål 98,0 %"]
    assert page.js_errors == []


def test_a_figure_opens_its_cases_in_a_grid_and_the_cross_closes_it(ten_goals, live_server, page):
    open_dashboard(page, live_server)
    last = reports_world.months()[0]
    page.get_by_role("button", name="Vis tallene bag grafen som tabel").click()
    page.locator(f"#rapporter-chart-table button[title*='A1']").last.click()
    modal = page.get_by_role("dialog")
    modal.wait_for()
    modal.locator("#rapporter-drill-grid .ag-center-cols-container [role=row]").first.wait_for()
    refs = sorted(t.strip() for t in modal.locator(
        "#rapporter-drill-grid .ag-center-cols-container [col-id=case_ref]").all_inner_texts())
    assert refs == ["A-1", "A-2", "A-3", "A-4", "A-5"]
    assert "sager afsluttet i måneden" in modal.inner_text()
    with page.expect_download() as download:
        modal.get_by_role("button", name="Eksportér CSV").click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Nr.;Sagsreference")
    assert f"Sager_A1_{last:%Y-%m}" in download.value.suggested_filename
    modal.get_by_role("button", name="Luk").click()
    modal.wait_for(state="hidden")
    assert page.js_errors == []


def stub_print(page) -> None:
    """Replace the print dialog by a note of what the page had drawn when the dialog would have opened."""
    page.evaluate("""() => { window.__printed = null; window.print = () => { window.__printed = {
        chart: document.querySelectorAll('#rapporter-chart .main-svg .scatterlayer .trace').length,
        histogram: document.querySelectorAll('#rapporter-histogram .main-svg .barlayer .trace').length}; }; }""")


def print_with_udskriv(page) -> dict:
    """Click »Udskriv« and return what was drawn when the (stubbed) print dialog opened."""
    page.get_by_role("button", name="Udskriv").click()
    page.wait_for_function("() => window.__printed !== null")
    return page.evaluate("() => window.__printed")


def test_udskriv_draws_the_chart_and_histogram_before_the_print_dialog(ten_goals, live_server, page):
    """Below the fold and not drawn yet, or on their way: »Udskriv« opens the print dialog once both are drawn."""
    open_in_a_short_window(page, live_server)
    assert page.locator(".js-plotly-plot").count() == 0
    stub_print(page)
    # The chosen goal, its target line and every other goal in grey; the histogram's bars.
    assert print_with_udskriv(page) == {"chart": ten_goals + 1, "histogram": 1}
    # A taller window: the chart's spot is in view on load, so lazy.js has fired it and has nothing left to
    # fire. Its answers are held back until after the click: the dialog waits for them all the same.
    held = []
    page.route("**/_dash-update-component?*", lambda route: held.append(route) if re.search(
        rb"rapporter-(chart|histogram)-box", route.request.post_data_buffer or b"") else route.continue_())
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server}/rapporter?cvr={world.CVR_A}")
    for _ in range(200):
        if len(held) == 2:
            break
        page.wait_for_timeout(50)
    assert len(held) == 2
    stub_print(page)
    page.get_by_role("button", name="Udskriv").click()
    # Well past the moment a dialog that did not wait would have opened (and within lazy.js's 5 s limit).
    page.wait_for_timeout(600)
    assert page.evaluate("() => window.__printed") is None
    for route in held:
        route.continue_()
    page.wait_for_function("() => window.__printed !== null")
    assert page.evaluate("() => window.__printed") == {"chart": ten_goals + 1, "histogram": 1}
    assert page.js_errors == []


def test_printout_names_customer_and_filters_and_holds_every_row_in_landscape(ten_goals, live_server, page):
    """On paper: the customer and the chosen filters in words, no controls, every row, landscape."""
    open_dashboard(page, live_server)
    choose(page, "rapporter-area", "Løn")
    page.wait_for_function("() => document.querySelector('#rapporter-print-filters').textContent.includes('Løn')")
    customer, filters = page.locator(".rapporter-print-customer"), page.locator("#rapporter-print-filters")
    assert not customer.is_visible() and not filters.is_visible()
    page.emulate_media(media="print")
    assert customer.inner_text().startswith(f"Statens Administration · CVR-nr. {world.CVR_A} · udskrevet ")
    year = reports_world.months()[0].year
    assert filters.inner_text() == f"År: {year} · Område: Løn · Bogføringskreds / løngruppe: Alle"
    for control in (page.get_by_role("button", name="Udskriv"), page.get_by_role("button", name="Eksportér CSV"),
                    page.locator("#rapporter-area"), page.locator("#rapporter-goal"),
                    page.locator("label[for=rapporter-unit]")):
        assert not control.is_visible()
    # Every row of the table, whose scrolling box (on a phone) clips no column on paper.
    table = page.evaluate("""() => {
        const wrapper = document.querySelector('#rapporter-kpi-table .kpi-table-wrap');
        const rows = [...wrapper.querySelectorAll('tbody tr')];
        return {codes: rows.map(r => r.querySelector('[data-field=code]').innerText.trim()).sort(),
                overflow: getComputedStyle(wrapper).overflowX};
    }""")
    assert table == {"codes": ["L1", "L2", "L3"], "overflow": "visible"}
    # Chromium's own print path: the page asks for landscape paper (assets/rapporter.css).
    pdf = page.pdf(prefer_css_page_size=True)
    width, height = map(float, re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf).groups())
    assert width > height
    page.emulate_media(media="screen")
    assert page.js_errors == []
