"""Layout of the editing kit: stores, status line, form modal, labelled fields, confirm dialog.

Every component is named by the screen's `EditIds` (`pages/ids/_edit.py`), so the flow helpers in
`callbacks/_edit.py` fill them without knowing the screen. Usage in a page's layout::

    from pages._edit import confirm_dialog, edit_stores, form_modal, status_line, text_field
    from pages.ids.moeder import KIT

    html.Div([*edit_stores(KIT, ctx.cvr), toolbar, status_line(KIT), the_grid,
              form_modal(KIT, [text_field(KIT, "title", "Titel", max_length=200)], title="Møde"),
              confirm_dialog(KIT, title="Slet møde", yes_label="Slet")])
"""

from __future__ import annotations

from typing import Any, Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from pages.ids._edit import EditIds


def edit_stores(ids: EditIds, cvr: str | None) -> list[dcc.Store]:
    """Return the page's CVR store and the kit's stores (status messages, form and confirm state)."""
    return [dcc.Store(id=ids.cvr, data=cvr), *kit_stores(ids)]


def kit_stores(ids: EditIds) -> list[dcc.Store]:
    """Return the kit's stores without the CVR store, for a screen on a page that has its own (`edit_ids(cvr=...)`)."""
    return [
        dcc.Store(id=ids.saved),
        dcc.Store(id=ids.changed),
        dcc.Store(id=ids.form_state),
        dcc.Store(id=ids.confirm_state),
    ]


def status_line(ids: EditIds) -> html.Div:
    """Return the polite live region above the grid where the last save or action is reported."""
    return html.Div(id=ids.status, role="status", **{"aria-live": "polite"})


def text_field(ids: EditIds, name: str, label: str, *, max_length: int, kind: str = "text",
               help_text: str | None = None, multiline: bool = False, rows: int = 3) -> html.Div:
    """Return a labelled text input of form field `name` with its Danish invalid-feedback beside it."""
    input_id = ids.field(name)
    if multiline:
        control = dbc.Textarea(id=input_id, maxLength=max_length, rows=rows)
    else:
        control = dbc.Input(id=input_id, type=kind, maxLength=max_length, autoComplete="off")
    parts = [dbc.Label(label, html_for=input_id), control, dbc.FormFeedback(id=ids.feedback(name), type="invalid")]
    if help_text:
        parts.append(dbc.FormText(help_text))
    return html.Div(parts, className="mb-3")


def select_field(ids: EditIds, name: str, label: str, select_id: str) -> html.Div:
    """Return a labelled drop-down of form field `name` (options filled by the form callback) with its message."""
    return html.Div([dbc.Label(label, html_for=select_id), dbc.Select(id=select_id, options=[]),
                     field_feedback(ids, name)], className="mb-3")


def field_feedback(ids: EditIds, name: str, class_name: str = "") -> html.Div:
    """Return the Danish message beside a control that is not a text input (checklists, groups)."""
    # The marker lets assets/forms.js move focus to the control of the first field with a message.
    return html.Div(id=ids.feedback(name), className=" ".join(["text-danger small", class_name]).strip(),
                    role="alert", **{"data-portal-feedback": name})


def close_x(target_id: str) -> html.Button:
    """Return the header's × that closes a modal by clicking its »Luk«/»Annuller« button `target_id`."""
    # dbc's own close button is labelled in English only ("Close"); this one says »Luk« on hover, and going
    # through the modal's own cancel button (assets/forms.js) lets its callback forget the form's state as
    # usual. It is the pointer's shortcut to that button: hidden from screen readers and out of the Tab
    # order, so keyboard and screen reader users meet one »Luk«/»Annuller« (and Escape), not two.
    return html.Button(type="button", className="btn-close", title="Luk", tabIndex="-1",
                       **{"aria-hidden": "true", "data-portal-close": target_id})


def modal_header(title: Any, title_id: str, close_id: str) -> dbc.ModalHeader:
    """Return a modal's header: its h2 title and a visible × that does what `close_id` does."""
    return dbc.ModalHeader([dbc.ModalTitle(title, id=title_id, tag="h2", className="h5"), close_x(close_id)],
                           close_button=False)


def _alert(alert_id: str, class_name: str | None = None) -> dbc.Alert:
    # No fade: the message must be readable (and checkable) the moment the callback answers.
    return dbc.Alert(id=alert_id, color="danger", is_open=False, fade=False,
                     **({"className": class_name} if class_name else {}))


def form_modal(ids: EditIds, body: Sequence[Any], *, title: str, save_label: str = "Gem",
               cancel_label: str = "Annuller") -> dbc.Modal:
    """Return the form modal: title with ×, the form alert above `body`, and the summary, cancel and save buttons."""
    return dbc.Modal(
        [
            modal_header(title, ids.form_title, ids.cancel),
            dbc.ModalBody([_alert(ids.form_alert, "mb-3"), *body]),
            dbc.ModalFooter(
                [
                    # At the button, where the eye is after a click: what stopped the save (the top alert
                    # and the messages beside the fields may be scrolled out of view in a long form).
                    html.Div(id=ids.form_summary, className="portal-form-summary me-auto text-danger small",
                             role="alert", **{"data-portal-summary": ids.form_modal}),
                    dbc.Button(cancel_label, id=ids.cancel, color="secondary", outline=True),
                    dbc.Button(save_label, id=ids.save, color="primary"),
                ]
            ),
        ],
        id=ids.form_modal,
        labelledby=ids.form_title,
        is_open=False,
        size="lg",
        # Static: a click beside the form must not throw away what was typed.
        backdrop="static",
        scrollable=True,
    )


def confirm_dialog(ids: EditIds, *, title: str = "Bekræft", yes_label: str = "Bekræft") -> dbc.Modal:
    """Return the dialog that asks before an action on the selected record (the question is filled in)."""
    return dbc.Modal(
        [
            modal_header(title, ids.confirm_title, ids.confirm_no),
            dbc.ModalBody([_alert(ids.confirm_alert), html.P(id=ids.confirm_text)]),
            dbc.ModalFooter(
                [
                    dbc.Button("Annuller", id=ids.confirm_no, color="secondary", outline=True),
                    dbc.Button(yes_label, id=ids.confirm_yes, color="danger"),
                ]
            ),
        ],
        id=ids.confirm_modal,
        labelledby=ids.confirm_title,
        is_open=False,
    )
