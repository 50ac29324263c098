"""The /roller help page: every role with its description and who assigns it, for every signed-in user."""

from __future__ import annotations

import json

import pytest

from data.db import get_session
from data.roles_catalogue import CATALOGUE, ensure_role_catalogue
from tests import world


def _text(response) -> str:
    return json.dumps(response.get_json(), ensure_ascii=False)


@pytest.fixture
def catalogue(app):
    with app.app_context():
        ensure_role_catalogue(get_session())
        get_session().commit()


@pytest.mark.parametrize("email", [world.LAESER_A, world.RAPPORTER_A, world.LAESER_B, world.SA_STAFF])
def test_every_signed_in_user_sees_every_role(login, dash_client, catalogue, email):
    login(email)
    response = dash_client.page("/roller")
    assert response.status_code == 200
    text = _text(response)
    assert "Roller i Kundeportalen" in text and "Ingen adgang" not in text
    for spec in CATALOGUE:
        assert spec.name in text
        assert spec.description in text
    assert "Brugere med rettigheden Administrator eller Rediger" in text
    assert "Systemadministrator i Statens Administration" in text
    assert "kundeportal@statens-adm.dk" in text
    assert "Generelt, Løn" in text and "Generelt, Regnskab" in text


def test_sa_only_roles_are_listed_under_sa(login, dash_client, catalogue):
    login(world.LAESER_A)
    text = _text(dash_client.page("/roller"))
    sa_heading = text.index("Roller der tildeles af Statens Administration")
    for spec in CATALOGUE:
        assert (text.index(spec.name) > sa_heading) is spec.sa_only, spec.name


def test_page_falls_back_to_the_guide_before_seeding(login, dash_client):
    login(world.LAESER_A)
    text = _text(dash_client.page("/roller"))
    assert all(spec.name in text for spec in CATALOGUE)


def test_anonymous_is_refused(client, dash_client):
    assert client.get("/roller").status_code == 302
    assert dash_client.page("/roller").status_code == 401


def test_layout_itself_requires_sign_in(app):
    from pages import roller

    with app.test_request_context("/roller"):
        text = json.dumps(roller.layout().to_plotly_json(), default=lambda o: o.to_plotly_json(), ensure_ascii=False)
    assert "logge ind" in text and "Primær lønkontakt" not in text


def test_form_links_to_roller(login, dash_client, catalogue):
    login(world.REDIGER_A)
    text = _text(dash_client.page("/kontaktpersoner", f"?cvr={world.CVR_A}"))
    assert '"href": "/roller"' in text
