"""Notifikationer callbacks: save the signed-in user's own choices with the editing kit's flow.

Signed-in only (no menu, no CVR): the callback saves the session user's row, whatever the payload
says, and the stored version the page showed is the optimistic lock.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from dash import Input, Output, State
from dash.exceptions import PreventUpdate

from auth.guard import AccessContext, portal_callback
from callbacks._edit import KEEP, Status, latest_status, save_form
from data import notifications
from pages.ids import notifikationer as Ids
from pages.ids.notifikationer import KIT

SAVED = "Dine valg er gemt."

OUTPUTS = dict(
    state=Output(KIT.form_state, "data"),
    alert=Output(KIT.form_alert, "children"),
    alert_open=Output(KIT.form_alert, "is_open"),
    status=Output(KIT.saved, "data"),
    feedback_topics=Output(KIT.feedback("topics"), "children"),
    line=Output(KIT.status, "children"),
)


@portal_callback(
    output=OUTPUTS,
    inputs=dict(save=Input(KIT.save, "n_clicks")),
    state=dict(topics=State(Ids.TOPICS, "value"), form_state=State(KIT.form_state, "data"),
               saved=State(KIT.saved, "data")),
    prevent_initial_call=True,
    menu=None,
)
def save_notifications(ctx: AccessContext, save: Any, topics: Any, form_state: Any, saved: Any):
    """Save the topics the signed-in user follows; a stale page or a forged topic is refused in Danish."""
    if not save:
        raise PreventUpdate
    version = form_state.get("version") if isinstance(form_state, dict) else None
    stored: list[notifications.Preferences] = []

    def write() -> notifications.Preferences:
        result = notifications.save_preferences(ctx.user, topics, version)
        stored.append(result)
        return result

    result = save_form(write, lambda _prefs: Status(SAVED))
    if stored:
        # The page stays open: it now shows the saved version, so the next save is not taken as stale.
        result = dataclasses.replace(result, is_open=KEEP, state={"version": stored[0].version})
    out = result.outputs({key: None for key in OUTPUTS if key != "line"}, saved)
    out["line"] = latest_status(KIT, KIT.saved, out["status"], None) if stored else KEEP
    return out
