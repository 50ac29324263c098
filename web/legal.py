"""The two pages the footer links to, reachable signed in and out: the accessibility statement and personal data.

Plain Flask pages (not Dash): Dash's own endpoints sit behind the sign-in wall, and the law wants the
accessibility statement reachable by anyone. Both paths are public in auth/wall.py.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, render_template
from flask_login import current_user

from data.team import support_email

bp = Blueprint("legal", __name__, template_folder="templates")

ACCESSIBILITY_PATH = "/tilgaengelighedserklaering"
PRIVACY_PATH = "/behandling-af-personoplysninger"
# SA's name and address as the user guide gives them (the parties of an agreement).
SA_NAME = "Statens Administration"
SA_ADDRESS = "Arenalvej 33, 5800 Hjørring"
STATEMENT_DATE = "6. dec. 2026"


def footer_context() -> dict[str, Any]:
    """Return what every page's footer shows: SA's name and address, support e-mail and the two links."""
    return {"name": SA_NAME, "address": SA_ADDRESS, "support_email": support_email(),
            "links": (("Tilgængelighedserklæring", ACCESSIBILITY_PATH),
                      ("Behandling af personoplysninger", PRIVACY_PATH))}


def _back() -> tuple[str, str]:
    signed_in = current_user.is_authenticated
    return ("/", "Til forsiden") if signed_in else ("/login", "Til log ind")


@bp.route(ACCESSIBILITY_PATH)
def accessibility():
    """Show the accessibility statement (EU model: status, known problems, feedback, enforcement)."""
    back_url, back_text = _back()
    return render_template("web/accessibility.html", title="Tilgængelighedserklæring", back_url=back_url,
                           back_text=back_text, statement_date=STATEMENT_DATE)


@bp.route(PRIVACY_PATH)
def privacy():
    """Show what the portal stores about users and contact persons, why, and for how long."""
    back_url, back_text = _back()
    return render_template("web/privacy.html", title="Behandling af personoplysninger", back_url=back_url,
                           back_text=back_text)


def init_app(app: Flask) -> None:
    """Register the pages and give every server-rendered page its footer."""
    app.register_blueprint(bp)
    app.context_processor(lambda: {"footer": footer_context()})
