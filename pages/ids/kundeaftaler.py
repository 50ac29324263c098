"""Ids of the Kundeaftaler page, and of SA's editing screens on it (the editing kit's, one per screen)."""

from pages.ids._edit import edit_ids

CVR = "kundeaftaler-cvr"
TABS = "kundeaftaler-tabs"
CONTENT = "kundeaftaler-content"
# The one grid of the active tab (Dispensationer, Tilkøb or Opgaver hos 3. part) and its exports.
GRID = "kundeaftaler-grid"
CSV = "kundeaftaler-csv"
XLSX = "kundeaftaler-xlsx"
DOWNLOAD = "kundeaftaler-download"

# SA's "Rediger" mode. The agreement draft: Ny version (add), Rediger kladde (edit), Udgiv, Slet kladde.
# The CVR the guard checks is always the page's own store (CVR), never a kit's.
AGREEMENT = edit_ids("kundeaftaler-aftale", fields=("title", "valid_from", "sections"))
PUBLISH = "kundeaftaler-aftale-publish"
DISCARD = "kundeaftaler-aftale-discard"

# Exemptions, add-ons and 3rd-party tasks: Tilføj, Rediger (the selected grid row) and Afslut.
RECORD_FIELDS = {
    "dispensationer": ("title", "description", "granted_on", "expires_on"),
    "tilkoeb": ("service", "description", "start_date", "end_date"),
    "tredjepart": ("area", "agency", "contact", "note", "end_date"),
}
RECORDS = {key: edit_ids(f"kundeaftaler-{key}", fields=fields) for key, fields in RECORD_FIELDS.items()}
END = {key: f"kundeaftaler-{key}-end" for key in RECORD_FIELDS}

# Annexes: Tilføj bilag (add), Erstat (edit) and Træk tilbage on the annex chosen in ANNEX_CHOICE.
ANNEX = edit_ids("kundeaftaler-bilag", fields=("title",))
ANNEX_CHOICE = "kundeaftaler-bilag-choice"
ANNEX_UPLOAD = "kundeaftaler-bilag-upload"
ANNEX_FILE = "kundeaftaler-bilag-file"
ANNEX_WITHDRAW = "kundeaftaler-bilag-withdraw"

# Electronic approval. SA: »Send til godkendelse« on the version in force (drawn in the tab, SA only).
REQUEST_APPROVAL = "kundeaftaler-godkendelse-request"
REQUEST_DONE = "kundeaftaler-godkendelse-request-done"
# The signatory: »Godkend aftalen« with the password, on the version shown (its id and PDF hash in SHOWN).
APPROVE = "kundeaftaler-godkend"
APPROVE_PASSWORD = "kundeaftaler-godkend-password"
APPROVE_CODE = "kundeaftaler-godkend-kode"
APPROVE_FEEDBACK = "kundeaftaler-godkend-feedback"
APPROVE_SHOWN = "kundeaftaler-godkend-shown"
APPROVE_DONE = "kundeaftaler-godkend-done"
