"""Kundeaftaler: the customer agreement, data processing agreement, exemptions, add-ons, 3rd-party tasks, annexes."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from core.access import can_do
from core.rights import Action, Menu
from data import agreements
from pages._edit import confirm_dialog, form_modal, text_field
from pages._tabs import tab_bar, tab_panel
from pages.ids import kundeaftaler as Ids
from pages.ids._edit import EditIds

dash.register_page(__name__, path="/kundeaftaler", title="Kundeaftaler – Kundeportalen", name="Kundeaftaler")

TABS = {
    "kundeaftale": "Kundeaftale",
    "databehandleraftale": "Databehandleraftale",
    "dispensationer": "Dispensationer",
    "tilkoeb": "Tilkøb",
    "tredjepart": "Opgaver hos 3. part",
    "bilag": "Bilag",
}


SECTIONS_HELP = ("Start hvert afsnit med en linje, der begynder med #, efterfulgt af overskriften; teksten under "
                 "linjen er afsnittets tekst. Afsnittene nummereres automatisk. Parterne og enhederne hentes fra "
                 "Stamdata og skal ikke skrives her.")

# The record forms: field -> (label, kind, max length, help); "choice" fields are a select of Regnskab/Løn.
RECORD_FORMS = {
    "dispensationer": ("Dispensation", {
        "title": ("Dispensation", "text", 200, None), "description": ("Beskrivelse", "multiline", 4000, None),
        "granted_on": ("Givet", "date", 10, None), "expires_on": ("Udløber", "date", 10, "Tom: ingen udløbsdato.")}),
    "tilkoeb": ("Tilkøb", {
        "service": ("Ydelse", "text", 200, None), "description": ("Beskrivelse", "multiline", 4000, None),
        "start_date": ("Fra", "date", 10, None), "end_date": ("Til", "date", 10, "Tom: tilkøbet løber fortsat.")}),
    "tredjepart": ("Opgave hos 3. part", {
        "area": ("Område", "choice", 0, None), "agency": ("Styrelse", "text", 200, None),
        "contact": ("Kontakt", "text", 200, None), "note": ("Bemærkning", "multiline", 4000, None),
        "end_date": ("Ophører", "date", 10, "Tom: opgaven ligger fortsat hos styrelsen.")}),
}


def kit_stores(ids: EditIds) -> list[dcc.Store]:
    """Return an editing screen's stores (status messages, form and confirm state); the CVR is the page's own."""
    return [dcc.Store(id=ids.saved), dcc.Store(id=ids.changed), dcc.Store(id=ids.form_state),
            dcc.Store(id=ids.confirm_state)]


def _choice_field(ids: EditIds, name: str, label: str) -> html.Div:
    input_id = ids.field(name)
    return html.Div([dbc.Label(label, html_for=input_id),
                     dbc.Select(id=input_id, options=[{"label": v, "value": v} for v in ("Regnskab", "Løn")]),
                     dbc.FormFeedback(id=ids.feedback(name), type="invalid")], className="mb-3")


def _record_form(key: str) -> dbc.Modal:
    ids = Ids.RECORDS[key]
    title, fields = RECORD_FORMS[key]
    body = [_choice_field(ids, name, label) if kind == "choice" else
            text_field(ids, name, label, kind="text" if kind == "multiline" else kind, max_length=length,
                       help_text=help_text, multiline=kind == "multiline")
            for name, (label, kind, length, help_text) in fields.items()]
    return form_modal(ids, body, title=title)


def editing_components() -> list:
    """Return SA's forms and confirm dialogs of the page (drawn for SA staff only)."""
    agreement_form = form_modal(Ids.AGREEMENT, [
        text_field(Ids.AGREEMENT, "title", "Titel", max_length=200),
        text_field(Ids.AGREEMENT, "valid_from", "Gældende fra", kind="date", max_length=10,
                   help_text="Versionen gælder fra denne dato, når den er udgivet."),
        text_field(Ids.AGREEMENT, "sections", "Afsnit", max_length=2_000_000, multiline=True, rows=16,
                   help_text=SECTIONS_HELP),
    ], title="Kladde til ny version")
    annex_form = form_modal(Ids.ANNEX, [
        text_field(Ids.ANNEX, "title", "Titel", max_length=200, help_text="Fx »Bilag 1 – Ydelsesbeskrivelse«."),
        dcc.Upload(dbc.Button("Vælg fil", color="secondary", outline=True), id=Ids.ANNEX_UPLOAD, multiple=False),
        html.Div(id=Ids.ANNEX_FILE, className="form-text", **{"aria-live": "polite"}),
    ], title="Bilag")
    return [
        agreement_form,
        confirm_dialog(Ids.AGREEMENT, title="Udgiv version", yes_label="Udgiv"),
        *[_record_form(key) for key in Ids.RECORDS],
        *[confirm_dialog(ids, title="Afslut", yes_label="Afslut") for ids in Ids.RECORDS.values()],
        annex_form,
        confirm_dialog(Ids.ANNEX, title="Træk bilag tilbage", yes_label="Træk tilbage"),
    ]


@guarded_layout(Menu.KUNDEAFTALER)
def layout(ctx: AccessContext, tab: str | None = None, **_query):
    """Return the Kundeaftaler page; tab content is loaded by a guarded callback."""
    # Bilag only applies when the customer agreement was not signed electronically (the guide).
    keys = [k for k in TABS if k != "bilag" or agreements.show_annexes(ctx.scope, ctx.cvr)]
    active = tab if tab in keys else "kundeaftale"
    # The stores are drawn for everyone (the tab reloads on them); the forms only for SA staff.
    stores = [store for ids in (Ids.AGREEMENT, *Ids.RECORDS.values(), Ids.ANNEX) for store in kit_stores(ids)]
    editing = editing_components() if can_do(ctx.user, Action.EDIT_CONTENT) else []
    return html.Div(
        [
            dcc.Store(id=Ids.CVR, data=ctx.cvr),
            *stores,
            # Approval results: the tab reloads on them and reports above its content.
            dcc.Store(id=Ids.APPROVE_DONE), dcc.Store(id=Ids.REQUEST_DONE),
            dcc.Download(id=Ids.DOWNLOAD),
            html.H1("Kundeaftaler", className="h3"),
            tab_bar(Ids.TABS, [(key, TABS[key]) for key in keys], active, "Kundeaftaler-faneblade"),
            dcc.Loading(tab_panel(Ids.CONTENT, "Indhold af det valgte faneblad", className="pt-3"),
                        target_components={Ids.CONTENT: "children"}),
            *editing,
        ]
    )
