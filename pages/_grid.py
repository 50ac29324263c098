"""Shared table helpers: dash-ag-grid tables in Danish, the grid's own CSV export, export buttons.

Usage in a page / callback module::

    from pages._grid import grid, csv_export_button, xlsx_export_button
    from pages._export import send_xlsx

    grid("moeder-grid", rows, [("date", "Dato"), ("title", "Titel")], row_id="id", csv_file_name="Moeder")
    # in callbacks/<page>.py, a guarded callback: the CSV button sets the grid's exportDataAsCsv to True

Server exports (`pages._export`) are built from rows the server queried itself (scoped), never from row data the
browser sent (a grid's rows can be megabytes): `grid_view` applies the grid's `filterModel` and
`columnState` (small) to the rows the grid was given, re-read on the server, so an export honours
the on-screen filter and sort; `visible_rows` then maps those onto the export's own rows by id.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, Sequence

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

# export_file_name and send_xlsx are imported from here by callers not yet moved to pages._export.
from pages._export import Column, export_file_name, safe_file_name, send_xlsx

# AG Grid's own texts in Danish (keys from AG Grid's locale files); anything missing stays English.
LOCALE_TEXT_DA: dict[str, str] = {
    "selectAll": "(Vælg alle)",
    "selectAllSearchResults": "(Vælg alle søgeresultater)",
    "searchOoo": "Søg...",
    "blanks": "(Tomme)",
    "noMatches": "Ingen resultater",
    "filterOoo": "Filtrér...",
    "equals": "Er lig med",
    "notEqual": "Er ikke lig med",
    "blank": "Tom",
    "notBlank": "Ikke tom",
    "empty": "Vælg én",
    "lessThan": "Mindre end",
    "greaterThan": "Større end",
    "lessThanOrEqual": "Mindre end eller lig med",
    "greaterThanOrEqual": "Større end eller lig med",
    "inRange": "Mellem",
    "inRangeStart": "Fra",
    "inRangeEnd": "Til",
    "contains": "Indeholder",
    "notContains": "Indeholder ikke",
    "startsWith": "Begynder med",
    "endsWith": "Slutter med",
    "dateFormatOoo": "dd-mm-åååå",
    "before": "Før",
    "after": "Efter",
    "andCondition": "OG",
    "orCondition": "ELLER",
    "applyFilter": "Anvend",
    "resetFilter": "Nulstil",
    "clearFilter": "Ryd",
    "cancelFilter": "Annullér",
    "textFilter": "Tekstfilter",
    "numberFilter": "Talfilter",
    "dateFilter": "Datofilter",
    "setFilter": "Mængdefilter",
    "filterSummaryInactive": "er (Alle)",
    "columns": "Kolonner",
    "filters": "Filtre",
    "pinColumn": "Fastgør kolonne",
    "autosizeThisColumn": "Tilpas denne kolonnes bredde",
    "autosizeAllColumns": "Tilpas alle kolonners bredde",
    "resetColumns": "Nulstil kolonner",
    "sortAscending": "Sortér stigende",
    "sortDescending": "Sortér faldende",
    "sortUnSort": "Fjern sortering",
    "ariaSortAscending": "stigende",
    "ariaSortDescending": "faldende",
    "ariaSortNone": "ingen",
    "ariaFilterInput": "Filterfelt",
    "ariaFilterValue": "Filterværdi",
    "ariaFilteringOperator": "Filteroperator",
    "ariaColumnFiltered": "Kolonnen er filtreret",
    "ariaSearch": "Søg",
    "ariaMenuColumn": "Tryk på Alt+pil ned for at åbne kolonnemenuen",
    "ariaFilterColumn": "Tryk på Ctrl+Enter for at åbne filteret",
    "ariaRowSelect": "Tryk på mellemrum for at vælge rækken",
    "ariaToggleVisibility": "Tryk på mellemrum for at skifte synlighed",
    "ariaChecked": "markeret",
    "ariaUnchecked": "ikke markeret",
    "ariaIndeterminate": "delvist markeret",
    "ariaColumnCellSelection": "Tryk på Enter for at vælge alle synlige celler i kolonnen",
    "ariaColumnGroupCellSelection": "Tryk på Enter for at vælge alle synlige celler i kolonnegruppen",
    "ariaColumnGroupExpansion": "Tryk på Enter for at folde kolonnegruppen ud eller sammen",
    "ariaDateFilterInput": "Datofilterfelt",
    "ariaDeferSkeletonCellLoading": "Cellen indlæses",
    "ariaSkeletonCellLoading": "Rækken indlæses",
    "ariaSkeletonCellLoadingFailed": "Rækken kunne ikke indlæses",
    "ariaFilterFromValue": "Filtrér fra værdi",
    "ariaFilterToValue": "Filtrér til værdi",
    "ariaFilterMenuOpen": "Åbn filtermenuen",
    "ariaHasNote": "Cellen har en note.",
    "ariaHeaderSelection": "Kolonne med valg i overskriften",
    "ariaInputEditor": "Redigeringsfelt",
    "ariaLabelColumnFilter": "Kolonnefilter",
    "ariaLabelColumnMenu": "Kolonnemenu",
    "ariaLabelTooltip": "Værktøjstip",
    "ariaPageSizeSelectorLabel": "Rækker pr. side",
    "ariaPendingChange": "Ændring venter",
    "ariaRowSelectAll": "Tryk på mellemrum for at vælge eller fravælge alle rækker",
    "ariaSortableColumn": "Tryk på Enter for at sortere",
    "ariaSortableColumnWithCellSelection": "Tryk på Alt+Enter for at sortere",
    "ariaToggleCellValue": "Tryk på mellemrum for at skifte cellens værdi",
    "ariaValidationErrorPrefix": "Fejl i redigeringen",
    "noRowsToShow": "Ingen rækker at vise",
    "noMatchingRows": "Ingen rækker passer til filteret",
    "exportingOoo": "Eksporterer...",
    "invalidDate": "Ugyldig dato",
    "invalidNumber": "Ugyldigt tal",
    "invalidBigInt": "Ugyldigt heltal",
    "invalidSelectionValidation": "Ugyldigt valg.",
    "rowDragRow": "række",
    "rowDragRows": "rækker",
    "loadingOoo": "Indlæser...",
    "loadingError": "FEJL",
    "page": "Side",
    "of": "af",
    "to": "til",
    "more": "flere",
    "next": "Næste",
    "last": "Sidste",
    "first": "Første",
    "previous": "Forrige",
    "firstPage": "Første side",
    "lastPage": "Sidste side",
    "nextPage": "Næste side",
    "previousPage": "Forrige side",
    "pageSizeSelectorLabel": "Rækker pr. side:",
    "footerTotal": "I alt",
    "totalRows": "Rækker i alt",
    "totalAndFilteredRows": "Rækker",
    "filteredRows": "Filtreret",
    "selectedRows": "Valgt",
    "copy": "Kopiér",
    "export": "Eksportér",
    "csvExport": "CSV-eksport",
    "excelExport": "Excel-eksport",
    "true": "Sand",
    "false": "Falsk",
}

DEFAULT_COL_DEF: dict[str, Any] = {
    "sortable": True,
    "filter": True,
    "resizable": True,
    "flex": 1,
    "minWidth": 110,
    "wrapText": True,
    "autoHeight": True,
    # A header too long for its column wraps between words and the header row grows: never cut off.
    "wrapHeaderText": True,
    "autoHeaderHeight": True,
}

# The same rule for AG Grid's own CSV export, run in the browser (assets/grid.js).
CSV_CELL_GUARD = "csvSafeCell(params)"
CSV_HEADER = "csvHeader(params)"


# A phone's column: a field, or (field, colDef overrides for the phone, e.g. a smaller minWidth).
PhoneColumn = str | tuple[str, Mapping[str, Any]]
# The grid's events on which assets/grid.js picks the phone's or the desktop's columns. The listeners
# are added when the grid is ready, which may be after its first size event: the row events catch that.
PHONE_COLUMN_EVENTS = ("gridSizeChanged", "newColumnsLoaded", "displayedColumnsChanged", "firstDataRendered",
                       "rowDataUpdated")


def with_phone_columns(defs: list[dict[str, Any]], phone_columns: Sequence[PhoneColumn]) -> list[dict[str, Any]]:
    """Mark the columns a phone shows, in the order given (the most important first)."""
    marks: dict[str, dict[str, Any]] = {}
    for rank, item in enumerate(phone_columns):
        field, overrides = (item, {}) if isinstance(item, str) else (item[0], dict(item[1]))
        marks[field] = {"rank": rank, "overrides": overrides}
    unknown = set(marks) - {d.get("field") for d in defs}
    if unknown:
        raise ValueError(f"phone_columns names fields the grid does not have: {sorted(unknown)}")
    out = []
    for d in defs:
        if d.get("field") in marks:
            d = {**d, "context": {**(d.get("context") or {}), "phone": marks[d["field"]]}}
        out.append(d)
    return out


# The cell renderer (assets/grid.js) that lets an e-mail address break after "@" and dots only.
EMAIL_RENDERER = "PortalEmail"


def is_email_field(field: Any) -> bool:
    """Return whether a column's field holds e-mail addresses (`email`, `shared_email`, ...)."""
    return isinstance(field, str) and (field == "email" or field.endswith("_email"))


