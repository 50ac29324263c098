"""Persondatalog callbacks: search the privacy log by person, and export the search for an insight request.

SA's own page, tied to no customer: guarded by Action.READ_PRIVACY_LOG (menu=None), so every customer
account and every SA employee but the system administrator is refused before the body runs. The
export re-reads the search from the database. A search's result and an export name persons: both are logged.
"""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, ctx as dash_ctx
from dash.exceptions import PreventUpdate

from auth.guard import AccessContext, portal_callback
from core.rights import Action
from data import privacy
from pages._export import send_csv
from pages._grid import export_file_name, send_xlsx
from pages.ids import sa_persondatalog as Ids
from pages.sa_persondatalog import COLUMNS, export_rows, result_view

SOURCE = "Persondatalog"


@portal_callback(
    output=Output(Ids.RESULT, "children"),
    inputs=dict(search=Input(Ids.SEARCH, "n_clicks"), query=Input(Ids.QUERY, "value")),
    prevent_initial_call=True,
    menu=None,
    action=Action.READ_PRIVACY_LOG,
)
def search_log(ctx: AccessContext, search: Any, query: Any):
    """Show every logged view of the persons whose name or e-mail matches the search, newest first."""
    entries = privacy.search(query)
    _log_found(ctx, entries, f"{SOURCE} – søgning")
    return result_view(query, entries)


def _log_found(ctx: AccessContext, entries: list[dict[str, Any]], source: str) -> None:
    """Log the persons a search or export of the log names: the log is a view of persons like any other."""
    by_cvr: dict[str, dict[tuple[str, str], privacy.PersonRef]] = {}
    for e in entries:
        by_cvr.setdefault(e["cvr"], {})[(e["entity"], e["entity_id"])] = privacy.PersonRef(
            e["entity"], e["entity_id"], e["name"], e["email"])
    for cvr, persons in by_cvr.items():
        privacy.log_views(ctx.user, source, cvr or None, persons.values())


@portal_callback(
    output=Output(Ids.DOWNLOAD, "data"),
    inputs=dict(csv_clicks=Input(Ids.EXPORT_CSV, "n_clicks"), xlsx_clicks=Input(Ids.EXPORT_XLSX, "n_clicks")),
    state=dict(query=State(Ids.QUERY, "value")),
    prevent_initial_call=True,
    menu=None,
    action=Action.READ_PRIVACY_LOG,
)
def export_log(ctx: AccessContext, csv_clicks: Any, xlsx_clicks: Any, query: Any):
    """Download the search's log entries as CSV or XLSX, re-read from the database."""
    if not (csv_clicks or xlsx_clicks):
        raise PreventUpdate
    entries = privacy.search(query)
    if not entries:
        raise PreventUpdate
    xlsx = dash_ctx.triggered_id == Ids.EXPORT_XLSX
    _log_found(ctx, entries, f"{SOURCE} – eksport ({'Excel' if xlsx else 'CSV'})")
    rows = export_rows(entries)
    name = export_file_name("Persondatalog", None)
    if xlsx:
        return send_xlsx(rows, COLUMNS, "Persondatalog", name)
    return send_csv(rows, COLUMNS, name)
