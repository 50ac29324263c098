"""The editing flow every editing screen shares: which button was clicked, what the form and the confirm
dialog show next, the data layer's refusals and Danish field messages, the status line above the grid.

Plain helpers, not a second callback registry: each screen declares its callbacks at module level in
`callbacks/<page>.py` through `portal_callback`, with `form_outputs(KIT, ...)` / `confirm_outputs(KIT, ...)`
as outputs and `form_dependencies(KIT, ...)` / `confirm_dependencies(KIT, ...)` as inputs and state, and
returns what `run_form` / `run_confirm` decide, turned into those outputs::

    @portal_callback(output=FORM, **form_dependencies(KIT), menu=...)
    def meeting_form(ctx, add, edit, save, cancel, selected, form_state, saved, **values):
        result = run_form(KIT, dash_ctx.triggered_id, selected=selected, load=..., open_form=...,
                          save=lambda: save_form(lambda: meetings.save(...), saved_status), gone="...")
        return result.outputs(FORM, saved)

The data layer refuses with `data.errors.Refused` (shown in the alert) or `ValidationError` (its `errors`
shown beside each field). The optimistic lock: the form keeps the version it showed in its state
(`FormState`), the save hands it back, and a stale version comes back as the data module's own refusal
(`data.users.UserConflict`, `data.contacts.ContactConflict`), shown like any other with the form still open.

Two kinds of screen spell their dependencies out instead: Kundeaftaler's kits, which share the
page's one grid and CVR store across its tabs, and SA's own screens without a customer (servicemål,
ansøgninger), whose callbacks have no CVR.
"""

from __future__ import annotations

import base64
import binascii
import enum
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Collection, Mapping, TypeVar

import dash_bootstrap_components as dbc
from dash import Input, Output, State, html, no_update
from dash.exceptions import PreventUpdate

from data.errors import FIX_FIELDS, Refused, ValidationError
from pages.ids._edit import EditIds

R = TypeVar("R")
KEEP = no_update  # an output left as the browser has it

# The keys of the kit's outputs; a screen's own outputs use any other names.
KIT_KEYS = ("is_open", "title", "text", "label", "state", "alert", "alert_open", "status", "summary")


class Step(enum.Enum):
    """What a click asks the form or the confirm dialog to do."""

    NEW = "new"
    EDIT = "edit"
    SAVE = "save"
    CANCEL = "cancel"
    ASK = "ask"
    CONFIRM = "confirm"


# --- dispatch from ctx.triggered_id ------------------------------------------------------------------


def form_step(ids: EditIds, trigger: Any) -> Step | None:
    """Return what the clicked component asks of the form, or None when it is none of the kit's buttons."""
    if not isinstance(trigger, str):
        return None  # pattern-matching ids (dicts) are the screen's own controls
    return {ids.add: Step.NEW, ids.edit: Step.EDIT, ids.save: Step.SAVE, ids.cancel: Step.CANCEL}.get(trigger)


def confirm_step(ids: EditIds, trigger: Any, actions: Mapping[str, str]) -> tuple[Step, str | None] | None:
    """Return (step, action) for a click on an action button (`actions`: button id -> action) or the dialog."""
    if not isinstance(trigger, str):
        return None
    if trigger in actions:
        return Step.ASK, actions[trigger]
    if trigger == ids.confirm_yes:
        return Step.CONFIRM, None
    if trigger == ids.confirm_no:
        return Step.CANCEL, None
    return None


def form_inputs(ids: EditIds) -> dict[str, Input]:
    """Return the form callback's kit inputs: the Tilføj, Rediger, save and cancel clicks."""
    return {"add": Input(ids.add, "n_clicks"), "edit": Input(ids.edit, "n_clicks"),
            "save": Input(ids.save, "n_clicks"), "cancel": Input(ids.cancel, "n_clicks")}


def form_dependencies(ids: EditIds, *, inputs: Mapping[str, Input] | None = None,
                      state: Mapping[str, State] | None = None, selected: bool = True) -> dict[str, dict[str, Any]]:
    """Return a form callback's `inputs` and `state`: the kit's (clicks, CVR, selection, form state, status
    store, every text field's value) and the screen's own, ready to spread into `portal_callback(...)`."""
    kit_state: dict[str, State] = {"cvr": State(ids.cvr, "data")}
    if selected:
        kit_state["selected"] = State(ids.grid, "selectedRows")
    kit_state |= {"form_state": State(ids.form_state, "data"), "saved": State(ids.saved, "data")}
    kit_state |= {f"value_{name}": State(ids.field(name), "value") for name in ids.fields}
    return {"inputs": _merged(form_inputs(ids), inputs), "state": _merged(kit_state, state)}