def column_defs(columns: Sequence[Column]) -> list[dict[str, Any]]:
    """Turn `(field, header)` pairs (or ready AG Grid column dicts) into AG Grid columnDefs."""
    defs: list[dict[str, Any]] = []
    for col in columns:
        if isinstance(col, Mapping):
            d = dict(col)
        else:
            field, header = col
            d = {"field": field, "headerName": header}
        # A header cut short by a narrow column (or a phone) is still readable in full on hover and focus.
        if d.get("headerName") and "headerTooltip" not in d:
            d["headerTooltip"] = d["headerName"]
        formatter = d.get("valueFormatter")
        if isinstance(formatter, Mapping) and "daDate(" in str(formatter.get("function", "")):
            # Shown as "6. dec. 2026", exported as ISO 8601: the CSV header says so (assets/grid.js csvHeader).
            d["context"] = {**(d.get("context") or {}), "isoDate": True}
        if is_email_field(d.get("field")) and "cellRenderer" not in d:
            d["cellRenderer"] = EMAIL_RENDERER
        defs.append(d)
    return defs


def grid(
    grid_id: str | dict,
    rows: list[dict[str, Any]],
    columns: Sequence[Column],
    *,
    row_id: str | None = None,
    csv_file_name: str | None = None,
    page_size: int | None = None,
    no_rows: str | None = None,
    phone_columns: Sequence[PhoneColumn] | None = None,
    **opts: Any,
) -> dag.AgGrid:
    """Return a sortable, filterable AG Grid with Danish texts."""
    # `columns` are `(field, header)` pairs or AG Grid column dicts. `row_id` names a unique row
    # field so `visible_rows` can map the grid's filtered rows back to server rows. `csv_file_name`
    # sets the name of the in-grid CSV export (semicolon-separated, as Danish Excel expects).
    # `no_rows` is the plain text shown when the grid is empty (AG Grid's HTML overlay templates are
    # refused by dash-ag-grid as code). `phone_columns` is the column set of a phone, most important
    # first (see `with_phone_columns`); the desktop grid is unchanged. Further keyword arguments go
    # to `dag.AgGrid` (e.g. `dashGridOptions` entries are merged).
    grid_options: dict[str, Any] = {
        "localeText": {**LOCALE_TEXT_DA, **({"noRowsToShow": no_rows} if no_rows else {})},
        "domLayout": "autoHeight",
        "ensureDomOrder": True,
        "enableCellTextSelection": True,
        "suppressMenuHide": True,
        # Header tooltips (the full column name) appear soon, not after AG Grid's default two seconds.
        "tooltipShowDelay": 400,
    }
    if page_size:
        grid_options.update(pagination=True, paginationPageSize=page_size,
                            paginationPageSizeSelector=sorted({page_size, 25, 50, 100}))
    grid_options.update(opts.pop("dashGridOptions", {}) or {})
    default_col = {**DEFAULT_COL_DEF, **(opts.pop("defaultColDef", {}) or {})}
    defs = column_defs(columns)
    if phone_columns:
        defs = with_phone_columns(defs, phone_columns)
    kwargs: dict[str, Any] = dict(
        id=grid_id,
        rowData=rows,
        columnDefs=defs,
        defaultColDef=default_col,
        dashGridOptions=grid_options,
        csvExportParams={
            "fileName": safe_file_name(csv_file_name or "eksport", ".csv"),
            "columnSeparator": ";",
            "suppressQuotes": False,
            # Spreadsheets run a cell starting with = + - @ as a formula: prefix those with '.
            "processCellCallback": {"function": CSV_CELL_GUARD},
            # A date column's header says the file's date format (ISO 8601), as the server's CSV does.
            "processHeaderCallback": {"function": CSV_HEADER},
        },
        style={"width": "100%"},
    )
    if phone_columns:
        # dash-ag-grid takes listeners as plain function strings, resolved among assets/grid.js's functions.
        listener = "portalPhoneColumns(params)"
        kwargs["eventListeners"] = {event: [listener] for event in PHONE_COLUMN_EVENTS}
        # The CSV holds the desktop's columns, also when exported from a phone's narrower set.
        kwargs["csvExportParams"]["columnKeys"] = [d["field"] for d in defs if d.get("field")]
    if row_id:
        # getRowId is a JS expression string in dash-ag-grid; the field name is ours, never user input.
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", row_id):
            raise ValueError("row_id must be a plain field name")
        kwargs["getRowId"] = f"params.data.{row_id}"
    kwargs.update(opts)
    return dag.AgGrid(**kwargs)


