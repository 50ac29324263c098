"""`/favicon.ico`: the portal's icon, public, the same file Dash serves as `/_favicon.ico`."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, send_file

bp = Blueprint("favicon", __name__)

ICON_MAX_AGE_S = 24 * 3600


@bp.route("/favicon.ico")
def favicon():
    """Send the portal's icon (browsers ask for it at the root, signed in or not)."""
    # Without this route the path fell through to Dash's catch-all page, which showed anonymous
    # visitors the Python and package versions in its script URLs and started a session.
    icon = Path(current_app.root_path) / "assets" / "favicon.ico"
    return send_file(icon, mimetype="image/vnd.microsoft.icon", max_age=ICON_MAX_AGE_S)
