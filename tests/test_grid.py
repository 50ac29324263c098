"""Tests for pages/_grid.py (AG Grid defaults in Danish) and pages/_export.py (the server-side exports)."""

from __future__ import annotations

import base64
import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from pathlib import Path

from pages import _export, _grid

ROOT = Path(__file__).resolve().parents[1]

COLUMNS = [("title", "Titel"), ("granted", "Givet"), ("count", "Antal"), ("active", "Aktiv")]


def _sheet(data: bytes):
    return load_workbook(io.BytesIO(data)).active


def test_grid_is_sortable_filterable_and_danish():
    component = _grid.grid("g", [{"id": 1, "title": "A"}], [("title", "Titel"), {"field": "x", "headerName": "X", "width": 90}],
                           row_id="id", csv_file_name="Dispensationer 33391005")
    props = component.to_plotly_json()["props"]
    assert props["columnDefs"] == [{"field": "title", "headerName": "Titel", "headerTooltip": "Titel"},
                                   {"field": "x", "headerName": "X", "width": 90, "headerTooltip": "X"}]
    assert props["defaultColDef"]["sortable"] is True and props["defaultColDef"]["filter"] is True
    assert props["dashGridOptions"]["localeText"]["noRowsToShow"] == "Ingen rækker at vise"
    assert props["dashGridOptions"]["localeText"]["contains"] == "Indeholder"
    assert props["getRowId"] == "params.data.id"
    assert props["csvExportParams"]["fileName"] == "Dispensationer_33391005.csv"
    assert props["csvExportParams"]["columnSeparator"] == ";"


def test_every_column_header_has_its_danish_name_as_tooltip_and_addresses_break_after_at_and_dots():
    props = _grid.grid("g", [], [("name", "Navn"), ("email", "E-mail"), ("shared_email", "Fællesmail"),
                                 {"field": "x", "headerName": "Kort", "headerTooltip": "Et længere navn"}],
                       phone_columns=["name"]).to_plotly_json()["props"]
    defs = {d["field"]: d for d in props["columnDefs"]}
    assert defs["name"]["headerTooltip"] == "Navn" and defs["email"]["headerTooltip"] == "E-mail"
    assert defs["x"]["headerTooltip"] == "Et længere navn"  # a page's own tooltip is kept
    # The renderer only marks break points (<wbr>) for display: the value, its copy and the CSV stay plain.
    assert defs["email"]["cellRenderer"] == defs["shared_email"]["cellRenderer"] == "PortalEmail"
    assert "cellRenderer" not in defs["name"]
    assert props["dashGridOptions"]["tooltipShowDelay"] <= 500
    js = (ROOT / "assets" / "grid.js").read_text(encoding="utf-8")
    assert "dagcomponentfuncs.PortalEmail" in js and '"wbr"' in js


def test_the_in_browser_csv_header_names_the_iso_date_format():
    props = _grid.grid("g", [], [("title", "Titel"), {"field": "d", "headerName": "Dato",
                                                      "valueFormatter": {"function": "daDate(params.value)"}}]
                       ).to_plotly_json()["props"]
    assert props["csvExportParams"]["processHeaderCallback"] == {"function": "csvHeader(params)"}
    assert props["columnDefs"][1]["context"] == {"isoDate": True} and "context" not in props["columnDefs"][0]
    js = (ROOT / "assets" / "grid.js").read_text(encoding="utf-8")
    start = js.index("dagfuncs.csvHeader")
    body = js[start:js.index("\n  };", start)]
    # The same words as the server's CSV (pages/_export.py) for a column shown with daDate.
    from pages._export import ISO_DATE_HEADER
    assert "isoDate" in body and f'"{ISO_DATE_HEADER}"' in body


def test_empty_grid_says_what_is_missing_in_plain_text():
    props = _grid.grid("g", [], [("title", "Titel")], no_rows="Ingen brugere endnu.").to_plotly_json()["props"]
    assert props["dashGridOptions"]["localeText"]["noRowsToShow"] == "Ingen brugere endnu."
    assert props["dashGridOptions"]["localeText"]["contains"] == "Indeholder"
    # dash-ag-grid refuses HTML overlay templates as code; the plain locale text is what shows.
    assert "overlayNoRowsTemplate" not in props["dashGridOptions"]
    assert _grid.LOCALE_TEXT_DA["noRowsToShow"] == "Ingen rækker at vise"


