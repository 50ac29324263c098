"""Ids of the Information page (Servicemålsrapport)."""

CVR = "information-cvr"
UNIT = "information-unit"
PERIOD = "information-period"
REPORT = "information-report"
TRENDS = "information-trends"
EXPORT_CSV = "information-export-csv"
EXPORT_XLSX = "information-export-xlsx"
DOWNLOAD = "information-download"
# A month cell of the report: a button with {"type": DRILL_CELL, "goal": code, "month": "YYYY-MM"}.
DRILL_CELL = "information-drill-cell"
DRILL_PREFIX = "information"
