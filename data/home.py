"""The start page's data: what is new for a user since their previous visit, deadlines near or past, SA's overview.

Every read runs inside the request's scope (the start page binds the user's customers) and narrows
further in SQL to the CVRs on which the user holds the page's right: news of meetings only where the
user may open Møder, and so on. Nothing here reads a request: the caller passes the user.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.access import menu_scope
from core.rights import Menu
from core.topics import TOPIC_LABELS, TOPIC_MENU, Topic
from data import approvals
from data.db import transaction
from data.mail import STATUS_FAILED, STATUS_QUEUED, STATUS_SENDING
from data.models import ActionItem, Announcement, Customer, MailOutbox, UserVisit, utcnow

# Opening the start page again within this time is the same visit: a reload keeps the news.
VISIT_GAP = dt.timedelta(minutes=30)
# A user's first visit shows the news of the last month.
FIRST_VISIT_WINDOW = dt.timedelta(days=30)
DEADLINE_DAYS = 14
MAX_NEWS = 50
MAX_DEADLINES = 50


def record_visit(user_id: int, now: dt.datetime | None = None) -> dt.datetime:
    """Record that `user_id` opens the start page now (commits); return since when their news is shown."""
    now = now or utcnow()
    try:
        with transaction() as session:
            row = session.get(UserVisit, user_id)
            if row is None:
                # The first visit shows the last month, as if the previous visit was then; a reload
                # within the visit shows the same.
                since = now - FIRST_VISIT_WINDOW
                session.add(UserVisit(user_id=user_id, last_seen_at=now, previous_seen_at=since))
                return since
            if now - row.last_seen_at > VISIT_GAP:
                row.previous_seen_at = row.last_seen_at
            row.last_seen_at = now
            return row.previous_seen_at or (now - FIRST_VISIT_WINDOW)
    except IntegrityError:
        # Two tabs opened the first visit at once: the other one recorded it.
        return now - FIRST_VISIT_WINDOW


@dataclass(frozen=True)
class NewsItem:
    """One announcement shown on the start page."""

    cvr: str
    customer: str
    topic: str  # the Danish label of the topic
    title: str
    summary: str
    path: str
    created_at: dt.datetime


def news_since(session: Session, user: Any, since: dt.datetime, limit: int = MAX_NEWS) -> list[NewsItem]:
    """Return the announcements since `since` on the CVRs where `user` may open each topic's page, newest first."""
    allowed = []
    for topic in Topic:
        scope = menu_scope(user, TOPIC_MENU[topic])
        if scope.all_customers or scope.cvrs:
            allowed.append(and_(Announcement.topic == topic.value, scope.clause(Announcement.cvr)))
    if not allowed:
        return []
    rows = session.execute(
        select(Announcement, Customer.name)
        .join(Customer, Customer.cvr == Announcement.cvr)
        .where(or_(*allowed), Announcement.created_at > since)
        .order_by(Announcement.created_at.desc(), Announcement.id.desc())
        .limit(limit)
    )
    return [NewsItem(a.cvr, name, TOPIC_LABELS.get(_topic(a.topic), a.topic), a.title, a.summary, a.path,
                     a.created_at) for a, name in rows]


def _topic(value: str) -> Topic | str:
    try:
        return Topic(value)
    except ValueError:
        return value


@dataclass(frozen=True)
class Deadline:
    """An open action item whose deadline is near or past."""

    id: int
    cvr: str
    customer: str
    subject: str
    deadline: dt.date
    overdue: bool


def _published_only(stmt: Any) -> Any:
    # Action items may get drafts (issue 10, the Aktionsliste editor): a draft is SA's until published.
    published_at = getattr(ActionItem, "published_at", None)
    return stmt if published_at is None else stmt.where(published_at.is_not(None))


def deadlines(session: Session, user: Any, today: dt.date, days: int = DEADLINE_DAYS,
              limit: int = MAX_DEADLINES) -> list[Deadline]:
    """Return the open action items due within `days` of `today` or overdue, on CVRs where `user` may open Aktionsliste."""
    scope = menu_scope(user, Menu.AKTIONSLISTE)
    if not scope.all_customers and not scope.cvrs:
        return []
    stmt = (
        select(ActionItem, Customer.name)
        .join(Customer, Customer.cvr == ActionItem.cvr)
        .where(scope.clause(ActionItem.cvr), ActionItem.is_closed.is_(False), ActionItem.deadline.is_not(None),
               ActionItem.deadline <= today + dt.timedelta(days=days))
        .order_by(ActionItem.deadline, ActionItem.id)
        .limit(limit)
    )
    return [Deadline(item.id, item.cvr, name, item.subject, item.deadline, item.deadline < today)
            for item, name in session.execute(_published_only(stmt))]


@dataclass(frozen=True)
class Overview:
    """SA's short overview on the start page."""

    announcements_week: int
    customers_week: int
    overdue_actions: int
    mails_waiting: int
    mails_failed: int


def sa_overview(session: Session, today: dt.date, now: dt.datetime | None = None) -> Overview:
    """Return SA's overview across every customer in the session's scope: the week's news, overdue items, mail."""
    week_ago = (now or utcnow()) - dt.timedelta(days=7)
    news = session.execute(select(func.count(Announcement.id), func.count(func.distinct(Announcement.cvr)))
                           .where(Announcement.created_at > week_ago)).one()
    overdue = session.scalar(_published_only(
        select(func.count(ActionItem.id)).where(ActionItem.is_closed.is_(False), ActionItem.deadline < today)))
    waiting = session.scalar(select(func.count(MailOutbox.id))
                             .where(MailOutbox.status.in_([STATUS_QUEUED, STATUS_SENDING])))
    failed = session.scalar(select(func.count(MailOutbox.id)).where(MailOutbox.status == STATUS_FAILED,
                                                                    MailOutbox.created_at > week_ago))
    return Overview(news[0], news[1], overdue or 0, waiting or 0, failed or 0)


def awaiting_approval(user: Any) -> list[dict[str, Any]]:
    """Return the agreement versions awaiting `user`'s own approval as a registered signatory, on CVRs they may read."""
    scope = menu_scope(user, Menu.KUNDEAFTALER)
    if not scope.all_customers and not scope.cvrs:
        return []
    return approvals.pending_for(scope, user)