def test_every_user_facing_text_of_the_grid_bundle_is_danish():
    # ag-grid falls back to its English default for any key the locale lacks ("No Matching Rows").
    import re
    from pathlib import Path as _Path

    import dash_ag_grid

    bundle = (_Path(dash_ag_grid.__file__).parent / "dash_ag_grid.min.js").read_text(encoding="utf-8")
    texts = dict(re.findall(r'getLocaleTextFunc\(\)\("([a-zA-Z]+)","([^"]{1,80})"\)', bundle))
    words = {k: v for k, v in texts.items() if re.search(r"[A-Za-z]{2}", v) and not v.endswith("-icon")}
    assert "noMatchingRows" in words
    assert sorted(k for k in words if k not in _grid.LOCALE_TEXT_DA) == []


def test_grid_merges_options_and_paginates():
    component = _grid.grid("g", [], [("a", "A")], page_size=20, dashGridOptions={"rowHeight": 40}, defaultColDef={"flex": 2})
    props = component.to_plotly_json()["props"]
    assert props["dashGridOptions"]["pagination"] is True
    assert props["dashGridOptions"]["paginationPageSize"] == 20
    assert props["dashGridOptions"]["rowHeight"] == 40
    assert props["dashGridOptions"]["localeText"]  # kept
    assert props["defaultColDef"]["flex"] == 2 and props["defaultColDef"]["sortable"] is True


@pytest.mark.parametrize("row_id", ["id; alert(1)", "a.b", "1x", ""])
def test_grid_refuses_row_id_that_is_not_a_field_name(row_id):
    if row_id == "":
        # An empty row_id means "no row id".
        assert "getRowId" not in _grid.grid("g", [], [("a", "A")], row_id=row_id).to_plotly_json()["props"]
        return
    with pytest.raises(ValueError):
        _grid.grid("g", [], [("a", "A")], row_id=row_id)


def test_buttons_have_danish_labels():
    assert _grid.csv_export_button("b").children == "Eksportér CSV"
    assert _grid.xlsx_export_button("x").children == "Eksportér Excel"
    bar = _grid.export_bar(_grid.csv_export_button("b"), download_id="dl")
    assert [getattr(c, "id", None) for c in bar.children] == ["b", "dl"]


def test_xlsx_bytes_types_and_header():
    rows = [
        {"title": "Dispensation for bilag", "granted": dt.date(2022, 2, 8), "count": 3, "active": True},
        {"title": "Æble, øl og å", "granted": None, "count": Decimal("2.5"), "active": False},
    ]
    sheet = _sheet(_export.xlsx_bytes(rows, COLUMNS, "Dispensationer"))
    assert sheet.title == "Dispensationer"
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("Titel", "Givet", "Antal", "Aktiv")
    assert values[1] == ("Dispensation for bilag", dt.datetime(2022, 2, 8), 3, "Ja")
    assert values[2] == ("Æble, øl og å", None, 2.5, "Nej")
    assert sheet["B2"].number_format == "d. mmm. yyyy"
    assert sheet.freeze_panes == "A2"


def test_xlsx_datetime_in_danish_local_time():
    rows = [{"title": "x", "granted": dt.datetime(2022, 2, 8, 14, 28, tzinfo=dt.timezone.utc)}]
    sheet = _sheet(_export.xlsx_bytes(rows, [("title", "T"), ("granted", "G")]))
    assert sheet["B2"].value == dt.datetime(2022, 2, 8, 15, 28)


