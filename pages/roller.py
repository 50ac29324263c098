"""Roller i Kundeportalen: every contact role, what it means and who assigns it (any signed-in user)."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from auth.guard import signed_in_layout
from data import contacts
from data.roles_catalogue import CATALOGUE, assigned_by, tab_labels
from data.team import support_email
from pages._email import mail_link

dash.register_page(__name__, path="/roller", title="Roller i Kundeportalen – Kundeportalen", name="Roller")


def _catalogue() -> list[dict[str, Any]]:
    rows = contacts.roles()
    if rows:
        return rows
    # Before the catalogue is seeded, the guide's own list is still the truth.
    return [{"name": s.name, "description": s.description, "sa_only": s.sa_only, "personal_data": s.personal_data,
             "tabs": list(s.tabs)} for s in CATALOGUE]


def _role_item(role: dict[str, Any]) -> html.Div:
    facts = [html.Dt("Tildeles af"), html.Dd(assigned_by(role["sa_only"]))]
    if role["tabs"]:
        facts += [html.Dt("Vises på fanebladene"), html.Dd(", ".join(tab_labels(role["tabs"])))]
    if role["personal_data"]:
        facts += [html.Dt("Personfølsomme oplysninger"),
                  html.Dd("Ja – e-mailadressen skal være en sikker postkasse.")]
    return html.Div(
        [html.H3(role["name"], className="h6 mb-1"), html.P(role["description"], className="mb-1"),
         html.Dl(facts, className="small mb-0 roller-facts")],
        className="mb-3 roller-role",
    )


@signed_in_layout
def layout(**_query: Any):
    """Return the role help page: customer-assigned roles, then SA-assigned roles."""
    roles = _catalogue()
    customer_roles = [r for r in roles if not r["sa_only"]]
    sa_roles = [r for r in roles if r["sa_only"]]
    return html.Div(
        [
            html.H1("Roller i Kundeportalen", className="h3"),
            html.H2("Roller der tildeles af institutionen", className="h5 mt-3"),
            html.P("Følgende roller er tilgængelige i Kundeportalen og tildeles af brugere med rettigheden "
                   "»Administrator« eller »Rediger« under menupunktet Kontaktpersoner."),
            html.Div([_role_item(r) for r in customer_roles]),
            html.H2("Roller der tildeles af Statens Administration", className="h5 mt-4"),
            html.P(["Følgende roller tildeles og vedligeholdes af systemadministrator i Statens Administration. "
                    "For ændringer sendes en e-mail til ", mail_link(support_email()),
                    "."]),
            html.Div([_role_item(r) for r in sa_roles]),
        ]
    )
