"""Rapporter: the KPI dashboard for the customer in context (Rapporter right and a B-number)."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.guard import AccessContext, guarded_layout
from core.rights import Menu
from data import kpi, units as unit_data
from data.rules import latest_closed_month
from pages._chart_table import TABLE_SHOW
from pages._drill import drill_modal
from pages._shell import DROPDOWN_LABELS
from pages._kpi_table import ALL_VALUE, DRILL, dashboard_table
from pages._lazy import lazy_trigger
from pages._print import PRINT_ONLY, print_button, print_customer_line
from pages.ids import rapporter as Ids

dash.register_page(__name__, path="/rapporter", title="Rapporter – Kundeportalen", name="Rapporter")

AREAS = ["Regnskab", "Løn", "Rejser", "Refusion"]


def _labelled(label: str, control_id: str, control, class_name: str = "") -> html.Div:
    return html.Div([html.Label(label, htmlFor=control_id, className="form-label small mb-1"), control],
                    className=f"rapporter-filter {class_name}".strip())


@guarded_layout(Menu.RAPPORTER)
def layout(ctx: AccessContext, **_query):
    """Return the KPI dashboard; figures are filled by guarded callbacks."""
    # The year of the latest closed month: in January that is last year, whose figures are complete,
    # not this year, which has no closed month yet.
    report_year = latest_closed_month().year
    years = kpi.filter_options(ctx.scope, ctx.cvr)["years"] or [report_year]
    default_year = report_year if report_year in years else years[-1]
    units = unit_data.unit_options(ctx.scope, ctx.cvr)
    goals = [{"label": f"{g['code']} – {g['title']}", "value": g["goal_id"]}
             for g in kpi.goal_choices(ctx.scope, ctx.cvr)]
    # The table for the default filters is drawn with the page (no round trip); other filters by the callback.
    table = dashboard_table(ctx, default_year, ALL_VALUE, ALL_VALUE)
    return html.Div(
        [
            dcc.Store(id=Ids.CVR, data=ctx.cvr),
            # The drill-through goal the user chose, kept while an area without it shows another.
            dcc.Store(id=Ids.GOAL_MEMORY, data={"preferred": None, "auto": None}),
            # The table's sort ({} is the report's order) and the requests of its buttons (assets/drill.js).
            # Not None: a store mounted without data sends it once, which would fire their callbacks on load.
            dcc.Store(id=Ids.SORT, data={}),
            dcc.Store(id=Ids.SORT_REQUEST, data={}),
            dcc.Store(id=Ids.PICK, data={}),
            print_customer_line(ctx, "rapporter-print-customer"),
            html.H1("KPI-oversigt", className="h3"),
            # The pickers are not printed: the printout says in words which figures it shows.
            # Drawn again by the table's callback when a filter changes.
            html.P(table["filters"], id=Ids.PRINT_FILTERS, className=f"{PRINT_ONLY} mb-2 rapporter-print-filters"),
            html.Div(
                [
                    _labelled("År", Ids.YEAR, dcc.Dropdown(labels=DROPDOWN_LABELS, 
                        id=Ids.YEAR, options=[{"label": str(y), "value": y} for y in sorted(years, reverse=True)],
                        value=default_year, clearable=False, searchable=False)),
                    _labelled("Område", Ids.AREA, dcc.Dropdown(labels=DROPDOWN_LABELS, 
                        id=Ids.AREA, options=[{"label": "Alle områder", "value": ALL_VALUE}]
                        + [{"label": a, "value": a} for a in AREAS], value=ALL_VALUE, clearable=False, searchable=False)),
                    _labelled("Bogføringskreds / løngruppe", Ids.UNIT, dcc.Dropdown(labels=DROPDOWN_LABELS, 
                        id=Ids.UNIT, options=[{"label": "Alle", "value": ALL_VALUE}]
                        + [{"label": f"{u['code']} – {u['name']}", "value": u["code"]} for u in units],
                        value=ALL_VALUE, clearable=False)),
                    html.Div(
                        [
                            dbc.Button("Eksportér CSV", id=Ids.EXPORT_CSV, color="secondary", outline=True, size="sm",
                                       n_clicks=0, className="me-2"),
                            dbc.Button("Eksportér Excel", id=Ids.EXPORT_XLSX, color="secondary", outline=True,
                                       size="sm", n_clicks=0, className="me-2"),
                            print_button(),
                            dcc.Download(id=Ids.DOWNLOAD),
                        ],
                        className="rapporter-filter align-self-end rapporter-tools",
                    ),
                ],
                className="d-flex flex-wrap gap-3 mb-3 no-print rapporter-filters",
            ),
            html.Div(table["status"], id=Ids.STATUS, className="text-muted small mb-2", role="status"),
            # Drawn by the server (pages/_kpi_table.py); a header sorts it, a goal's code picks that goal.
            html.Div(table["table"], id=Ids.TABLE),
            html.P("Procenterne er rundet ned til én decimal (1.899 af 2.000 sager vises som 94,9 %); om målet er "
                   "nået, afgøres af den præcise andel. Åbne sager tæller ikke med i målopfyldelsen.",
                   className="small text-muted mt-1"),
            html.P("Klik på et måls kode for at se dets udvikling, fordeling og sager nedenfor, eller på en "
                   "kolonneoverskrift for at sortere.", className="small text-muted mt-1 no-print"),
            # The chart and the histogram are below the fold: drawn when they come near the view. The table
            # comes with the page, so the chart's spot is where it stays from the first paint.
            *lazy_trigger(Ids.CHARTS_SEEN, after=f"#{Ids.TABLE}"),
            html.Div(
                [
                    html.H2("Målopfyldelse pr. måned", className="h5 mb-0"),
                    # The goal shown in colour in the chart (the others grey behind it) and in the histogram.
                    # Not printed: the chart's title names the goal in colour.
                    _labelled("Servicemål", Ids.GOAL, dcc.Dropdown(labels=DROPDOWN_LABELS,
                        id=Ids.GOAL, options=goals, value=goals[0]["value"] if goals else None,
                        clearable=False), "no-print"),
                ],
                className="d-flex flex-wrap align-items-end justify-content-between gap-3 mt-4 mb-2",
            ),
            # The chart (callbacks.rapporter.chart_graph) is sized by its box (assets/rapporter.css); one goal
            # in colour, so no legend to make room for. Until drawn the box keeps the chart's height.
            dcc.Loading(html.Div(id=Ids.CHART_BOX, className="rapporter-chart-box")),
            html.P("Klik på et punkt i grafen eller et tal i tabellen for at se sagerne bag det.",
                   className="small text-muted no-print"),
            # The chart's figures as a table: for screen readers, keyboard users and anyone who wants the numbers.
            # Drawn when asked for: its few hundred cells cost the browser more than the chart itself.
            html.Button(TABLE_SHOW, id=Ids.TABLE_TOGGLE, n_clicks=0, type="button",
                        className="btn btn-link btn-sm p-0 no-print",
                        **{"aria-expanded": "false", "aria-controls": Ids.CHART_TABLE}),
            html.Div(id=Ids.CHART_TABLE, className="mb-3"),
            html.Div(
                [
                    html.Div(
                        [
                            html.H2("Fordeling af behandlingstid", className="h5"),
                            dcc.Loading(html.Div(id=Ids.HISTOGRAM_BOX, className="rapporter-histogram-box")),
                            html.Div(id=Ids.HISTOGRAM_TABLE),
                        ],
                        className="col-lg-7",
                    ),
                    html.Div(
                        [
                            html.H2("Sagerne bag tallene", className="h5"),
                            html.P("Vælg servicemål ovenfor og en måned, og hent de sager, som tallet bygger på, "
                                   "eller vælg dagens åbne sager (alle eller kun dem over frist).",
                                   className="small text-muted"),
                            _labelled("Måned", Ids.DRILL_MONTH, dcc.Dropdown(labels=DROPDOWN_LABELS, id=Ids.DRILL_MONTH, options=table["months"],
                                                                             value=table["month"], clearable=False)),
                            dbc.Button("Hent sager (CSV)", id=Ids.DRILL_BUTTON, color="primary", size="sm",
                                       className="mt-2", n_clicks=0),
                        ],
                        className="col-lg-5 no-print",
                    ),
                ],
                className="row mt-4",
            ),
            drill_modal(DRILL),
        ],
        # Printed in landscape (assets/rapporter.css).
        className="rapporter-page",
    )

