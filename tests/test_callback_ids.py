"""Dash's own id checks are off (suppress_callback_exceptions): every callback id must exist in a layout."""

from __future__ import annotations

import json
from typing import Any, Iterator

import dash
import pytest

from auth.guard import _DECLARED, GUARD_MARK
from tests import content_world, world

# Ids that no page layout holds because a callback draws them later: each with the reason.
DYNAMIC: dict[str, str] = {
    "kundeaftaler-godkendelse-request": "SA's »Send til godkendelse«, drawn in the agreement tab",
    "kundeaftaler-godkend": "the signatory's »Godkend aftalen«, drawn in the agreement tab awaiting their approval",
    "kundeaftaler-godkend-password": "the signatory's »Godkend aftalen«, drawn in the agreement tab",
    "kundeaftaler-godkend-kode": "the signatory's second-factor code, drawn in the agreement tab (hidden without one)",
    "kundeaftaler-godkend-feedback": "the signatory's »Godkend aftalen«, drawn in the agreement tab",
    "kundeaftaler-godkend-shown": "the version shown for approval, drawn in the agreement tab",
    "{type:brugeradministration-group-cvr}": "one rettighedsgruppe row per group, drawn when the form opens",
    "{type:brugeradministration-group-rights}": "one rettighedsgruppe row per group, drawn when the form opens",
    "{type:brugeradministration-group-remove}": "one rettighedsgruppe row per group, drawn when the form opens",
    "rapporter-chart": "the monthly chart, drawn into its box when it scrolls into view (pages/_lazy.py)",
    "drejeboeger-diff": "the Historik tab's content, drawn when the tab is chosen",
    "drejeboeger-diff-from": "the Historik tab's content, drawn when the tab is chosen",
    "drejeboeger-diff-to": "the Historik tab's content, drawn when the tab is chosen",
    "drejeboeger-runbook-key": "the Historik tab's content, drawn when the tab is chosen",
    "drejeboeger-edit": "SA's Rediger/Opret drejebog button, drawn with the runbook for SA staff only",
    "drejeboeger-add-point": "the runbook editor's items, drawn when SA opens the editor",
    "drejeboeger-add-task": "the runbook editor's items, drawn when SA opens the editor",
    "{type:drejeboeger-item-field}": "one row per runbook point or task, drawn when SA opens the editor",
    "{type:drejeboeger-item-files}": "one row per runbook point or task, drawn when SA opens the editor",
    "{type:drejeboeger-item-upload}": "one row per runbook point or task, drawn when SA opens the editor",
    "{type:drejeboeger-item-up}": "one row per runbook point or task, drawn when SA opens the editor",
    "{type:drejeboeger-item-down}": "one row per runbook point or task, drawn when SA opens the editor",
    "{type:drejeboeger-item-remove}": "one row per runbook point or task, drawn when SA opens the editor",
    "drejeboeger-print-content": "the print view's content, drawn when the print tab is chosen",
    "drejeboeger-print-selection": "the print view's content, drawn when the print tab is chosen",
    "kundeaftaler-grid": "the table tabs' content, drawn when a tab is chosen",
    "kundeaftaler-csv": "the table tabs' export buttons, drawn with the grid",
    "kundeaftaler-xlsx": "the table tabs' export buttons, drawn with the grid",
    "kundeaftaler-aftale-add": "SA's Rediger toolbar of an agreement tab (Ny version), drawn with the tab",
    "kundeaftaler-aftale-edit": "SA's Rediger toolbar of an agreement tab (Rediger kladde), drawn with a draft",
    "kundeaftaler-aftale-publish": "SA's Rediger toolbar of an agreement tab (Udgiv), drawn with a draft",
    "kundeaftaler-aftale-discard": "SA's Rediger toolbar of an agreement tab (Slet kladde), drawn with a draft",
    "kundeaftaler-dispensationer-add": "SA's Rediger toolbar of the Dispensationer tab, drawn with the tab",
    "kundeaftaler-dispensationer-edit": "SA's Rediger toolbar of the Dispensationer tab, drawn with the tab",
    "kundeaftaler-dispensationer-end": "SA's Rediger toolbar of the Dispensationer tab, drawn with the tab",
    "kundeaftaler-tilkoeb-add": "SA's Rediger toolbar of the Tilkøb tab, drawn with the tab",
    "kundeaftaler-tilkoeb-edit": "SA's Rediger toolbar of the Tilkøb tab, drawn with the tab",
    "kundeaftaler-tilkoeb-end": "SA's Rediger toolbar of the Tilkøb tab, drawn with the tab",
    "kundeaftaler-tredjepart-add": "SA's Rediger toolbar of the Opgaver hos 3. part tab, drawn with the tab",
    "kundeaftaler-tredjepart-edit": "SA's Rediger toolbar of the Opgaver hos 3. part tab, drawn with the tab",
    "kundeaftaler-tredjepart-end": "SA's Rediger toolbar of the Opgaver hos 3. part tab, drawn with the tab",
    "kundeaftaler-bilag-add": "SA's Rediger toolbar of the Bilag tab, drawn with the tab",
    "kundeaftaler-bilag-edit": "SA's Rediger toolbar of the Bilag tab, drawn with the tab",
    "kundeaftaler-bilag-choice": "SA's Rediger toolbar of the Bilag tab (the annex to act on), drawn with the tab",
    "kundeaftaler-bilag-withdraw": "SA's Rediger toolbar of the Bilag tab, drawn with the tab",
    "stamdata-regnskab-grid": "the Regnskab tab's content, drawn when the tab is chosen",
    "stamdata-loen-grid": "the Løn tab's content, drawn when the tab is chosen",
    "stamdata-edit": "SA's »Rediger stamdata« button, drawn with the Generelt tab's content",
    "stamdata-regnskab-add": "SA's toolbar of the Regnskab tab, drawn with the tab's content",
    "stamdata-regnskab-edit": "SA's toolbar of the Regnskab tab, drawn with the tab's content",
    "stamdata-loen-add": "SA's toolbar of the Løn tab, drawn with the tab's content",
    "stamdata-loen-edit": "SA's toolbar of the Løn tab, drawn with the tab's content",
    "stamdata-generelt-body": "the Generelt tab's facts, drawn with the tab's content",
    "stamdata-regnskab-body": "the Regnskab tab's units, drawn with the tab's content",
    "stamdata-loen-body": "the Løn tab's units, drawn with the tab's content",
}

