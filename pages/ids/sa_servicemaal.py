"""Ids of SA's Servicemål catalogue page: the editing kit's (grid, goal form), its own selects, the versions modal."""

from pages.ids._edit import edit_ids

PATH = "/sa/servicemaal"

# Grid, status line, stores, form with its text fields and messages. Område and regeltype are selects,
# with their messages beside them.
KIT = edit_ids(
    "sa-servicemaal",
    fields=("code", "title", "rule_text", "rule_value", "target_pct", "valid_from"),
    feedback_only=("area", "rule_kind"),
)

AREA = "sa-servicemaal-area"
RULE_KIND = "sa-servicemaal-rule-kind"
CODE_HELP = "sa-servicemaal-code-help"

VERSIONS = "sa-servicemaal-versions"
VERSIONS_MODAL = "sa-servicemaal-versions-modal"
VERSIONS_TITLE = "sa-servicemaal-versions-title"
VERSIONS_BODY = "sa-servicemaal-versions-body"
VERSIONS_CLOSE = "sa-servicemaal-versions-close"

# The grid's fields and Danish headers.
GRID_COLUMNS = [
    ("code", "Kode"),
    ("area", "Område"),
    ("title", "Titel"),
    ("rule", "Regel"),
    ("target", "Mål %"),
    ("valid_from", "Gælder fra"),
    ("next", "Kommende ændring"),
    ("updated", "Senest ændret"),
]
