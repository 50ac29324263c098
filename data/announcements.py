"""Announcements: one row per thing SA publishes for a customer, written in the same transaction as the change.

The start page reads them ("nyt siden sidst"), and the notification sender turns them into mails to
the contact persons and users the topic concerns.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.topics import Topic
from data import audit
from data.models import Announcement


def announce(session: Session, actor: Any, cvr: str, topic: Topic, title: str, path: str, *,
             summary: str = "", entity: str = "", entity_id: Any = None) -> Announcement:
    """Add an announcement of `topic` for `cvr` to `session` (committed with the caller's change)."""
    if not path.startswith("/") or path.startswith("//"):
        raise ValueError("An announcement links to a page of the portal: a path starting with one '/'.")
    row = Announcement(cvr=cvr, topic=Topic(topic).value, title=title[:300], summary=summary, path=path[:300],
                       entity=entity, entity_id=None if entity_id is None else str(entity_id),
                       created_by=audit.user_label(actor))
    session.add(row)
    return row
