"""The footer on every page, and its two pages reachable signed in and out."""

from __future__ import annotations

import json

import pytest

from tests import world

PAGES = {
    "/tilgaengelighedserklaering": ["Tilgængelighedserklæring", "Overholdelsesstatus", "Indhold, der ikke er tilgængeligt",
                                    "Feedback og kontaktoplysninger", "Håndhævelsesprocedure", "Digitaliseringsstyrelsen"],
    "/behandling-af-personoplysninger": ["Behandling af personoplysninger", "Om dig som bruger", "Om kontaktpersoner",
                                         "Hvorfor", "Hvor længe", "Logning"],
}
FOOTER = ["Statens Administration", "Arenalvej 33, 5800 Hjørring", 'href="mailto:kundeportal@statens-adm.dk"',
          'href="/tilgaengelighedserklaering"', 'href="/behandling-af-personoplysninger"']


@pytest.mark.parametrize("path", sorted(PAGES))
@pytest.mark.parametrize("signed_in", [False, True])
def test_footer_pages_are_reachable_signed_in_and_out(client, login, path, signed_in):
    if signed_in:
        login(world.LAESER_A)
    response = client.get(path)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    for text in PAGES[path] + FOOTER:
        assert text in body, text
    assert ('href="/"' in body) is signed_in and ('href="/login"' in body) is not signed_in


def test_the_sign_in_page_has_the_footer(client):
    body = client.get("/login").get_data(as_text=True)
    for text in FOOTER:
        assert text in body, text


def test_every_portal_page_has_the_footer(login, client):
    login(world.LAESER_A)
    body = json.dumps(client.get("/_dash-layout").get_json(), ensure_ascii=False)
    for text in ["Statens Administration · Arenalvej 33, 5800 Hjørring · ", "mailto:kundeportal@statens-adm.dk",
                 "Tilgængelighedserklæring", "/tilgaengelighedserklaering", "Behandling af personoplysninger",
                 "/behandling-af-personoplysninger"]:
        assert text in body, text