def csv_export_button(button_id: str | dict, label: str = "Eksportér CSV") -> dbc.Button:
    """Return the button that asks the grid for its CSV export (a guarded callback sets `exportDataAsCsv`)."""
    return dbc.Button(label, id=button_id, color="secondary", outline=True, size="sm", className="me-2",
                      n_clicks=0, type="button")


def xlsx_export_button(button_id: str | dict, label: str = "Eksportér Excel") -> dbc.Button:
    """Return the button that asks the server for an XLSX export (a guarded callback + `send_xlsx`)."""
    return dbc.Button(label, id=button_id, color="secondary", outline=True, size="sm", className="me-2",
                      n_clicks=0, type="button")


def export_bar(*buttons: Any, download_id: str | dict | None = None) -> Any:
    """Return a toolbar with export buttons (and the `dcc.Download` the XLSX callback writes to)."""
    children = list(buttons)
    if download_id is not None:
        children.append(dcc.Download(id=download_id))
    return html.Div(children, className="d-flex justify-content-end mb-2 portal-export-bar")


def visible_rows(server_rows: Sequence[Mapping[str, Any]], virtual_rows: Any, key: str = "id") -> list[Mapping[str, Any]]:
    """Return the server's rows that the grid shows, in the grid's order."""
    # `virtual_rows` is the grid's `virtualRowData` as the browser sent it: only its `key` values
    # are read, and only to select and order rows the server queried itself. Without a usable
    # list (None, malformed), every server row is returned in server order.
    if not isinstance(virtual_rows, list):
        return list(server_rows)
    by_key = {str(r.get(key)): r for r in server_rows}
    out: list[Mapping[str, Any]] = []
    seen: set[str] = set()
    for item in virtual_rows:
        if not isinstance(item, Mapping):
            continue
        k = str(item.get(key))
        if k in by_key and k not in seen:
            seen.add(k)
            out.append(by_key[k])
    return out