@pytest.mark.parametrize("evil", ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0"])
def test_xlsx_text_is_never_a_formula(evil):
    data = _export.xlsx_bytes([{"title": evil}], [("title", "Titel")])
    cell = _sheet(data)["A2"]
    assert cell.data_type == "s"
    assert cell.value == "'" + evil



def test_xlsx_empty_rows_still_has_header():
    sheet = _sheet(_export.xlsx_bytes([], COLUMNS, "Tom"))
    assert [c.value for c in sheet[1]] == ["Titel", "Givet", "Antal", "Aktiv"]
    assert sheet.max_row == 1


@pytest.mark.parametrize("name,expected", [
    ("Dispensationer", "Dispensationer"),
    ("a/b\\c[d]:e*f?g", "a b c d  e f g"),
    ("x" * 40, "x" * 31),
    ("", "Data"),
    ("'quoted'", "quoted"),
])
def test_safe_sheet_name(name, expected):
    assert _export.safe_sheet_name(name) == expected


@pytest.mark.parametrize("name,expected", [
    ("Kundeaftale_33391005_2022-02-08", "Kundeaftale_33391005_2022-02-08.xlsx"),
    ("../../etc/passwd", "etc_passwd.xlsx"),
    ("Tilkøb 2024", "Tilkøb_2024.xlsx"),
    ("", "eksport.xlsx"),
    ("x.xlsx", "x.xlsx"),
    ("a\r\nContent-Type: evil", "a_Content-Type_evil.xlsx"),
])
def test_safe_file_name(name, expected):
    assert _export.safe_file_name(name, ".xlsx") == expected


def test_visible_rows_uses_only_server_rows_in_grid_order():
    server = [{"id": 1, "t": "a"}, {"id": 2, "t": "b"}, {"id": 3, "t": "c"}]
    sent = [{"id": 3, "t": "FORGED"}, {"id": 99, "t": "other customer"}, "junk", {"id": 1}, {"id": 3}]
    assert _grid.visible_rows(server, sent) == [{"id": 3, "t": "c"}, {"id": 1, "t": "a"}]
    assert _grid.visible_rows(server, None) == server
    assert _grid.visible_rows(server, {"id": 1}) == server
    assert _grid.visible_rows(server, []) == []


def test_send_xlsx_returns_download_dict():
    sent = _export.send_xlsx([{"title": "a"}], [("title", "Titel")], "Ark", "Tilkøb_33391005")
    assert sent["filename"] == "Tilkøb_33391005.xlsx"
    assert sent["type"] == _export.XLSX_MIMETYPE
    assert sent["base64"] is True
    assert _sheet(base64.b64decode(sent["content"]))["A2"].value == "a"


def test_export_file_name():
    assert _export.export_file_name("Dispensationer", "33391005", dt.date(2024, 5, 1)) == "Dispensationer_33391005_2024-05-01"
    assert _export.export_file_name("Tilkøb", None, dt.date(2024, 5, 1)) == "Tilkøb_2024-05-01"


def test_in_grid_csv_export_neutralises_formulas():
    from pathlib import Path

    from pages._grid import CSV_CELL_GUARD, grid

    params = grid("t-grid", [], [("a", "A")]).csvExportParams
    assert params["processCellCallback"] == {"function": CSV_CELL_GUARD}
    # The browser side of the guard lives in the assets Dash serves with every page.
    script = (Path(__file__).parents[1] / "assets" / "grid.js").read_text(encoding="utf-8")
    assert "dagfuncs.csvSafeCell" in script and '"="' in script and '"@"' in script


def test_csv_is_the_danish_excel_dialect():
    from pages._export import csv_text

    text = csv_text([{"a": 80.0, "b": 12, "c": True, "d": "=SUM(A1)", "e": None, "f": float("nan")}],
                    [("a", "Mål %"), ("b", "Antal"), ("c", "Overholdt"), ("d", "Tekst"), ("e", "Tom"), ("f", "NaN")])
    header, row = text.splitlines()
    assert header == "Mål %;Antal;Overholdt;Tekst;Tom;NaN"
    assert row == "80,0;12;Ja;'=SUM(A1);;"


def test_server_csv_cells_in_the_danish_dialect():
    """Server CSV: decimal comma, Danish dates, Ja/Nej, and text that can never run as a formula."""
    import datetime as dt

    from pages._export import csv_text

    columns = [("text", "Tekst"), ("pct", "Pct"), ("day", "Dag"), ("at", "Tid"), ("flag", "Flag"), ("n", "Antal")]
    row = {"text": "@SUM(A1)", "pct": 80.0, "day": dt.date(2024, 2, 8),
           "at": dt.datetime(2024, 2, 8, 14, 28, tzinfo=dt.timezone.utc), "flag": True, "n": -3}
    header, line = csv_text([row], columns).splitlines()
    assert header == "Tekst;Pct;Dag (ÅÅÅÅ-MM-DD);Tid (ISO 8601);Flag;Antal"
    assert line == "'@SUM(A1);80,0;2024-02-08;2024-02-08T15:28:00+01:00;Ja;-3"


@pytest.mark.parametrize("evil", [" =1+1", "\n=1+1", "\u00a0@SUM(A1)", "\ufeff=HYPERLINK(\"x\")", "\u200b+1", "  -2+3"])
def test_formula_after_leading_blanks_is_text_too(evil):
    from pages._export import safe_cell_text

    assert safe_cell_text(evil) == "'" + evil


def test_xlsx_missing_figures_are_empty_cells():
    data = _export.xlsx_bytes([{"a": float("nan"), "b": float("inf"), "c": 1.5}], [("a", "A"), ("b", "B"), ("c", "C")])
    row = [cell.value for cell in _sheet(data)[2]]
    assert row == [None, None, 1.5]


def test_grid_dates_are_shown_as_da_date_shows_them():
    """The grid's date formatter (assets/grid.js) uses Babel's Danish month abbreviations, as da_date does."""
    import datetime as dt
    import json
    import re
    from pathlib import Path

    from core.formatting import da_date

    script = (Path(__file__).parents[1] / "assets" / "grid.js").read_text(encoding="utf-8")
    months = json.loads(re.search(r"var MONTHS = (\[[^\]]*\]);", script).group(1))
    assert [f"1. {m} 2026" for m in months] == [da_date(dt.date(2026, n, 1)) for n in range(1, 13)]
    assert "dagfuncs.daDate" in script


def test_grid_view_applies_the_grids_text_filters_and_sort_to_server_rows():
    server = [{"id": 1, "t": "Beta", "n": 2}, {"id": 2, "t": "alfa", "n": 10}, {"id": 3, "t": None, "n": 2.0}]

    def ids(filters=None, sort=None, columns=("id", "t", "n")):
        return [r["id"] for r in _grid.grid_view(server, filters, sort, columns)]

    assert ids() == [1, 2, 3]
    assert ids({"t": {"filterType": "text", "type": "contains", "filter": "A"}}) == [1, 2]
    assert ids({"t": {"filterType": "text", "type": "startsWith", "filter": "b"}}) == [1]
    assert ids({"t": {"type": "blank"}}) == [3]
    assert ids({"n": {"type": "equals", "filter": "2"}}) == [1, 3]  # 2.0 reads as "2", as in JavaScript
    either = {"operator": "OR", "conditions": [{"type": "equals", "filter": "alfa"}, {"type": "blank"}]}
    assert ids({"t": either}) == [2, 3]
    assert ids(sort=[{"colId": "t", "sort": "asc"}]) == [3, 1, 2]  # empty first, then by code point
    assert ids(sort=[{"colId": "n", "sort": "desc", "sortIndex": 0}, {"colId": "id", "sort": "desc", "sortIndex": 1}]) \
        == [2, 3, 1]
    # Columns the grid does not have, and malformed models, filter and sort nothing.
    assert ids({"secret": {"type": "equals", "filter": "x"}}, [{"colId": "secret", "sort": "asc"}]) == [1, 2, 3]
    assert ids({"t": {"type": "evil", "filter": "x"}, "n": "junk"}, {"colId": "t"}) == [1, 2, 3]
    assert ids(["t"], ["junk", {"colId": "t", "sort": "sideways"}]) == [1, 2, 3]
    assert ids({"t": {"type": "contains", "filter": "a"}}, columns=("id",)) == [1, 2, 3]


def test_no_server_callback_takes_rows_from_the_client(app, client, laeser_a):
    # A grid's rows can be megabytes: exports read the grid's filter and sort model and re-read the data.
    client.get("/_dash-dependencies")
    dash_app = app.extensions["dash_app"]
    for output, spec in dash_app.callback_map.items():
        if not callable(spec.get("callback")):
            continue
        for dep in [*spec.get("inputs", []), *spec.get("state", [])]:
            assert dep.get("property") not in ("rowData", "virtualRowData"), (output, dep)
def test_phone_columns_mark_the_phones_set_and_keep_the_desktop_columns():
    component = _grid.grid("g", [], [("a", "A"), ("b", "B"), {"field": "c", "headerName": "C", "minWidth": 200}],
                           phone_columns=["c", ("a", {"minWidth": 80})])
    props = component.to_plotly_json()["props"]
    defs = props["columnDefs"]
    # Every desktop column stays, in its order; the phone's are marked with their rank and overrides.
    assert [d["field"] for d in defs] == ["a", "b", "c"]
    assert defs[0]["context"] == {"phone": {"rank": 1, "overrides": {"minWidth": 80}}}
    assert "context" not in defs[1]
    assert defs[2]["context"] == {"phone": {"rank": 0, "overrides": {}}} and defs[2]["minWidth"] == 200
    assert props["eventListeners"] == {event: ["portalPhoneColumns(params)"] for event in _grid.PHONE_COLUMN_EVENTS}
    # The CSV export names every desktop column, also from a phone's narrower set.
    assert props["csvExportParams"]["columnKeys"] == ["a", "b", "c"]


def test_phone_columns_must_name_the_grids_fields():
    with pytest.raises(ValueError):
        _grid.grid("g", [], [("a", "A")], phone_columns=["nope"])


def test_a_grid_without_phone_columns_is_unchanged():
    props = _grid.grid("g", [], [("a", "A")]).to_plotly_json()["props"]
    assert "eventListeners" not in props and "columnKeys" not in props["csvExportParams"]
