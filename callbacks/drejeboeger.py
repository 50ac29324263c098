"""Drejebøger callbacks: submenu and runbook of the chosen tab, version diff, and the print view."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from auth.guard import AccessContext, portal_callback
from core.rights import Menu
from data import customers
from data import runbooks as data
from data import units as unit_data
from core.formatting import local
from pages.ids import drejeboeger as Ids

UNIT_PLURAL = {"Regnskab": "Bogføringskredse", "Løn": "Løngrupper", "Refusion": "Løngrupper"}
TAB_KEYS = {area: key for key, area in data.AREAS.items()}


def _empty(text: str) -> html.P:
    return html.P(text, className="text-muted portal-empty")


def _notice(text: str) -> html.Div:
    return html.Div(text, className="alert alert-warning py-2", role="alert")


def stamp(value: dt.datetime | None) -> str:
    """Format a runbook timestamp as '28-01-2022 08:38:52' in Danish time."""
    return local(value).strftime("%d-%m-%Y %H:%M:%S") if value else "–"


def runbook_href(cvr: str, area: str, unit_code: str, section: str, printing: bool = False) -> str:
    """Return the page address of one runbook (bookmarkable; `printing` gives the print view)."""
    query = {"cvr": cvr, "fane": TAB_KEYS[area], "enhed": unit_code, "afsnit": section}
    if printing:
        query["print"] = "1"
    return "/drejeboeger?" + urlencode(query)


# --- the runbook itself ------------------------------------------------------------------------


def _files(file_ids: list[int], files: dict[int, str]) -> Any:
    links = [html.Li(html.A(files[fid], href=f"/filer/{int(fid)}", className="runbook-file")) for fid in file_ids
             if fid in files]
    return html.Ul(links, className="list-unstyled mb-0") if links else "–"


def _table(caption: str, headers: list[str], rows: list[list[Any]], empty: str) -> Any:
    if not rows:
        return _empty(empty)
    return html.Table(
        [
            html.Caption(caption, className="visually-hidden"),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
            html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in rows]),
        ],
        className="table table-sm table-bordered runbook-table",
    )


def _content(book: dict[str, Any]) -> list[Any]:
    content, files = book["content"], book["files"]
    points = [[p["deviation"], p["description"], _files(p["file_ids"], files)] for p in content["points"]]
    tasks = [[t["task"], t["description"], t["frequency"], _files(t["file_ids"], files)] for t in content["tasks"]]
    return [
        html.H3("Særlige opmærksomhedspunkter", className="h6 mt-3 text-uppercase"),
        _table("Særlige opmærksomhedspunkter", ["Afvigelse", "Beskrivelse", "Vedhæftninger"], points,
               "Ingen særlige opmærksomhedspunkter."),
        html.H3("Opgaver", className="h6 mt-3 text-uppercase"),
        _table("Opgaver", ["Opgave", "Beskrivelse", "Frekvens", "Vedhæftninger"], tasks, "Ingen opgaver beskrevet."),
    ]


def _title(area: str, unit: dict[str, str], section: str) -> str:
    return f"{data.UNIT_LABELS[area]} {unit['code']} {unit['name']} – {section}"


def _changed(book: dict[str, Any]) -> html.P:
    who = f" ({book['changed_by']})" if book["changed_by"] else ""
    return html.P(f"Seneste ændringer: {stamp(book['changed_at'])}{who}", className="text-muted mb-2 runbook-changed")


def _version_label(v: dict[str, Any]) -> str:
    return f"Version {v['version']} – {stamp(v['changed_at'])}"


def _history(book: dict[str, Any]) -> html.Details:
    versions = book["versions"]
    table = html.Table(
        [
            html.Caption("Versioner af drejebogen", className="visually-hidden"),
            html.Thead(html.Tr([html.Th("Version", scope="col"), html.Th("Ændret", scope="col"),
                                html.Th("Ændret af", scope="col")])),
            html.Tbody([html.Tr([html.Td(str(v["version"])), html.Td(stamp(v["changed_at"])),
                                 html.Td(v["changed_by"] or "–")]) for v in versions]),
        ],
        className="table table-sm w-auto",
    )
    body: list[Any] = [table]
    if len(versions) < 2:
        body.append(_empty("Drejebogen har kun én version, så der er intet at sammenligne."))
    else:
        options = [{"label": _version_label(v), "value": str(v["version"])} for v in versions]
        body += [
            html.Div(
                [
                    html.Div([html.Label("Fra version", htmlFor=Ids.DIFF_FROM, className="form-label"),
                              dbc.Select(id=Ids.DIFF_FROM, options=options, value=str(versions[1]["version"]))],
                             className="me-3"),
                    html.Div([html.Label("Til version", htmlFor=Ids.DIFF_TO, className="form-label"),
                              dbc.Select(id=Ids.DIFF_TO, options=options, value=str(versions[0]["version"]))]),
                ],
                className="d-flex flex-wrap mb-2",
            ),
            html.Div(id=Ids.DIFF, className="runbook-diff", **{"aria-live": "polite"}),
        ]
    return html.Details(
        [html.Summary("Se historik", className="runbook-history-toggle")] + body,
        className="runbook-history no-print mb-2",
    )


def runbook_view(ctx: AccessContext, area: str, unit: dict[str, str], section: str) -> Any:
    """Return one runbook (current version, its history and a print link), or an empty state."""
    book = data.current_runbook(ctx.scope, ctx.cvr, area, unit["code"], section)
    heading = html.H2(_title(area, unit, section), className="h5")
    if book is None:
        return html.Div([heading, _empty(f"Der er endnu ingen drejebog for {section} på {unit['code']} {unit['name']}.")])
    key = {"area": area, "unit_code": unit["code"], "section": section}
    return html.Article(
        [
            dcc.Store(id=Ids.RUNBOOK_KEY, data=key),
            heading,
            html.Div(
                [
                    _changed(book),
                    html.A("Print", href=runbook_href(ctx.cvr, area, unit["code"], section, printing=True),
                           target="_blank", rel="noopener", className="btn btn-outline-secondary btn-sm ms-auto",
                           **{"aria-label": f"Print drejebogen ({section}, {unit['code']}) – åbner i et nyt vindue"}),
                ],
                className="d-flex flex-wrap align-items-center gap-2",
            ),
            _history(book),
            *_content(book),
        ],
        className="runbook",
    )


# --- the tab: submenu and selection -----------------------------------------------------------


def _submenu(ctx: AccessContext, area: str, units: list[dict[str, str]], chosen: tuple[str, str]) -> html.Nav:
    groups = []
    for unit in units:
        links = []
        for section in data.SECTIONS[area]:
            current = (unit["code"], section) == chosen
            label = [section, html.Span(" (vises)", className="visually-hidden")] if current else section
            links.append(html.Li(dbc.NavLink(
                label, href=runbook_href(ctx.cvr, area, unit["code"], section), active=current,
                className="py-1" + (" fw-semibold" if current else ""),
            )))
        groups.append(html.Li([html.Span(f"{unit['code']} {unit['name']}", className="fw-semibold small"),
                               html.Ul(links, className="nav flex-column ms-2")], className="mb-2"))
    return html.Nav([html.H2(UNIT_PLURAL[area], className="h6"), html.Ul(groups, className="list-unstyled")],
                    className="runbook-submenu", **{"aria-label": UNIT_PLURAL[area]})


def _choose(area: str, units: list[dict[str, str]], selection: Any, tab: str) -> tuple[dict[str, str], str, list[str]]:
    notes: list[str] = []
    selection = selection if isinstance(selection, dict) else {}
    unit, section = units[0], data.SECTIONS[area][0]
    if selection.get("fane") != tab:
        return unit, section, notes
    code, wanted = selection.get("enhed"), selection.get("afsnit")
    if code not in (None, ""):
        match = next((u for u in units if u["code"] == code), None) if unit_data.valid_unit_code(code) else None
        if match is None:
            notes.append(f"{data.UNIT_LABELS[area]} i adressen findes ikke for denne kunde. Den første vises.")
        else:
            unit = match
    if wanted not in (None, ""):
        if wanted in data.SECTIONS[area]:
            section = wanted
        else:
            notes.append("Ukendt afsnit i adressen. Det første afsnit vises.")
    return unit, section, notes


@portal_callback(
    output=Output(Ids.CONTENT, "children"),
    inputs=dict(tab=Input(Ids.TABS, "value")),
    state=dict(selection=State(Ids.SELECTION, "data"), cvr=State(Ids.CVR, "data")),
    menu=Menu.DREJEBOEGER,
)
def render_tab(ctx: AccessContext, tab: Any, selection: Any):
    """Render the chosen tab's submenu and runbook for the checked CVR."""
    area = data.AREAS.get(tab) if isinstance(tab, str) else None
    if area is None:
        return _empty("Ukendt faneblad.")
    units = unit_data.units_for_area(ctx.scope, ctx.cvr, area)
    if not units:
        return _empty(f"Ingen {UNIT_PLURAL[area].lower()} registreret.")
    unit, section, notes = _choose(area, units, selection, tab)
    return dbc.Row(
        [
            dbc.Col(_submenu(ctx, area, units, (unit["code"], section)), md=3),
            dbc.Col([*(_notice(n) for n in notes), runbook_view(ctx, area, unit, section)], md=9),
        ]
    )


