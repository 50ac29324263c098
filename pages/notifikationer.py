"""Notifikationer (user menu): every signed-in user chooses which topics they are mailed about."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from flask_login import current_user

from auth.guard import signed_in_layout
from core.topics import TOPIC_LABELS, Topic
from data.db import get_session
from data.notifications import preferences
from pages._edit import field_feedback, status_line
from pages.ids import notifikationer as Ids
from pages.ids.notifikationer import KIT

dash.register_page(__name__, path="/notifikationer", title="Notifikationer – Kundeportalen", name="Notifikationer")


def topic_options() -> list[dict[str, str]]:
    """Return the checklist's options: every topic with its Danish label."""
    return [{"label": TOPIC_LABELS[topic], "value": topic.value} for topic in Topic]


@signed_in_layout
def layout(**_query):
    """Return the user's notification choices: one checkbox per topic, saved with »Gem«."""
    # Only the signed-in user's own row: the callback saves by the session's user id, never the payload's.
    chosen = preferences(get_session(), current_user.id)
    return html.Div(
        [
            dcc.Store(id=KIT.form_state, data={"version": chosen.version}),
            dcc.Store(id=KIT.saved),
            html.H1("Notifikationer", className="h3"),
            html.P(
                "Når Statens Administration offentliggør nyt i Kundeportalen, får du en e-mail om det, der vedrører "
                "de sider, du har adgang til. Fjern fluebenet ved de emner, du ikke vil have e-mail om."
            ),
            status_line(KIT),
            dbc.Alert(id=KIT.form_alert, color="danger", is_open=False),
            html.Fieldset(
                [
                    html.Legend("Send mig en e-mail om", className="h6"),
                    dbc.Checklist(id=Ids.TOPICS, options=topic_options(), value=chosen.followed),
                    field_feedback(KIT, "topics"),
                ],
                className="mb-3",
            ),
            html.P(
                "Er du kontaktperson for en kunde, kan du også få e-mail på grund af dine roller. Rollerne "
                "vedligeholdes under Kontaktpersoner.",
                className="small text-muted",
            ),
            dbc.Button("Gem", id=KIT.save, color="primary"),
        ]
    )
