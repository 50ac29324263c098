"""Møder: the customer's meetings and documents, and nothing of any other customer."""

from __future__ import annotations

import pytest

from pages.ids import moeder as ids
from tests._components import response_text
from tests import content_world, world

READERS = [world.LAESER_A, world.REDIGER_A, world.ADMIN_AB, world.SA_STAFF]


@pytest.fixture
def content(app):
    from data.db import get_session

    with app.app_context():
        return content_world.build(get_session())


def meetings(dash_client, cvr, year=None):
    return dash_client.fire(ids.YEAR, "value", cvr=cvr, initial=True, values={ids.YEAR: year})


def text(response) -> str:
    return response_text(response)


@pytest.mark.parametrize("email", READERS)
def test_meetings_show_with_documents(login, dash_client, content, email):
    login(email)
    response = meetings(dash_client, world.CVR_A)
    assert response.status_code == 200, response.data[:300]
    body = text(response)
    for expected in ["Kommende møder", "Kommende driftsmøde", "Afholdte møder", "Statusmøde marts", "Årsmøde 2022",
                     "Dagsorden til statusmøde", "Referat af statusmøde", "Materiale til årsmøde",
                     f"/filer/{content.files['agenda_a']}", f"/filer/{content.files['minutes_a']}",
                     "14. mar. 2023"]:
        assert expected in body, expected
    # Newest first; the document kinds in the order dagsorden, materiale, referat.
    assert body.index("Statusmøde marts") < body.index("Årsmøde 2022")
    assert body.index("Dagsorden til statusmøde") < body.index("Referat af statusmøde")
    # A document row pointing at another customer's file is left out.
    assert "Forkert kobling" not in body and f"/filer/{content.files['agenda_b']}" not in body
    assert content_world.SECRET_B not in body
    options = response.get_json()["response"][ids.YEAR]["options"]
    assert options[0] == {"label": "Alle år", "value": ""}
    years = [int(o["value"]) for o in options[1:]]
    assert years == sorted(years, reverse=True) and {2022, 2023} <= set(years)


def test_year_filter(login, dash_client, content):
    login(world.LAESER_A)
    body = text(meetings(dash_client, world.CVR_A, "2022"))
    assert "Årsmøde 2022" in body and "Statusmøde marts" not in body and "Kommende driftsmøde" not in body
    body = text(meetings(dash_client, world.CVR_A, 2019))
    assert "Ingen møder registreret i 2019" in body


@pytest.mark.parametrize("year", ["abc", "20222", -1, 99999, {"x": 1}, [2022], "x" * 5000, True,
                                  "²⁰²²", "٢٠٢٢"])
def test_bad_year_is_a_clear_message(login, dash_client, content, year):
    login(world.LAESER_A)
    response = meetings(dash_client, world.CVR_A, year)
    assert response.status_code == 200
    assert "Ugyldigt år" in text(response)


def test_empty_state(login, dash_client, content):
    login(world.SA_STAFF)
    assert "Ingen møder registreret" in text(meetings(dash_client, world.CVR_C))


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.RAPPORTER_A])
def test_forged_payload_for_b_is_refused(login, dash_client, content, email):
    login(email)
    response = meetings(dash_client, world.CVR_B)
    assert response.status_code == 403
    assert content_world.SECRET_B.encode() not in response.data


def test_rapporter_only_is_refused_on_a(login, dash_client, content):
    login(world.RAPPORTER_A)
    response = meetings(dash_client, world.CVR_A)
    assert response.status_code == 403 and b"Statusm" not in response.data
    page = dash_client.page("/moeder", f"?cvr={world.CVR_A}")
    assert "Ingen adgang".encode() in page.data


@pytest.mark.parametrize("search", [f"?cvr={world.CVR_B}", "?cvr=12345678", "?cvr=" + "9" * 5000, "?cvr=abc"])
def test_page_url_of_other_customer(login, dash_client, content, search):
    login(world.LAESER_A)
    page = dash_client.page("/moeder", search)
    assert page.status_code == 200
    assert "Ingen adgang".encode() in page.data
    assert content_world.SECRET_B.encode() not in page.data


@pytest.mark.parametrize("email", [world.ADMIN_AB, world.SA_STAFF])
def test_page_renders_for_readers(login, dash_client, content, email):
    login(email)
    page = dash_client.page("/moeder", f"?cvr={world.CVR_A}&aar=2023")
    assert page.status_code == 200
    assert ids.CONTENT.encode() in page.data and "Ingen adgang".encode() not in page.data
    page = dash_client.page("/moeder", f"?cvr={world.CVR_A}&aar=" + "x" * 3000)
    assert page.status_code == 200 and ids.CONTENT.encode() in page.data
    # Digits of other scripts: str.isdigit() accepts them, int() fails on "²⁰²³" (a 500 before).
    for forged in ("²⁰²³", "٢٠٢٣"):
        page = dash_client.page("/moeder", f"?cvr={world.CVR_A}&aar={forged}")
        assert page.status_code == 200 and ids.CONTENT.encode() in page.data


def test_admin_ab_sees_b_only_with_b_in_context(login, dash_client, content):
    login(world.ADMIN_AB)
    body = text(meetings(dash_client, world.CVR_B))
    assert f"Møde {content_world.SECRET_B}" in body and "Statusmøde marts" not in body


def test_meeting_years_are_danish_years(app):
    # 31 Dec 23:30 UTC is 00:30 on New Year's Day in Copenhagen: a meeting of the new year.
    import datetime as dt

    from core.access import AccessScope
    from data import meetings
    from data.db import get_session
    from data.models import Meeting

    with app.app_context():
        session = get_session()
        session.add(Meeting(cvr=world.CVR_A, held_at=dt.datetime(2024, 12, 31, 23, 30, tzinfo=dt.timezone.utc),
                            title="Nytårsmøde", kind="Kundemøde", published_at=dt.datetime.now(dt.timezone.utc)))
        session.commit()
        scope = AccessScope.single(world.CVR_A)
        assert meetings.meeting_years(scope, world.CVR_A) == [2025]
        assert [m["title"] for m in meetings.meetings(scope, world.CVR_A, 2025)["past"]] == ["Nytårsmøde"]
        assert meetings.meetings(scope, world.CVR_A, 2024)["past"] == []
