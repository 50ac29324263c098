"""Kontakt dit team: the SA team that serves the customer in context, and the portal's support address.

Open to every signed-in user. The team of a customer is shown to the users who hold any right on
that customer (a Rapporter user's team is theirs too) and to SA staff; otherwise the page shows the
support address alone.
"""

from typing import Any

import dash
from dash import html
from flask_login import current_user

from auth.guard import signed_in_layout
from core.access import AccessScope, customer_scope, default_cvr
from data import customers, team
from core.formatting import da_phone
from pages.ids import kontakt as Ids

dash.register_page(__name__, path="/kontakt", title="Kontakt dit team – Kundeportalen", name="Kontakt dit team")


def _support() -> html.Section:
    return html.Section(
        [
            html.H2("Support til Kundeportalen", className="h5"),
            html.P(
                [
                    "Har du spørgsmål til Kundeportalen, så skriv til ",
                    html.A(team.support_email(), href=f"mailto:{team.support_email()}"),
                    ".",
                ]
            ),
        ],
        id=Ids.SUPPORT,
        className="mt-4",
    )


def _member_card(member: dict[str, Any]) -> html.Li:
    lines: list[Any] = [html.Strong(member["name"]), html.Br(), html.Span(member["role"], className="text-muted")]
    if member["email"]:
        lines += [html.Br(), "E-mail: ", html.A(member["email"], href=f"mailto:{member['email']}")]
    if member["phone"]:
        tel = "".join(ch for ch in member["phone"] if ch.isdigit() or ch == "+")
        lines += [html.Br(), "Telefon: ", html.A(da_phone(member["phone"]), href=f"tel:{tel}")]
    return html.Li(lines, className="list-group-item portal-team-member")


def _team(cvr: str, scope: AccessScope) -> html.Section:
    # The scope is the customers the user holds any right on, so the query itself refuses the rest.
    name = customers.customer_name(scope, cvr) or cvr
    members = team.team_members(scope, cvr)
    body: Any
    if members:
        body = html.Ul([_member_card(m) for m in members], className="list-group")
    else:
        body = html.P("Der er ikke registreret et team for kunden endnu.", className="text-muted portal-empty")
    return html.Section([html.H2(f"Dit team for {name}", className="h5"), body], id=Ids.TEAM)


@signed_in_layout
def layout(cvr: Any = None, **_query: Any):
    """Return the team of the customer in context (only with a right on it) and the support address."""
    user = current_user
    if user is None or not user.is_authenticated:
        return html.Div([html.H1("Kontakt dit team", className="h3"), _support()])
    if cvr in (None, ""):
        cvr = default_cvr(user)
    children: list[Any] = [html.H1("Kontakt dit team", className="h3")]
    scope = customer_scope(user)
    if isinstance(cvr, str) and scope.allows(cvr):
        children.append(_team(cvr, scope))
    else:
        children.append(
            html.P(
                "Vælg en kunde i søgefeltet øverst til højre for at se det team i Statens Administration, "
                "der betjener kunden.",
                className="text-muted",
            )
        )
    children.append(_support())
    return html.Div(children)
