"""The portal's web routes beside sign-in: downloads, health and the Danish error answers."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the download and health routes and the Danish error handlers on `app`."""
    from web import downloads, errors, health

    app.register_blueprint(downloads.bp)
    app.register_blueprint(health.bp)
    errors.init_app(app)
