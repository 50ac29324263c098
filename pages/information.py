"""Information: the customer's latest Servicemålsrapport, with earlier periods, trends and export."""

import datetime as dt

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from core.rights import Menu
from data import drill
from data import units as unit_data
from data.rules import latest_closed_month, months_between
from pages._chart_table import TABLE_SHOW
from pages._drill import drill_modal
from pages._lazy import lazy_trigger
from pages._print import print_button, print_customer_line
from pages._service_report import DRILL, report_content
from pages._shell import DROPDOWN_LABELS
from core.formatting import da_month
from pages.ids import information as Ids

dash.register_page(__name__, path="/information", title="Information – Kundeportalen", name="Information")

UNIT_KINDS = {"regnskab": "Bogføringskreds", "loen": "Løngruppe"}


def period_options(first: dt.date | None = None) -> list[dict[str, str]]:
    """Return the months a report can end in: the latest closed month back to `first`, newest first."""
    # `first` is the customer's first month with figures: every month with data is reachable.
    last = latest_closed_month()
    first = min(first or last, last)
    months = months_between(first, last)[::-1]
    return [{"label": da_month(m).capitalize(), "value": m.strftime("%Y-%m")} for m in months]


def parse_month(value: str) -> dt.date:
    """Return the first day of a 'YYYY-MM' value this page made itself (`period_options`)."""
    return dt.date(int(value[:4]), int(value[5:7]), 1)


def unit_heading(unit: dict[str, str] | None) -> str:
    """Return the header's line naming the unit the report is limited to ('' for the whole customer)."""
    if unit is None:
        return ""
    return f"{UNIT_KINDS[unit['kind']]} {unit['code']} – {unit['name']}: kun enhedens sager"


@guarded_layout(Menu.INFORMATION)
def layout(ctx: AccessContext, enhed: str | None = None, **_query):
    """Return the Information page; the report is filled by a guarded callback."""
    options = period_options(drill.earliest_month(ctx.scope, ctx.cvr))
    # The unit chosen in the search box (code, name, kind) when it is one of the customer's, else None.
    unit = unit_data.customer_unit(ctx.scope, ctx.cvr, enhed)
    return html.Div(
        [
            dcc.Store(id=Ids.CVR, data=ctx.cvr),
            # The unit chosen in the search box (checked here and again by the callback).
            dcc.Store(id=Ids.UNIT, data=unit["code"] if unit else None),
            print_customer_line(ctx, "information-print-customer"),
            html.Div(
                [
                    html.Div([
                        html.H1("Servicemålsrapport", className="h3 mb-0"),
                        html.P(unit_heading(unit), className="mb-0 fw-semibold information-unit")
                        if unit else None,
                    ]),
                    html.Div(
                        [
                            html.Label("Periode", htmlFor=Ids.PERIOD, className="mb-0"),
                            dcc.Dropdown(labels=DROPDOWN_LABELS, id=Ids.PERIOD, options=options, value=options[0]["value"], clearable=False,
                                         searchable=False, className="information-period"),
                            dbc.Button("Eksportér CSV", id=Ids.EXPORT_CSV, color="secondary", outline=True, size="sm",
                                       n_clicks=0),
                            dbc.Button("Eksportér Excel", id=Ids.EXPORT_XLSX, color="secondary", outline=True, size="sm",
                                       n_clicks=0),
                            print_button(),
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
            # The latest report is drawn with the page (no round trip); another period by the guarded callback.
            dcc.Loading(html.Div(report_content(ctx, parse_month(options[0]["value"]), unit["code"] if unit else None),
                                 id=Ids.REPORT, className="information-report", tabIndex="0", role="region",
                                 **{"aria-label": "Servicemålsrapport"})),
            html.P("Klik på et tal i rapporten for at se sagerne bag det.", className="small text-muted no-print"),
            html.H2("Udvikling de seneste 12 måneder", className="h5 mt-4"),
            # Below the fold: drawn when it comes near the view, so the report above is ready first.
            *lazy_trigger(Ids.TRENDS_SEEN, after=f"#{Ids.REPORT} > *"),
            dcc.Loading(html.Div(id=Ids.TRENDS, className="information-trends row")),
            # The charts' figures as tables, drawn when asked for: hundreds of cells nobody reads unasked.
            html.Button(TABLE_SHOW, id=Ids.TABLES_TOGGLE, n_clicks=0, type="button",
                        className="btn btn-link btn-sm p-0 no-print",
                        **{"aria-expanded": "false", "aria-controls": Ids.TRENDS_TABLES}),
            html.Div(id=Ids.TRENDS_TABLES, className="information-trends-tables"),
            drill_modal(DRILL),
        ]
    )
