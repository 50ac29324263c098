"""Forside: for a customer user what is new since their last visit and which action items are due; SA's overview."""

import dash
from dash import html
from flask_login import current_user

from auth.guard import signed_in_layout
from core.access import default_cvr, menu_scope
from core.formatting import da_date, da_datetime, da_number
from core.rights import Menu
from data.actions import today
from data.db import get_session
from data.home import (
    DEADLINE_DAYS,
    Deadline,
    NewsItem,
    awaiting_approval,
    deadlines,
    news_since,
    record_visit,
    sa_overview,
)
from data.team import support_email
from pages._nav import open_menu_items
from pages._email import mail_link

dash.register_page(__name__, path="/", title="Kundeportalen", name="Forside")

WELCOME = "Velkommen til Statens Administrations kundeportal"


def _intro() -> list:
    return [
        html.P(
            "For at finde relevante dokumenter og informationer skal du starte med at anvende "
            # Where the search sits depends on the screen (beside the menu, or under the menu button on
            # a phone): name it, not its place.
            "søgefelterne i sidehovedet. Her kan du søge på bogføringskreds, løngruppe, "
            "kundenavn eller CVR-nummer."
        ),
        html.P(
            [
                "Har du spørgsmål vedrørende anvendelsen af kundeportalen, eller oplever du tekniske "
                "fejlmeldinger, er du velkommen til at skrive til ",
                mail_link(support_email()),
                ".",
            ]
        ),
    ]


def news_list(items: list[NewsItem], since_text: str) -> html.Section:
    """Return the 'Nyt siden dit sidste besøg' section."""
    if items:
        body = html.Ul(
            [
                html.Li(
                    [
                        html.A(item.title, href=item.path, className="fw-semibold"),
                        html.Div(f"{item.topic} · {item.customer} · {da_datetime(item.created_at)}",
                                 className="small text-muted"),
                        html.Div(item.summary, className="small") if item.summary else None,
                    ],
                    className="mb-2",
                )
                for item in items
            ],
            className="list-unstyled home-news",
        )
    else:
        body = html.P("Der er ikke offentliggjort noget nyt til dig siden dit sidste besøg.")
    return html.Section(
        [html.H2("Nyt siden dit sidste besøg", className="h5 mt-4"),
         html.P(f"Offentliggjort efter {since_text}.", className="small text-muted"), body],
        **{"aria-label": "Nyt siden dit sidste besøg"},
    )


def _deadline_text(item: Deadline) -> str:
    if item.overdue:
        return f"Fristen {da_date(item.deadline)} er overskredet"
    return f"Frist {da_date(item.deadline)}"


def deadline_list(items: list[Deadline]) -> html.Section:
    """Return the section of open action items with a deadline near or past."""
    if items:
        body = html.Ul(
            [
                html.Li(
                    [
                        html.A(item.subject, href=f"/aktionsliste?cvr={item.cvr}"),
                        html.Div(f"{_deadline_text(item)} · {item.customer}",
                                 className="small " + ("text-danger fw-semibold" if item.overdue else "text-muted")),
                    ],
                    className="mb-2",
                )
                for item in items
            ],
            className="list-unstyled home-deadlines",
        )
    else:
        body = html.P(f"Ingen åbne aktionspunkter har frist inden for de næste {DEADLINE_DAYS} dage.")
    return html.Section(
        [html.H2("Aktionspunkter med frist", className="h5 mt-4"),
         html.P(f"Åbne aktionspunkter med overskredet frist eller frist inden for {DEADLINE_DAYS} dage.",
                className="small text-muted"), body],
        **{"aria-label": "Aktionspunkter med frist"},
    )


def _customer_page(user) -> html.Div:
    session = get_session()
    since = record_visit(user.id)
    cvr = default_cvr(user)
    links = [html.Li(html.A(item.label, href=f"{item.path}?cvr={cvr}")) for item in open_menu_items(user, cvr)] if cvr else []
    actions_scope = menu_scope(user, Menu.AKTIONSLISTE)
    sections = [news_list(news_since(session, user, since), da_datetime(since))]
    if actions_scope.cvrs:
        sections.append(deadline_list(deadlines(session, user, today())))
    return html.Div(
        [
            html.H1(WELCOME, className="h3"),
            approval_list(awaiting_approval(user)),
            *sections,
            html.H2("Om kundeportalen", className="h5 mt-4"),
            *_intro(),
            html.Ul(links, className="home-links") if links else None,
        ]
    )


def approval_list(items: list[dict]) -> html.Section | None:
    """Return the agreements awaiting the user's approval, each linking to »Godkend aftalen«, or None."""
    if not items:
        return None
    entries = [html.Li(html.A(f"Godkend aftalen: {item['title']} version {item['version']} (CVR {item['cvr']})",
                              href=f"/kundeaftaler?cvr={item['cvr']}&tab={item['key']}")) for item in items]
    return html.Section([html.H2("Afventer din godkendelse", className="h5 mt-4"),
                         html.Ul(entries, className="home-approvals")],
                        **{"aria-label": "Aftaler der afventer din godkendelse"})


def _sa_page() -> html.Div:
    overview = sa_overview(get_session(), today())
    facts = [
        ("Offentliggjort den seneste uge",
         f"{da_number(overview.announcements_week)} hos {da_number(overview.customers_week)} kunder"),
        ("Åbne aktionspunkter med overskredet frist", da_number(overview.overdue_actions)),
        ("E-mails der venter på at blive sendt", da_number(overview.mails_waiting)),
        ("E-mails der ikke kunne sendes den seneste uge", da_number(overview.mails_failed)),
    ]
    return html.Div(
        [
            html.H1(WELCOME, className="h3"),
            approval_list(awaiting_approval(current_user)),
            html.Section(
                [html.H2("Overblik over alle kunder", className="h5 mt-4"),
                 html.Dl([part for label, value in facts for part in (html.Dt(label), html.Dd(value))],
                         className="home-overview")],
                **{"aria-label": "Overblik over alle kunder"},
            ),
            *_intro(),
        ]
    )


@signed_in_layout
def layout(**_query):
    """Return the start page: SA's overview, or the customer user's news since the last visit and due action items."""
    if current_user.is_sa:
        return _sa_page()
    return _customer_page(current_user)
