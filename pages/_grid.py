"""Shared table helpers: dash-ag-grid tables in Danish, the grid's own CSV export, export buttons.

Usage in a page / callback module::

    from pages._grid import grid, csv_export_button, xlsx_export_button
    from pages._export import send_xlsx

    grid("moeder-grid", rows, [("date", "Dato"), ("title", "Titel")], row_id="id", csv_file_name="Moeder")
    # in callbacks/<page>.py, a guarded callback: the CSV button sets the grid's exportDataAsCsv to True

Server exports (`pages._export`) are built from rows the server queried itself (scoped), never from row data the
browser sent; `visible_rows` narrows and orders those rows by the row ids the grid shows, so an
export honours the on-screen filter and sort without trusting any client-sent values.
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


def column_defs(columns: Sequence[Column]) -> list[dict[str, Any]]:
    """Turn `(field, header)` pairs (or ready AG Grid column dicts) into AG Grid columnDefs."""
    defs: list[dict[str, Any]] = []
    for col in columns:
        if isinstance(col, Mapping):
            defs.append(dict(col))
        else:
            field, header = col
            defs.append({"field": field, "headerName": header})
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


__all__ = [
    "LOCALE_TEXT_DA",
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
