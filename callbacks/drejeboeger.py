"""Drejebøger callbacks: submenu and runbook of the chosen tab, version diff, the print view, and SA's editor.

The editor (SA staff only: every editing callback is guarded by Action.EDIT_CONTENT) edits one runbook
as its items: points and tasks with their attachments, added, changed, removed and moved in the form,
then saved at once as a new version with a change note (data.runbooks.save_runbook).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx as dash_ctx, dcc, html
from dash.exceptions import PreventUpdate
from flask import current_app

from auth.guard import AccessContext, portal_callback
from callbacks._edit import EditResult, Status, form_outputs, latest_status, save_form
from core.access import can_do
from core.rights import Action, Menu
from data import customers
from data import runbooks as data
from data import units as unit_data
from data.uploads import UploadRefused, check_upload
from core.formatting import da_changed
from pages._scroll import scroll_region
from pages.ids import drejeboeger as Ids
from pages.ids.drejeboeger import KIT

UNIT_PLURAL = {"Regnskab": "Bogføringskredse", "Løn": "Løngrupper", "Refusion": "Løngrupper"}


def _empty(text: str) -> html.P:
    return html.P(text, className="text-muted portal-empty")


def _notice(text: str) -> html.Div:
    return html.Div(text, className="alert alert-warning py-2", role="alert")


def stamp(value: dt.datetime | None) -> str:
    """Format a runbook timestamp as '28. jan. 2022 kl. 08:38' in Danish time (the portal's one format)."""
    return da_changed(value)


def runbook_href(cvr: str, area: str, unit_code: str, section: str, printing: bool = False) -> str:
    """Return the page address of one runbook (bookmarkable; `printing` gives the print view)."""
    path = data.runbook_path(cvr, area, unit_code, section)
    return path + "&print=1" if printing else path


# --- the runbook itself ------------------------------------------------------------------------


def _files(file_ids: list[int], files: dict[int, str]) -> Any:
    links = [html.Li(html.A(files[fid], href=f"/filer/{int(fid)}", className="runbook-file")) for fid in file_ids
             if fid in files]
    return html.Ul(links, className="list-unstyled mb-0") if links else "–"


def _table(caption: str, headers: list[str], rows: list[list[Any]], empty: str) -> Any:
    if not rows:
        return _empty(empty)
    return scroll_region(html.Table(
        [
            html.Caption(caption, className="visually-hidden"),
            html.Thead(html.Tr([html.Th(h, scope="col") for h in headers])),
            html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in rows]),
        ],
        className="table table-sm table-bordered runbook-table",
    ), caption)


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
                                html.Th("Ændret af", scope="col"), html.Th("Ændringsnote", scope="col")])),
            html.Tbody([html.Tr([html.Td(str(v["version"])), html.Td(stamp(v["changed_at"])),
                                 html.Td(v["changed_by"] or "–"), html.Td(v["change_note"] or "–",
                                                                          className="runbook-note")])
                        for v in versions]),
        ],
        className="table table-sm w-auto",
    )
    body: list[Any] = [scroll_region(table, "Versioner af drejebogen")]
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


def _edit_button(ctx: AccessContext, exists: bool) -> list[Any]:
    # Only SA staff see the button; the editing callbacks refuse everyone else whatever the page holds.
    if not can_do(ctx.user, Action.EDIT_CONTENT):
        return []
    return [dbc.Button("Rediger drejebog" if exists else "Opret drejebog", id=KIT.edit, color="primary", size="sm",
                       className="no-print")]


