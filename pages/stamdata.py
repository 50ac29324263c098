"""Stamdata: Generelt / Regnskab / Løn for the customer in context; SA staff edit it on the same page."""

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from core.access import can_do
from core.rights import Action, Menu
from data import customers
from data import units as unit_data
from pages._edit import form_modal, kit_stores, select_field, status_line, text_field
from pages._tabs import tab_bar, tab_panel
from pages.ids import stamdata as Ids
from pages.ids._edit import EditIds

dash.register_page(__name__, path="/stamdata", title="Stamdata – Kundeportalen", name="Stamdata")

TABS = {"generelt": "Generelt", "regnskab": "Regnskab", "loen": "Løn"}
UNIT_KINDS = {"regnskab": "bogføringskreds", "loen": "løngruppe"}


def chosen_unit(ctx: AccessContext, code: Any) -> dict[str, str] | None:
    """Return the customer's unit `code` (code, name, tab) read in scope, or None when it is not theirs."""
    unit = unit_data.customer_unit(ctx.scope, ctx.cvr, code)
    return {"code": unit["code"], "name": unit["name"], "tab": unit["kind"]} if unit else None


def _unit_note(unit: dict[str, str] | None) -> Any:
    if unit is None:
        return html.P(id=Ids.UNIT_NOTE, hidden=True)
    return html.P(
        f"Valgt i søgefeltet: {UNIT_KINDS[unit['tab']]} {unit['code']} {unit['name']}. "
        f"Den står først og er fremhævet på fanebladet {TABS[unit['tab']]}.",
        id=Ids.UNIT_NOTE, className="small text-muted mb-2",
    )


def general_form() -> dbc.Modal:
    """Return SA's form of the customer's Generelt fields; values and ministries are filled by its callback."""
    kit = Ids.GENERAL_KIT
    lengths = customers.MASTER_LENGTHS
    body = [
        text_field(kit, "name", "Kundenavn", max_length=lengths["name"]),
        select_field(kit, "ministry_id", "Ministerområde", Ids.GENERAL_MINISTRY),
        text_field(kit, "customer_type", "Kundetype", max_length=lengths["customer_type"], help_text="Fx Statslig."),
        text_field(kit, "address", "Adresse", max_length=lengths["address"]),
        text_field(kit, "description", "Beskrivelse", max_length=lengths["description"], multiline=True),
        text_field(kit, "ean", "EAN-nummer", max_length=lengths["ean"], help_text="13 cifre."),
    ]
    return form_modal(kit, body, title="Rediger stamdata")


def unit_form(kit: EditIds, ministry_id: str, title: str) -> dbc.Modal:
    """Return SA's form of one bogføringskreds or løngruppe (add or edit); filled by its callback."""
    lengths = unit_data.UNIT_LENGTHS
    body = [
        text_field(kit, "code", "Kode", max_length=lengths["code"],
                   help_text="Bogstaver og cifre. Koden kan ikke ændres, når enheden er oprettet."),
        text_field(kit, "name", "Navn", max_length=lengths["name"]),
        select_field(kit, "ministry_id", "Ministerområde", ministry_id),
        text_field(kit, "server_name", "Servernavn", max_length=lengths["server_name"]),
        text_field(kit, "database_name", "Databasenavn", max_length=lengths["database_name"]),
    ]
    return form_modal(kit, body, title=title)


def _editing(ctx: AccessContext) -> list[Any]:
    # SA staff only: the status line and the forms. Each editing callback refuses anyone else anyway.
    if not can_do(ctx.user, Action.EDIT_CONTENT):
        return []
    return [
        status_line(Ids.GENERAL_KIT),
        general_form(),
        unit_form(Ids.ACCOUNTING_KIT, Ids.ACCOUNTING_MINISTRY, "Bogføringskreds"),
        unit_form(Ids.PAYROLL_KIT, Ids.PAYROLL_MINISTRY, "Løngruppe"),
    ]


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
            # The editing screens' stores are on every user's page: the tab content reloads on a save.
            *kit_stores(Ids.GENERAL_KIT),
            *kit_stores(Ids.ACCOUNTING_KIT),
            *kit_stores(Ids.PAYROLL_KIT),
            html.H1("Stamdata", className="h3"),
            _unit_note(unit),
            tab_bar(Ids.TABS, list(TABS.items()), active, "Stamdata-faneblade"),
            *_editing(ctx),
            dcc.Loading(tab_panel(Ids.CONTENT, "Indhold af det valgte faneblad", className="pt-3"),
                        target_components={Ids.CONTENT: "children"}),
        ]
    )