# The only callbacks that need no menu right, only a signed-in user (the shell: menu, search, navigation).
SIGNED_IN_ONLY = {
    "callbacks.shell.update_nav",
    "callbacks.shell.customer_search",
    "callbacks.shell.unit_options",
    "callbacks.shell.navigate_to_choice",
    # The user's own notification choices (user menu): saved on the session's user, never a CVR's data.
    "callbacks.notifikationer.save_notifications",
}


def _ids(node: Any) -> Iterator[Any]:
    """Yield every component id in a layout as Dash serialises it."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            props = item.get("props")
            if isinstance(props, dict) and "id" in props:
                yield props["id"]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _key(component_id: Any) -> str:
    # Pattern-matching ids are known by their type: the page draws one item per row.
    if isinstance(component_id, dict):
        return f"{{type:{component_id.get('type')}}}"
    return str(component_id)


def _dependency_ids(dependencies: list[dict]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for spec in dependencies:
        outputs = [o for o in spec["output"].strip(".").split("...") if o]
        deps = [o.rsplit(".", 1)[0] for o in outputs]
        deps += [d["id"] for d in spec["inputs"] + spec["state"]]
        for dep in deps:
            parsed = json.loads(dep) if isinstance(dep, str) and dep.startswith("{") else dep
            found.setdefault(_key(parsed), set()).add(spec["output"])
    return found


@pytest.fixture
def content(app):
    from data.db import get_session

    with app.app_context():
        return content_world.build(get_session())


def _layout_ids(app, client, dash_client) -> set[str]:
    ids: set[str] = set()
    shell = client.get("/_dash-layout").get_json()
    ids.update(_key(i) for i in _ids(shell))
    for page in dash.page_registry.values():
        response = dash_client.page(page["path"], f"?cvr={world.CVR_A}")
        assert response.status_code == 200, page["path"]
        ids.update(_key(i) for i in _ids(response.get_json()))
    return ids


def test_every_callback_id_is_in_a_layout(app, client, login, dash_client, content):
    # SA's system administrator: every page is drawn for them (Ansøgninger, Tegningsberettigede and the
    # Persondatalog are theirs alone).
    login(world.SA_ADMIN)
    in_layouts = _layout_ids(app, client, dash_client)
    missing = {dep: sorted(outputs)[:2] for dep, outputs in _dependency_ids(dash_client.dependencies()).items()
               if dep not in in_layouts and dep not in DYNAMIC}
    assert not missing, f"callback ids found in no layout (a typo, or add them to DYNAMIC with a reason): {missing}"


def test_dynamic_ids_are_still_used(app, client, login, dash_client):
    login(world.SA_STAFF)
    used = _dependency_ids(dash_client.dependencies())
    assert not set(DYNAMIC) - set(used), "DYNAMIC names ids no callback uses any more"


def test_signed_in_only_callbacks_are_an_allow_list():
    # A callback of SA's own pages (no menu, an SA action) is checked by that action instead.
    without_menu = {f"{spec.func.__module__}.{spec.func.__qualname__}" for spec in _DECLARED
                    if vars(spec.func)[GUARD_MARK]["menu"] is None and vars(spec.func)[GUARD_MARK].get("action") is None}
    assert without_menu == SIGNED_IN_ONLY


def test_the_module_name_of_a_callback_is_the_guarded_function():
    import callbacks.aktionsliste

    assert GUARD_MARK in vars(callbacks.aktionsliste.render_actions)
