"""Ids of the Møder page."""

CVR = "moeder-cvr"
YEAR = "moeder-year"
CONTENT = "moeder-content"
