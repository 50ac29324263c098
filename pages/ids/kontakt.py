"""Ids of the Kontakt dit team page."""

TEAM = "kontakt-team"
SUPPORT = "kontakt-support"
