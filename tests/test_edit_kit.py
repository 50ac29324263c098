"""The editing kit on its own: ids per namespace, dispatch from the triggering id, result -> outputs,
field messages and refusals from the data layer, the confirm flow, and the layout helpers."""

from __future__ import annotations

import dataclasses

import pytest
from dash import Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from core.access import AccessDenied
from callbacks._edit import (
    ConfirmState,
    EditResult,
    FormState,
    Question,
    Status,
    Step,
    confirm_dependencies,
    confirm_outputs,
    confirm_step,
    field_values,
    form_dependencies,
    form_inputs,
    form_outputs,
    form_step,
    form_values,
    latest_status,
    run_confirm,
    run_form,
    save_form,
    selected_id,
)
from data import contacts, users
from data.errors import Refused, ValidationError
from pages._edit import confirm_dialog, edit_stores, field_feedback, form_modal, status_line, text_field
from pages._history import history_modal
from pages.ids._edit import edit_ids

KIT = edit_ids("moeder", fields=("title", "shared_email"), feedback_only=("roles",))
FORM = form_outputs(KIT, roles_value=Output("moeder-roles", "value"))
CONFIRM = confirm_outputs(KIT)
ACTIONS = {"moeder-delete": "delete"}
SEVERAL = {"moeder-deactivate": "deactivate", "moeder-remove": "remove"}


def _component_ids(component) -> set[str]:
    """Return every id in a Dash component tree."""
    found = set()
    stack = [component]
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        if getattr(node, "id", None) is not None:
            found.add(node.id)
        children = getattr(node, "children", None)
        if children is not None and not isinstance(children, str):
            stack.append(children)
    return found


# --- ids ------------------------------------------------------------------------------------------------


def test_ids_are_generated_from_the_namespace():
    assert KIT.form_modal == "moeder-form-modal" and KIT.confirm_state == "moeder-confirm-state"
    assert KIT.save == "moeder-save" and KIT.cancel == "moeder-cancel" and KIT.changed == "moeder-changed"
    assert KIT.field("shared_email") == "moeder-shared-email"
    assert KIT.feedback("shared_email") == "moeder-shared-email-feedback"
    assert KIT.feedback("roles") == "moeder-roles-feedback"
    with pytest.raises(KeyError):
        KIT.field("roles")  # a feedback-only field has no text input
    with pytest.raises(KeyError):
        KIT.feedback("unknown")
    with pytest.raises(dataclasses.FrozenInstanceError):
        KIT.namespace = "other"  # type: ignore[misc]


def test_ids_refuse_clashes_and_bad_names():
    with pytest.raises(ValueError):
        edit_ids("moeder", fields=("status",))  # would be the status line's id
    with pytest.raises(ValueError):
        edit_ids("moeder", fields=("title",), feedback_only=("title",))
    with pytest.raises(ValueError):
        edit_ids("Møder")


def test_the_two_pages_keep_their_ids():
    from pages.ids import brugeradministration, kontaktpersoner

    assert kontaktpersoner.KIT.form_modal == "kontaktpersoner-form-modal"
    assert kontaktpersoner.KIT.field("name") == "kontaktpersoner-name"
    assert kontaktpersoner.KIT.feedback("tabs") == "kontaktpersoner-tabs-feedback"
    assert brugeradministration.KIT.field("b_number") == "brugeradministration-b-number"
    assert brugeradministration.KIT.feedback("groups") == "brugeradministration-groups-feedback"


# --- dispatch ---------------------------------------------------------------------------------------------


def test_form_dispatch_from_the_triggering_id():
    assert form_step(KIT, KIT.add) is Step.NEW
    assert form_step(KIT, KIT.edit) is Step.EDIT
    assert form_step(KIT, KIT.save) is Step.SAVE
    assert form_step(KIT, KIT.cancel) is Step.CANCEL
    assert form_step(KIT, "moeder-add-group") is None
    assert form_step(KIT, {"type": "x", "index": 0}) is None
    assert form_step(KIT, None) is None
    assert set(form_inputs(KIT)) == {"add", "edit", "save", "cancel"}


