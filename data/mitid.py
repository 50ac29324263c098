"""MitID Erhverv sign-in's data: outstanding AuthnRequests, seen assertion ids, and the person-to-user links.

A person is linked to a portal user once, at the first MitID sign-in, and only to a user who already exists
with the assertion's e-mail and already holds a right on the assertion's CVR: no user and no right is ever
created from an assertion. Sign-in runs before any access scope exists, so its look-ups say they are unscoped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from core.access import AccessScope
from data import audit
from data.db import get_session, transaction
from data.models import MitIdLink, SamlRequest, SamlSeenAssertion, User, normalise_email, utcnow
from data.scoping import unscoped

REQUEST_LIFETIME = dt.timedelta(minutes=30)


class LinkRefused(Exception):
    """Raised when an assertion's person cannot act as any portal user for its CVR; `reason` names why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def remember_request(request_id: str, next_url: str, browser_token: str) -> None:
    """Record an AuthnRequest sent to the IdP, so that exactly one response to it is accepted later."""
    now = utcnow()
    with transaction() as session:
        # Old requests go as new ones come: the table holds at most the last half hour's.
        session.execute(delete(SamlRequest).where(SamlRequest.expires_at < now))
        session.add(SamlRequest(id=request_id[:100], created_at=now, expires_at=now + REQUEST_LIFETIME,
                                next_url=next_url[:500], browser_hash=_digest(browser_token)))


@dataclass(frozen=True)
class RequestState:
    """What the portal knows of the request a response answers: whether it is known, used, and where to go."""

    known: bool
    used: bool
    next_url: str = "/"
    browser_hash: str = ""

    def from_browser(self, browser_token: str | None) -> bool:
        """Tell whether `browser_token` (the cookie set when the request was sent) belongs to this request."""
        if not browser_token or not self.browser_hash:
            return False
        return hmac.compare_digest(_digest(browser_token), self.browser_hash)


def request_state(request_id: str | None) -> RequestState:
    """Return whether `request_id` is an outstanding (unexpired) request of this portal, and whether it was answered."""
    if not request_id or not isinstance(request_id, str) or len(request_id) > 100:
        return RequestState(False, False)
    row = get_session().get(SamlRequest, request_id)
    if row is None or row.expires_at < utcnow():
        return RequestState(False, False)
    return RequestState(True, row.used_at is not None, row.next_url or "/", row.browser_hash or "")


def use_request(request_id: str) -> bool:
    """Mark the request answered; return False when another response got there first (a replay)."""
    with transaction() as session:
        # A conditional UPDATE: of two simultaneous responses to one request, exactly one wins.
        result = session.execute(update(SamlRequest).where(SamlRequest.id == request_id, SamlRequest.used_at.is_(None))
                                 .values(used_at=utcnow()))
        return result.rowcount == 1


def remember_assertion(assertion_id: str, expires_at: dt.datetime) -> bool:
    """Record an accepted assertion id; return False when it was seen before (a replay)."""
    now = utcnow()
    try:
        with transaction() as session:
            session.execute(delete(SamlSeenAssertion).where(SamlSeenAssertion.expires_at < now))
            if session.get(SamlSeenAssertion, assertion_id[:200]) is not None:
                return False
            session.add(SamlSeenAssertion(id=assertion_id[:200], expires_at=max(expires_at, now)))
    except IntegrityError:
        return False  # the same assertion accepted by another worker at the same moment
    return True


def _user_with_grants(session, user_id: int) -> User | None:
    return session.scalar(select(User).options(selectinload(User.grants)).where(User.id == user_id))


def _holds_right_on(user: User, cvr: str) -> bool:
    return any(grant.cvr == cvr and grant.rights for grant in user.grants)


def link_person(person_uuid: str, cvr: str, email: str) -> tuple[User, bool]:
    """Return the user the person acts as for `cvr` (and whether the link is new); raise LinkRefused otherwise."""
    session = get_session()
    with unscoped(session, "MitID sign-in: the person's link and the user's own grants"):
        link = session.scalar(select(MitIdLink).where(MitIdLink.person_uuid == person_uuid))
        if link is not None:
            if link.cvr != cvr:
                # A persistent professional UUID belongs to one organisation: another CVR is not this person.
                raise LinkRefused("uuid_other_cvr")
            user = _user_with_grants(session, link.user_id)
            if user is None or not user.is_active:
                raise LinkRefused("user_inactive")
            if not _holds_right_on(user, cvr):
                raise LinkRefused("no_right")
            with transaction():
                link.last_used_at = utcnow()
            return user, False
        user = session.scalar(select(User).options(selectinload(User.grants))
                              .where(User.email == normalise_email(email))) if email else None
        if user is None:
            raise LinkRefused("no_user")
        if not user.is_active:
            raise LinkRefused("user_inactive")
        if not _holds_right_on(user, cvr):
            raise LinkRefused("no_right")
        existing = session.scalar(select(MitIdLink).where(MitIdLink.user_id == user.id, MitIdLink.cvr == cvr))
        if existing is not None:
            # The user is linked to another MitID identity on this CVR already: a second person may not take over.
            raise LinkRefused("user_linked_to_other")
        now = utcnow()
        try:
            with transaction():
                session.add(MitIdLink(user_id=user.id, person_uuid=person_uuid, cvr=cvr, linked_at=now,
                                      last_used_at=now))
                audit.record(session, user, "mitid_link", "user", user.id, cvr, None,
                             {"mitid": "tilknyttet", "linked_at": now})
        except IntegrityError:
            raise LinkRefused("uuid_taken") from None
        return user, True


def record_refusal(reason: str, cvr: str | None, detail: dict) -> None:
    """Write one audit row for a refused MitID sign-in (no customer's log shows it: the CVR is not trusted)."""
    with transaction() as session:
        audit.record(session, None, "mitid_refused", "mitid", None, None, None,
                     {"reason": reason, "cvr": cvr, **detail})


def links_for_users(scope: AccessScope, user_ids: Iterable[int]) -> dict[int, dt.datetime]:
    """Return when each user's MitID identity was linked, for the links on CVRs inside `scope`."""
    ids = sorted({int(i) for i in user_ids})
    if not ids:
        return {}
    rows = get_session().execute(
        select(MitIdLink.user_id, MitIdLink.linked_at)
        .where(MitIdLink.user_id.in_(ids), scope.clause(MitIdLink.cvr))
        .order_by(MitIdLink.linked_at)
    )
    result: dict[int, dt.datetime] = {}
    for user_id, linked_at in rows:
        result.setdefault(user_id, linked_at)
    return result


__all__ = [
    "LinkRefused",
    "RequestState",
    "link_person",
    "links_for_users",
    "record_refusal",
    "remember_assertion",
    "remember_request",
    "request_state",
    "use_request",
]
