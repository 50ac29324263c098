"""Møder callbacks: the meetings of the customer in context, filtered by year."""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, html

from auth.guard import AccessContext, portal_callback
from core.rights import Menu
from data import meetings as data
from core.formatting import da_datetime, da_number
from pages.ids import moeder as Ids


def _empty(text: str) -> html.P:
    return html.P(text, className="text-muted portal-empty")


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{da_number(size / (1024 * 1024), 1)} MB"
    return f"{da_number(max(1, round(size / 1024)))} kB"


def _documents(meeting: dict[str, Any]) -> Any:
    if not meeting["documents"]:
        return html.P("Ingen dokumenter til mødet endnu.", className="text-muted mb-0")
    return html.Ul(
        [
            html.Li(
                [
                    html.Span(f"{doc['kind_label']}: ", className="fw-semibold"),
                    html.A(
                        doc["title"] or doc["filename"],
                        href=f"/filer/{int(doc['file_id'])}",
                        className="moeder-document",
                        **{"aria-label": f"Hent {doc['kind_label'].lower()}: {doc['title'] or doc['filename']}"},
                    ),
                    html.Span(f" ({doc['filename']}, {_size(doc['size'])})", className="text-muted small"),
                ]
            )
            for doc in meeting["documents"]
        ],
        className="list-unstyled mb-0 moeder-documents",
    )


def _meeting(meeting: dict[str, Any]) -> html.Article:
    return html.Article(
        [
            html.H3(meeting["title"], className="h6 mb-1"),
            html.P(
                [
                    html.Time(da_datetime(meeting["held_at"]), dateTime=meeting["held_at"].isoformat()),
                    " · ",
                    meeting["kind"],
                ],
                className="text-muted small mb-2",
            ),
            _documents(meeting),
        ],
        className="border rounded p-3 mb-3 moeder-meeting",
    )


def _section(title: str, items: list[dict[str, Any]], empty: str) -> html.Section:
    return html.Section(
        [html.H2(title, className="h5 mt-3")] + ([_meeting(m) for m in items] if items else [_empty(empty)]),
    )


@portal_callback(
    output=dict(content=Output(Ids.CONTENT, "children"), options=Output(Ids.YEAR, "options")),
    inputs=dict(year=Input(Ids.YEAR, "value")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.MOEDER,
)
def render_meetings(ctx: AccessContext, year: Any):
    """List the meetings of the checked CVR (upcoming apart, newest first), filtered by year."""
    years = data.meeting_years(ctx.scope, ctx.cvr)
    options = [{"label": "Alle år", "value": ""}] + [{"label": str(y), "value": str(y)} for y in years]
    if not years:
        return {"content": _empty("Ingen møder registreret"), "options": options}
    chosen = None
    if year not in (None, ""):
        chosen = data.parse_year(year)
        if chosen is None:
            return {"content": _empty("Ugyldigt år. Vælg et år på listen."), "options": options}
    found = data.meetings(ctx.scope, ctx.cvr, chosen)
    if not found["upcoming"] and not found["past"]:
        return {"content": _empty(f"Ingen møder registreret i {chosen}"), "options": options}
    sections = []
    if found["upcoming"]:
        sections.append(_section("Kommende møder", found["upcoming"], ""))
    sections.append(_section("Afholdte møder", found["past"], "Ingen afholdte møder i perioden."))
    return {"content": html.Div(sections), "options": options}
