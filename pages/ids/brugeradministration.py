"""Ids of the Brugeradministration page: the editing kit's (grid, user form, confirmation), toolbar, rettighedsgrupper."""

from pages.ids._edit import edit_ids

# Grid, status line, stores, form with its text fields and messages, confirm dialog.
KIT = edit_ids("brugeradministration", fields=("name", "email", "b_number"), feedback_only=("groups",))

DEACTIVATE = "brugeradministration-deactivate"
REACTIVATE = "brugeradministration-reactivate"
REMOVE = "brugeradministration-remove"
HISTORY = "brugeradministration-history"
# SA's system administrator only (hidden for everyone else; the server refuses anyone else too).
RESET_SECOND_FACTOR = "brugeradministration-reset-second-factor"

# The history of one user on this CVR (a modal).
HISTORY_MODAL = "brugeradministration-history-modal"
HISTORY_TITLE = "brugeradministration-history-title"
HISTORY_BODY = "brugeradministration-history-body"
HISTORY_CLOSE = "brugeradministration-history-close"

# The user form's own controls (the text fields are the kit's).
# Shown when the user also has access at other customers: name and B-number are then read-only.
SHARED_NOTE = "brugeradministration-shared-note"
GROUPS = "brugeradministration-groups"
ADD_GROUP = "brugeradministration-add-group"

# One rettighedsgruppe: pattern-matching ids {"type": ..., "index": n}.
GROUP_CVR = "brugeradministration-group-cvr"
GROUP_RIGHTS = "brugeradministration-group-rights"
GROUP_REMOVE = "brugeradministration-group-remove"


def group_id(kind: str, index: int) -> dict:
    """Return the pattern-matching id of one control of rettighedsgruppe `index`."""
    return {"type": kind, "index": index}


# The grid's fields and Danish headers.
GRID_COLUMNS = [
    ("name", "Navn"),
    ("email", "E-mail"),
    ("b_number", "B-nummer"),
    ("rights", "Rettigheder"),
    ("active", "Aktiv"),
    ("created", "Oprettet"),
    ("mitid", "MitID"),
]
