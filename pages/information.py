"""Information: the customer's latest Servicemålsrapport, with earlier periods, trends and export."""

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from core.rights import Menu
from data.customers import customer_name
from data.rules import add_months, latest_closed_month
from data.workdays import danish_today
from pages._shell import DROPDOWN_LABELS
from core.formatting import da_date, da_month
from pages.ids import information as Ids

dash.register_page(__name__, path="/information", title="Information – Kundeportalen", name="Information")

PERIOD_CHOICES = 36


def period_options() -> list[dict[str, str]]:
    """Return the months a report can end in: the latest closed month and the ones before it."""
    last = latest_closed_month()
    months = [add_months(last, -i) for i in range(PERIOD_CHOICES)]
    return [{"label": da_month(m).capitalize(), "value": m.strftime("%Y-%m")} for m in months]


@guarded_layout(Menu.INFORMATION)
def layout(ctx: AccessContext, **_query):
    """Return the Information page; the report is filled by a guarded callback."""
    options = period_options()
    return html.Div(
        [
            dcc.Store(id=Ids.CVR, data=ctx.cvr),
            # The portal's header is not printed: a filed printout still names the customer it is about.
            html.P(f"{customer_name(ctx.scope, ctx.cvr) or ''} · CVR-nr. {ctx.cvr} · udskrevet {da_date(danish_today())}",
                   className="d-none d-print-block mb-1 information-print-customer"),
            html.Div(
                [
                    html.H1("Servicemålsrapport", className="h3 mb-0"),
                    html.Div(
                        [
                            html.Label("Periode", htmlFor=Ids.PERIOD, className="mb-0"),
                            dcc.Dropdown(labels=DROPDOWN_LABELS, id=Ids.PERIOD, options=options, value=options[0]["value"], clearable=False,
                                         searchable=False, className="information-period"),
                            dbc.Button("Eksportér CSV", id=Ids.EXPORT_CSV, color="secondary", outline=True, size="sm",
                                       n_clicks=0),
                            dbc.Button("Eksportér Excel", id=Ids.EXPORT_XLSX, color="secondary", outline=True, size="sm",
                                       n_clicks=0),
                            html.Button("Udskriv", className="btn btn-outline-secondary btn-sm",
                                        **{"data-print": "1"}),
                            dcc.Download(id=Ids.DOWNLOAD),
                        ],
                        className="d-flex align-items-center flex-wrap gap-2 no-print information-tools",
                    ),
                ],
                className="d-flex justify-content-between align-items-center flex-wrap gap-2 mb-3",
            ),
            html.P(
                "Målopfyldelse = andel af sagerne afsluttet i måneden, der overholdt servicemålet. "
                "Procenterne er rundet ned til én decimal (1.899 af 2.000 sager vises som 94,9 %); om målet er nået, "
                "afgøres af den præcise andel. ✓ betyder, at målet er nået; ✗ at det ikke er nået; – at der ingen "
                "sager var. Åbne sager tæller ikke med i målopfyldelsen.",
                className="text-muted small",
            ),
            # The report scrolls sideways in its own box on a phone: reachable and named for the keyboard.
            dcc.Loading(html.Div(id=Ids.REPORT, className="information-report", tabIndex="0", role="region",
                                 **{"aria-label": "Servicemålsrapport"})),
            html.H2("Udvikling de seneste 12 måneder", className="h5 mt-4"),
            dcc.Loading(html.Div(id=Ids.TRENDS, className="information-trends row")),
        ]
    )