def test_confirm_dispatch_from_the_triggering_id():
    assert confirm_step(KIT, "moeder-remove", SEVERAL) == (Step.ASK, "remove")
    assert confirm_step(KIT, KIT.confirm_yes, SEVERAL) == (Step.CONFIRM, None)
    assert confirm_step(KIT, KIT.confirm_no, SEVERAL) == (Step.CANCEL, None)
    assert confirm_step(KIT, KIT.save, SEVERAL) is None
    assert confirm_step(KIT, {"type": "moeder-remove"}, SEVERAL) is None


@pytest.mark.parametrize("selected, expected", [
    ([{"id": 7}], 7), ([], None), ([{"id": 7}, {"id": 8}], None), ([{"id": "7"}], None), ([{"id": True}], None),
    ("7", None), ([7], None), (None, None),
])
def test_selected_id_trusts_only_one_integer_row(selected, expected):
    assert selected_id(selected) == expected


# --- state the browser sends back --------------------------------------------------------------------------


def test_form_state_round_trip_and_forged_ids():
    assert FormState(3, 2).to_store() == {"id": 3, "version": 2}
    assert FormState.from_store({"id": 3, "version": 2}) == FormState(3, 2)
    assert FormState.from_store(None) is None
    assert FormState.from_store({"id": None}) is None
    assert FormState.from_store("3") is None
    # A forged id is one no record has: the data layer answers "not found", never "new".
    assert FormState.from_store({"id": "3", "version": 2}) == FormState(-1, 2)
    assert FormState.from_store({"id": True}) == FormState(-1, None)


def test_confirm_state_names_the_action_only_where_there_are_several():
    assert ConfirmState(4, version=2).to_store() == {"id": 4, "version": 2}
    assert ConfirmState(4, "remove").to_store() == {"action": "remove", "id": 4}
    assert ConfirmState.from_store({"id": 4, "version": 2}, {"delete"}) == ConfirmState(4, "delete", 2)
    assert ConfirmState.from_store({"id": 4}, {"deactivate", "remove"}) is None
    assert ConfirmState.from_store({"action": "drop", "id": 4}, {"deactivate", "remove"}) is None
    assert ConfirmState.from_store({"action": "drop", "id": 4}, {"delete"}) is None
    assert ConfirmState.from_store([4], {"delete"}) is None


def test_status_counts_so_a_repeated_message_is_new():
    assert Status("Gemt.").to_store(None) == {"n": 1, "text": "Gemt.", "level": "success"}
    assert Status("Gemt.", "warning").to_store({"n": 4})["n"] == 5
    assert Status("Gemt.").to_store({"n": "9"})["n"] == 1


# --- result -> outputs ---------------------------------------------------------------------------------------


def test_outputs_leave_everything_unsaid_unchanged():
    out = EditResult().outputs(FORM)
    assert set(out) == set(FORM) and all(v is no_update for v in out.values())


def test_opened_fills_values_and_clears_old_messages():
    result = EditResult.opened("Rediger møde", {"title": "Statusmøde", "shared_email": ""}, FormState(3, 1),
                               label="Gem", roles_value=[1])
    out = result.outputs(FORM)
    assert out["is_open"] is True and out["title"] == "Rediger møde" and out["label"] == "Gem"
    assert out["state"] == {"id": 3, "version": 1}
    assert out["alert"] is None and out["alert_open"] is False
    assert out["value_title"] == "Statusmøde" and out["value_shared_email"] == ""
    assert out["invalid_title"] is False and out["feedback_title"] is None and out["feedback_roles"] is None
    assert out["roles_value"] == [1]
    assert out["status"] is no_update
    assert EditResult.opened("Nyt møde", field_values(KIT, None)).outputs(FORM)["state"] is None


def test_field_errors_are_shown_beside_their_fields_and_the_others_cleared():
    error = ValidationError({"shared_email": "E-mailadressen er ikke gyldig.", "roles": "Ukendt rolle.",
                             "nowhere": "Ingen plads."})
    out = EditResult.invalid(error).outputs(FORM)
    assert out["invalid_shared_email"] is True and out["feedback_shared_email"] == "E-mailadressen er ikke gyldig."
    assert out["invalid_title"] is False and out["feedback_title"] is None
    assert out["feedback_roles"] == "Ukendt rolle."
    assert out["alert"] == error.message and out["alert_open"] is True
    assert out["is_open"] is no_update and out["state"] is no_update
    assert "nowhere" not in str(out.keys())


