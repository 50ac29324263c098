"""E-mail addresses on screen break after "@" and dots; the link and the copied text stay the plain address."""

from __future__ import annotations

from dash import html

from pages._email import email_text, mail_link
from pages._shell import _footer


def _plain(parts) -> str:
    return "".join(p for p in parts if isinstance(p, str))


def test_an_address_may_break_after_the_at_sign_and_each_dot_only():
    parts = email_text("anne.berg@statens-adm.dk")
    assert _plain(parts) == "anne.berg@statens-adm.dk"  # <wbr> adds no character: a copy is the address
    assert [p if isinstance(p, str) else "|" for p in parts] == ["anne.", "|", "berg@", "|", "statens-adm.", "|", "dk"]
    assert email_text("") == [] and email_text("uden-punktum") == ["uden-punktum"]


def test_the_mail_link_points_at_the_plain_address():
    link = mail_link("support@statens-adm.dk")
    assert link.href == "mailto:support@statens-adm.dk" and _plain(link.children) == "support@statens-adm.dk"
    assert any(isinstance(p, html.Wbr) for p in link.children)


def test_the_footer_gives_sas_name_and_address_as_the_user_guide_does(app):
    # The user guide's agreement names SA as "Statens Administration, Arenalvej 33, 5800 Hjørring" (CVR 33391005).
    with app.test_request_context("/"):
        text = str(_footer().to_plotly_json())
    assert "Statens Administration" in text and "Arenalvej 33, 5800 Hjørring" in text
    assert "mailto:" in text