def confirm_dependencies(ids: EditIds, *, inputs: Mapping[str, Input], state: Mapping[str, State] | None = None,
                         selected: bool = True) -> dict[str, dict[str, Any]]:
    """Return a confirm callback's `inputs` (the screen's action buttons, then the dialog's two) and `state`
    (CVR, selection, the dialog's state, its status store, and the screen's own) for `portal_callback(...)`."""
    kit_inputs = {"yes": Input(ids.confirm_yes, "n_clicks"), "no": Input(ids.confirm_no, "n_clicks")}
    kit_state: dict[str, State] = {"cvr": State(ids.cvr, "data")}
    if selected:
        kit_state["selected"] = State(ids.grid, "selectedRows")
    kit_state |= {"confirm_state": State(ids.confirm_state, "data"), "changed": State(ids.changed, "data")}
    return {"inputs": _merged(dict(inputs), kit_inputs), "state": _merged(kit_state, state)}


def _merged(first: Mapping[str, Any], second: Mapping[str, Any] | None) -> dict[str, Any]:
    # The kit's names are its own: a screen's dependency of the same name would silently replace one.
    clash = sorted(set(first) & set(second or {}))
    if clash:
        raise ValueError(f"Dependencies named twice: {clash}")
    return {**first, **(second or {})}


# --- what the browser sends back ----------------------------------------------------------------------


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def selected_id(selected: Any) -> int | None:
    """Return the id of the one selected grid row, or None (the browser's row is only a hint)."""
    if isinstance(selected, list) and len(selected) == 1 and isinstance(selected[0], dict):
        value = selected[0].get("id")
        if _is_int(value):
            return value
    return None


@dataclass(frozen=True)
class FormState:
    """The record the form edits and the version it showed; the save sends the version back (optimistic lock)."""

    id: int
    version: Any

    def to_store(self) -> dict[str, Any]:
        """Return the form state store's data."""
        return {"id": self.id, "version": self.version}

    @classmethod
    def from_store(cls, data: Any) -> FormState | None:
        """Return the edited record from the store, or None when the form creates a new one."""
        if not isinstance(data, dict) or data.get("id") is None:
            return None
        record_id = data["id"]
        # A forged id becomes one no record has, so the data layer refuses it as not found.
        return cls(record_id if _is_int(record_id) else -1, data.get("version"))


@dataclass(frozen=True)
class ConfirmState:
    """The action the confirm dialog asks about, on which record (and version, where the data layer checks one)."""

    id: Any
    action: str | None = None  # stored only when the screen has several actions
    version: Any = None

    def to_store(self) -> dict[str, Any]:
        """Return the confirm state store's data, without the parts this screen does not use."""
        data: dict[str, Any] = {"id": self.id}
        if self.action is not None:
            data = {"action": self.action, **data}
        if self.version is not None:
            data["version"] = self.version
        return data

    @classmethod
    def from_store(cls, data: Any, actions: Collection[str]) -> ConfirmState | None:
        """Return the state the dialog was opened with, or None when it names no action of this screen."""
        if not isinstance(data, dict):
            return None
        action = data.get("action")
        if action is None and len(set(actions)) == 1:
            action = next(iter(actions))
        if not isinstance(action, str) or action not in actions:
            return None
        return cls(data.get("id"), action, data.get("version"))


# --- the result, and the outputs it fills ----------------------------------------------------------------


@dataclass(frozen=True)
class Status:
    """A message for the status line above the grid; `level` is success, info or warning."""

    text: str
    level: str = "success"

    def to_store(self, previous: Any) -> dict[str, Any]:
        """Return the status store's next data; the counter makes a repeated message a new value."""
        count = previous.get("n") if isinstance(previous, dict) else None
        return {"n": (count if _is_int(count) else 0) + 1, "text": self.text, "level": self.level}


@dataclass(frozen=True)
class Question:
    """What the confirm dialog asks: its title, the question and the confirm button's label."""

    title: str
    text: str
    label: str


