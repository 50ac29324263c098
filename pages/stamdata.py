"""Stamdata: Generelt / Regnskab / Løn for the customer in context."""

from typing import Any

import dash
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from core.rights import Menu
from data import units as unit_data
from pages._tabs import tab_bar, tab_panel
from pages.ids import stamdata as Ids

dash.register_page(__name__, path="/stamdata", title="Stamdata – Kundeportalen", name="Stamdata")

TABS = {"generelt": "Generelt", "regnskab": "Regnskab", "loen": "Løn"}
UNIT_KINDS = {"regnskab": "bogføringskreds", "loen": "løngruppe"}


def chosen_unit(ctx: AccessContext, code: Any) -> dict[str, str] | None:
    """Return the customer's unit `code` (code, name, tab) read in scope, or None when it is not theirs."""
    # Checked before any query: PostgreSQL refuses some characters a URL can carry (NUL).
    if not unit_data.valid_unit_code(code):
        return None
    kind = unit_data.unit_kind(ctx.scope, ctx.cvr, code)
    if kind is None:
        return None
    rows = unit_data.accounting_units(ctx.scope, ctx.cvr) if kind == "regnskab" else \
        unit_data.payroll_groups(ctx.scope, ctx.cvr)
    row = next((r for r in rows if r["code"] == code), None)
    return {"code": code, "name": row["name"], "tab": kind} if row else None


def _unit_note(unit: dict[str, str] | None) -> Any:
    if unit is None:
        return html.P(id=Ids.UNIT_NOTE, hidden=True)
    return html.P(
        f"Valgt i søgefeltet: {UNIT_KINDS[unit['tab']]} {unit['code']} {unit['name']}. "
        f"Den står først og er fremhævet på fanebladet {TABS[unit['tab']]}.",
        id=Ids.UNIT_NOTE, className="small text-muted mb-2",
    )


@guarded_layout(Menu.STAMDATA)
def layout(ctx: AccessContext, tab: str | None = None, enhed: str | None = None, **_query):
    """Return the Stamdata page; tab content is loaded by a guarded callback."""
    # A unit chosen in the search box opens the tab of its kind (unless a tab is asked for) and is
    # brought first there; a unit of any other customer is ignored.
    unit = chosen_unit(ctx, enhed)
    active = tab if tab in TABS else (unit["tab"] if unit else "generelt")
    return html.Div(
        [
            dcc.Store(id=Ids.CVR, data=ctx.cvr),
            dcc.Store(id=Ids.UNIT, data=unit["code"] if unit else None),
            html.H1("Stamdata", className="h3"),
            _unit_note(unit),
            tab_bar(Ids.TABS, list(TABS.items()), active, "Stamdata-faneblade"),
            dcc.Loading(tab_panel(Ids.CONTENT, "Indhold af det valgte faneblad", className="pt-3"),
                        target_components={Ids.CONTENT: "children"}),
        ]
    )