# --- history: what changed between two versions ------------------------------------------------


def _value_text(field: str, value: Any, files: dict[int, str]) -> str:
    if field == "file_ids":
        names = [files[f] for f in value if f in files]
        return ", ".join(names) if names else "ingen"
    return value or "(tom)"


def _item_summary(item: dict[str, Any], labels: dict[str, str], files: dict[int, str]) -> str:
    return "; ".join(f"{label}: {_value_text(f, item.get(f), files)}" for f, label in labels.items())


def _changes(title: str, changes: tuple[data.ItemChange, ...], unchanged: int, labels: dict[str, str],
             files: dict[int, str]) -> html.Section:
    items = []
    for change in changes:
        if change.kind == "added":
            items.append(html.Li([html.Strong("Tilføjet: "), html.Ins(_item_summary(change.new, labels, files))],
                                 className="diff-added"))
        elif change.kind == "removed":
            items.append(html.Li([html.Strong("Fjernet: "), html.Del(_item_summary(change.old, labels, files))],
                                 className="diff-removed"))
        else:
            fields = [
                html.Li([f"{fc.label}: ", html.Del(_value_text(fc.field, fc.old, files)), " → ",
                         html.Ins(_value_text(fc.field, fc.new, files))])
                for fc in change.fields
            ]
            items.append(html.Li([html.Strong("Ændret: "), change.name or "(uden navn)", html.Ul(fields)],
                                 className="diff-changed"))
    body: list[Any] = [html.Ul(items, className="runbook-diff-list")] if items else [_empty("Ingen ændringer.")]
    if unchanged:
        body.append(html.P("1 punkt er uændret." if unchanged == 1 else f"{unchanged} punkter er uændrede.",
                           className="small text-muted"))
    return html.Section([html.H4(title, className="h6 mt-2")] + body)


