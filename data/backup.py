"""Backup and restore of a SQLite installation: the database through SQLite's online backup API, and the file store.

`flask --app app backup DEST` writes DEST/kundeportal.db (a consistent snapshot, taken while the
portal serves: the backup API copies the pages under one read transaction), DEST/files/ (the file
store) and DEST/manifest.json (when, schema revision, rows per table, files). `flask --app app
restore SRC` puts them into an empty instance only, then upgrades the schema to the code's. A
PostgreSQL installation uses pg_dump/pg_restore plus a copy of FILE_STORE_PATH (README).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from data import migrate

DB_NAME = "kundeportal.db"
FILES_DIR = "files"
MANIFEST = "manifest.json"
# Filled by `init-db` on every installation (schema version, the guide's contact roles): an instance
# holding only these is still empty.
REFERENCE_TABLES = frozenset({"alembic_version", "contact_role", "app_meta"})


class BackupError(RuntimeError):
    """Raised with a Danish message when a backup or restore cannot be done safely."""


def sqlite_path(engine: Engine) -> Path:
    """Return the database file of a SQLite engine; refuse any other database."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        raise BackupError("backup/restore gælder kun SQLite. Brug pg_dump og pg_restore til PostgreSQL "
                          "(se README) og kopiér FILE_STORE_PATH ved siden af.")
    return Path(engine.url.database).resolve()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []


def row_counts(db_file: Path) -> dict[str, int]:
    """Return the number of rows of every table in a SQLite file."""
    conn = sqlite3.connect(db_file)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}
    finally:
        conn.close()


def _copy_database(source: Path, target: Path) -> None:
    # A plain connection (a read-only one cannot open a WAL database whose -shm file is missing).
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        # pages=-1: every page in one step, so the copy is one snapshot even while others write.
        src.backup(dst, pages=-1)
    finally:
        dst.close()
        src.close()


def backup(engine: Engine, file_store: str | Path, dest: str | Path) -> dict[str, Any]:
    """Write a consistent copy of the database and the file store to the new or empty folder `dest`."""
    source = sqlite_path(engine)
    dest = Path(dest)
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"Mappen {dest} er ikke tom; vælg en ny mappe til sikkerhedskopien.")
    dest.mkdir(parents=True, exist_ok=True)
    _copy_database(source, dest / DB_NAME)
    # The files after the database: a file added meanwhile is only extra; stored files are never changed in place.
    store = Path(file_store)
    if store.is_dir():
        shutil.copytree(store, dest / FILES_DIR)
    else:
        (dest / FILES_DIR).mkdir()
    manifest = {
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "rows": row_counts(dest / DB_NAME),
        "files": len(_files(dest / FILES_DIR)),
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def is_empty(engine: Engine, file_store: str | Path) -> bool:
    """Tell whether an instance holds nothing but reference data and no stored files."""
    path = sqlite_path(engine)
    if _files(Path(file_store)):
        return False
    if not path.exists():
        return True
    return all(count == 0 for name, count in row_counts(path).items() if name not in REFERENCE_TABLES)


def restore(engine: Engine, file_store: str | Path, src: str | Path) -> dict[str, Any]:
    """Restore a backup folder `src` into this empty instance and upgrade its schema; refuse otherwise."""
    src = Path(src)
    source_db = src / DB_NAME
    if not source_db.is_file():
        raise BackupError(f"{src} er ikke en sikkerhedskopi fra Kundeportalen (der mangler {DB_NAME}).")
    target = sqlite_path(engine)
    if not is_empty(engine, file_store):
        raise BackupError("Instansen er ikke tom. En sikkerhedskopi indlæses kun i en tom instans, så intet overskrives.")
    engine.dispose()
    target.parent.mkdir(parents=True, exist_ok=True)
    _copy_database(source_db, target)
    store = Path(file_store)
    if (src / FILES_DIR).is_dir():
        shutil.copytree(src / FILES_DIR, store, dirs_exist_ok=True)
    # A backup of an older version gets the code's schema.
    migrate.upgrade(engine)
    return {"rows": row_counts(target), "files": len(_files(store))}
