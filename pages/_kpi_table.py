"""Rapporter's KPI table: drawn with the page (its layout) and again by its callback when a filter or the sort changes.

An HTML table drawn by the server, not AG Grid: ten goals need no virtual scrolling or column filter, and
AG Grid's own creation was the largest part of the browser's work on the page (benchmarks/RESULTS.md).
Sorting is the server's: a column header is a button that asks for it (assets/drill.js), and the exports
follow the same order.
"""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple, Sequence

from auth.guard import AccessContext
from core.access import can_do, customer_scope
from core.formatting import da_month, da_number, da_percent
from core.rights import Action
from data import kpi
from data import units as unit_data
from data.rules import AREAS
from data.workdays import danish_today
from pages._component_json import element
from pages._drill import OPEN_KINDS, drill_button, drill_ids
from pages.ids import rapporter as Ids

ALL_VALUE = "alle"
MIN_YEAR = 2000
# Rapporter's drill-through ids: its modal (pages/rapporter.py), its callbacks and the open-count buttons here.
DRILL = drill_ids(Ids.DRILL_PREFIX)


class KpiColumn(NamedTuple):
    """One column of the KPI table: its field, header, whether it holds a count, and what it sorts by."""

    field: str
    header: str
    numeric: bool = False
    # The row's value the column sorts by, when not the shown text (a percentage sorts by its number).
    sort_by: str | None = None


KPI_COLUMNS = (
    KpiColumn("code", "Mål", sort_by="code_key"),
    KpiColumn("title", "Målbeskrivelse", sort_by="title_key"),
    KpiColumn("target_text", "Servicemål", sort_by="target_pct"),
    KpiColumn("ytd_text", "Mål - år til seneste afsluttede måned", sort_by="achievement"),
    KpiColumn("handled", "Antal - år til seneste afsluttede måned", numeric=True),
    KpiColumn("met", "Antal behandlet inden for frist", numeric=True),
    KpiColumn("not_met", "Antal behandlet uden for frist", numeric=True),
    KpiColumn("reopened", "Heraf genåbnede", numeric=True),
    KpiColumn("open", "Åbne sager", numeric=True),
    KpiColumn("overdue", "heraf over frist", numeric=True),
)
MEDIAN_COLUMN = KpiColumn("median_text", "Median alle kunder", sort_by="median")
# Every column any user's table can have: what a browser-sent sort is checked against by default.
ALL_COLUMNS = KPI_COLUMNS + (MEDIAN_COLUMN,)
SORT_DIRECTIONS = ("asc", "desc")
# Danish alphabetical order: æ, ø, å after z, in that order ("{|}" follow "z"; in Unicode å comes first).
_DANISH_ORDER = str.maketrans({"æ": "{", "ø": "|", "å": "}"})


def kpi_columns(sa_staff: bool) -> tuple[KpiColumn, ...]:
    """Return the KPI table's columns (SA staff also see the median of all customers)."""
    return KPI_COLUMNS + ((MEDIAN_COLUMN,) if sa_staff else ())


def checked_sort(value: Any, columns: Sequence[KpiColumn] = ALL_COLUMNS) -> dict[str, str]:
    """Return the browser-sent sort {"field", "dir"} if it names one of `columns`, else {} (report order)."""
    if not isinstance(value, Mapping):
        return {}
    field, direction = value.get("field"), value.get("dir")
    if direction not in SORT_DIRECTIONS or not isinstance(field, str) or field not in {c.field for c in columns}:
        return {}
    return {"field": field, "dir": direction}


def next_sort(current: Mapping[str, str], field: str) -> dict[str, str]:
    """Return the sort after a click on `field`'s header: ascending, then descending, then report order."""
    if current.get("field") != field:
        return {"field": field, "dir": "asc"}
    return {"field": field, "dir": "desc"} if current.get("dir") == "asc" else {}


def sort_rows(rows: Sequence[Mapping[str, Any]], sort: Mapping[str, str],
              columns: Sequence[KpiColumn] = ALL_COLUMNS) -> list[Mapping[str, Any]]:
    """Return `rows` in the checked `sort`'s order (rows without a value last either way), else as given."""
    column = next((c for c in columns if c.field == sort.get("field")), None)
    if column is None:
        return list(rows)
    key = column.sort_by or column.field
    valued = [row for row in rows if row.get(key) is not None]
    # Stable: rows with equal values keep the report's order.
    valued.sort(key=lambda row: row[key], reverse=sort.get("dir") == "desc")
    return valued + [row for row in rows if row.get(key) is None]


