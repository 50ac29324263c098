"""Field validators shared by the user and contact forms, each answering with a Danish message.

A validator takes the form values (or one value), the field's key and the form's `errors` dict; it
returns the cleaned value, or "" with a message in `errors[key]`. The form modules decide which
fields exist, their labels and lengths; the rules for text, e-mail, phone and ids live here once.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any, Callable, Mapping

from email_validator import EmailNotValidError, validate_email
from stdnum import ean as stdnum_ean

from core.formatting import normalise_phone

INVALID_VALUE = "Ugyldig værdi."
# Any control character, line breaks (U+2028/U+2029 too) included: they break mail headers, CSV cells
# and PostgreSQL text (NUL).
SINGLE_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# A multi-line field keeps tab, line feed and carriage return (and the Unicode line separators).
MULTILINE_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LINE_BREAKS = re.compile(r"[\r\n\t\u2028\u2029]")
# Characters a valid address may hold that would change a `mailto:` link built from it (?cc=, &bcc=, #).
MAILTO_UNSAFE = re.compile(r"[?&#%=/!]")
EAN_DIGITS = re.compile(r"^[0-9]{13}$")
PHONE_MESSAGE = "Telefon skal være et dansk nummer på 8 cifre, evt. med +45 foran (mellemrum er tilladt)."


def required_message(label: str) -> str:
    """Return the message for an empty required field: 'Navn skal udfyldes.'."""
    return f"{label} skal udfyldes."


def too_long_message(label: str, max_length: int) -> str:
    """Return the message for a value over its length: 'Navn må højst være 200 tegn.'."""
    return f"{label} må højst være {max_length} tegn."


def trimmed(value: str) -> str:
    """Return `value` without leading and trailing whitespace."""
    return value.strip()


def collapsed(value: str) -> str:
    """Return `value` with every run of whitespace (line breaks too) made one space, trimmed."""
    return " ".join(value.split())


def one_line(value: str) -> str:
    """Return `value` trimmed, with each line break or tab made a space."""
    return LINE_BREAKS.sub(" ", value.strip())


def text_field(raw: Mapping[str, Any], key: str, errors: dict[str, str], *, label: str, max_length: int,
               clean: Callable[[str], str] = trimmed, multiline: bool = False) -> str:
    """Return the cleaned text of `raw[key]` ('' when absent), or '' with a Danish message in `errors[key]`."""
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[key] = INVALID_VALUE
        return ""
    value = clean(value)
    if (MULTILINE_FORBIDDEN if multiline else SINGLE_LINE_FORBIDDEN).search(value):
        errors[key] = f"{label} indeholder ugyldige tegn."
        return ""
    if len(value) > max_length:
        errors[key] = too_long_message(label, max_length)
        return ""
    return value


def email_field(value: str, key: str, errors: dict[str, str], *, invalid: str, too_long: str,
                max_length: int, mailto_safe: bool = False) -> str:
    """Return `value` as a normalised e-mail address, or '' (empty, or with `invalid`/`too_long` in `errors[key]`).

    `mailto_safe` also refuses the characters that would add recipients to a `mailto:` link shown to others.
    """
    if not value or key in errors:
        return ""
    if mailto_safe and MAILTO_UNSAFE.search(value):
        errors[key] = invalid
        return ""
    try:
        normalised = validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        errors[key] = invalid
        return ""
    if len(normalised) > max_length:
        errors[key] = too_long
        return ""
    return normalised


def phone_field(value: str, key: str, errors: dict[str, str]) -> str:
    """Return a Danish phone number in the stored form, or '' (empty, or with a message in `errors[key]`)."""
    if not value or key in errors:
        return ""
    normalised = normalise_phone(value)
    if normalised is None:
        errors[key] = PHONE_MESSAGE
        return ""
    return normalised


def ean_field(value: str, key: str, errors: dict[str, str], *, label: str = "EAN-nummer") -> str:
    """Return an EAN-13 number (13 digits, valid check digit; spaces removed), or '' (empty, or a message in `errors[key]`)."""
    if not value or key in errors:
        return ""
    compact = value.replace(" ", "")
    if not EAN_DIGITS.match(compact):
        errors[key] = f"{label} skal være 13 cifre."
        return ""
    if not stdnum_ean.is_valid(compact):
        errors[key] = f"{label} har et forkert kontrolciffer. Tjek nummeret."
        return ""
    return compact


# Words of letters joined by a space, hyphen or apostrophe, a dot only after a word ("J. Hansen",
# "Jensen jr."): so no URL ("evil.dk", "https://"), no address ('@') and no digits.
PERSON_NAME = re.compile(r"[^\W\d_]+(?:\.?[ '’-]+[^\W\d_]+)*\.?")
PERSON_NAME_CHARS = frozenset(" '’.-")
PERSON_NAME_MESSAGE = ("{label} må kun indeholde bogstaver, mellemrum, bindestreger, apostroffer og punktummer "
                       "efter forkortelser (fx Anne-Marie O'Brien eller J. Hansen).")


def is_person_name(value: Any) -> bool:
    """Tell whether `value` reads as a person's name: letters (any script, æøå and accents), spaces, - ' and dots."""
    if not isinstance(value, str):
        return False
    text = unicodedata.normalize("NFC", value)
    # \w also takes digits of other scripts and signs like '²': every character must be a letter or a joiner.
    return (PERSON_NAME.fullmatch(text) is not None
            and all(ch.isalpha() or ch in PERSON_NAME_CHARS for ch in text))


def person_name_field(value: str, key: str, errors: dict[str, str], *, label: str) -> str:
    """Return `value` NFC-normalised, recording a Danish message under `key` unless it is a person's name."""
    if not value or key in errors:
        return value
    if not is_person_name(value):
        errors[key] = PERSON_NAME_MESSAGE.format(label=label)
        return value
    return unicodedata.normalize("NFC", value)


def ascii_digits(value: Any) -> bool:
    """Tell whether `value` is a non-empty string of the digits 0-9 only."""
    # str.isdigit() also accepts '²' or Arabic-Indic digits; int() fails on some of them (a 500)
    # and reads others as numbers, so every number from the client is held to ASCII.
    return isinstance(value, str) and value.isascii() and value.isdigit()


def valid_id(value: Any) -> bool:
    """Tell whether `value` is a row id a database column can hold (a bool or a float is not)."""
    # bool is an int in Python: a forged `true` is not an id.
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


DATE_FORMS = ("%Y-%m-%d", "%d-%m-%Y")


def date_field(raw: Mapping[str, Any], key: str, errors: dict[str, str], *, label: str,
               required: bool = False) -> dt.date | None:
    """Return `raw[key]` as a date (yyyy-mm-dd or dd-mm-åååå), or None (empty, or with a message in `errors[key]`)."""
    value = raw.get(key)
    if isinstance(value, str):
        value = value.strip()
    if value is None or value == "":
        if required:
            errors[key] = required_message(label)
        return None
    if not isinstance(value, str) or len(value) > 10:
        errors[key] = f"{label} skal være en dato (dd-mm-åååå)."
        return None
    for form in DATE_FORMS:
        try:
            parsed = dt.datetime.strptime(value, form).date()
        except ValueError:
            continue
        # Years outside this range are typing errors, and some databases refuse them.
        if 1900 <= parsed.year <= 2200:
            return parsed
    errors[key] = f"{label} skal være en dato (dd-mm-åååå)."
    return None
