"""Ids of the Information page (Servicemålsrapport)."""

CVR = "information-cvr"
PERIOD = "information-period"
REPORT = "information-report"
TRENDS = "information-trends"
EXPORT_CSV = "information-export-csv"
EXPORT_XLSX = "information-export-xlsx"
DOWNLOAD = "information-download"
