"""Aktionsliste: the action items agreed between the customer and SA, each in two lines."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from auth.rights import Menu
from data.actions import AREA_ALL, AREA_CHOICES
from pages._grid import export_bar, xlsx_export_button
from pages.ids import aktionsliste as Ids

dash.register_page(__name__, path="/aktionsliste", title="Aktionsliste – Kundeportalen", name="Aktionsliste")


@guarded_layout(Menu.AKTIONSLISTE)
def layout(ctx: AccessContext, omraade: str | None = None, **_query):
    """Return the Aktionsliste page; the items are loaded by a guarded callback."""
    area = omraade if omraade in AREA_CHOICES else AREA_ALL
    return html.Div(
        [
            dcc.Store(id=Ids.CVR, data=ctx.cvr),
            html.H1("Aktionsliste", className="h3"),
            html.P(
                "Aftalte opgaver mellem kunden og Statens Administration. Vælg en opgave (klik, Enter eller "
                "mellemrum) for at se den detaljerede beskrivelse og status."
            ),
            html.Div(
                [
                    html.Fieldset(
                        [
                            html.Legend("Område"),
                            dbc.RadioItems(
                                id=Ids.AREA,
                                options=[{"label": a, "value": a} for a in AREA_CHOICES],
                                value=area,
                                inline=True,
                            ),
                        ],
                        className="d-flex align-items-center",
                    ),
                    dbc.Checklist(
                        id=Ids.SHOW_CLOSED,
                        options=[{"label": "Vis afsluttede", "value": "vis"}],
                        value=[],
                        inline=True,
                        className="me-3",
                    ),
                    dbc.Button("Udvid alle", id=Ids.EXPAND_ALL, n_clicks=0, color="secondary", outline=True,
                               size="sm", type="button", className="me-3"),
                ],
                className="d-flex flex-wrap align-items-center mb-2 aktion-filters",
            ),
            export_bar(
                xlsx_export_button(Ids.EXPORT_CSV, "Eksportér CSV"),
                xlsx_export_button(Ids.EXPORT_XLSX, "Eksportér Excel"),
                dcc.Download(id=Ids.DOWNLOAD_CSV),
                download_id=Ids.DOWNLOAD_XLSX,
            ),
            dcc.Loading(html.Div(id=Ids.CONTENT, **{"aria-live": "polite"}), target_components={Ids.CONTENT: "children"}),
        ]
    )
