"""Sign-in throttling (to be completed: per account and per client, growing delays)."""

from flask import Flask


class LoginAttempts:
    """Record sign-in outcomes per account."""

    def record_failure(self, email: str) -> None:
        """Record a failed sign-in."""

    def record_success(self, email: str) -> None:
        """Record a successful sign-in."""


def init_app(app: Flask) -> None:
    """Bind the sign-in throttle to `app`."""
    app.extensions["login_attempts"] = LoginAttempts()
