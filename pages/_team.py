"""The team section of Kontakt dit team, drawn by the page and again by SA's editing callbacks after a save."""

from __future__ import annotations

from typing import Any

from dash import html

from core.access import AccessScope
from core.formatting import da_phone
from data import customers, privacy, team
from pages._email import mail_link


def member_card(member: dict[str, Any]) -> html.Li:
    """Return one team member as the customer reads it: name, role, e-mail and phone links."""
    lines: list[Any] = [html.Strong(member["name"]), html.Br(), html.Span(member["role"], className="text-muted")]
    if member["email"]:
        lines += [html.Br(), "E-mail: ", mail_link(member["email"])]
    if member["phone"]:
        tel = "".join(ch for ch in member["phone"] if ch in "0123456789+")
        lines += [html.Br(), "Telefon: ", html.A(da_phone(member["phone"]), href=f"tel:{tel}")]
    return html.Li(lines, className="list-group-item portal-team-member")


SOURCE = "Kontakt dit team"


def team_children(cvr: str, scope: AccessScope, viewer: Any) -> list[Any]:
    """Return the heading and member cards of the team of `cvr` (the scope's query refuses other customers)."""
    name = customers.customer_name(scope, cvr) or cvr
    # The cards name SA employees: each drawing is a view for the privacy log.
    members = privacy.seen(viewer, SOURCE, cvr, privacy.TEAM_MEMBER, team.team_members(scope, cvr))
    body: Any
    if members:
        body = html.Ul([member_card(m) for m in members], className="list-group")
    else:
        body = html.P("Der er ikke registreret et team for kunden endnu.", className="text-muted portal-empty")
    return [html.H2(f"Dit team for {name}", className="h5"), body]
