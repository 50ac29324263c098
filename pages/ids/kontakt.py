"""Ids of the Kontakt dit team page, and of SA's editing of the team (the editing kit's)."""

from pages.ids._edit import edit_ids

TEAM = "kontakt-team"
SUPPORT = "kontakt-support"

# SA's maintenance of the team: grid, form (name, role, e-mail, phone), removal with confirmation.
KIT = edit_ids("kontakt", fields=("name", "role", "email", "phone"))
DELETE = "kontakt-delete"