def test_one_field_message_leaves_the_others():
    out = EditResult.field_message("roles", "Højst 50.").outputs(FORM)
    assert out["feedback_roles"] == "Højst 50." and out["feedback_title"] is no_update


def test_saved_closes_the_form_and_reports_above_the_grid():
    out = EditResult.saved(Status("Mødet er gemt.")).outputs(FORM, {"n": 2})
    assert out["is_open"] is False and out["state"] is None and out["alert_open"] is False
    assert out["status"] == {"n": 3, "text": "Mødet er gemt.", "level": "success"}
    assert out["invalid_title"] is False


def test_outputs_refuse_what_the_callback_does_not_declare():
    with pytest.raises(KeyError):
        EditResult.only(undeclared=1).outputs(FORM)
    with pytest.raises(KeyError):
        EditResult.only(feedback_title="x").outputs(FORM)  # the kit's own: set through `errors`
    with pytest.raises(ValueError):
        form_outputs(KIT, status=Output("x", "children"))


def test_confirm_outputs_fill_the_dialog():
    out = EditResult.asking(Question("Slet møde", "Vil du slette?", "Slet"), ConfirmState(4, version=2)).outputs(CONFIRM)
    assert out == {"is_open": True, "title": "Slet møde", "text": "Vil du slette?", "label": "Slet", "alert": None,
                   "alert_open": False, "state": {"id": 4, "version": 2}, "status": no_update}


# --- save: refusals and field messages from the data layer -----------------------------------------------------


def _raise(exc):
    def write(*_args):
        raise exc
    return write


def test_save_shows_the_data_layers_field_messages():
    result = save_form(_raise(ValidationError({"title": "Skal udfyldes."})), lambda r: Status("x"),
                       lambda exc: {"roles_value": sorted(exc.errors)})
    out = result.outputs(FORM)
    assert out["feedback_title"] == "Skal udfyldes." and out["roles_value"] == ["title"]
    assert out["is_open"] is no_update


def test_save_shows_a_refusal_and_keeps_the_form_open():
    out = save_form(_raise(Refused("Mødet er ændret af en anden.")), lambda r: Status("x")).outputs(FORM)
    assert out["alert"] == "Mødet er ændret af en anden." and out["alert_open"] is True
    assert out["is_open"] is no_update and out["invalid_title"] is False


def test_save_does_not_swallow_an_access_refusal():
    with pytest.raises(AccessDenied):
        save_form(_raise(AccessDenied("nej")), lambda r: Status("x"))


def test_save_reports_the_result():
    out = save_form(lambda: {"name": "Statusmøde"}, lambda r: Status(f"»{r['name']}« er gemt.")).outputs(FORM)
    assert out["status"]["text"] == "»Statusmøde« er gemt." and out["is_open"] is False


def test_the_data_layers_refusals_are_the_kits():
    # The optimistic lock's refusals stay each module's own exception and message.
    assert isinstance(users.UserConflict(), Refused) and isinstance(users.UserConflict(), users.UserAdminError)
    assert isinstance(contacts.ContactConflict("Anne", None), Refused)
    error = users.UserValidationError({"name": "x"}, {0: {"cvr": "y"}})
    assert isinstance(error, ValidationError) and isinstance(error, users.UserAdminError)
    assert error.errors == {"name": "x"} and error.group_errors == {0: {"cvr": "y"}}
    assert error.message == "Brugeren er ikke gemt. Ret de markerede felter."
    assert isinstance(contacts.ContactValidationError({"tabs": "x"}), contacts.ContactError)


# --- the flows ---------------------------------------------------------------------------------------------------


RECORDS = {3: {"id": 3, "title": "Statusmøde", "shared_email": "", "version": 5}}


def _form(trigger, selected=None, other=None):
    return run_form(KIT, trigger, selected=selected, load=RECORDS.get,
                    open_form=lambda r: EditResult.opened(r["title"] if r else "Nyt", field_values(KIT, r)),
                    save=lambda: EditResult.saved(Status("Gemt.")), gone="Mødet findes ikke længere.", other=other)


def test_run_form_opens_new_and_existing_records():
    assert _form(KIT.add).outputs(FORM)["value_title"] == ""
    assert _form(KIT.edit, [{"id": 3}]).outputs(FORM)["value_title"] == "Statusmøde"