@dataclass(frozen=True)
class EditResult:
    """What the form or the confirm dialog shows next; anything left at KEEP stays as the browser has it."""

    is_open: Any = KEEP
    title: Any = KEEP
    text: Any = KEEP  # the confirm dialog's question
    label: Any = KEEP  # the save or confirm button's text
    state: Any = KEEP  # the form or confirm state store's data; None forgets it
    alert: Any = KEEP  # a message shows the alert, None hides it
    values: Mapping[str, Any] | None = None  # field name -> value to fill in
    errors: Mapping[str, str] | None = None  # None leaves the field messages; a mapping shows exactly these
    message: tuple[str, str] | None = None  # (field, text): one field's message, the others left as they are
    status: Status | None = None  # a message for the status line (and a grid reload)
    extra: Mapping[str, Any] = field(default_factory=dict)  # the screen's own outputs

    @classmethod
    def opened(cls, title: Any, values: Mapping[str, Any], state: FormState | None = None, *, label: Any = KEEP,
               **extra: Any) -> EditResult:
        """Open the form on a new record (no state) or on `state`'s record, with no messages left over."""
        return cls(is_open=True, title=title, label=label, state=state.to_store() if state else None, alert=None,
                   values=values, errors={}, extra=extra)

    @classmethod
    def closed(cls) -> EditResult:
        """Close the form or dialog and forget what it was about."""
        return cls(is_open=False, state=None)

    @classmethod
    def saved(cls, status: Status) -> EditResult:
        """Close the form after a save, clear its messages and report `status` above the grid."""
        return cls(is_open=False, state=None, alert=None, errors={}, status=status)

    @classmethod
    def refused(cls, message: str) -> EditResult:
        """Keep the form or dialog open with the refusal in its alert and no field messages."""
        return cls(alert=message, errors={})

    @classmethod
    def invalid(cls, error: ValidationError, **extra: Any) -> EditResult:
        """Keep the form open with the refusal in its alert and each field's message beside it."""
        return cls(alert=error.message, errors=dict(error.errors), extra=extra)

    @classmethod
    def notice(cls, status: Status) -> EditResult:
        """Leave the form as it is and report `status` above the grid."""
        return cls(status=status)

    @classmethod
    def field_message(cls, name: str, text: str) -> EditResult:
        """Show `text` beside field `name` and leave everything else as it is."""
        return cls(message=(name, text))

    @classmethod
    def only(cls, **extra: Any) -> EditResult:
        """Change only the screen's own outputs."""
        return cls(extra=extra)

    @classmethod
    def asking(cls, question: Question, state: ConfirmState) -> EditResult:
        """Open the confirm dialog with `question` about `state`'s record."""
        return cls(is_open=True, title=question.title, text=question.text, label=question.label, alert=None,
                   state=state.to_store())

    @classmethod
    def done(cls, status: Status) -> EditResult:
        """Close the confirm dialog after the action and report `status` above the grid."""
        return cls(is_open=False, state=None, status=status)

    def outputs(self, declared: Mapping[str, Any], status_store: Any = None) -> dict[str, Any]:
        """Return a value for every output in `declared` (KEEP where this result says nothing)."""
        out: dict[str, Any] = {key: KEEP for key in declared}

        def put(key: str, value: Any) -> None:
            if value is KEEP:
                return
            if key not in declared:
                raise KeyError(f"The callback declares no output {key!r}")
            out[key] = value

        for key in ("is_open", "title", "text", "label", "state"):
            put(key, getattr(self, key))
        if self.alert is not KEEP:
            put("alert", self.alert)
            put("alert_open", self.alert is not None)
        if "summary" in declared and (self.alert is not KEEP or self.errors is not None):
            out["summary"] = error_summary(self.alert if self.alert is not KEEP else None, self.errors or {},
                                           declared)
        for name, value in (self.values or {}).items():
            put(f"value_{name}", value)
        if self.errors is not None:
            # Every declared message is set: the ones not named are cleared.
            for key in declared:
                if key.startswith("invalid_"):
                    out[key] = key.removeprefix("invalid_") in self.errors
                elif key.startswith("feedback_"):
                    out[key] = self.errors.get(key.removeprefix("feedback_"))
        if self.message is not None:
            name, text = self.message
            if f"invalid_{name}" in declared:
                put(f"invalid_{name}", True)
            put(f"feedback_{name}", text)
        if self.status is not None:
            put("status", self.status.to_store(status_store))
        for key, value in self.extra.items():
            if key in KIT_KEYS or key.startswith(("value_", "invalid_", "feedback_")):
                raise KeyError(f"{key!r} is the kit's output; set it through the result's own fields")
            put(key, value)
        return out