# AG Grid's text filter (the portal's only column filter: `filter: True`), by its `type`.
_TEXT_TESTS: dict[str, Any] = {
    "contains": lambda v, f: f in v,
    "notContains": lambda v, f: f not in v,
    "equals": lambda v, f: v == f,
    "notEqual": lambda v, f: v != f,
    "startsWith": lambda v, f: v.startswith(f),
    "endsWith": lambda v, f: v.endswith(f),
}
MAX_MODEL_ENTRIES = 50


def _cell_text(value: Any) -> str:
    """Return a cell as AG Grid's text filter reads it (JavaScript's String(value), lower case)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).lower()


def _condition_passes(value: Any, condition: Any) -> bool | None:
    """Tell whether one text-filter condition lets `value` through; None when the condition is malformed."""
    if not isinstance(condition, Mapping):
        return None
    kind = condition.get("type")
    text = _cell_text(value)
    if kind == "blank":
        return text.strip() == ""
    if kind == "notBlank":
        return text.strip() != ""
    wanted = condition.get("filter")
    if kind not in _TEXT_TESTS or not isinstance(wanted, (str, int, float)) or isinstance(wanted, bool):
        return None
    return _TEXT_TESTS[kind](text, _cell_text(wanted))


def _column_passes(value: Any, model: Any) -> bool:
    """Tell whether a column's filter model lets `value` through (a malformed model filters nothing)."""
    if isinstance(model, Mapping) and isinstance(model.get("conditions"), list):
        results = [_condition_passes(value, c) for c in model["conditions"][:MAX_MODEL_ENTRIES]]
        results = [r for r in results if r is not None]
        if not results:
            return True
        return any(results) if model.get("operator") == "OR" else all(results)
    result = _condition_passes(value, model)
    return True if result is None else result


