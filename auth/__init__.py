"""Sign-in and the access locks: sessions, reset, throttling, the access wrapper and the sign-in wall."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Bind sign-in, CSRF, rate limits, the sign-in wall and the auth views to `app`."""
    from auth import headers, onboarding, reset, saml, second_factor, session, throttle, views, wall
    from auth.extensions import csrf, limiter, login_manager

    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    session.init_app(app)
    throttle.init_app(app)
    wall.init_app(app)
    headers.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(reset.bp)
    app.register_blueprint(onboarding.bp)
    saml.init_app(app)
    app.register_blueprint(second_factor.bp)
