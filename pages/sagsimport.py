"""Indlæs sager (/sa/sagsimport): SA staff load KPI data (cases) from a CSV or XLSX file in the browser.

The command-line case import as a page. assets/sagsimport.js sends the chosen file as a plain
multipart POST (web/case_upload.py) with a progress bar for the transfer; the background worker
imports it (data/case_jobs.py), and the page polls the job (callbacks/sagsimport.py): a progress
bar while it runs, then the CLI's own summary or row-level error report. Below, the history of
imports. SA staff only (Action.EDIT_CONTENT); the upload route and the callback check it themselves.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask import current_app

from auth.guard import action_layout
from core.formatting import da_datetime, da_number
from core.rights import Action
from data import case_jobs
from data.cases_import import FIELDS
from data.db import get_session
from pages.ids import sagsimport as Ids
from web.case_upload import UPLOAD_PATH, report_path

dash.register_page(__name__, path=Ids.PATH, title="Indlæs sager – Kundeportalen", name="Indlæs sager")

POLL_MS = 1000
HISTORY_SIZE = 50


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        megabytes = size / (1024 * 1024)
        return f"{da_number(megabytes, 1 if megabytes < 10 else 0)} MB"
    return f"{da_number(max(size, 1) / 1024, 0)} kB"


def _report(view: case_jobs.JobView) -> list[Any]:
    items: list[Any] = [html.Ul([html.Li(line) for line in view.report_lines], className="mb-1 sagsimport-report")]
    if view.more_lines:
        items.append(html.P(f"… og {da_number(view.more_lines)} linjer mere.", className="mb-1"))
    items.append(html.A("Hent hele rapporten", href=report_path(view.id)))
    return items


def _progress(percent: int) -> html.Div:
    # The native element: it has an accessible name and value without scripts or ARIA roles of our own.
    return html.Div([html.Progress(value=str(percent), max="100", className="w-100",
                                   **{"aria-label": "Indlæsning af sager"}),
                     html.Span(f"{percent} %", className="small")])


def job_status(view: case_jobs.JobView | None) -> Any:
    """Return the status of one import: a progress bar while it runs, then the summary or the bad rows."""
    if view is None:
        return html.P("Importen findes ikke.", className="text-muted")
    title = html.H2(f"{view.filename}: {view.status_text}", className="h5")
    if view.status == case_jobs.QUEUED:
        return html.Div([title, html.P("Filen står i kø og indlæses om lidt. Du kan godt forlade siden."),
                         _progress(0)])
    if view.status == case_jobs.RUNNING:
        return html.Div([title, html.P("Sagerne indlæses i baggrunden. Du kan godt forlade siden."),
                         _progress(view.progress)])
    color = "success" if view.status == case_jobs.DONE else "danger"
    return dbc.Alert([title, *_report(view)], color=color, className="mt-2")


def history_table(jobs: list[case_jobs.JobView]) -> Any:
    """Return the history of imports: who, when, file name, SHA-256 and counts."""
    if not jobs:
        return html.P("Der er ikke indlæst sager fra Kundeportalen endnu.", className="text-muted portal-empty")
    head = html.Thead(html.Tr([html.Th(text, scope="col") for text in (
        "Tidspunkt", "Indlæst af", "Fil", "SHA-256", "Rækker", "Nye", "Opdaterede", "Fejl", "Status")]))
    rows = [
        html.Tr([
            html.Td(da_datetime(job.created_at)),
            html.Td(job.created_by),
            html.Td([job.filename, html.Br(), html.Small(_size(job.size_bytes), className="text-muted")]),
            html.Td(html.Code(job.sha256, className="sagsimport-sha")),
            html.Td(da_number(job.rows), className="text-end"),
            html.Td(da_number(job.inserted), className="text-end"),
            html.Td(da_number(job.updated), className="text-end"),
            html.Td(da_number(job.error_count), className="text-end"),
            html.Td(html.A(job.status_text, href=report_path(job.id)) if job.finished else job.status_text),
        ])
        for job in jobs
    ]
    table = html.Table([head, html.Tbody(rows)], className="table table-sm table-striped small")
    return html.Div(table, className="table-responsive", tabIndex="0", role="region",
                    **{"aria-label": "Tidligere indlæsninger"})


def recent_history() -> Any:
    """Return the history table of the latest imports."""
    return history_table(case_jobs.recent_jobs(get_session(), HISTORY_SIZE))


@action_layout(Action.EDIT_CONTENT)
def layout(**_query: Any) -> html.Div:
    """Return the page: the file picker, the transfer's progress, the job's status and the history."""
    jobs = case_jobs.recent_jobs(get_session(), HISTORY_SIZE)
    # After a reload the job still running is shown again (the worker goes on without the page).
    unfinished = next((job.id for job in jobs if not job.finished), None)
    limit = current_app.config["CASE_IMPORT_MAX_BYTES"]
    return html.Div(
        [
            html.H1("Indlæs sager", className="h3"),
            html.P(
                [
                    "Indlæs sager (KPI-data) fra en CSV-fil (UTF-8) eller en Excel-projektmappe (XLSX). Første linje "
                    "skal navngive kolonnerne ",
                    html.Code(", ".join(FIELDS)),
                    " (completed_at og status kan udelades)",
                    f"; filen må højst fylde {_size(limit)}. Indlæsningen er samlet: er blot én række forkert, gemmes "
                    "intet, og rapporten viser hver forkert linje. En sag, der er indlæst før, opdateres. En afsluttet "
                    "sag genåbnes kun, når linjen har tom completed_at og status ",
                    html.Code("genåbnet"),
                    "; en tom completed_at alene afvises for en afsluttet sag.",
                ]
            ),
            html.Div(
                [
                    html.Button("Vælg fil …", id=Ids.CHOOSE, type="button", className="btn btn-outline-primary"),
                    html.Span("Ingen fil valgt", id=Ids.CHOSEN, className="text-muted"),
                    html.Button("Indlæs fil", id=Ids.SEND, type="button", className="btn btn-primary", disabled=True,
                                **{"data-upload-url": UPLOAD_PATH, "data-max-bytes": str(limit)}),
                ],
                className="d-flex flex-wrap align-items-center gap-2 mb-2",
            ),
            html.Div(
                [
                    html.Div("Sender filen …", id=Ids.TRANSFER_LABEL),
                    html.Progress(id=Ids.TRANSFER_BAR, max="100", value="0", className="w-100",
                                  **{"aria-labelledby": Ids.TRANSFER_LABEL}),
                ],
                id=Ids.TRANSFER,
                hidden=True,
                className="mb-2",
            ),
            html.Div(id=Ids.MESSAGE, role="status", className="mb-2"),
            dcc.Store(id=Ids.JOB, data={"job": unfinished} if unfinished else None),
            dcc.Interval(id=Ids.POLL, interval=POLL_MS, disabled=True),
            html.Div(id=Ids.STATUS, role="status"),
            html.H2("Tidligere indlæsninger", className="h5 mt-4"),
            html.Div(history_table(jobs), id=Ids.HISTORY),
        ],
        className="sagsimport",
    )
