"""`/health` for load balancers: 200 when the database answers, 503 when it does not."""

from __future__ import annotations

from flask import Blueprint, current_app
from sqlalchemy import text

from data.db import get_session

bp = Blueprint("health", __name__)


@bp.route("/health")
def health():
    """Answer 200 when the database answers (for load balancers); no data in the answer."""
    try:
        get_session().execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        current_app.logger.exception("health check failed")
        return {"status": "fejl"}, 503
    return {"status": "ok"}, 200