def runbook_view(ctx: AccessContext, area: str, unit: dict[str, str], section: str) -> Any:
    """Return one runbook (current version, its history and a print link), or an empty state."""
    book = data.current_runbook(ctx.scope, ctx.cvr, area, unit["code"], section)
    heading = html.H2(_title(area, unit, section), className="h5")
    key = dcc.Store(id=Ids.RUNBOOK_KEY, data={"area": area, "unit_code": unit["code"], "section": section})
    if book is None:
        return html.Div([key, heading,
                         _empty(f"Der er endnu ingen drejebog for {section} på {unit['code']} {unit['name']}."),
                         *_edit_button(ctx, exists=False)])
    return html.Article(
        [
            key,
            heading,
            html.Div(
                [
                    _changed(book),
                    html.Div(
                        [
                            *_edit_button(ctx, exists=True),
                            html.A("Udskriv", href=runbook_href(ctx.cvr, area, unit["code"], section, printing=True),
                                   target="_blank", rel="noopener", className="btn btn-outline-secondary btn-sm",
                                   **{"aria-label": f"Udskriv drejebogen ({section}, {unit['code']}) – åbner i et nyt "
                                                    "vindue"}),
                        ],
                        className="ms-auto d-flex gap-2",
                    ),
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
    output=dict(content=Output(Ids.CONTENT, "children"), status=Output(KIT.status, "children")),
    inputs=dict(tab=Input(Ids.TABS, "value"), saved=Input(KIT.saved, "data")),
    state=dict(selection=State(Ids.SELECTION, "data"), cvr=State(Ids.CVR, "data")),
    menu=Menu.DREJEBOEGER,
)
def render_tab(ctx: AccessContext, tab: Any, saved: Any, selection: Any):
    """Render the chosen tab's submenu and runbook for the checked CVR (again after SA saved a version)."""
    status = latest_status(KIT, dash_ctx.triggered_id, saved, None)
    return {"content": _tab_content(ctx, tab, selection), "status": status}


def _tab_content(ctx: AccessContext, tab: Any, selection: Any) -> Any:
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
    note = [html.P([html.Strong(f"Ændringsnote til version {new}: "), diff.change_note],
                   className="runbook-diff-note mb-1")] if diff.change_note else []
    if diff.is_empty:
        return html.Div([heading, *note, _empty("Ingen forskelle mellem de to versioner.")])
    return html.Div([
        heading,
        *note,
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


# --- SA's editor: one runbook's items, saved as a new version -----------------------------------

ITEM_LABELS = {"points": "Punkt", "tasks": "Opgave"}
SECTION_TITLES = {"points": "Særlige opmærksomhedspunkter", "tasks": "Opgaver"}
ADD_LABELS = {"points": "Tilføj punkt", "tasks": "Tilføj opgave"}
FORM_OUTPUTS = form_outputs(KIT, editor=Output(Ids.EDITOR, "children"))


def _is_index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < data.MAX_ITEMS


def _entries(name: str) -> list[tuple[dict[str, Any], Any]]:
    """Return (id, value) of each component a pattern-matching dependency `name` matched (ids are only hints)."""
    grouping = dash_ctx.args_grouping
    found = grouping.get(name) if isinstance(grouping, dict) else None
    if not isinstance(found, list):
        return []
    out = []
    for entry in found[: 2 * data.MAX_ITEMS * 4]:
        component = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(component, dict) and component.get("kind") in data.ITEM_KINDS and _is_index(component.get("index")):
            out.append((component, entry.get("value")))
    return out


def _rows_from_form() -> dict[str, list[dict[str, Any]]]:
    """Rebuild the editor's items from what the browser holds: text fields, kept files, pending uploads."""
    rows: dict[str, dict[int, dict[str, Any]]] = {kind: {} for kind in data.ITEM_KINDS}

    def row(component: dict[str, Any]) -> dict[str, Any]:
        return rows[component["kind"]].setdefault(component["index"], {"fields": {}, "file_ids": [], "files": [],
                                                                       "upload": None})

    for component, value in _entries("item_fields"):
        if component.get("field") in data.ITEM_FIELDS[component["kind"]]:
            row(component)["fields"][component["field"]] = value
    for component, value in _entries("item_files"):
        row(component)["file_ids"] = value
    for component, options in _entries("item_file_options"):
        # The options only say which files the item had; their names are read again from the database.
        row(component)["files"] = [o.get("value") for o in options if isinstance(o, dict)] \
            if isinstance(options, list) else []
    names = {(c["kind"], c["index"]): v for c, v in _entries("upload_names")}
    for component, contents in _entries("upload_contents"):
        if isinstance(contents, str) and contents:
            name = names.get((component["kind"], component["index"]))
            row(component)["upload"] = (name[:255] if isinstance(name, str) else None, contents)
    return {kind: [rows[kind][i] for i in sorted(rows[kind])] for kind in data.ITEM_KINDS}


def _rows_from_content(content: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    return {kind: [{"fields": {f: item[f] for f in data.ITEM_FIELDS[kind]}, "file_ids": list(item["file_ids"]),
                    "files": list(item["file_ids"]), "upload": None} for item in content[kind]]
            for kind in data.ITEM_KINDS}


def _ids_in(value: Any) -> list[int]:
    if not isinstance(value, list):
        return []
    return [v for v in value if isinstance(v, int) and not isinstance(v, bool)][: data.MAX_FILES]


def _item_input(kind: str, index: int, field: str, value: Any, error: str | None) -> html.Div:
    label = data.ITEM_FIELDS[kind][field]
    props = {"id": Ids.field_id(kind, index, field), "value": value if isinstance(value, str) else "",
             "maxLength": data.ITEM_MAX_LENGTHS[field], "invalid": error is not None}
    control = dbc.Textarea(rows=2, **props) if field in data.MULTILINE_FIELDS else dbc.Input(type="text", **props)
    # The label wraps its input: pattern-matching ids cannot be named by a label's `for`.
    return html.Div([html.Label([label, control], className="form-label w-100 mb-0"),
                     dbc.FormFeedback(error, type="invalid")], className="mb-2")


def _item_row(kind: str, index: int, count: int, row: dict[str, Any], names: dict[int, str],
              errors: dict[str, str]) -> html.Fieldset:
    label = f"{ITEM_LABELS[kind]} {index + 1}"

    def error(field: str) -> str | None:
        return errors.get(data.item_error_key(kind, index, field))

    def button(text: str, control: str, aria: str, disabled: bool = False, color: str = "secondary") -> html.Button:
        # A plain button: dash-bootstrap-components' Button takes no aria-label, and "↑" alone says nothing.
        return html.Button(text, id=Ids.item_id(control, kind, index), type="button", disabled=disabled,
                           title=aria, className=f"btn btn-sm btn-outline-{color}", **{"aria-label": aria})

    parts: list[Any] = [html.Legend(label, className="h6")]
    parts += [_item_input(kind, index, f, row["fields"].get(f), error(f)) for f in data.ITEM_FIELDS[kind]]
    options = [{"label": names[fid], "value": fid} for fid in _ids_in(row["files"]) if fid in names]
    if options:
        kept = [fid for fid in _ids_in(row["file_ids"]) if fid in names]
        parts.append(html.Div([html.Div("Vedhæftninger (fjern fluebenet for at fjerne filen)", className="small"),
                               dbc.Checklist(id=Ids.item_id(Ids.ITEM_FILES, kind, index), options=options,
                                             value=kept)], className="mb-2"))
    if error("files"):
        parts.append(html.Div(error("files"), className="text-danger small", role="alert"))
    upload = row["upload"]
    chosen = f"Valgt: {upload[0]} (gemmes med drejebogen)" if upload and isinstance(upload[0], str) else None
    parts.append(html.Div([
        dcc.Upload(html.Span(["Vedhæft fil: ", html.U("vælg en fil"), " eller træk den hertil"]),
                   id=Ids.item_id(Ids.ITEM_UPLOAD, kind, index),
                   contents=upload[1] if upload else None, filename=upload[0] if upload else None,
                   max_size=current_app.config["UPLOAD_MAX_BYTES"], className="runbook-upload small"),
        html.Div(chosen, id=Ids.item_id(Ids.ITEM_UPLOAD_NAME, kind, index), className="small text-muted"),
        html.Div(error("upload"), className="text-danger small", role="alert") if error("upload") else None,
    ], className="mb-2"))
    parts.append(html.Div([
        button("↑ Flyt op", Ids.ITEM_UP, f"Flyt {label.lower()} op", disabled=index == 0),
        button("↓ Flyt ned", Ids.ITEM_DOWN, f"Flyt {label.lower()} ned", disabled=index == count - 1),
        button("Fjern", Ids.ITEM_REMOVE, f"Fjern {label.lower()}", color="danger"),
    ], className="d-flex gap-2"))
    return html.Fieldset(parts, className="border rounded p-2 mb-2 runbook-edit-item")


def _editor(ctx: AccessContext, rows: dict[str, list[dict[str, Any]]], errors: dict[str, str] | None = None) -> list:
    """Return the editor's sections: each item as a row of fields, attachments and move/remove buttons."""
    errors = errors or {}
    file_ids = [fid for kind in data.ITEM_KINDS for row in rows[kind] for fid in _ids_in(row["files"])]
    names = data.attachments(ctx.scope, ctx.cvr, file_ids)
    sections = []
    for kind in data.ITEM_KINDS:
        items = [_item_row(kind, i, len(rows[kind]), row, names, errors) for i, row in enumerate(rows[kind])]
        empty = [html.P("Ingen endnu.", className="text-muted small")] if not items else []
        sections.append(html.Section([
            html.H3(SECTION_TITLES[kind], className="h6 text-uppercase mt-2"),
            *empty, *items,
            dbc.Button(ADD_LABELS[kind], id=Ids.ADD_POINT if kind == "points" else Ids.ADD_TASK, size="sm",
                       color="secondary", outline=True, className="mb-3"),
        ]))
    return sections


def _form_key(form_state: Any) -> tuple[tuple[str, str, str] | None, Any]:
    state = form_state if isinstance(form_state, dict) else {}
    return _valid_key(state.get("key")), state.get("version")


def _open(ctx: AccessContext, key: Any) -> EditResult:
    parsed = _valid_key(key)
    found = data.editable_runbook(ctx.scope, ctx.cvr, *parsed) if parsed else None
    if found is None:
        return EditResult.notice(Status("Drejebogen findes ikke (længere) for denne kunde.", "warning"))
    area, code, section = parsed
    title = f"{'Rediger' if found['version'] else 'Opret'} drejebog: {_title(area, found['unit'], section)}"
    return EditResult(is_open=True, title=title, alert=None, values={"note": ""}, errors={},
                      state={"key": {"area": area, "unit_code": code, "section": section},
                             "version": found["version"]},
                      extra={"editor": _editor(ctx, _rows_from_content(found["content"]))})


def _decoded(contents: Any, max_bytes: int) -> bytes | None:
    """Return the bytes of a `dcc.Upload` data URL, or None when it is not one (the check then refuses it)."""
    if not isinstance(contents, str) or "," not in contents:
        return None
    encoded = contents.split(",", 1)[1]
    if len(encoded) > (max_bytes // 3 + 1) * 4 + 8:
        # Too large to decode here: hand the check a size just over the limit, so it refuses with its message.
        return b"\0" * (max_bytes + 1)
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _submission(rows: dict[str, list[dict[str, Any]]], max_bytes: int) -> tuple[dict, list[data.NewAttachment]]:
    content = {kind: [{**row["fields"], "file_ids": row["file_ids"] if row["file_ids"] is not None else []}
                      for row in rows[kind]] for kind in data.ITEM_KINDS}
    uploads = [data.NewAttachment(kind, index, row["upload"][0], _decoded(row["upload"][1], max_bytes))
               for kind in data.ITEM_KINDS for index, row in enumerate(rows[kind]) if row["upload"]]
    return content, uploads


def _save(ctx: AccessContext, form_state: Any, note: Any, rows: dict[str, list[dict[str, Any]]]) -> EditResult:
    key, version = _form_key(form_state)
    if key is None:
        return EditResult.refused("Drejebogen findes ikke (længere) for denne kunde. Genindlæs siden.")
    max_bytes = current_app.config["UPLOAD_MAX_BYTES"]
    content, uploads = _submission(rows, max_bytes)

    def write() -> dict[str, Any]:
        return data.save_runbook(ctx.scope, ctx.cvr, ctx.user, *key, version, content, note, uploads,
                                 max_bytes=max_bytes)

    def invalid(exc: Any) -> dict[str, Any]:
        # The items are drawn again with their own messages; pending uploads stay chosen.
        return {"editor": _editor(ctx, rows, {k: v for k, v in exc.errors.items() if k != "note"})}

    return save_form(write, lambda result: Status(f"Drejebogen er gemt som version {result['version']}, og kunden "
                                                  "får besked."), invalid)


def _clicked() -> bool:
    triggered = dash_ctx.triggered
    value = triggered[0].get("value") if isinstance(triggered, list) and triggered else None
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _item_step(ctx: AccessContext, trigger: Any, rows: dict[str, list[dict[str, Any]]]) -> EditResult | None:
    """Add, move or remove an item, or show a chosen file; None when the trigger was none of these."""
    if trigger in (Ids.ADD_POINT, Ids.ADD_TASK):
        kind = "points" if trigger == Ids.ADD_POINT else "tasks"
        if len(rows[kind]) >= data.MAX_ITEMS:
            return EditResult.refused(f"Drejebogen kan højst have {data.MAX_ITEMS} {SECTION_TITLES[kind].lower()}.")
        rows[kind].append({"fields": {}, "file_ids": [], "files": [], "upload": None})
        return EditResult.only(editor=_editor(ctx, rows))
    if not isinstance(trigger, dict) or trigger.get("kind") not in data.ITEM_KINDS:
        return None
    kind, index, items = trigger["kind"], trigger.get("index"), rows[trigger["kind"]]
    if not _is_index(index) or index >= len(items):
        return None
    if trigger.get("type") == Ids.ITEM_UPLOAD:
        # A file was chosen: show its name; it is checked now and again, and stored, only on save.
        upload = items[index]["upload"]
        errors = {}
        if upload:
            max_bytes = current_app.config["UPLOAD_MAX_BYTES"]
            try:
                check_upload(upload[0], _decoded(upload[1], max_bytes), max_bytes)
            except UploadRefused as exc:
                errors[data.item_error_key(kind, index, "upload")] = exc.message
        return EditResult.only(editor=_editor(ctx, rows, errors))
    if not _clicked():
        return None
    if trigger.get("type") == Ids.ITEM_REMOVE:
        del items[index]
    elif trigger.get("type") == Ids.ITEM_UP and index > 0:
        items[index - 1], items[index] = items[index], items[index - 1]
    elif trigger.get("type") == Ids.ITEM_DOWN and index < len(items) - 1:
        items[index + 1], items[index] = items[index], items[index + 1]
    else:
        return None
    return EditResult.only(editor=_editor(ctx, rows))


def _pattern(control: str) -> dict[str, Any]:
    return {"type": control, "kind": ALL, "index": ALL}


@portal_callback(
    output=FORM_OUTPUTS,
    inputs=dict(
        edit=Input(KIT.edit, "n_clicks"),
        save=Input(KIT.save, "n_clicks"),
        cancel=Input(KIT.cancel, "n_clicks"),
        add_point=Input(Ids.ADD_POINT, "n_clicks"),
        add_task=Input(Ids.ADD_TASK, "n_clicks"),
        up=Input(_pattern(Ids.ITEM_UP), "n_clicks"),
        down=Input(_pattern(Ids.ITEM_DOWN), "n_clicks"),
        remove=Input(_pattern(Ids.ITEM_REMOVE), "n_clicks"),
        upload_contents=Input(_pattern(Ids.ITEM_UPLOAD), "contents"),
    ),
    state=dict(
        cvr=State(KIT.cvr, "data"),
        key=State(Ids.RUNBOOK_KEY, "data"),
        form_state=State(KIT.form_state, "data"),
        saved=State(KIT.saved, "data"),
        note=State(KIT.field("note"), "value"),
        item_fields=State({"type": Ids.ITEM_FIELD, "kind": ALL, "index": ALL, "field": ALL}, "value"),
        item_files=State(_pattern(Ids.ITEM_FILES), "value"),
        item_file_options=State(_pattern(Ids.ITEM_FILES), "options"),
        upload_names=State(_pattern(Ids.ITEM_UPLOAD), "filename"),
    ),
    prevent_initial_call=True,
    menu=Menu.DREJEBOEGER,
    action=Action.EDIT_CONTENT,
)
def runbook_form(ctx: AccessContext, edit: Any, save: Any, cancel: Any, add_point: Any, add_task: Any, up: Any,
                 down: Any, remove: Any, upload_contents: Any, key: Any, form_state: Any, saved: Any, note: Any,
                 item_fields: Any, item_files: Any, item_file_options: Any, upload_names: Any):
    """Open SA's editor on the shown runbook, add/move/remove items and attach files, save a new version, or close."""
    trigger = dash_ctx.triggered_id
    if trigger == KIT.edit:
        result = _open(ctx, key) if _clicked() else None
    elif trigger == KIT.save:
        result = _save(ctx, form_state, note, _rows_from_form())
    elif trigger == KIT.cancel:
        result = EditResult(is_open=False, state=None, alert=None, extra={"editor": []})
    else:
        result = _item_step(ctx, trigger, _rows_from_form())
    if result is None:
        raise PreventUpdate
    return result.outputs(FORM_OUTPUTS, saved)
