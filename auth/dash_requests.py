"""Validate callback requests against the app's callback map before Dash dispatches them.

Every Input and State is client-controlled. A payload whose output is unknown, or whose inputs
and state do not match the declared dependencies of that callback, is refused with 400 before
any callback code runs.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Flask, current_app, jsonify, request
from flask_login import current_user
from werkzeug.exceptions import BadRequest

from core.access import can_do
from core.rights import Action

UPDATE_PATH = "/_dash-update-component"
BAD_REQUEST = "Ugyldig forespørgsel."
TOO_LARGE = "Forespørgslen er for stor."
# The one property whose value is a file (dcc.Upload, base64): only callbacks reading it take big bodies.
UPLOAD_PROPERTY = "contents"
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


def _takes_upload(spec: dict) -> bool:
    """Tell whether a callback reads a dcc.Upload's `contents` (a file, so a body above the callback limit)."""
    return any(dep.get("property") == UPLOAD_PROPERTY for dep in [*spec.get("inputs", []), *spec.get("state", [])])


def _callback_body_limit() -> int:
    """Return the largest callback body this request may send: uploads are for SA's editors only."""
    small = current_app.config["CALLBACK_MAX_BYTES"]
    # Only the editing callbacks of SA staff take documents (Action.EDIT_CONTENT); they keep the
    # app-wide limit. Everyone else, signed in or not, gets the small one.
    if can_do(current_user, Action.EDIT_CONTENT):
        return max(small, current_app.config["MAX_CONTENT_LENGTH"] or small)
    return small


def _limit_callback_body():
    # Runs first, before any hook reads the body: a gigabyte of JSON is refused from its
    # Content-Length, and a body without one (chunked) is cut off by Werkzeug at the same limit.
    if request.path != UPDATE_PATH or request.method != "POST":
        return None
    limit = _callback_body_limit()
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        current_app.logger.warning("refused callback body of %s bytes (limit %s)", request.content_length, limit)
        return jsonify(error=TOO_LARGE), 413
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
    if (problem is None and (request.content_length or 0) > current_app.config["CALLBACK_MAX_BYTES"]
            and not _takes_upload(dash_app.callback_map[body["output"]])):
        # An editor's large body is for a file; anything else that large is not a real request.
        problem = "body too large for a callback without an upload"
    if problem is not None:
        current_app.logger.warning("refused callback payload: %s", problem)
        return jsonify(error=BAD_REQUEST), 400
    return None


def init_app(server: Flask) -> None:
    """Limit callback bodies before anything reads them, validate payloads (after Dash's hooks), refuse NUL."""
    # First of all hooks: CSRF, the wall and Dash's own must not read a body that is too large.
    server.before_request_funcs.setdefault(None, []).insert(0, _limit_callback_body)
    server.before_request(_refuse_nul)
    server.before_request(_validate_update_request)
