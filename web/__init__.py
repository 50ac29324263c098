"""The portal's web routes beside sign-in: downloads, the case file upload, health and the Danish error answers."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the download, case upload, health, favicon and footer-page routes and the Danish error handlers on `app`."""
    from web import case_upload, downloads, errors, favicon, health, legal

    app.register_blueprint(downloads.bp)
    app.register_blueprint(case_upload.bp)
    app.register_blueprint(health.bp)
    legal.init_app(app)
    app.register_blueprint(favicon.bp)
    errors.init_app(app)
