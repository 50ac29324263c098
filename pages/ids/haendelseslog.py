"""Ids of Hændelseslog (/haendelseslog): changes on the customer's CVR, for its administrators."""

PATH = "/haendelseslog"

TABLE = "haendelseslog-tabel"
