"""Ids of SA's Ansøgninger page: the editing kit's (grid, rejection form, confirm dialog), its toolbar and details."""

from pages.ids._edit import edit_ids

PATH = "/sa/ansoegninger"

# Grid, status line, stores; the form is the rejection (its one field is the reason, mailed to the
# applicant) opened by the kit's »edit« button, labelled »Afvis«; the confirm dialog asks before
# approving and before creating the account.
KIT = edit_ids("sa-ansoegninger", fields=("reason",))

APPROVE = "sa-ansoegninger-approve"
CREATE = "sa-ansoegninger-create"
REPLACE = "sa-ansoegninger-replace"
DETAILS = "sa-ansoegninger-details"

# The grid's fields and Danish headers.
GRID_COLUMNS = [
    ("created", "Modtaget"),
    ("state", "Tilstand"),
    ("institution", "Institution"),
    ("cvr", "CVR-nummer"),
    ("applicant", "Ansøger"),
    ("administrators", "Nuværende administrator"),
    ("decided", "Behandlet af"),
]
