"""E-mail addresses on screen: a mailto: link whose text may break after "@" and dots, never mid-word."""

from __future__ import annotations

import re
from typing import Any

from dash import html

_BREAK_AFTER = re.compile(r"(?<=[@.])")


def email_text(address: str) -> list[Any]:
    """Return `address` as text with a <wbr> break opportunity after "@" and after each dot."""
    # <wbr> is markup, not a character: a copied address, the link and the page's text stay the plain address.
    parts: list[Any] = []
    for i, piece in enumerate(p for p in _BREAK_AFTER.split(address) if p):
        if i:
            parts.append(html.Wbr())
        parts.append(piece)
    return parts


def mail_link(address: str, **kwargs: Any) -> html.A:
    """Return a mailto: link to `address` (the href is the plain address) that breaks at sensible points."""
    return html.A(email_text(address), href=f"mailto:{address}", className="portal-email", **kwargs)
