"""Ids of the privacy log page (/sa/persondatalog): SA's system administrator answers insight requests."""

PATH = "/sa/persondatalog"

QUERY = "persondatalog-soeg-tekst"
SEARCH = "persondatalog-soeg"
RESULT = "persondatalog-resultat"
EXPORT_CSV = "persondatalog-eksport-csv"
EXPORT_XLSX = "persondatalog-eksport-xlsx"
DOWNLOAD = "persondatalog-download"
