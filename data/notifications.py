"""Notifications: who is told of an announcement, the mails they get, and each user's opt-outs per topic.

The worker's `notify_pending` turns each new announcement (data/announcements.py) into queued mails
(data/mail.py `enqueue`), in one transaction with the claim on the announcement, so an announcement is
mailed exactly once however many workers run. Recipients, each address once per announcement:

- users with the topic's menu right (core/topics.py TOPIC_MENU) on the announcement's CVR, active,
  who have not opted out of the topic (user menu › Notifikationer);
- the customer's contact persons whose roles concern the topic (data/roles_catalogue.py role_topics).
  A contact whose address belongs to a user account is that user: told only under the user's rules
  above, so an address never gets news its account may not open.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from typing import Any, Iterable

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.formatting import da_changed
from core.rights import MENU_ITEMS, Right, parse_rights, rights_open_menu
from core.topics import TOPIC_LABELS, TOPIC_MENU, Topic
from data import audit
from data.db import get_session, transaction
from data.errors import Refused, ValidationError
from data.mail import MailError, enqueue
from data.models import (
    Announcement,
    Contact,
    ContactRole,
    Customer,
    Grant,
    NotificationPreference,
    User,
    normalise_email,
    utcnow,
)
from data.roles_catalogue import roles_for_topic
from data.scoping import unscoped

PREFERENCES_PATH = "/notifikationer"
BATCH = 20

# SA's look in a mail: the portal's colours (assets/portal.css), inline styles, no external images.
NAVY = "#14143c"
INK = "#1b1b1b"
MUTED = "#4f5263"
LINE = "#d5d8e0"
BACKGROUND = "#f5f6f8"
LINK = "#0b4f9c"


@dataclass(frozen=True)
class Recipient:
    """One address told of an announcement; `user_id` None: a contact person without a user account."""

    email: str
    name: str
    user_id: int | None


# --- who is told -------------------------------------------------------------------------------------


def _opted_out(session: Session, user_ids: Iterable[int]) -> dict[int, set[str]]:
    ids = sorted(set(user_ids))
    if not ids:
        return {}
    rows = session.execute(select(NotificationPreference.user_id, NotificationPreference.opted_out)
                           .where(NotificationPreference.user_id.in_(ids)))
    return {user_id: set(opted or []) for user_id, opted in rows}


def recipients(session: Session, cvr: str, topic: Topic) -> list[Recipient]:
    """Return who is told of an announcement of `topic` for `cvr`, each address once, sorted by address."""
    topic = Topic(topic)
    menu = TOPIC_MENU[topic]
    with unscoped(session, "notifications: who is told of a customer's announcement (worker)"):
        contacts = list(session.scalars(
            select(Contact).where(Contact.cvr == cvr,
                                  Contact.roles.any(ContactRole.name.in_(sorted(roles_for_topic(topic)))))
            .order_by(Contact.id)))
        contact_addresses: dict[str, Contact] = {}
        for contact in contacts:
            address = normalise_email(contact.email or contact.shared_email or "")
            if address:
                contact_addresses.setdefault(address, contact)
        granted = {user_id: rights for user_id, rights in
                   session.execute(select(Grant.user_id, Grant.rights).where(Grant.cvr == cvr))}
        users = list(session.scalars(
            select(User).where((User.id.in_(sorted(granted))) | (User.email.in_(sorted(contact_addresses))))
            .order_by(User.id)))
        opted = _opted_out(session, (u.id for u in users))
        chosen: dict[str, Recipient] = {}
        for user in users:
            # SA staff hold every right on every customer; a customer user only what the grant says.
            rights = frozenset(Right) if user.is_sa else parse_rights(granted.get(user.id) or [])
            has_b_number = bool(user.b_number and user.b_number.strip())
            if (user.is_active and rights_open_menu(menu, rights, has_b_number)
                    and topic.value not in opted.get(user.id, set())):
                chosen[user.email] = Recipient(user.email, user.name, user.id)
        accounts = {user.email for user in users}
        for address, contact in contact_addresses.items():
            if address not in accounts:
                chosen.setdefault(address, Recipient(address, contact.name, None))
    return sorted(chosen.values(), key=lambda r: r.email)


# --- the mail ------------------------------------------------------------------------------------------


def page_link(base_url: str, path: str) -> str:
    """Return the absolute address of a portal `path` on `base_url` (PUBLIC_BASE_URL), or the path without one."""
    return f"{(base_url or '').rstrip('/')}{path}"


def notification_mail(announcement: Announcement, customer_name: str, recipient: Recipient, *,
                      base_url: str) -> tuple[str, str, str]:
    """Return the subject, plain text and HTML of the mail telling `recipient` of `announcement`."""
    topic = Topic(announcement.topic)
    label = TOPIC_LABELS[topic]
    link = page_link(base_url, announcement.path)
    settings = page_link(base_url, PREFERENCES_PATH)
    customer = f"{customer_name} (CVR {announcement.cvr})"
    page = MENU_ITEMS[TOPIC_MENU[topic]].label
    if recipient.user_id is not None:
        why = (f"Du får denne e-mail, fordi du har adgang til {page} for {customer}. "
               "Du kan framelde dig emnet under Brugermenu › Notifikationer:")
        why_link = settings
    else:
        why = (f"Du får denne e-mail, fordi du er kontaktperson for {customer} med en rolle, der vedrører "
               "emnet. Kontakt jeres administrator i Kundeportalen, hvis rollen skal ændres.")
        why_link = ""
    subject = f"Nyt i Kundeportalen: {announcement.title}"
    lines = [f"Kære {recipient.name}", "",
             f"Statens Administration har offentliggjort nyt i Kundeportalen for {customer}.", "",
             f"{label}: {announcement.title}"]
    if announcement.summary:
        lines += ["", announcement.summary]
    lines += ["", f"Se det i Kundeportalen: {link}", "", why]
    if why_link:
        lines.append(why_link)
    lines += ["", "Venlig hilsen", "Statens Administration"]
    text = "\n".join(lines) + "\n"

    e = html.escape
    summary = (f'<p style="margin:0 0 16px;color:{INK};white-space:pre-line">{e(announcement.summary)}</p>'
               if announcement.summary else "")
    why_html = e(why) + (f' <a href="{e(why_link)}" style="color:{LINK}">{e(why_link)}</a>' if why_link else "")
    body = f"""<!DOCTYPE html>
