"""Scoped reads of customers (their units: `data.units`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from core.access import AccessScope
from data.db import get_session
from data.models import Customer

SEARCH_LIMIT = 25


def like_pattern(text: str) -> str:
    """Return `text` as a LIKE pattern matching it anywhere, with its wildcards escaped."""
    # Control characters are never part of a name or CVR, and PostgreSQL refuses NUL in text outright.
    text = "".join(ch for ch in text if ch >= " " and ch != "\x7f")
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_customers(scope: AccessScope, text: str | None, limit: int = SEARCH_LIMIT) -> list[dict[str, str]]:
    """Return customers in `scope` whose name or CVR contains `text`, at most `limit`."""
    stmt = select(Customer.cvr, Customer.name).where(scope.clause(Customer.cvr))
    text = (text or "").strip()[:100]
    if text:
        pattern = like_pattern(text)
        stmt = stmt.where(or_(Customer.name.ilike(pattern, escape="\\"), Customer.cvr.like(pattern, escape="\\")))
    stmt = stmt.order_by(Customer.name).limit(limit)
    return [{"cvr": cvr, "name": name} for cvr, name in get_session().execute(stmt)]


def customer_name(scope: AccessScope, cvr: str) -> str | None:
    """Return the name of customer `cvr` if it lies in `scope`, else None."""
    stmt = select(Customer.name).where(scope.clause(Customer.cvr), Customer.cvr == cvr)
    return get_session().scalar(stmt)


def master_data(scope: AccessScope, cvr: str) -> dict[str, Any] | None:
    """Return the Generelt facts of customer `cvr` (None when outside `scope` or unknown)."""
    stmt = (
        select(Customer)
        .options(joinedload(Customer.ministry))
        .where(scope.clause(Customer.cvr), Customer.cvr == cvr)
    )
    customer = get_session().scalar(stmt)
    if customer is None:
        return None
    updated: dt.datetime | None = customer.updated_at
    return {
        "name": customer.name,
        "cvr": customer.cvr,
        "ministry": customer.ministry.label,
        "customer_type": customer.customer_type,
        "address": customer.address,
        "description": customer.description,
        "updated_at": updated,
    }
