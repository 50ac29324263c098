"""The payload builder of the tests (tests/_dash.py) speaks the renderer's shape, and refuses what it cannot know."""

from __future__ import annotations

import pytest

from pages.ids import brugeradministration as users_ids
from pages.ids import rapporter as rapporter_ids
from pages.ids import shell as shell_ids
from pages.ids import stamdata as stamdata_ids
from tests import _dash, world


def test_single_output_callback_in_the_renderers_shape(laeser_a, dash_client):
    body = dash_client.payload(stamdata_ids.TABS, "value", values={stamdata_ids.TABS: "loen"}, cvr=world.CVR_A)
    assert body == {
        "output": f"{stamdata_ids.CONTENT}.children",
        "outputs": {"id": stamdata_ids.CONTENT, "property": "children"},
        "inputs": [{"id": stamdata_ids.TABS, "property": "value", "value": "loen"}],
        "state": [{"id": stamdata_ids.CVR, "property": "data", "value": world.CVR_A}],
        "changedPropIds": [f"{stamdata_ids.TABS}.value"],
    }
    assert dash_client.payload(stamdata_ids.TABS, "value", initial=True)["changedPropIds"] == []


def test_several_outputs_and_every_other_dependency_filled(laeser_a, dash_client):
    body = dash_client.payload(rapporter_ids.PICK, "data", values={rapporter_ids.PICK: {"value": "A1"}},
                               output=rapporter_ids.GOAL,
                               cvr=world.CVR_A, default="x")
    assert isinstance(body["outputs"], list) and {"id": rapporter_ids.GOAL, "property": "options"} in body["outputs"]
    assert body["output"] == ".." + "...".join(f"{o['id']}.{o['property']}" for o in body["outputs"]) + ".."
    values = {(d["id"], d["property"]): d["value"] for d in body["inputs"] + body["state"]}
    assert values[(rapporter_ids.PICK, "data")] == {"value": "A1"}
    assert values[(rapporter_ids.CVR, "data")] == world.CVR_A
    assert values[(rapporter_ids.AREA, "value")] == "x"


def test_pattern_matching_dependencies_and_trigger(login, dash_client):
    login(world.ADMIN_AB)
    trigger = users_ids.group_id(users_ids.GROUP_REMOVE, 1)
    body = dash_client.payload(trigger, "n_clicks", cvr=world.CVR_A,
                               values={users_ids.GROUP_REMOVE: [0, 1], users_ids.GROUP_CVR: [world.CVR_A, world.CVR_B]})
    assert body["changedPropIds"] == ['{"index":1,"type":"%s"}.n_clicks' % users_ids.GROUP_REMOVE]
    [removes] = [d for d in body["inputs"] if isinstance(d, list)]
    assert removes == [{"id": {"index": 0, "type": users_ids.GROUP_REMOVE}, "property": "n_clicks", "value": 0},
                       {"id": {"index": 1, "type": users_ids.GROUP_REMOVE}, "property": "n_clicks", "value": 1}]
    cvrs, rights = [d for d in body["state"] if isinstance(d, list)]
    assert [(i["id"], i["value"]) for i in cvrs] == [({"index": 0, "type": users_ids.GROUP_CVR}, world.CVR_A),
                                                    ({"index": 1, "type": users_ids.GROUP_CVR}, world.CVR_B)]
    assert rights == []  # not given: no matching components


def test_refuses_what_it_cannot_know(laeser_a, dash_client):
    with pytest.raises(LookupError):  # the location's search fires several callbacks
        dash_client.payload(shell_ids.LOCATION, "search")
    with pytest.raises(LookupError):
        dash_client.payload("findes-ikke", "value")
    with pytest.raises(ValueError):  # a value for a component the callback does not read
        dash_client.payload(stamdata_ids.TABS, "value", values={rapporter_ids.AREA: "x"})
    with pytest.raises(ValueError):  # one id, two of its properties
        dash_client.payload(shell_ids.LOCATION, "pathname", output=shell_ids.NAV,
                            values={shell_ids.LOCATION: "/"})
    with pytest.raises(ValueError):  # the shell has no CVR store
        dash_client.payload(shell_ids.UNIT_SEARCH, "search_value", cvr=world.CVR_A)


def test_every_menu_callback_has_exactly_one_cvr_store_from_the_id_modules(laeser_a, dash_client):
    ids = _dash.cvr_ids()
    assert stamdata_ids.CVR in ids and len(ids) >= 9
    for callback in _dash.callbacks(dash_client.dependencies()):
        callback.cvr_index(ids)  # raises on two


def _oversized(dash_client, limit: int) -> dict:
    """Return a Stamdata callback body padded (in a key Dash ignores) to just over `limit` bytes."""
    body = dash_client.payload(stamdata_ids.TABS, "value", values={stamdata_ids.TABS: "loen"}, cvr=world.CVR_A)
    return {**body, "padding": "x" * (limit + 1)}


def test_a_callback_body_over_the_limit_is_refused_before_it_is_parsed(app, laeser_a, dash_client, monkeypatch):
    import flask.wrappers

    limit = app.config["CALLBACK_MAX_BYTES"]
    assert limit <= 1024 * 1024
    small = dash_client.payload(stamdata_ids.TABS, "value", values={stamdata_ids.TABS: "loen"}, cvr=world.CVR_A)
    assert dash_client.send(small).status_code == 200
    parsed = []
    original = flask.wrappers.Request.get_json
    monkeypatch.setattr(flask.wrappers.Request, "get_json",
                        lambda self, *a, **k: parsed.append(1) or original(self, *a, **k))
    body = _oversized(dash_client, limit)
    response = dash_client.send(body)
    assert response.status_code == 413 and parsed == []
    assert response.get_json() == {"error": "Forespørgslen er for stor."}


def test_only_sa_editors_upload_callbacks_take_a_body_over_the_limit(app, sa_staff, dash_client):
    limit = app.config["CALLBACK_MAX_BYTES"]
    # SA staff may send documents (up to the app-wide limit), but only to a callback that reads one.
    response = dash_client.send(_oversized(dash_client, limit))
    assert response.status_code == 400 and response.get_json() == {"error": "Ugyldig forespørgsel."}


def test_an_sa_editors_document_upload_may_exceed_the_callback_limit_a_customers_may_not(app, login, dash_client):
    import base64

    from pages.ids import moeder as moeder_ids

    limit = app.config["CALLBACK_MAX_BYTES"]
    pdf = b"%PDF-1.4 " + b"x" * (limit + 1000)
    contents = "data:application/pdf;base64," + base64.b64encode(pdf).decode()

    def upload():
        return dash_client.fire(moeder_ids.UPLOAD, "contents", cvr=world.CVR_A, values={(moeder_ids.UPLOAD, "contents"): contents},
                                default=None)

    login(world.SA_STAFF)
    assert upload().status_code not in (400, 413)
    dash_client.client.post("/logout")
    login(world.REDIGER_A)
    assert upload().status_code == 413