def test_run_form_warns_when_the_record_is_gone_and_ignores_forged_selections():
    out = _form(KIT.edit, [{"id": 99}]).outputs(FORM)
    assert out["status"]["level"] == "warning" and out["is_open"] is no_update
    with pytest.raises(PreventUpdate):
        _form(KIT.edit, [{"id": "3"}])


def test_run_form_saves_cancels_and_hands_other_triggers_to_the_screen():
    assert _form(KIT.save).outputs(FORM)["status"]["text"] == "Gemt."
    assert _form(KIT.cancel).outputs(FORM)["is_open"] is False
    assert _form("moeder-extra", other=lambda t: EditResult.only(roles_value=[t])).outputs(FORM)["roles_value"] == [
        "moeder-extra"]
    with pytest.raises(PreventUpdate):
        _form("moeder-extra", other=lambda t: None)
    with pytest.raises(PreventUpdate):
        _form(None)


def _confirm(trigger, *, selected=None, state=None, actions=ACTIONS, do=None, versioned=True):
    return run_confirm(KIT, trigger, actions=actions, selected=selected, confirm_state=state, load=RECORDS.get,
                       ask=lambda action, r: Question(action, f"{action} {r['title']}?", "Ja"),
                       do=do or (lambda s: Status(f"{s.action} {s.id} {s.version}")), versioned=versioned)


def test_run_confirm_asks_then_does_the_action():
    asked = _confirm("moeder-delete", selected=[{"id": 3}]).outputs(CONFIRM)
    assert asked["is_open"] is True and asked["text"] == "delete Statusmøde?"
    assert asked["state"] == {"id": 3, "version": 5}
    done = _confirm(KIT.confirm_yes, state=asked["state"]).outputs(CONFIRM, {"n": 1})
    assert done["is_open"] is False and done["state"] is None
    assert done["status"] == {"n": 2, "text": "delete 3 5", "level": "success"}


def test_run_confirm_with_several_actions_keeps_the_action_and_no_version():
    asked = _confirm("moeder-remove", selected=[{"id": 3}], actions=SEVERAL, versioned=False).outputs(CONFIRM)
    assert asked["state"] == {"action": "remove", "id": 3}


def test_run_confirm_keeps_a_refusal_in_the_dialog():
    out = _confirm(KIT.confirm_yes, state={"id": 3, "version": 4}, do=_raise(Refused("Ændret af en anden."))
                   ).outputs(CONFIRM)
    assert out["alert"] == "Ændret af en anden." and out["alert_open"] is True and out["is_open"] is no_update


def test_run_confirm_ignores_forged_or_empty_requests_and_cancels():
    with pytest.raises(PreventUpdate):
        _confirm("moeder-delete", selected=[{"id": 99}])
    with pytest.raises(PreventUpdate):
        _confirm(KIT.confirm_yes, state={"action": "drop", "id": 3}, actions=SEVERAL)
    with pytest.raises(PreventUpdate):
        _confirm(KIT.save)
    assert _confirm(KIT.confirm_no).outputs(CONFIRM)["is_open"] is False


def test_form_values_reads_the_field_states():
    assert form_values(KIT, {"value_title": "A", "roles": [1]}) == {"title": "A", "shared_email": None}


def test_latest_status_shows_the_triggering_store_only():
    alert = latest_status(KIT, KIT.changed, None, {"n": 1, "text": "Slettet.", "level": "info"})
    assert alert.children == "Slettet." and alert.color == "info"
    assert latest_status(KIT, KIT.saved, {"n": 1, "text": "x" * 900}, None, limit=300).children == "x" * 300
    assert latest_status(KIT, KIT.saved, {"n": 1, "text": "Gemt.", "level": "<b>"}, None).color == "success"
    assert latest_status(KIT, KIT.saved, {"n": 1}, None) is None
    assert latest_status(KIT, KIT.grid, {"n": 1, "text": "Gemt."}, None) is None


# --- layout ------------------------------------------------------------------------------------------------------


