"""Backup and restore (issue 15): a SQLite backup, taken while the portal serves, restores into an empty
instance with every row and every file; a non-empty instance is refused and left as it was."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from data import backup, migrate
from data.db import get_db, get_session, make_engine
from data.models import Contact, StoredFile
from tests import world


def _config(tmp: Path, name: str, base: dict) -> dict:
    return dict(base, DATABASE_URL=f"sqlite:///{tmp / name / 'kundeportal.db'}", INSTANCE_PATH=str(tmp / name),
                FILE_STORE_PATH=str(tmp / name / "files"), MAIL_OUTBOX_PATH=str(tmp / name / "outbox"))


def _dump(db_file: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(db_file)
    try:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' "
                                            "AND name NOT LIKE 'sqlite_%'")]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        conn.close()


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def source(tmp_path, app_config):
    from app import create_app
    from data.files import get_store

    (tmp_path / "source").mkdir()
    flask_app = create_app(_config(tmp_path, "source", app_config))
    migrate.upgrade(get_db(flask_app).engine)
    world.unscoped_outside_requests(get_db(flask_app))
    with flask_app.app_context():
        session = get_session()
        world.build(session)
        session.add(Contact(cvr=world.CVR_A, name="Åse Ørum", email="aase@example.dk"))
        get_store().put(session, b"%PDF-1.4 referat", "referat.pdf", cvr=world.CVR_A, menu="moeder")
        get_store().put(session, "bilag æøå".encode(), "bilag.txt", cvr=world.CVR_B, menu="kundeaftaler")
        session.commit()
    yield flask_app
    get_db(flask_app).dispose()


@pytest.fixture
def target(tmp_path, app_config):
    from app import create_app

    (tmp_path / "target").mkdir()
    flask_app = create_app(_config(tmp_path, "target", app_config))
    # An installation just set up: `init-db` has run (schema and the role catalogue), nothing else.
    assert flask_app.test_cli_runner().invoke(args=["init-db"]).exit_code == 0
    yield flask_app
    get_db(flask_app).dispose()


def test_backup_restores_every_row_and_file_into_an_empty_instance(tmp_path, source, target):
    dest = tmp_path / "backup"
    result = source.test_cli_runner().invoke(args=["backup", str(dest)])
    assert result.exit_code == 0, result.output
    assert "Sikkerhedskopi skrevet" in result.output
    assert (dest / "manifest.json").is_file()

    result = target.test_cli_runner().invoke(args=["restore", str(dest)])
    assert result.exit_code == 0, result.output
    source_db = Path(get_db(source).engine.url.database)
    target_db = Path(get_db(target).engine.url.database)
    assert _dump(target_db) == _dump(source_db)
    assert _files(Path(target.config["FILE_STORE_PATH"])) == _files(Path(source.config["FILE_STORE_PATH"]))
    # The restored instance serves its files through the store as before.
    from data.files import get_store

    world.unscoped_outside_requests(get_db(target))
    with target.app_context():
        rows = get_session().scalars(select(StoredFile).order_by(StoredFile.id)).all()
        assert [get_store().path_of(r).read_bytes() for r in rows] == [b"%PDF-1.4 referat", "bilag æøå".encode()]
        assert get_session().scalar(select(Contact.name)) == "Åse Ørum"


def test_restore_refuses_an_instance_with_data_and_changes_nothing(tmp_path, source):
    dest = tmp_path / "backup"
    assert source.test_cli_runner().invoke(args=["backup", str(dest)]).exit_code == 0
    source_db = Path(get_db(source).engine.url.database)
    before = _dump(source_db)
    result = source.test_cli_runner().invoke(args=["restore", str(dest)])
    assert result.exit_code != 0
    assert "Instansen er ikke tom" in result.output
    assert _dump(source_db) == before


def test_restore_refuses_an_instance_with_files_only(tmp_path, source, target):
    dest = tmp_path / "backup"
    assert source.test_cli_runner().invoke(args=["backup", str(dest)]).exit_code == 0
    stray = Path(target.config["FILE_STORE_PATH"]) / "ab" / "stray"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"x")
    result = target.test_cli_runner().invoke(args=["restore", str(dest)])
    assert result.exit_code != 0 and "Instansen er ikke tom" in result.output


def test_backup_refuses_a_folder_with_content_and_restore_a_folder_without_a_backup(tmp_path, source, target):
    dest = tmp_path / "taken"
    dest.mkdir()
    (dest / "other").write_text("x")
    result = source.test_cli_runner().invoke(args=["backup", str(dest)])
    assert result.exit_code != 0 and "er ikke tom" in result.output
    result = target.test_cli_runner().invoke(args=["restore", str(dest)])
    assert result.exit_code != 0 and "er ikke en sikkerhedskopi" in result.output


def test_backup_is_consistent_while_the_portal_writes(tmp_path, source):
    # A writer inserts contacts in transactions of two rows; each backup holds whole transactions only.
    engine = get_db(source).engine
    stop = threading.Event()

    def write():
        conn = sqlite3.connect(engine.url.database, timeout=30)
        try:
            n = 0
            while not stop.is_set():
                with conn:
                    for _ in range(2):
                        conn.execute("INSERT INTO contact (cvr, title, name, email, shared_email, phone, notes, "
                                     "tabs, version, updated_at, updated_by) VALUES (?, '', ?, '', '', '', '', "
                                     "'[]', 1, '2026-01-01 00:00:00', '')", (world.CVR_A, f"Skribent {n}"))
                        n += 1
        finally:
            conn.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for i in range(5):
            manifest = backup.backup(engine, source.config["FILE_STORE_PATH"], tmp_path / f"b{i}")
            # One contact from the fixture, then pairs.
            assert manifest["rows"]["contact"] % 2 == 1
    finally:
        stop.set()
        writer.join()


def test_postgresql_is_refused_with_a_pointer_to_pg_dump(tmp_path):
    engine = make_engine("postgresql+psycopg://u@127.0.0.1:1/x")
    with pytest.raises(backup.BackupError, match="pg_dump"):
        backup.backup(engine, tmp_path / "files", tmp_path / "out")


def test_backup_of_a_stopped_portal(tmp_path, source):
    # Every connection closed: the WAL and shared-memory files are gone, and the backup still opens the database.
    get_db(source).dispose()
    result = source.test_cli_runner().invoke(args=["backup", str(tmp_path / "stopped")])
    assert result.exit_code == 0, result.output
    assert backup.row_counts(tmp_path / "stopped" / backup.DB_NAME)["contact"] == 1
