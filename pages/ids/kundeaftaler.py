"""Ids of the Kundeaftaler page."""

CVR = "kundeaftaler-cvr"
TABS = "kundeaftaler-tabs"
CONTENT = "kundeaftaler-content"
# The one grid of the active tab (Dispensationer, Tilkøb or Opgaver hos 3. part) and its exports.
GRID = "kundeaftaler-grid"
CSV = "kundeaftaler-csv"
XLSX = "kundeaftaler-xlsx"
DOWNLOAD = "kundeaftaler-download"