def test_layout_helpers_name_the_kits_components():
    form = form_modal(KIT, [text_field(KIT, "title", "Titel", max_length=120),
                            text_field(KIT, "shared_email", "Fællesmail", kind="email", max_length=254,
                                       help_text="Fx en fælles postkasse."),
                            field_feedback(KIT, "roles")], title="Møde")
    assert {KIT.form_modal, KIT.form_title, KIT.form_alert, KIT.save, KIT.cancel, KIT.field("title"),
            KIT.feedback("title"), KIT.feedback("shared_email"), KIT.feedback("roles")} <= _component_ids(form)
    assert form.labelledby == KIT.form_title and form.backdrop == "static"
    dialog = confirm_dialog(KIT, title="Slet møde", yes_label="Slet")
    assert {KIT.confirm_modal, KIT.confirm_title, KIT.confirm_text, KIT.confirm_alert, KIT.confirm_yes,
            KIT.confirm_no} <= _component_ids(dialog)
    stores = {s.id: getattr(s, "data", None) for s in edit_stores(KIT, "12345678")}
    assert stores == {KIT.cvr: "12345678", KIT.saved: None, KIT.changed: None, KIT.form_state: None,
                      KIT.confirm_state: None}
    assert status_line(KIT).role == "status"


def _nodes(component):
    stack, out = [component], []
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            stack.extend(node)
            continue
        out.append(node)
        children = getattr(node, "children", None)
        if children is not None and not isinstance(children, str):
            stack.append(children)
    return out


def _close_x(modal):
    found = [n for n in _nodes(modal) if getattr(n, "className", None) == "btn-close"]
    assert len(found) == 1
    return found[0].to_plotly_json()["props"]


def test_every_kit_modal_has_a_danish_close_x_that_does_what_its_cancel_button_does():
    form = form_modal(KIT, [], title="Møde")
    dialog = confirm_dialog(KIT, title="Slet møde", yes_label="Slet")
    history = history_modal("h-modal", "h-title", "h-body", "h-close", "Historik")
    for modal, target in ((form, KIT.cancel), (dialog, KIT.confirm_no), (history, "h-close")):
        props = _close_x(modal)
        # Danish on hover (dbc's own × says "Close"), and it clicks the modal's cancel (assets/forms.js); for
        # keyboard and screen reader users that cancel button is the one way to close (no second »Luk«).
        assert props["title"] == "Luk" and props["type"] == "button" and props["data-portal-close"] == target
        assert props["aria-hidden"] == "true" and props["tabIndex"] == "-1"
        assert target in _component_ids(modal)


def test_the_summary_at_the_save_button_lists_the_refusal_and_the_field_messages_in_form_order():
    form = form_modal(KIT, [], title="Møde")
    summary = next(n for n in _nodes(form) if getattr(n, "id", None) == KIT.form_summary)
    assert summary.role == "alert" and summary.to_plotly_json()["props"]["data-portal-summary"] == KIT.form_modal
    assert KIT.form_summary in _component_ids(form.children[-1])  # in the footer, beside the buttons
    error = ValidationError({"roles": "Vælg en rolle.", "title": "Titel skal udfyldes."})
    out = EditResult.invalid(error).outputs(FORM)["summary"]
    text = str(out.to_plotly_json())
    assert error.message in text and text.index("Titel skal udfyldes.") < text.index("Vælg en rolle.")
    # A repeated refusal is a new summary (the browser moves focus again), a refusal without fields says why.
    assert EditResult.invalid(error).outputs(FORM)["summary"].key != out.key
    assert "Mødet er ændret af en anden." in str(EditResult.refused("Mødet er ændret af en anden.").outputs(FORM)["summary"])
    assert EditResult.opened("Nyt møde", field_values(KIT, None)).outputs(FORM)["summary"] is None
    assert EditResult.saved(Status("Gemt.")).outputs(FORM)["summary"] is None
    assert EditResult.field_message("roles", "Højst 50.").outputs(FORM)["summary"] is no_update
    # A screen that declares no summary (its own layout) is not asked for one.
    assert "summary" not in EditResult.invalid(error).outputs({"alert": None, "alert_open": None})
    # Field messages of checklists carry the marker assets/forms.js follows to the control.
    assert field_feedback(KIT, "roles").to_plotly_json()["props"]["data-portal-feedback"] == "roles"


def _deps(deps):
    return {name: (d.component_id, d.component_property) for name, d in deps.items()}


