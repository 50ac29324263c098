"""Rapporter's KPI table as pure functions: the sort cycle, the browser-sent sort checked, the orders."""

import pytest

from pages._kpi_table import KPI_COLUMNS, MEDIAN_COLUMN, _code_key, _DANISH_ORDER, checked_sort, next_sort, sort_rows


def test_a_header_cycles_ascending_descending_report_order():
    assert next_sort({}, "code") == {"field": "code", "dir": "asc"}
    assert next_sort({"field": "code", "dir": "asc"}, "code") == {"field": "code", "dir": "desc"}
    assert next_sort({"field": "code", "dir": "desc"}, "code") == {}
    assert next_sort({"field": "code", "dir": "desc"}, "handled") == {"field": "handled", "dir": "asc"}


@pytest.mark.parametrize("value", [None, "code", ["code", "asc"], {"field": "zz", "dir": "asc"},
                                   {"field": "code", "dir": "up"}, {"field": ["code"], "dir": "asc"},
                                   {"field": "code"}, {"dir": "asc"}])
def test_anything_but_a_known_field_and_direction_is_the_report_order(value):
    assert checked_sort(value) == {}


def test_the_median_sorts_only_where_the_table_has_it():
    sort = {"field": "median_text", "dir": "desc"}
    assert checked_sort(sort, KPI_COLUMNS) == {}
    assert checked_sort(sort, KPI_COLUMNS + (MEDIAN_COLUMN,)) == sort


def _row(code, title, achievement=None):
    return {"code": code, "code_key": _code_key(code), "title_key": title.lower().translate(_DANISH_ORDER),
            "achievement": achievement}


def test_codes_by_number_titles_in_danish_order_and_empty_figures_last():
    rows = [_row("A10", "Øre", 90.0), _row("A2", "åben", None), _row("RF1", "Ære", 99.5), _row("A1", "zebra", 80.0)]
    codes = [r["code"] for r in sort_rows(rows, {"field": "code", "dir": "asc"})]
    assert codes == ["A1", "A2", "A10", "RF1"]
    titles = [r["code"] for r in sort_rows(rows, {"field": "title", "dir": "asc"})]
    assert titles == ["A1", "RF1", "A10", "A2"]  # zebra, Ære, Øre, åben
    for direction, expected in (("asc", ["A1", "A10", "RF1", "A2"]), ("desc", ["RF1", "A10", "A1", "A2"])):
        assert [r["code"] for r in sort_rows(rows, {"field": "ytd_text", "dir": direction})] == expected
    assert sort_rows(rows, {}) == rows
