"""Customer and unit search: case and æ/ø/å forgiving, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import literal, select

from core.access import AccessScope
from data import customers, units
from data.db import get_session
from data.search import normalise, normalised
from tests import world

ALL = AccessScope(all_customers=True)
TRICKY = ["Økonomistyrelsen", "ØKONOMI", "økonomi", "oekonomi", "Ærø Kommune", "Åbenrå", "AABENRAA", "Bøger",
          "Poesi", "Café Ü", "Ääkkönen", "50%_rabat", "aaa", "ooeoe", ""]


@pytest.mark.parametrize("text", TRICKY)
def test_python_and_sql_normal_forms_agree(app, text):
    with app.app_context():
        assert get_session().scalar(select(normalised(literal(text)))) == normalise(text)


def test_the_spellings_people_type_meet():
    assert {normalise(t) for t in ("Økonomi", "økonomi", "oekonomi", "okonomi", "OEKONOMI")} == {"okonomi"}
    assert normalise("Åbenrå") == normalise("aabenraa") == normalise("abenra")
    assert normalise("Ærø") == normalise("aeroe")


@pytest.mark.parametrize("text", ["Bøger", "bøger", "BØGER", "boger", "boeger", "BOEGER", "for bøg"])
def test_customer_search_forgives_case_and_danish_spellings(app, text):
    with app.app_context():
        assert [r["cvr"] for r in customers.search_customers(ALL, text)] == [world.CVR_B]


@pytest.mark.parametrize("text", ["løn", "LØN", "loen", "lon"])
def test_unit_search_forgives_case_and_danish_spellings(app, text):
    with app.app_context():
        assert [r["code"] for r in units.search_units(ALL, text)] == ["LG100", "LG200"]
        # The scope still decides: a customer user sees only its own units.
        assert [r["code"] for r in units.search_units(AccessScope.single(world.CVR_A), text)] == ["LG100"]


def test_wildcards_are_still_text(app):
    with app.app_context():
        assert customers.search_customers(ALL, "%") == [] and customers.search_customers(ALL, "_") == []
        assert units.search_units(ALL, "%") == []
