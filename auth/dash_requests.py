"""Validate callback requests against the app's callback map before Dash dispatches them.

Every Input and State is client-controlled. A payload whose output is unknown, or whose inputs
and state do not match the declared dependencies of that callback, is refused with 400 before
any callback code runs.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import BadRequest

UPDATE_PATH = "/_dash-update-component"
BAD_REQUEST = "Ugyldig forespørgsel."
_STREAMS_OWN_BODY = "__streams_own_body__"


def streams_own_body(view: Any) -> Any:
    """Mark a view that reads its (large) request body itself, so no hook parses the form before it."""
    # Parsing the form here would read a gigabyte upload under the app-wide MAX_CONTENT_LENGTH
    # before the view could set its own limit; such a view checks its few form values itself.
    setattr(view, _STREAMS_OWN_BODY, True)
    return view


def _declared_id(dep_id: Any) -> Any:
    # Pattern-matching ids are declared as JSON objects (or dicts, on Output objects); plain ids are strings.
    if isinstance(dep_id, str) and dep_id.startswith("{"):
        try:
            return json.loads(dep_id)
        except ValueError:
            return dep_id
    return dep_id


def _matches(sent: Any, declared: dict) -> bool:
    if isinstance(sent, list):
        # Pattern-matching dependencies (ALL/ALLSMALLER) arrive as lists of items; plain ones never do.
        if not isinstance(_declared_id(declared.get("id", "")), dict):
            return False
        return all(_matches(item, declared) for item in sent)
    if not isinstance(sent, dict) or sent.get("property") != declared.get("property"):
        return False
    want = _declared_id(declared.get("id", ""))
    got = sent.get("id")
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(got) != set(want):
            return False
        return all(isinstance(v, (str, int, float, bool)) or v is None for v in got.values())
    return got == want


def _outputs_match(sent: Any, declared: Any) -> bool:
    """Tell whether the `outputs` of a payload name exactly the declared outputs (Dash answers by them)."""
    if isinstance(declared, (list, tuple)):
        return isinstance(sent, list) and len(sent) == len(declared) and all(
            _outputs_match(s, d) for s, d in zip(sent, declared))
    want = {"id": getattr(declared, "component_id", None), "property": getattr(declared, "component_property", None)}
    return _matches(sent, want)


LOCATION_ID = "_pages_location"
LOCATION_PROPS = ("pathname", "search", "hash", "href")


def _location_problem(sent: Any) -> str | None:
    # The URL's parts are strings (or absent) in every real request; Dash's router and the shell's
    # callbacks parse them as such, so anything else is refused here, once, for all of them.
    if not isinstance(sent, dict) or sent.get("id") != LOCATION_ID or sent.get("property") not in LOCATION_PROPS:
        return None
    value = sent.get("value")
    if value is not None and not isinstance(value, str):
        return "location value is not a string"
    if sent["property"] == "pathname" and value is not None and not value.startswith("/"):
        return "pathname is not a path"
    return None


def payload_problem(body: Any, callback_map: dict) -> str | None:
    """Return why a callback payload does not fit the callback map, or None when it fits."""
    if not isinstance(body, dict):
        return "body is not an object"
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        return "unknown output"
    spec = callback_map[output]
    if not callable(spec.get("callback")):
        # Clientside callbacks run in the browser only; there is nothing to dispatch on the server.
        return "not a server callback"
    inputs = body.get("inputs")
    state = body.get("state", [])
    if not isinstance(inputs, list) or not isinstance(state, list):
        return "inputs/state are not lists"
    if not spec.get("no_output") and not _outputs_match(body.get("outputs"), spec.get("output")):
        return "outputs do not match"
    declared_inputs = spec.get("inputs", [])
    declared_state = spec.get("state", [])
    if len(inputs) != len(declared_inputs) or len(state) != len(declared_state):
        return "wrong number of inputs/state"
    for sent, declared in zip(inputs + state, declared_inputs + declared_state):
        if not _matches(sent, declared):
            return "dependency does not match"
        problem = _location_problem(sent)
        if problem is not None:
            return problem
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(_changed_prop_id_ok(c) for c in changed):
        return "changedPropIds malformed"
    return None


def _changed_prop_id_ok(value: Any) -> bool:
    """Tell whether one changedPropIds entry is 'id.prop' as Dash's callback context will parse it."""
    if not isinstance(value, str) or "." not in value:
        return False
    if not value.startswith("{"):
        return True
    # Dash's ctx.triggered_prop_ids json-parses an id that starts with '{': a broken one would be a 500.
    try:
        return isinstance(json.loads(value.rsplit(".", 1)[0]), dict)
    except ValueError:
        return False


def _has_nul(value: Any) -> bool:
    """Tell whether a NUL character hides anywhere in a parsed JSON value (keys included)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _refuse_nul():
    # No real input holds a NUL, and PostgreSQL refuses one in any text parameter (a 500 deep in a
    # query): refuse it once, at the door, in the query string, a form or a callback payload.
    values = [*request.args.values(), *request.args.keys()]
    streams = getattr(current_app.view_functions.get(request.endpoint or ""), _STREAMS_OWN_BODY, False)
    if (request.method == "POST" and not streams
            and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data")):
        values += [*request.form.values(), *request.form.keys()]
    if any("\x00" in v for v in values):
        current_app.logger.warning("refused request: NUL in query or form")
        raise BadRequest(BAD_REQUEST)
    return None


def _validate_update_request():
    if request.path != UPDATE_PATH or request.method != "POST":
        return None
    dash_app = current_app.extensions["dash_app"]
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        # JSON nested deeper than the parser's recursion limit: malformed, not a server error.
        body = None
    problem = payload_problem(body, dash_app.callback_map)
    if problem is None and _has_nul(body):
        problem = "NUL in payload"
    if problem is not None:
        current_app.logger.warning("refused callback payload: %s", problem)
        return jsonify(error=BAD_REQUEST), 400
    return None


def init_app(server: Flask) -> None:
    """Validate callback payloads (after Dash's own request hooks) and refuse NUL characters."""
    server.before_request(_refuse_nul)
    server.before_request(_validate_update_request)