def _sort_key(value: Any) -> tuple:
    # AG Grid's default comparator: empty values first, then by value (strings by code point).
    if value is None or value == "":
        return (0, 0, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, value, "")
    return (2, 0, str(value))


def grid_view(rows: Sequence[Mapping[str, Any]], filter_model: Any, column_state: Any,
              columns: Sequence[str] | None = None) -> list[Mapping[str, Any]]:
    """Return the server's `rows` as the grid shows them: its column filters applied, in its sort order."""
    # `filter_model` and `column_state` are the grid's `filterModel` and `columnState` as the browser
    # sent them: small, and only read to filter and order rows the server read itself. Only the
    # grid's own `columns` (field names; by default the fields of the rows it was given) count;
    # anything malformed filters or sorts nothing.
    known = set(columns) if columns is not None else {field for row in rows for field in row}
    shown = list(rows)
    if isinstance(filter_model, Mapping):
        for field, model in list(filter_model.items())[:MAX_MODEL_ENTRIES]:
            if field in known:
                shown = [r for r in shown if _column_passes(r.get(field), model)]
    sorts: list[tuple[int, int, str, bool]] = []
    if isinstance(column_state, list):
        for position, state in enumerate(column_state[:MAX_MODEL_ENTRIES]):
            if not isinstance(state, Mapping) or state.get("colId") not in known:
                continue
            if state.get("sort") not in ("asc", "desc"):
                continue
            index = state.get("sortIndex")
            order = index if isinstance(index, int) and not isinstance(index, bool) else position
            sorts.append((order, position, state["colId"], state["sort"] == "desc"))
    # Stable sorts, least significant first, give AG Grid's multi-column order.
    for _, _, field, descending in sorted(sorts, reverse=True):
        shown.sort(key=lambda r, f=field: _sort_key(r.get(f)), reverse=descending)
    return shown


def column_fields(columns: Sequence[Column]) -> list[str]:
    """Return the field names of `columns` (`(field, header)` pairs or AG Grid column dicts)."""
    return [str(c.get("field") or c.get("colId") or "") if isinstance(c, Mapping) else c[0] for c in columns]


__all__ = [
    "LOCALE_TEXT_DA",
    "column_fields",
    "grid_view",
    "PHONE_COLUMN_EVENTS",
    "column_defs",
    "csv_export_button",
    "export_bar",
    "export_file_name",
    "grid",
    "send_xlsx",
    "visible_rows",
    "with_phone_columns",
    "xlsx_export_button",
]
