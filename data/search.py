"""Forgiving name search: the same normal form of a name in Python and in SQL, on SQLite and PostgreSQL alike.

SQLite's `lower()` and `LIKE` fold only ASCII letters, so "økonomi" would not find "Økonomistyrelsen".
Instead both sides of a comparison are brought to one normal form: Danish (and a few other) letters are
folded explicitly, then ASCII is lowered, then the spellings people type for æ, ø and å ("ae", "oe",
"aa", or a bare "a"/"o") meet: "Økonomi", "økonomi", "oekonomi" and "okonomi" all become "okonomi".
The SQL expression is a chain of `replace()` calls that both databases run the same way.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, func

# Upper-case letters outside ASCII first (SQLite's lower() leaves them), each to its lower-case form.
_UPPER = (("Æ", "æ"), ("Ø", "ø"), ("Å", "å"), ("É", "é"), ("Ü", "ü"), ("Ö", "ö"), ("Ä", "ä"))
# Then, after lower(): each letter to its plain spelling, and the typed two-letter spellings to one letter.
# Order matters and is the same in Python and SQL (non-overlapping, left to right, like str.replace).
_FOLD = (("æ", "ae"), ("ä", "ae"), ("ø", "o"), ("ö", "o"), ("å", "a"), ("é", "e"), ("ü", "u"),
         ("oe", "o"), ("aa", "a"))


def normalise(text: str) -> str:
    """Return `text` in the search's normal form (what `normalised` computes in SQL)."""
    for upper, lower in _UPPER:
        text = text.replace(upper, lower)
    # Only ASCII is lowered, as SQLite's lower() does: other letters were folded above.
    text = "".join(ch.lower() if ch.isascii() else ch for ch in text)
    for letter, plain in _FOLD:
        text = text.replace(letter, plain)
    return text


def normalised(column: ColumnElement[str]) -> ColumnElement[str]:
    """Return the SQL expression of `column` in the search's normal form (matches `normalise`)."""
    expr = column
    for upper, lower in _UPPER:
        expr = func.replace(expr, upper, lower)
    expr = func.lower(expr)
    for letter, plain in _FOLD:
        expr = func.replace(expr, letter, plain)
    return expr


def like_pattern(text: str) -> str:
    """Return `text` as a LIKE pattern matching it anywhere, with its wildcards escaped."""
    # Control characters are never part of a name or CVR, and PostgreSQL refuses NUL in text outright.
    text = "".join(ch for ch in text if ch >= " " and ch != "\x7f")
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def matches(column: ColumnElement[str], text: str) -> ColumnElement[bool]:
    """Return a condition: `column` contains `text`, compared in the normal form (case and æ/ø/å forgiving)."""
    return normalised(column).like(like_pattern(normalise(text)), escape="\\")
