"""Ids of the Stamdata page."""

CVR = "stamdata-cvr"
TABS = "stamdata-tabs"
CONTENT = "stamdata-content"
