"""Kontakt dit team: the team of the customer in context (with any right on it) and the support address."""

from __future__ import annotations

import json

import pytest

from tests import agreements_world as aw
from tests import world
from data.workdays import danish_today

SUPPORT = "kundeportal@statens-adm.dk"


@pytest.fixture
def content(app):
    from data.db import get_session

    with app.app_context():
        return aw.build(get_session(), danish_today())


def page(dash_client, search=""):
    response = dash_client.page("/kontakt", search)
    assert response.status_code == 200
    return response, json.dumps(response.get_json(), ensure_ascii=False)


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.RAPPORTER_A, world.ADMIN_AB, world.TWO_CVRS,
                                   world.SA_STAFF])
def test_team_of_customer_in_context(login, dash_client, content, email):
    login(email)
    response, text = page(dash_client, f"?cvr={world.CVR_A}")
    assert "Kontakt dit team" in text
    assert "Dit team for Statens Administration" in text
    for expected in ["Anne Andersen", "Kundeansvarlig", "mailto:anne@statens-adm.dk", "tel:+4572300000",
                     "+45 72 30 00 00", "Bo Bech", "Lønkonsulent", f"mailto:{SUPPORT}"]:
        assert expected in text, expected
    assert text.index("Anne Andersen") < text.index("Bo Bech")
    for marker in aw.B_MARKERS:
        assert marker not in response.data


def test_single_customer_user_lands_on_own_team(login, dash_client, content):
    login(world.LAESER_A)
    _, text = page(dash_client)
    assert "Anne Andersen" in text


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.RAPPORTER_A])
def test_other_customers_team_is_never_shown(login, dash_client, content, email):
    login(email)
    response, text = page(dash_client, f"?cvr={world.CVR_B}")
    assert f"mailto:{SUPPORT}" in text
    assert "Dit team for" not in text
    for marker in aw.B_MARKERS:
        assert marker not in response.data.replace(f"cvr={world.CVR_B}".encode(), b"")


def test_rapporter_only_user_sees_own_team(login, dash_client, content):
    """A Rapporter user has no Information page, but the team that serves their customer is theirs too."""
    login(world.RAPPORTER_A)
    _, text = page(dash_client)
    assert "Anne Andersen" in text and f"mailto:{SUPPORT}" in text


@pytest.mark.parametrize("search", ["?cvr=abc", "?cvr=33391006", "?cvr=" + "9" * 3000, "?cvr=%00", "?cvr=20000007&cvr=33391005"])
def test_malformed_cvr_shows_support_only(login, dash_client, content, search):
    login(world.LAESER_A)
    response, text = page(dash_client, search)
    assert f"mailto:{SUPPORT}" in text
    assert "Anne Andersen" not in text
    assert aw.SECRET_B.encode() not in response.data


def test_customer_without_team(login, dash_client, content):
    login(world.SA_STAFF)
    _, text = page(dash_client, f"?cvr={world.CVR_C}")
    assert "Der er ikke registreret et team for kunden endnu." in text


def test_team_members_query_is_scoped(app, content):
    from core.access import AccessScope
    from data import team

    with app.app_context():
        assert team.team_members(AccessScope.single(world.CVR_A), world.CVR_B) == []
        assert [m["name"] for m in team.team_members(AccessScope.single(world.CVR_A), world.CVR_A)] == ["Anne Andersen", "Bo Bech"]


def test_anonymous_is_redirected(client):
    response = client.get("/kontakt")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.fixture
def own_support(app_config):
    """Run the app with another support address (SUPPORT_EMAIL), set before it is built."""
    app_config["SUPPORT_EMAIL"] = "hjaelp@eksempel.dk"
    return app_config


def test_support_address_comes_from_the_setting(own_support, login, dash_client, content):
    login(world.LAESER_A)
    _, text = page(dash_client, f"?cvr={world.CVR_A}")
    assert "mailto:hjaelp@eksempel.dk" in text and "kundeportal@statens-adm.dk" not in text
    roles = json.dumps(dash_client.page("/roller", "").get_json(), ensure_ascii=False)
    assert "hjaelp@eksempel.dk" in roles and "kundeportal@statens-adm.dk" not in roles