def test_form_dependencies_are_the_kits_and_the_screens_own():
    deps = form_dependencies(KIT, inputs=dict(picked=Input("moeder-roles", "value")),
                             state=dict(roles=State("moeder-roles", "value")))
    assert _deps(deps["inputs"]) == {"add": (KIT.add, "n_clicks"), "edit": (KIT.edit, "n_clicks"),
                                     "save": (KIT.save, "n_clicks"), "cancel": (KIT.cancel, "n_clicks"),
                                     "picked": ("moeder-roles", "value")}
    assert _deps(deps["state"]) == {"cvr": (KIT.cvr, "data"), "selected": (KIT.grid, "selectedRows"),
                                    "form_state": (KIT.form_state, "data"), "saved": (KIT.saved, "data"),
                                    "value_title": (KIT.field("title"), "value"),
                                    "value_shared_email": (KIT.field("shared_email"), "value"),
                                    "roles": ("moeder-roles", "value")}
    assert "selected" not in form_dependencies(KIT, selected=False)["state"]
    with pytest.raises(ValueError, match="saved"):
        form_dependencies(KIT, state=dict(saved=State("x", "data")))


def test_confirm_dependencies_are_the_screens_buttons_then_the_dialogs():
    deps = confirm_dependencies(KIT, inputs=dict(ask=Input("moeder-delete", "n_clicks")))
    assert list(_deps(deps["inputs"]).items()) == [("ask", ("moeder-delete", "n_clicks")),
                                                   ("yes", (KIT.confirm_yes, "n_clicks")),
                                                   ("no", (KIT.confirm_no, "n_clicks"))]
    assert _deps(deps["state"]) == {"cvr": (KIT.cvr, "data"), "selected": (KIT.grid, "selectedRows"),
                                    "confirm_state": (KIT.confirm_state, "data"), "changed": (KIT.changed, "data")}
    with pytest.raises(ValueError, match="yes"):
        confirm_dependencies(KIT, inputs=dict(yes=Input("x", "n_clicks")))


def test_text_field_is_labelled_with_its_message_beside_it():
    field = text_field(KIT, "title", "Titel", max_length=120, multiline=True)
    label, control, feedback = field.children[:3]
    assert label.html_for == KIT.field("title") and control.id == KIT.field("title") and control.maxLength == 120
    assert feedback.id == KIT.feedback("title") and feedback.type == "invalid"


@pytest.mark.parametrize("value,expected", [
    ("2025", True), ("0", True), ("", False), ("²⁰²⁵", False), ("٢٠٢٥", False), ("１２", False),
    (" 12", False), ("1.5", False), (12, False), (None, False),
])
def test_numbers_from_the_client_are_ascii_digits_only(value, expected):
    from data.validators import ascii_digits

    assert ascii_digits(value) is expected


@pytest.mark.parametrize("value,expected", [
    ("Anne-Marie O'Brien", True), ("J. R. Hansen", True), ("Åse Ørum", True), ("José Álvarez", True),
    ("Zoë d’Arc", True), ("Jensen jr.", True),
    ("Klik her: https://evil.dk", False), ("evil.dk", False), ("navn@evil.dk", False), ("Bruger 2", False),
    ("Agent ²", False), ("-Hans", False), ("Hans..", False), ("<b>Hans</b>", False), ("", False), (None, False),
])
def test_a_persons_name_is_letters_spaces_hyphens_apostrophes_and_dots(value, expected):
    from data.validators import is_person_name

    assert is_person_name(value) is expected


def test_one_conflict_message_names_who_saved_last_and_when_in_danish_time():
    import datetime as dt

    from data.errors import conflict_message

    # 10:05 UTC on a winter day is 11:05 in Denmark; a naive time is UTC, as the database stores it.
    at = dt.datetime(2026, 12, 6, 10, 5)
    expected = "Mødet er ændret samtidig af Anne Berg kl. 11:05. Der er ikke gemt noget — genindlæs og prøv igen."
    assert conflict_message("Mødet", "Anne Berg", at) == expected
    assert conflict_message("Mødet", " Anne Berg ", at.replace(tzinfo=dt.timezone.utc)) == expected
    assert conflict_message("Stamdata", None, None) == (
        "Stamdata er ændret samtidig af en anden bruger. Der er ikke gemt noget — genindlæs og prøv igen.")
