"""The third lock, automatic: every ORM query of a customer-owned model is filtered by the access scope.

Customer-owned models carry the `CustomerOwned` marker (their rows belong to one customer through
their `cvr` column). A `do_orm_execute` hook on the portal's sessions adds
`with_loader_criteria(CustomerOwned, cvr IN scope)` to every ORM SELECT, UPDATE and DELETE, joined
entities and relationship loads included (SQLAlchemy's documented global-filter recipe). The scope
is the one the access wrapper checked for the request (`bind_scope`: the CVRs on which the user holds
the right of the callback's menu). The data functions' explicit `.where` clauses stay and narrow it
further to the checked CVR; a forgotten one can no longer widen what the wrapper allowed. A block
that must see less than the request may uses `narrowed(session, scope)`; a scope only ever narrows.

Work outside a request (CLI, case import, demo data, sign-in's own look-up of the user) states that
it runs unscoped (`unscoped(session, reason)`). A query of a customer-owned model with neither a scope
nor an explicit "unscoped" raises `ScopeNotSet` instead of reading every customer's rows.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

from sqlalchemy import String, event
from sqlalchemy.orm import ORMExecuteState, Session, mapped_column, sessionmaker, with_loader_criteria

from core.access import AccessScope

_KEY = "portal_access_scope"


class CustomerOwned:
    """Mark a model whose rows belong to one customer through its `cvr` column (each model declares it)."""

    # Every model declares its own `cvr` (key, foreign key, index as its table needs), which takes
    # precedence; this one lets the scope's criterion be written once, against the mixin.
    cvr = mapped_column(String(8))


@dataclass(frozen=True)
class Unscoped:
    """Say that a unit of work legitimately reads across customers, and why."""

    reason: str


class ScopeNotSet(RuntimeError):
    """Raised when a customer-owned model is queried with no access scope and no explicit `unscoped`."""


def current_scope(session: Session) -> AccessScope | Unscoped | None:
    """Return the scope the session's queries run under (None: none set yet)."""
    return session.info.get(_KEY)


def bind_scope(session: Session, scope: AccessScope) -> None:
    """Scope every later query of `session` (one request's) to `scope`; narrows an existing scope, never widens it."""
    session.info[_KEY] = _narrow(current_scope(session), scope)


def mark_unscoped(session: Session, reason: str) -> None:
    """Let every query of `session` read across customers for its whole life; `reason` says why."""
    session.info[_KEY] = Unscoped(reason)


@contextmanager
def unscoped(session: Session, reason: str) -> Iterator[Session]:
    """Run the block's queries across every customer (CLI, import, demo data, sign-in); `reason` says why."""
    previous = session.info.get(_KEY)
    session.info[_KEY] = Unscoped(reason)
    try:
        yield session
    finally:
        _restore(session, previous)


@contextmanager
def narrowed(session: Session, scope: AccessScope) -> Iterator[Session]:
    """Run the block's queries inside `scope` and inside whatever scope the session already had."""
    previous = session.info.get(_KEY)
    session.info[_KEY] = _narrow(previous, scope)
    try:
        yield session
    finally:
        _restore(session, previous)


def _restore(session: Session, previous: Any) -> None:
    if previous is None:
        session.info.pop(_KEY, None)
    else:
        session.info[_KEY] = previous


def _narrow(current: AccessScope | Unscoped | None, scope: AccessScope) -> AccessScope:
    # Unscoped work that calls a scoped data function gets that function's scope; a request's
    # scope is only ever intersected, so an explicit argument cannot reach past the wrapper's check.
    if current is None or isinstance(current, Unscoped) or current.all_customers:
        return scope
    if scope.all_customers:
        return current
    return AccessScope(False, current.cvrs & scope.cvrs)


def _touches_customer_rows(state: ORMExecuteState) -> bool:
    return any(issubclass(mapper.class_, CustomerOwned) for mapper in state.all_mappers)


def customer_owned_models() -> list[type]:
    """Return every mapped model carrying the CustomerOwned marker."""
    found: list[type] = []
    pending = list(CustomerOwned.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def _criteria(scope: AccessScope) -> Any:
    # One criterion for every customer-owned model. SQLAlchemy caches the lambda's SQL and takes
    # `cvrs` as a parameter on each call (measured: 0.14 ms per query, against 0.57 ms for one
    # option per model).
    cvrs = sorted(scope.cvrs)
    return with_loader_criteria(CustomerOwned, lambda cls: cls.cvr.in_(cvrs), include_aliases=True)


def _apply_scope(state: ORMExecuteState) -> None:
    """Add the session's scope to an ORM statement; raise ScopeNotSet where there is none."""
    if state.is_column_load:
        # Refreshing attributes of a row already loaded (under the scope in force then).
        return
    if not (state.is_select or state.is_update or state.is_delete):
        return
    scope = current_scope(state.session)
    if isinstance(scope, Unscoped):
        return
    if scope is None:
        if _touches_customer_rows(state):
            names = ", ".join(sorted(m.class_.__name__ for m in state.all_mappers))
            raise ScopeNotSet(f"Query of customer-owned data ({names}) with no access scope and no explicit unscoped().")
        return
    if scope.all_customers:
        return
    state.statement = state.statement.options(_criteria(scope))


def install(factory: sessionmaker) -> None:
    """Attach the scoping hook to every session `factory` makes."""
    event.listen(factory, "do_orm_execute", _apply_scope)