def _number(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


def _code_key(code: str) -> tuple[str, int, str]:
    # "A2" before "A10": the letter, then the number.
    letters = code.rstrip("0123456789")
    digits = code[len(letters):]
    return (letters, int(digits) if digits else -1, code)


class BadFilter(ValueError):
    """Raised when a filter value from the browser is not one the page offers."""


def _year(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_YEAR <= value <= danish_today().year:
        raise BadFilter("Ugyldigt år.")
    return value


def _area(value: Any) -> str | None:
    if value in (None, ALL_VALUE):
        return None
    if value not in AREAS:
        raise BadFilter("Ukendt område.")
    return value


def _checked_unit(ctx: AccessContext, value: Any) -> dict[str, str] | None:
    # The unit's name comes with the check (one statement): the printout names the unit it is limited to.
    if value in (None, ALL_VALUE):
        return None
    unit = unit_data.customer_unit(ctx.scope, ctx.cvr, value) if isinstance(value, str) else None
    if unit is None:
        raise BadFilter("Ukendt bogføringskreds eller løngruppe.")
    return unit


def _unit(ctx: AccessContext, value: Any) -> str | None:
    unit = _checked_unit(ctx, value)
    return unit["code"] if unit else None


def with_open_cases(report: kpi.MonthlyReport) -> list[dict]:
    """Return the KPI table's rows with today's open cases per goal and how many are past their deadline."""
    if report.open_counts is None:
        raise ValueError("the KPI table was read without its open cases (with_open=True)")
    records = report.records()
    for record in records:
        record["open"], record["overdue"] = report.open_counts.get(record["goal_id"], (0, 0))
    return records


def kpi_rows(ctx: AccessContext, records: list[dict], year: int) -> list[dict]:
    """Return the KPI table's records as grid rows with Danish texts (and the SA median for SA staff)."""
    medians: dict[int, float] = {}
    with_median = can_do(ctx.user, Action.SEE_ALL_CUSTOMERS_MEDIAN)
    if with_median:
        median = kpi.sa_median_achievement(customer_scope(ctx.user), year, goal_ids=[r["goal_id"] for r in records])
        medians = dict(zip(median["goal_id"], median["median_achievement"]))
    rows = []
    for record in records:
        value = record["achievement"]
        met = record["target_met"]  # decided on the exact fraction, not on the rounded figure
        mark = "" if met is None else (" ✓ nået" if met else " ✗ ikke nået")
        rows.append({
            "code": record["code"], "title": record["title"], "area": record["area"],
            "target_text": da_percent(record["target_pct"]), "ytd_text": da_percent(value) + mark, "mark": mark,
            "handled": int(record["handled"]), "met": int(record["met"]), "not_met": int(record["not_met"]),
            "reopened": int(record.get("reopened") or 0), "target_met": met,
            "open": int(record.get("open") or 0), "overdue": int(record.get("overdue") or 0),
            "median_text": da_percent(medians.get(record["goal_id"])) if with_median else None,
            # What the columns sort by (never sent to the browser: the table shows the texts).
            "code_key": _code_key(record["code"]), "title_key": record["title"].lower().translate(_DANISH_ORDER),
            "target_pct": record["target_pct"], "achievement": _number(value),
            "median": _number(medians.get(record["goal_id"])) if with_median else None,
        })
    return rows


def no_cases_text(year: int, filtered: bool) -> str:
    """Return the Danish message for a year (and filters) without any case."""
    return f"Ingen sager for de valgte filtre i {year}." if filtered else f"Ingen sager i {year}."


def filters_text(year: int, area: str | None, unit: dict[str, str] | None) -> str:
    """Return the printout's line of the checked filters, worded as the page's pickers show them."""
    unit_text = f"{unit['code']} – {unit['name']}" if unit else "Alle"
    return f"År: {year} · Område: {area or 'Alle områder'} · Bogføringskreds / løngruppe: {unit_text}"


ARIA_SORT = {"asc": "ascending", "desc": "descending"}
SORT_ARROWS = {"asc": " ▲", "desc": " ▼"}
OPEN_TITLES = {"open": "Vis de åbne sager for {code}", "overdue": "Vis de åbne sager over frist for {code}"}
TABLE_LABEL = "KPI-oversigt"
TABLE_CAPTION = ("Servicemålene år til seneste afsluttede måned. En kolonneoverskrift sorterer tabellen, "
                 "et mål viser det i grafen nedenfor, og et antal åbne sager viser sagerne.")


def _header(column: KpiColumn, sort: Mapping[str, str]) -> dict[str, Any]:
    direction = sort.get("dir") if sort.get("field") == column.field else None
    # The arrow is for the eye; screen readers hear the header's aria-sort.
    label = [column.header] + ([element("Span", SORT_ARROWS[direction], **{"aria-hidden": "true"})]
                               if direction else [])
    button = element("Button", label, type="button", className="btn btn-link p-0 kpi-sort",
                     title=f"Sortér efter {column.header}",
                     **{"data-request": Ids.SORT_REQUEST, "data-value": column.field})
    return element("Th", button, scope="col", className="text-end" if column.numeric else None,
                   **{"aria-sort": ARIA_SORT.get(direction) if direction else None, "data-field": column.field})


def _cell(column: KpiColumn, row: Mapping[str, Any]) -> dict[str, Any]:
    field, code = column.field, row["code"]
    if field == "code":
        # The goal's code picks it for the chart, the histogram and the drill-through below.
        pick = element("Button", code, type="button", className="btn btn-link p-0 kpi-pick",
                       title=f"Vis {code} i grafen og fordelingen nedenfor",
                       **{"data-request": Ids.PICK, "data-value": code})
        return element("Th", pick, scope="row", **{"data-field": field})
    value = row.get(field)
    class_name = "text-end" if column.numeric else None
    if field in OPEN_KINDS and value:
        content: Any = drill_button(DRILL, code, field, da_number(value), OPEN_TITLES[field].format(code=code))
    elif column.numeric:
        content = da_number(value)
    elif field == "ytd_text" and row.get("target_met") is not None:
        # The mark in colour as on Information's report (assets/portal.css), and in words.
        content = [da_percent(row["achievement"]), element("Span", row["mark"], className="kpi-mark")]
        class_name = "kpi-met" if row["target_met"] else "kpi-missed"
    else:
        content = value
    return element("Td", content, className=class_name, **{"data-field": field})


def kpi_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[KpiColumn], sort: Mapping[str, str]) -> dict:
    """Return the KPI table (component JSON) of `rows` in the checked `sort`'s order, its headers sort buttons."""
    head = element("Thead", element("Tr", [_header(c, sort) for c in columns]))
    body = element("Tbody", [element("Tr", [_cell(c, row) for c in columns], key=row["code"],
                                     **{"data-code": row["code"]})
                             for row in sort_rows(rows, sort, columns)])
    table = element("Table", [element("Caption", TABLE_CAPTION, className="visually-hidden"), head, body],
                    className="table table-sm table-hover align-middle mb-0 kpi-table")
    # A scrolling region (on a phone) must be reachable from the keyboard, and named for screen readers.
    return element("Div", table, className="table-responsive kpi-table-wrap", tabIndex="0", role="region",
                   **{"aria-label": TABLE_LABEL})


def _no_dashboard(text: str, months: list[dict] | None = None, filters: str = "") -> dict:
    return {"table": None, "status": text, "months": months or [],
            "month": months[0]["value"] if months else None, "filters": filters}


def dashboard_table(ctx: AccessContext, year: Any, area: Any, unit: Any, sort: Any = None) -> dict:
    """Return the KPI table, the status line, the drill-through's months and the printout's filter line."""
    try:
        year, area, checked = _year(year), _area(area), _checked_unit(ctx, unit)
    except BadFilter as exc:
        # The status line says what was wrong; the printout names no filter it could not check.
        return _no_dashboard(str(exc))
    unit = checked["code"] if checked else None
    filters = filters_text(year, area, checked)
    # Today's open cases come in the same statement as the year's figures.
    report = kpi.kpi_table(ctx.scope, ctx.cvr, year, area=area, unit_code=unit, with_open=True)
    months = report.months
    if not months:
        return _no_dashboard(f"Der er ingen afsluttede måneder i {year} endnu.", filters=filters)
    options = [{"label": da_month(m).capitalize(), "value": m.isoformat()} for m in reversed(months)]
    # The drill-through's month picker also offers today's open cases (all, or only those past their deadline).
    options += [{"label": label, "value": value} for value, label in OPEN_KINDS.items()]
    records = with_open_cases(report)
    if not sum(record["handled"] for record in records):
        # A bogføringskreds with Område = Løn (or any filter without cases) says so, not a table of "–".
        return _no_dashboard(no_cases_text(year, filtered=bool(area or unit)), options, filters)
    status = f"År til og med {da_month(months[-1])}. Servicemål opfyldt: ✓, ikke opfyldt: ✗, ingen sager: –."
    columns = kpi_columns(can_do(ctx.user, Action.SEE_ALL_CUSTOMERS_MEDIAN))
    table = kpi_table(kpi_rows(ctx, records, year), columns, checked_sort(sort, columns))
    return {"table": table, "status": status, "months": options, "month": options[0]["value"], "filters": filters}
