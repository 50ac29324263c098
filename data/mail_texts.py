"""The Danish texts of the portal's own mails: subject and plain-text body, built from plain values.

Nothing here reads a request: the caller passes the sign-in address (see `login_link`).
"""

from __future__ import annotations

from data.team import support_email

LOGIN_PATH = "/login"


def login_link(base_url: str) -> str:
    """Return the sign-in address on `base_url` (the portal's public address), or the bare path without one."""
    base = (base_url or "").rstrip("/")
    return f"{base}{LOGIN_PATH}" if base else LOGIN_PATH


def quoted_name(name: str) -> str:
    """Return a user's name as one line in Danish quotation marks, to be read as data, never as SA's words."""
    # The name is typed by a customer administrator: it is quoted, on one line and cut short, and
    # never opens a mail, so it cannot pose as SA's own text.
    flat = " ".join(str(name or "").split())
    return f"»{flat[:200]}«"


def welcome_mail(name: str, email: str, password: str, customers: list[str], *, login_url: str) -> tuple[str, str]:
    """Return the subject and Danish body of the mail to a new user with their username and password."""
    lines = [
        "Du er oprettet som bruger af Statens Administrations kundeportal af en administrator hos "
        "din organisation.",
        "",
        f"Navn: {quoted_name(name)}",
        f"Brugernavn: {email}",
        f"Adgangskode: {password}",
        "",
        f"Log ind her: {login_url}",
        "",
        "Adgangskoden er genereret automatisk. Du skal vælge din egen adgangskode, første gang du logger ind.",
    ]
    if customers:
        lines += ["", "Du har adgang til:", *[f"- {c}" for c in customers]]
    lines += [
        "",
        f"Har du spørgsmål, kan du skrive til {support_email()}.",
        "",
        "Venlig hilsen",
        "Statens Administration",
    ]
    return "Din adgang til Kundeportalen", "\n".join(lines)


def grant_mail(name: str, customers: list[str], *, login_url: str) -> tuple[str, str]:
    """Return the subject and Danish body of the mail to an existing user who got new rights."""
    lines = [
        "Du har fået nye rettigheder i Statens Administrations kundeportal.",
        "",
        f"Navn: {quoted_name(name)}",
        "",
        "Du har adgang til:",
        *[f"- {c}" for c in customers],
        "",
        f"Log ind med din sædvanlige adgangskode her: {login_url}",
        "",
        "Venlig hilsen",
        "Statens Administration",
    ]
    return "Nye rettigheder i Kundeportalen", "\n".join(lines)


def second_factor_reset_mail(name: str, *, login_url: str) -> tuple[str, str]:
    """Return the subject and Danish body of the mail telling a user that SA reset their second factor."""
    lines = [
        "Statens Administrations systemadministrator har nulstillet din to-trinsbekræftelse i kundeportalen.",
        "",
        f"Navn: {quoted_name(name)}",
        "",
        "Din godkendelsesapp og dine gendannelseskoder virker ikke længere i Kundeportalen. Næste gang du "
        "logger ind, bliver du bedt om at opsætte to-trinsbekræftelse igen, hvis den er påkrævet for dig.",
        "",
        f"Log ind her: {login_url}",
        "",
        f"Har du ikke bedt om dette, så skriv straks til {support_email()}.",
        "",
        "Venlig hilsen",
        "Statens Administration",
    ]
    return "Din to-trinsbekræftelse er nulstillet", "\n".join(lines)