def error_summary(message: str | None, errors: Mapping[str, str], declared: Collection[str] = ()) -> Any:
    """Return the summary shown at the save button: the refusal and each field's message, or None when all is well."""
    if not message and not errors:
        return None
    # The form's own order (the declared field messages), then any message of a field the form does not show.
    order = [key.removeprefix("feedback_") for key in declared if key.startswith("feedback_")]
    names = [n for n in order if n in errors] + [n for n in errors if n not in order]
    parts: list[Any] = [html.P(message or FIX_FIELDS, className="mb-1 fw-semibold")]
    if names:
        parts.append(html.Ul([html.Li(errors[n]) for n in names], className="mb-0 ps-3"))
    # A new key each time: the browser renders the summary anew even when the messages repeat, and
    # assets/forms.js takes that as the cue to move focus to the first field with a message.
    return html.Div(parts, key=uuid.uuid4().hex)


def _with_extra(outputs: dict[str, Output], extra: Mapping[str, Output]) -> dict[str, Output]:
    clash = [key for key in extra if key in KIT_KEYS or key.startswith(("value_", "invalid_", "feedback_"))]
    if clash:
        raise ValueError(f"Outputs named like the kit's: {sorted(clash)}")
    return {**outputs, **extra}


def form_outputs(ids: EditIds, **extra: Output) -> dict[str, Output]:
    """Return the form callback's outputs: the kit's (modal, alert, fields, status store) and the screen's `extra`."""
    outputs: dict[str, Output] = {
        "is_open": Output(ids.form_modal, "is_open"),
        "title": Output(ids.form_title, "children"),
        "label": Output(ids.save, "children"),
        "state": Output(ids.form_state, "data"),
        "alert": Output(ids.form_alert, "children"),
        "alert_open": Output(ids.form_alert, "is_open"),
        "summary": Output(ids.form_summary, "children"),
        "status": Output(ids.saved, "data"),
    }
    for name in ids.fields:
        outputs[f"value_{name}"] = Output(ids.field(name), "value")
        outputs[f"invalid_{name}"] = Output(ids.field(name), "invalid")
        outputs[f"feedback_{name}"] = Output(ids.feedback(name), "children")
    for name in ids.feedback_only:
        outputs[f"feedback_{name}"] = Output(ids.feedback(name), "children")
    return _with_extra(outputs, extra)


def confirm_outputs(ids: EditIds, **extra: Output) -> dict[str, Output]:
    """Return the confirm callback's outputs: dialog, question, alert, state, status store, and `extra`."""
    outputs = {
        "is_open": Output(ids.confirm_modal, "is_open"),
        "title": Output(ids.confirm_title, "children"),
        "text": Output(ids.confirm_text, "children"),
        "label": Output(ids.confirm_yes, "children"),
        "alert": Output(ids.confirm_alert, "children"),
        "alert_open": Output(ids.confirm_alert, "is_open"),
        "state": Output(ids.confirm_state, "data"),
        "status": Output(ids.changed, "data"),
    }
    return _with_extra(outputs, extra)


def field_values(ids: EditIds, record: Mapping[str, Any] | None) -> dict[str, Any]:
    """Return the form's text field values: the record's, or empty for a new one."""
    return {name: record[name] if record else "" for name in ids.fields}


def form_values(ids: EditIds, states: Mapping[str, Any]) -> dict[str, Any]:
    """Return the text fields' values from the callback's `value_<field>` states."""
    return {name: states.get(f"value_{name}") for name in ids.fields}


# --- the flows ---------------------------------------------------------------------------------------


def save_form(write: Callable[[], R], status: Callable[[R], Status],
              invalid_extra: Callable[[ValidationError], Mapping[str, Any]] | None = None) -> EditResult:
    """Run the data layer's `write`; show its refusal or field messages, or close and report `status(result)`."""
    try:
        result = write()
    except ValidationError as exc:
        return EditResult.invalid(exc, **(invalid_extra(exc) if invalid_extra else {}))
    except Refused as exc:
        return EditResult.refused(exc.message)
    return EditResult.saved(status(result))


