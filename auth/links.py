"""The portal's public address for links in mails, decided here so the data layer never reads a request."""

from __future__ import annotations

from flask import current_app, has_request_context, request


def public_base_url() -> str:
    """Return the portal's address without a trailing slash: PUBLIC_BASE_URL, else this request's host, else ''."""
    base = current_app.config.get("PUBLIC_BASE_URL") or ""
    if not base and has_request_context():
        if current_app.config.get("PORTAL_ENV") == "production":
            # The Host header comes from the client: without PUBLIC_BASE_URL (or TRUSTED_HOSTS) a forged
            # Host could point the link elsewhere.
            current_app.logger.warning("PUBLIC_BASE_URL is not set: the link in the mail uses the request's host")
        base = request.host_url
    return base.rstrip("/")
