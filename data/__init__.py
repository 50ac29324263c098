"""Data layer: models, sessions, scoped queries, aggregations, importers, demo data, file store."""