def run_form(ids: EditIds, trigger: Any, *, selected: Any, load: Callable[[int], R | None],
             open_form: Callable[[R | None], EditResult], save: Callable[[], EditResult], gone: str,
             other: Callable[[Any], EditResult | None] | None = None) -> EditResult:
    """Open the form empty (Tilføj) or on the selected record (Rediger), save it, or cancel it.

    `load` reads the selected record through the data layer's scope (None: not on this customer), `gone`
    is the warning shown when it is no longer there, `other` handles the screen's own controls.
    Raises PreventUpdate for anything else.
    """
    step = form_step(ids, trigger)
    if step is Step.NEW:
        return open_form(None)
    if step is Step.EDIT:
        record_id = selected_id(selected)
        if record_id is None:
            raise PreventUpdate
        record = load(record_id)
        if record is None:
            return EditResult.notice(Status(gone, "warning"))
        return open_form(record)
    if step is Step.SAVE:
        return save()
    if step is Step.CANCEL:
        return EditResult.closed()
    result = other(trigger) if other is not None else None
    if result is None:
        raise PreventUpdate
    return result


def run_confirm(ids: EditIds, trigger: Any, *, actions: Mapping[str, str], selected: Any, confirm_state: Any,
                load: Callable[[int], Mapping[str, Any] | None], ask: Callable[[str, Mapping[str, Any]], Question],
                do: Callable[[ConfirmState], Status], versioned: bool = False) -> EditResult:
    """Ask before an action on the selected record, then do it (refusals stay in the dialog), or cancel.

    `actions` maps each action button's id to its action; `versioned` keeps the record's version in the
    dialog's state for a data layer that checks it. Raises PreventUpdate for anything else.
    """
    step = confirm_step(ids, trigger, actions)
    several = len(set(actions.values())) > 1
    if step is None:
        raise PreventUpdate
    kind, action = step
    if kind is Step.ASK:
        record_id = selected_id(selected)
        record = load(record_id) if record_id is not None else None
        if record is None or action is None:
            raise PreventUpdate
        state = ConfirmState(record["id"], action if several else None,
                             record.get("version") if versioned else None)
        return EditResult.asking(ask(action, record), state)
    if kind is Step.CONFIRM:
        state = ConfirmState.from_store(confirm_state, set(actions.values()))
        if state is None:
            raise PreventUpdate
        try:
            status = do(state)
        except Refused as exc:
            return EditResult.refused(exc.message)
        return EditResult.done(status)
    return EditResult.closed()


# --- uploads ----------------------------------------------------------------------------------------


def uploaded_files(contents: Any, filenames: Any) -> list[tuple[str, bytes]]:
    """Return (name, bytes) of each file `dcc.Upload` sent (data URLs); raise Refused for a malformed payload."""
    # The browser's names and bytes are only decoded here; `data.uploads.check_upload` judges them.
    if isinstance(contents, str):
        contents, filenames = [contents], [filenames]
    if not isinstance(contents, list) or not isinstance(filenames, list) or len(contents) != len(filenames):
        raise Refused("Filerne kunne ikke læses. Vælg dem igen.")
    files: list[tuple[str, bytes]] = []
    for content, name in zip(contents, filenames):
        if not isinstance(content, str) or not isinstance(name, str):
            raise Refused("Filerne kunne ikke læses. Vælg dem igen.")
        header, sep, data = content.partition(",")
        if not sep or not header.startswith("data:") or not header.endswith(";base64"):
            raise Refused(f"Filen »{name[:120]}« kunne ikke læses. Vælg den igen.")
        try:
            files.append((name, base64.b64decode(data, validate=True)))
        except (binascii.Error, ValueError):
            raise Refused(f"Filen »{name[:120]}« kunne ikke læses. Vælg den igen.") from None
    return files


# --- the status line -----------------------------------------------------------------------------------


def latest_status(ids: EditIds, trigger: Any, saved: Any, changed: Any, *, limit: int = 600) -> dbc.Alert | None:
    """Return the status line for the store that triggered the grid's reload, or None."""
    message = saved if trigger == ids.saved else changed if trigger == ids.changed else None
    return status_alert(message, limit=limit)


def status_alert(message: Any, *, limit: int = 600) -> dbc.Alert | None:
    """Return the status line for a status store's data (`Status.to_store`), or None when it holds none."""
    if not isinstance(message, dict) or not isinstance(message.get("text"), str):
        return None
    color = {"warning": "warning", "info": "info"}.get(message.get("level"), "success")
    # Not dismissable: dash-bootstrap-components labels that close button in English only ("Close alert").
    return dbc.Alert(message["text"][:limit], color=color)
