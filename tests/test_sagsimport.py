"""KPI data upload (/sa/sagsimport): the streamed upload route, the worker's import job and the page."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from data import worker
from data.db import get_session
from data.models import AuditLog, Case, CaseImportJob
from pages.ids import sagsimport as Ids
from tests import world
from tests.kpi_world import PAY_A, UNIT_A, add_goals
from web.case_upload import FILE_FIELD, UPLOAD_PATH, report_path

HEADER = "cvr;goal_code;unit_code;case_ref;received_at;completed_at\n"
GOOD = (HEADER + f"{world.CVR_A};A1;{UNIT_A};S1;2024-03-04;2024-03-05\n"
        f"{world.CVR_A};L1;{PAY_A};S2;2024-03-04;\n").encode()
BAD = (HEADER + f"{world.CVR_A};A1;{UNIT_A};S1;2024-03-04;2024-03-05\n"
       f"{world.CVR_A};A1;{UNIT_A};S2;2024-03-04;2024-03-01\n").encode()
JSON = {"Accept": "application/json"}


@pytest.fixture
def goals(app):
    with app.app_context():
        return add_goals(get_session())


def post_file(client, content: bytes, name: str = "sager.csv", headers: dict | None = None):
    return client.post(UPLOAD_PATH, data={FILE_FIELD: (io.BytesIO(content), name)}, content_type="multipart/form-data",
                       headers={**JSON, **(headers or {})})


def stored(app) -> tuple[int, int, list[Path]]:
    """Return (job rows, cases, files in the upload folder): what an upload left behind."""
    with app.app_context():
        session = get_session()
        jobs = session.scalar(select(func.count()).select_from(CaseImportJob))
        cases = session.scalar(select(func.count()).select_from(Case))
    folder = Path(app.instance_path) / "case_imports"
    return jobs, cases, sorted(folder.iterdir()) if folder.exists() else []


def job(app, job_id: int) -> CaseImportJob:
    with app.app_context():
        row = get_session().get(CaseImportJob, job_id)
        get_session().expunge(row)
        return row


# --- the route refuses --------------------------------------------------------------------------


def test_anonymous_upload_gets_401_and_nothing_is_stored(app, client):
    response = post_file(client, GOOD)
    assert response.status_code == 401
    assert stored(app) == (0, 0, [])


@pytest.mark.parametrize("email", [world.LAESER_A, world.REDIGER_A, world.RAPPORTER_A, world.ADMIN_AB])
def test_customer_accounts_get_403_and_nothing_is_stored(app, client, login, email):
    login(email)
    response = post_file(client, GOOD)
    assert response.status_code == 403
    assert "Statens Administration" in response.get_json()["error"]
    assert client.get(report_path(1)).status_code == 403
    assert stored(app) == (0, 0, [])


def test_upload_without_csrf_token_gets_400_and_nothing_is_stored(app_config):
    from app import create_app

    app_config["WTF_CSRF_ENABLED"] = True
    flask_app = create_app(app_config)
    with flask_app.app_context():
        world.build(get_session())
    client = flask_app.test_client()
    client.get("/login")
    token = client.get_cookie("_csrf_token").value
    assert client.post("/login", data={"email": world.SA_STAFF, "password": world.PASSWORD,
                                       "csrf_token": token}).status_code == 302
    # SA staff type the code of their authenticator app next (the form carries the token too).
    assert client.post("/login/kode", data={"code": world.totp_code(world.SA_STAFF),
                                            "csrf_token": client.get_cookie("_csrf_token").value}).status_code == 302
    assert post_file(client, GOOD).status_code == 400
    assert post_file(client, GOOD, headers={"X-CSRFToken": "forfalsket"}).status_code == 400
    assert stored(flask_app)[::2] == (0, [])
    token = client.get_cookie("_csrf_token").value
    assert post_file(client, GOOD, headers={"X-CSRFToken": token}).status_code == 202


@pytest.mark.parametrize("content,name,message", [
    (b"", "sager.csv", "Filen er tom."),
    (GOOD, "sager.pdf", "Brug en CSV-fil (UTF-8) eller en Excel-projektmappe (XLSX)."),
    (GOOD, "sager", "Brug en CSV-fil (UTF-8) eller en Excel-projektmappe (XLSX)."),
    (b"%PDF-1.7\n" + b"\x00\x01\x02" * 100, "sager.csv", "skal være almindelig tekst"),
    (GOOD, "sager.xlsx", "er ikke en XLSX-fil"),
    (b"<script>alert(1)</script>", "sager.csv", "skal være almindelig tekst"),
])
def test_empty_and_foreign_files_are_refused_in_danish_and_nothing_is_stored(app, sa_staff, content, name, message):
    response = post_file(sa_staff, content, name)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert stored(app) == (0, 0, [])


def test_a_file_over_the_route_limit_gets_413_and_nothing_is_stored(app_config):
    from app import create_app
    from tests.conftest import sign_in

    app_config["CASE_IMPORT_MAX_BYTES"] = 100
    flask_app = create_app(app_config)
    with flask_app.app_context():
        world.build(get_session())
    client = flask_app.test_client()
    sign_in(client, world.SA_STAFF)
    response = post_file(client, GOOD + b"x" * 200)
    assert response.status_code == 413
    assert "højst fylde" in response.get_json()["error"]
    assert stored(flask_app) == (0, 0, [])


def test_the_route_limit_is_its_own_not_the_app_wide_one(app, sa_staff, goals):
    # MAX_CONTENT_LENGTH (the app's) is smaller than this file; the route's own limit lets it in.
    app.config["MAX_CONTENT_LENGTH"] = 100
    response = post_file(sa_staff, GOOD + (f"{world.CVR_A};A1;{UNIT_A};S3;2024-03-04;2024-03-05\n" * 1).encode())
    assert response.status_code == 202, response.data


# --- the worker imports ------------------------------------------------------------------------


def test_a_good_file_is_queued_then_imported_by_the_worker(app, sa_staff, goals):
    response = post_file(sa_staff, GOOD)
    assert response.status_code == 202
    job_id = response.get_json()["job"]
    queued = job(app, job_id)
    assert (queued.status, queued.filename, queued.size_bytes) == ("queued", "sager.csv", len(GOOD))
    assert queued.sha256 == hashlib.sha256(GOOD).hexdigest()
    assert queued.created_by.endswith(f"({world.SA_STAFF})")
    assert stored(app)[:2] == (1, 0)

    assert worker.run_round(app) is True
    done = job(app, job_id)
    assert (done.status, done.progress, done.rows, done.inserted, done.updated, done.error_count) == ("done", 100, 2, 2, 0, 0)
    assert done.report["lines"][0].startswith("2 sager indlæst: 2 nye og 0 opdaterede")
    assert done.started_at is not None and done.finished_at is not None
    # The file is gone (its name, size and SHA-256 stay); the worker has nothing more to do.
    assert stored(app) == (1, 2, [])
    assert worker.run_round(app) is False
    with app.app_context():
        audit = get_session().scalars(select(AuditLog).where(AuditLog.entity == "case_import_job")).one()
    assert audit.action == "case_import_queued" and audit.after["sha256"] == queued.sha256


def test_a_file_of_many_blocks_streams_through(app, sa_staff, goals):
    # Larger than the parser's read-ahead and its in-memory field limit: the file part is streamed.
    rows = "".join(f"{world.CVR_A};A1;{UNIT_A};M{n};2024-03-04;2024-03-05\n" for n in range(30_000))
    content = (HEADER + rows).encode()
    assert len(content) > 1024 * 1024
    response = post_file(sa_staff, content)
    assert response.status_code == 202, response.data
    job_id = response.get_json()["job"]
    assert job(app, job_id).sha256 == hashlib.sha256(content).hexdigest()
    worker.run_round(app)
    assert (job(app, job_id).status, job(app, job_id).inserted) == ("done", 30_000)


def test_a_bad_row_leaves_nothing_written_and_the_report_lists_it(app, sa_staff, goals):
    job_id = post_file(sa_staff, BAD).get_json()["job"]
    worker.run_round(app)
    failed = job(app, job_id)
    assert (failed.status, failed.error_count, failed.rows) == ("failed", 1, 2)
    assert failed.report["lines"] == [
        "Importen er afvist: 1 fejlbehæftede rækker ud af 2. Intet er gemt.",
        "Linje 3: afslutningsdato ligger før modtagelsesdato",
    ]
    assert stored(app) == (1, 0, [])
    report = sa_staff.get(report_path(job_id))
    assert report.status_code == 200 and report.mimetype == "text/plain"
    assert "Linje 3: afslutningsdato ligger før modtagelsesdato" in report.get_data(as_text=True)
    assert sa_staff.get(report_path(job_id + 1)).status_code == 404


def test_the_browser_import_reopens_a_closed_case_only_explicitly(app, sa_staff, goals):
    # Same rule as the command: a blank completion for the closed S1 is refused per line; status
    # 'genåbnet' reopens it and counts the reopening.
    assert post_file(sa_staff, GOOD).status_code == 202
    worker.run_round(app)
    blank = (HEADER + f"{world.CVR_A};A1;{UNIT_A};S1;2024-03-04;\n").encode()
    job_id = post_file(sa_staff, blank).get_json()["job"]
    worker.run_round(app)
    failed = job(app, job_id)
    assert failed.status == "failed"
    assert failed.report["lines"][1].startswith("Linje 2: sagen 'S1' er afsluttet, og en tom afslutningsdato genåbner")
    explicit = (HEADER.replace("\n", ";status\n") + f"{world.CVR_A};A1;{UNIT_A};S1;2024-03-04;;genåbnet\n").encode()
    job_id = post_file(sa_staff, explicit).get_json()["job"]
    worker.run_round(app)
    assert job(app, job_id).status == "done"
    with app.app_context():
        case = get_session().scalars(select(Case).where(Case.case_ref == "S1")).one()
        assert (case.completed_at, case.reopened) == (None, 1)


def test_an_xlsx_file_imports_through_the_worker(app, sa_staff, goals):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["cvr", "goal_code", "unit_code", "case_ref", "received_at", "completed_at"])
    sheet.append([world.CVR_A, "A1", UNIT_A, "X1", "2024-03-04", "2024-03-05"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    job_id = post_file(sa_staff, buffer.getvalue(), "sager.xlsx").get_json()["job"]
    worker.run_round(app)
    assert (job(app, job_id).status, job(app, job_id).inserted) == ("done", 1)


def test_a_file_that_cannot_be_read_fails_its_job_with_the_clis_message(app, sa_staff, goals):
    job_id = post_file(sa_staff, HEADER.encode() + "æøå;".encode("cp1252") * 10 + b"\n").get_json()["job"]
    worker.run_round(app)
    failed = job(app, job_id)
    assert failed.status == "failed" and "UTF-8" in failed.report["lines"][0]
    assert stored(app)[1:] == (0, [])


# --- the page ------------------------------------------------------------------------------------


def _text(response) -> str:
    # Dash escapes '/' and every non-ASCII letter in its JSON: read it back as plain text.
    return json.dumps(response.get_json(), ensure_ascii=False)


def test_the_page_is_for_sa_staff_only(app, client, login, dash_client):
    login(world.LAESER_A)
    page = dash_client.page("/sa/sagsimport")
    assert page.status_code == 200 and "kun for medarbejdere i Statens Administration" in _text(page)
    assert Ids.SEND not in _text(page)


def test_the_page_shows_the_picker_and_the_history(app, sa_staff, dash_client, goals):
    page = dash_client.page("/sa/sagsimport")
    assert page.status_code == 200
    assert Ids.SEND in _text(page) and UPLOAD_PATH in _text(page)
    assert "Der er ikke indlæst sager fra Kundeportalen endnu." in _text(page)
    job_id = post_file(sa_staff, GOOD).get_json()["job"]
    worker.run_round(app)
    page = _text(dash_client.page("/sa/sagsimport"))
    assert hashlib.sha256(GOOD).hexdigest() in page and "sager.csv" in page and "Indlæst" in page


def test_the_status_shows_progress_while_the_job_runs_and_the_report_after(app, sa_staff, dash_client, goals):
    job_id = post_file(sa_staff, BAD).get_json()["job"]
    queued = dash_client.fire(Ids.JOB, "data", values={Ids.JOB: {"job": job_id}})
    assert queued.status_code == 200
    body = queued.get_json()["response"]
    assert body[Ids.POLL]["disabled"] is False
    assert "står i kø" in json.dumps(body[Ids.STATUS], ensure_ascii=False)

    # Midway: the worker's live progress is read from beside the upload.
    with app.app_context():
        from data import case_jobs

        session = get_session()
        row = session.get(CaseImportJob, job_id)
        row.status = "running"
        session.commit()
        case_jobs._write_progress(case_jobs._progress_path(row), 1, 0.425)
    running = dash_client.fire(Ids.POLL, "n_intervals", values={Ids.JOB: {"job": job_id}, Ids.POLL: 3})
    body = running.get_json()["response"]
    assert body[Ids.POLL]["disabled"] is False and "42 %" in json.dumps(body[Ids.STATUS], ensure_ascii=False)
    with app.app_context():
        session = get_session()
        session.get(CaseImportJob, job_id).status = "queued"
        session.commit()

    worker.run_round(app)
    done = dash_client.fire(Ids.POLL, "n_intervals", values={Ids.JOB: {"job": job_id}, Ids.POLL: 4})
    body = done.get_json()["response"]
    status = json.dumps(body[Ids.STATUS], ensure_ascii=False)
    assert body[Ids.POLL]["disabled"] is True
    assert "Intet er gemt." in status and "Linje 3: afslutningsdato ligger før modtagelsesdato" in status
    assert report_path(job_id) in status
    assert "Afvist" in json.dumps(body[Ids.HISTORY], ensure_ascii=False)


@pytest.mark.parametrize("job", [None, {"job": "1"}, {"job": True}, {"job": -1}, {"job": 2**40}, "x", [1]])
def test_a_forged_job_id_gets_no_status(app, sa_staff, dash_client, job):
    response = dash_client.fire(Ids.JOB, "data", values={Ids.JOB: job})
    assert response.status_code == 200
    assert response.get_json()["response"][Ids.POLL]["disabled"] is True


def test_an_unknown_job_says_so(app, sa_staff, dash_client):
    response = dash_client.fire(Ids.JOB, "data", values={Ids.JOB: {"job": 4711}})
    assert "Importen findes ikke." in _text(response)


def test_a_job_whose_worker_died_is_ended_as_failed_and_its_file_removed(app, sa_staff, goals):
    import datetime as dt

    from sqlalchemy import update

    from data import case_jobs

    job_id = post_file(sa_staff, GOOD).get_json()["job"]
    long_ago = dt.datetime.now(dt.timezone.utc) - case_jobs.STALE_AFTER - dt.timedelta(minutes=1)
    with app.app_context():
        # A worker claimed it and was killed: running, no progress since.
        get_session().execute(update(CaseImportJob).where(CaseImportJob.id == job_id)
                              .values(status="running", started_at=long_ago))
        get_session().commit()
    assert len(stored(app)[2]) == 1
    assert worker.run_round(app) is False  # nothing queued; the abandoned job is ended on the way
    ended = job(app, job_id)
    assert ended.status == "failed" and "Intet er gemt" in ended.report["lines"][0]
    assert stored(app) == (1, 0, [])


def test_a_running_job_with_recent_progress_is_left_alone(app, sa_staff, goals):
    from sqlalchemy import update

    from data import case_jobs

    job_id = post_file(sa_staff, GOOD).get_json()["job"]
    with app.app_context():
        get_session().execute(update(CaseImportJob).where(CaseImportJob.id == job_id).values(status="running"))
        get_session().commit()
        assert case_jobs.end_abandoned_jobs(get_session()) == 0
    assert job(app, job_id).status == "running"