def _valid_key(key: Any) -> tuple[str, str, str] | None:
    if not isinstance(key, dict):
        return None
    area, unit, section = key.get("area"), key.get("unit_code"), key.get("section")
    if not isinstance(area, str) or not isinstance(section, str):
        return None
    if area not in data.SECTIONS or not unit_data.valid_unit_code(unit) or section not in data.SECTIONS[area]:
        return None
    return area, unit, section


@portal_callback(
    output=Output(Ids.DIFF, "children"),
    inputs=dict(from_version=Input(Ids.DIFF_FROM, "value"), to_version=Input(Ids.DIFF_TO, "value")),
    state=dict(key=State(Ids.RUNBOOK_KEY, "data"), cvr=State(Ids.CVR, "data")),
    menu=Menu.DREJEBOEGER,
)
def render_diff(ctx: AccessContext, from_version: Any, to_version: Any, key: Any):
    """Show what changed between two versions of one runbook of the checked CVR."""
    parsed = _valid_key(key)
    if parsed is None:
        return _empty("Ukendt drejebog.")
    old, new = data.parse_version(from_version), data.parse_version(to_version)
    if old is None or new is None:
        return _empty("Ugyldigt versionsnummer. Vælg versioner på listen.")
    if old == new:
        return _empty("Vælg to forskellige versioner for at se ændringerne.")
    found = data.version_diff(ctx.scope, ctx.cvr, *parsed, old, new)
    if found is None:
        return _empty("Versionen findes ikke for denne drejebog.")
    diff, files = found
    heading = html.P(f"Ændringer fra version {old} til version {new}:", className="fw-semibold mb-1")
    if diff.is_empty:
        return html.Div([heading, _empty("Ingen forskelle mellem de to versioner.")])
    return html.Div([
        heading,
        _changes("Særlige opmærksomhedspunkter", diff.points, diff.unchanged_points, data.POINT_FIELDS, files),
        _changes("Opgaver", diff.tasks, diff.unchanged_tasks, data.TASK_FIELDS, files),
    ])