<html lang="da"><head><meta charset="utf-8"><title>{e(subject)}</title></head>
<body style="margin:0;padding:0;background:{BACKGROUND};font-family:Arial,Helvetica,sans-serif;color:{INK}">
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="background:{BACKGROUND}">
<tr><td align="center" style="padding:24px 12px">
<table role="presentation" width="600" cellspacing="0" cellpadding="0" style="max-width:600px;background:#ffffff;border:1px solid {LINE}">
<tr><td style="background:{NAVY};color:#ffffff;padding:16px 24px;font-size:18px;font-weight:bold">Statens Administration · Kundeportalen</td></tr>
<tr><td style="padding:24px">
<p style="margin:0 0 16px">Kære {e(recipient.name)}</p>
<p style="margin:0 0 16px">Statens Administration har offentliggjort nyt i Kundeportalen for {e(customer)}.</p>
<p style="margin:0 0 4px;color:{MUTED};font-size:13px">{e(label)}</p>
<h1 style="margin:0 0 16px;font-size:20px;color:{NAVY}">{e(announcement.title)}</h1>
{summary}<p style="margin:0 0 24px"><a href="{e(link)}" style="display:inline-block;background:{NAVY};color:#ffffff;padding:10px 18px;text-decoration:none;border-radius:4px">Se det i Kundeportalen</a></p>
<p style="margin:0 0 16px;font-size:13px;color:{MUTED}">Virker knappen ikke, så kopiér adressen: <a href="{e(link)}" style="color:{LINK}">{e(link)}</a></p>
<p style="margin:0;font-size:13px;color:{MUTED}">{why_html}</p>
</td></tr>
<tr><td style="border-top:1px solid {LINE};padding:12px 24px;font-size:13px;color:{MUTED}">Venlig hilsen<br>Statens Administration</td></tr>
</table></td></tr></table></body></html>
"""
    return subject, text, body


# --- the worker's task ---------------------------------------------------------------------------------


def _queue_for(session: Session, announcement: Announcement, base_url: str) -> int:
    customer = session.scalar(select(Customer.name).where(Customer.cvr == announcement.cvr)) or ""
    count = 0
    for recipient in recipients(session, announcement.cvr, Topic(announcement.topic)):
        subject, text, body = notification_mail(announcement, customer, recipient, base_url=base_url)
        try:
            enqueue(session, recipient.email, subject, text, body, announcement_id=announcement.id)
        except MailError:
            current_app.logger.warning("announcement %s: a recipient's address cannot be mailed", announcement.id)
            continue
        count += 1
    return count


def notify_pending(now: dt.datetime | None = None, limit: int = BATCH) -> bool:
    """Queue the mails of every announcement not notified yet (the worker's task); return whether there were any."""
    session = get_session()
    base_url = current_app.config.get("PUBLIC_BASE_URL") or ""
    reason = "notifications: the worker mails each customer's announcements"
    with unscoped(session, reason):
        ids = list(session.scalars(select(Announcement.id).where(Announcement.notified_at.is_(None))
                                   .order_by(Announcement.id).limit(limit)))
        session.commit()
        for announcement_id in ids:
            try:
                # The claim and the mails commit together: of several workers one claims it, and a
                # failure before the commit leaves it unclaimed for the next round.
                claimed = session.execute(
                    update(Announcement)
                    .where(Announcement.id == announcement_id, Announcement.notified_at.is_(None))
                    .values(notified_at=now or utcnow())
                    .execution_options(synchronize_session=False)
                ).rowcount == 1
                if claimed:
                    announcement = session.get(Announcement, announcement_id)
                    _queue_for(session, announcement, base_url)
                session.commit()
            except Exception:
                session.rollback()
                raise
    return bool(ids)


# --- the user's choices -----------------------------------------------------------------------------------


class PreferenceConflict(Refused):
    """The user's choices were saved elsewhere (another tab) after this form was shown; nothing was written."""

    def __init__(self, updated_at: dt.datetime | None = None):
        when = f" ({da_changed(updated_at)})" if updated_at is not None else ""
        super().__init__(f"Dine valg er ændret samtidig i et andet vindue{when}. Genindlæs siden, og prøv igen.")


@dataclass(frozen=True)
class Preferences:
    """The topics a user follows and the version the form shows (None: never saved)."""

    followed: list[str]
    version: int | None


def preferences(session: Session, user_id: int) -> Preferences:
    """Return the topics `user_id` follows (every topic until they opt out) and the stored version."""
    row = session.get(NotificationPreference, user_id)
    opted = set(row.opted_out or []) if row is not None else set()
    return Preferences([t.value for t in Topic if t.value not in opted], row.version if row is not None else None)


def _parse_followed(followed: Any) -> set[str]:
    valid = {t.value for t in Topic}
    if not isinstance(followed, list) or not all(isinstance(v, str) and v in valid for v in followed):
        raise ValidationError({"topics": "Vælg blandt emnerne på listen."})
    return set(followed)


def save_preferences(actor: Any, followed: Any, version: Any) -> Preferences:
    """Save the topics the signed-in `actor` follows, as shown at `version`; raise PreferenceConflict when stale."""
    chosen = _parse_followed(followed)
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise PreferenceConflict()
    opted_out = sorted(t.value for t in Topic if t.value not in chosen)
    try:
        with transaction() as session:
            row = session.get(NotificationPreference, actor.id, populate_existing=True)
            if (row.version if row is not None else None) != version:
                raise PreferenceConflict(row.updated_at if row is not None else None)
            before = {"fravalgt": sorted(row.opted_out or [])} if row is not None else {"fravalgt": []}
            if row is None:
                row = NotificationPreference(user_id=actor.id, opted_out=opted_out)
                session.add(row)
            else:
                row.opted_out = opted_out
            audit.record(session, actor, "notifikationer", "notification_preference", actor.id, None, before,
                         {"fravalgt": opted_out})
            session.flush()
            saved = Preferences([t.value for t in Topic if t.value not in opted_out], row.version)
    except (StaleDataError, IntegrityError) as exc:
        # Another save won the race between the check above and this one's UPDATE/INSERT.
        raise PreferenceConflict() from exc
    return saved
