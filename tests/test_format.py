"""Danish display formats (pages/_format.py)."""

import pytest

from core.formatting import da_number, da_percent, da_phone


@pytest.mark.parametrize("value, shown", [
    ("12345678", "12 34 56 78"),
    ("+4512345678", "+45 12 34 56 78"),
    ("+45 12 34 56 78", "+45 12 34 56 78"),
    ("", ""),
    (None, ""),
    # Anything that is not a Danish number is shown as it was kept, never altered or dropped.
    ("1234", "1234"),
    ("+4612345678", "+4612345678"),
    ("<b>12345678</b>", "<b>12345678</b>"),
])
def test_da_phone(value, shown):
    assert da_phone(value) == shown


@pytest.mark.parametrize("value, shown", [(98.54, "98,5 %"), (100, "100,0 %"), (None, "–"), (float("nan"), "–")])
def test_da_percent(value, shown):
    assert da_percent(value) == shown


def test_da_number_groups_thousands():
    assert da_number(1234567) == "1.234.567" and da_number(1234.5, 1) == "1.234,5" and da_number(None) == "–"


def test_one_date_format_per_kind():
    """On screen "6. dec. 2026" and "6. dec. 2026 kl. 11:08" (Danish time); ISO 8601 for machines; dd-mm-åååå in forms."""
    import datetime as dt

    from core.formatting import da_changed, da_date, da_datetime, form_date, iso_date, iso_datetime

    at = dt.datetime(2026, 12, 6, 10, 8, tzinfo=dt.timezone.utc)
    assert da_date(at.date()) == "6. dec. 2026" and da_date(at) == "6. dec. 2026" and da_date(None) == ""
    assert da_datetime(at) == da_changed(at) == "6. dec. 2026 kl. 11:08" and da_changed(None) == "–"
    assert iso_date(at.date()) == "2026-12-06" and iso_datetime(at) == "2026-12-06T11:08:00+01:00"
    assert form_date(dt.date(2026, 6, 1)) == "01-06-2026"


@pytest.mark.parametrize("value", [0, 7, 999, 1000, 1234, -1234, 1234567, -98765432, 10 ** 12])
def test_da_number_of_a_whole_number_is_babels(value):
    """The fast path for whole numbers writes what Babel writes for da_DK."""
    from babel.numbers import format_decimal

    assert da_number(value) == format_decimal(value, format="#,##0", locale="da_DK")
