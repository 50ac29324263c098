"""The second factor in the database: enrolment, code checks, recovery codes and SA's reset.

Secrets are stored encrypted with a key derived from the app's SECRET_KEY (core/totp.py) and never
returned to a caller after enrolment. A TOTP code is accepted once: the time-step it belongs to is
stored, and a later code must belong to a later step (compared inside the UPDATE, so two parallel
requests with the same code cannot both succeed). Recovery codes are argon2 hashes (light parameters: they are random), each used once.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from core import totp
from core.rights import Right, parse_rights
from data import audit
from data.mail import enqueue
from data.mail_texts import login_link, second_factor_reset_mail
from data.models import Grant, RecoveryCode, User, utcnow
from data.scoping import unscoped

TOTP = "totp"
RECOVERY = "recovery"
# Audit rows of the second factor: entity id is the user id.
ENTITY = "second_factor"


def _secret_key() -> str:
    return current_app.config["SECRET_KEY"]


def is_enrolled(user: User) -> bool:
    """Tell whether `user` has a confirmed second factor."""
    return bool(user.totp_secret and user.totp_enabled_at)


def is_required(session: Session, user: User) -> bool:
    """Tell whether `user` must have a second factor: SA staff and anyone holding Administrator on a CVR."""
    if user.is_sa:
        return True
    with unscoped(session, "sign-in: does the user administer any customer"):
        rights = session.scalars(select(Grant.rights).where(Grant.user_id == user.id)).all()
    return any(Right.ADMINISTRATOR in parse_rights(r) for r in rights)


def enrol(session: Session, user: User, secret: str, step: int) -> list[str]:
    """Store `secret` (confirmed by a code of `step`) and ten fresh recovery codes; return the codes in clear, once."""
    codes = totp.new_recovery_codes()
    user.totp_secret = totp.encrypt_secret(_secret_key(), secret)
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.add_all(RecoveryCode(user_id=user.id, code_hash=totp.hash_recovery_code(c)) for c in codes)
    audit.record(session, user, "second_factor_enrolled", ENTITY, user.id, None, None, {"recovery_codes": len(codes)})
    return codes


def enrol_with_secret(session: Session, user: User, secret: str, secret_key: str | None = None) -> None:
    """Enrol `user` with a known secret and no recovery codes (demo data and tests only)."""
    # `secret_key`: the key of the server that will read it, when filled from outside that app.
    user.totp_secret = totp.encrypt_secret(secret_key or _secret_key(), secret)
    user.totp_enabled_at = utcnow()
    user.totp_last_step = None


def check_code(session: Session, user: User, code: str) -> str | None:
    """Spend `code` (an app code or a recovery code) for `user`; return TOTP or RECOVERY on success, else None."""
    if not is_enrolled(user):
        return None
    normalised = totp.normalise_code(code)
    if totp.looks_like_totp(normalised):
        secret = totp.decrypt_secret(_secret_key(), user.totp_secret or "")
        if secret is None:
            current_app.logger.error("second factor of user %s cannot be decrypted with this SECRET_KEY", user.id)
            return None
        step = totp.matching_step(secret, normalised, user.totp_last_step)
        if step is None:
            return None
        result = session.execute(
            update(User)
            .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
            .values(totp_last_step=step)
            .execution_options(synchronize_session=False))
        session.commit()
        session.refresh(user)
        return TOTP if result.rowcount == 1 else None
    if len(normalised) != 10:
        return None
    rows = session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                      RecoveryCode.used_at.is_(None))).all()
    for row in rows:
        if totp.verify_recovery_code(row.code_hash, normalised):
            result = session.execute(
                update(RecoveryCode).where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=utcnow()).execution_options(synchronize_session=False))
            if result.rowcount == 1:
                audit.record(session, user, "recovery_code_used", ENTITY, user.id, None, None,
                             {"remaining": len(rows) - 1})
            session.commit()
            return RECOVERY if result.rowcount == 1 else None
    return None


def remaining_recovery_codes(session: Session, user: User) -> int:
    """Return how many of `user`'s recovery codes are still unused."""
    return len(session.scalars(select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                                             RecoveryCode.used_at.is_(None))).all())


def _clear(session: Session, user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))


def disable_own(session: Session, user: User) -> None:
    """Remove `user`'s own optional second factor (the caller checked a code and that it is not required)."""
    _clear(session, user)
    audit.record(session, user, "second_factor_disabled", ENTITY, user.id, None, {"enrolled": True}, {"enrolled": False})


def reset(session: Session, actor: Any, user_id: int, cvr: str | None = None,
          entity: str = ENTITY) -> User | None:
    """Remove user `user_id`'s second factor, end their sessions, audit it and mail them; None if no such user."""
    # The caller checked the right (data.users.reset_second_factor: SA's system administrator only).
    user = session.get(User, user_id)
    if user is None:
        return None
    was = is_enrolled(user)
    _clear(session, user)
    # Sessions signed in with the old factor end: whoever held the old phone is out as well.
    user.session_version += 1
    audit.record(session, actor, "second_factor_reset", entity, user.id, cvr, {"enrolled": was}, {"enrolled": False})
    subject, body = second_factor_reset_mail(user.name, login_url=login_link(
        current_app.config.get("PUBLIC_BASE_URL") or ""))
    enqueue(session, user.email, subject, body)
    return user