# --- print view --------------------------------------------------------------------------------


@portal_callback(
    output=Output(Ids.PRINT_CONTENT, "children"),
    inputs=dict(selection=Input(Ids.PRINT_SELECTION, "data")),
    state=dict(cvr=State(Ids.CVR, "data")),
    menu=Menu.DREJEBOEGER,
)
def render_print(ctx: AccessContext, selection: Any):
    """Render only the chosen runbook of the checked CVR, for printing."""
    selection = selection if isinstance(selection, dict) else {}
    tab = selection.get("fane")
    area = data.AREAS.get(tab) if isinstance(tab, str) else None
    if area is None:
        return _empty("Ukendt faneblad.")
    code, section = selection.get("enhed"), selection.get("afsnit")
    if not unit_data.valid_unit_code(code):
        return _empty(f"Ugyldig {data.UNIT_LABELS[area].lower()} i adressen.")
    if section not in data.SECTIONS[area]:
        return _empty("Ukendt afsnit i adressen.")
    unit = next((u for u in unit_data.units_for_area(ctx.scope, ctx.cvr, area) if u["code"] == code), None)
    if unit is None:
        return _empty(f"{data.UNIT_LABELS[area]} findes ikke for denne kunde.")
    book = data.current_runbook(ctx.scope, ctx.cvr, area, code, section)
    name = customers.customer_name(ctx.scope, ctx.cvr) or ""
    header = [
        html.Div(
            [
                html.Button("Udskriv", type="button", className="btn btn-primary btn-sm me-2",
                            **{"data-runbook-print": "1"}),
                html.A("Tilbage til drejebøgerne", href=runbook_href(ctx.cvr, area, code, section),
                       className="btn btn-link btn-sm"),
            ],
            className="no-print mb-3",
        ),
        html.P(f"Statens Administration · Drejebog · {name} (CVR {ctx.cvr})", className="small mb-1"),
        html.H1(f"{area}: {_title(area, unit, section)}", className="h4"),
    ]
    if book is None:
        return html.Div(header + [_empty("Der er endnu ingen drejebog for dette afsnit.")])
    return html.Article(header + [_changed(book), *_content(book)], className="runbook runbook-print")
