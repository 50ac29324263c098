"""The case import from the browser against the CLI on the same file (`python -m benchmarks.run --browser-import`).

For each size N the harness writes N generated cases to one CSV file (cached under
``benchmarks/work/``), then, `runs` times, each on a fresh database (migrated, the benchmark's
customers and goals):

- **CLI**: ``flask --app app import-cases FILE`` in its own process; its wall time (start-up
  included, as a user pays it) and its peak RSS (ru_maxrss of that child, from ``wait4``);
- **browser path**: the portal (``python app.py``) and the background worker
  (``flask --app app worker``, its default idle time) started as `make run` starts them, an SA user
  signed in over HTTP through the real ``/login`` form, then the clock runs from the first byte of
  the multipart POST to ``/sa/sagsimport/fil`` (the file streamed from disk, the ``X-CSRFToken``
  header from the ``_csrf_token`` cookie) until the job row says the worker is done. The worker's
  and the web server's peak RSS are their VmHWM.

Reported: medians of the runs, the ratio browser / CLI (target ≤ 1.2; also against the import's own
seconds as the CLI prints them, without the CLI's start-up) and the worker's peak RSS (target
< 1 GB). The browser figure includes the worker's pick-up delay (up to its idle time, 2 s). Nothing
is written to results.json or RESULTS.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import http.cookiejar
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

from benchmarks import run as bench

SA_EMAIL = "benchmark.sa@statens-adm.dk"
SA_PASSWORD = "benchmark-sa-hest-batteri-klips"
UPLOAD_PATH = "/sa/sagsimport/fil"
BLOCK = 1024 * 1024
TARGET_RATIO = 1.2
TARGET_RSS_MB = 1024


def csv_path(work_dir: Path, size: int, today: dt.date, seed: int) -> Path:
    """Return the path of the cached CSV file of `size` generated cases."""
    return work_dir / f"browser_import_{size}_{seed}_{today.isoformat()}.csv"


def ensure_csv(work_dir: Path, size: int, today: dt.date, seed: int, log: Callable[[str], None]) -> Path:
    """Write (once) `size` generated cases to a CSV file as SA would export it, and return its path."""
    path = csv_path(work_dir, size, today, seed)
    if path.exists():
        return path
    work_dir.mkdir(parents=True, exist_ok=True)
    log(f"[{size:,}] writing {size:,} generated cases to {path.name} ...")
    part = path.with_suffix(".part")
    with part.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(bench_fields())
        for record in bench.case_stream(bench.make_world(seed), size, today, seed):
            writer.writerow([record[name] or "" for name in bench_fields()])
    part.replace(path)
    return path


def bench_fields() -> tuple[str, ...]:
    """Return the CSV columns, as the import names them."""
    from data.cases_import import FIELDS

    return FIELDS


def fresh_database(db: Path, seed: int) -> None:
    """Create an empty, migrated database with the benchmark's customers, goals and one SA user."""
    from sqlalchemy.orm import Session

    from core.passwords import hash_password
    from data import migrate
    from data.db import make_engine
    from data.models import User

    bench._remove_db(db)
    engine = make_engine(bench.sqlite_url(db))
    migrate.upgrade(engine)
    with Session(engine) as session:
        bench.insert_reference_data(session, bench.make_world(seed))
        session.add(User(email=SA_EMAIL, name="Benchmark SA", password_hash=hash_password(SA_PASSWORD),
                         is_sa_staff=True))
        session.commit()
    engine.dispose()


def _env(db: Path, instance: Path, port: int | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SECRET_KEY", "DATABASE_URL")}
    env.update({"DATABASE_URL": bench.sqlite_url(db), "INSTANCE_PATH": str(instance), "PORTAL_ENV": "development",
                "RATELIMIT_ENABLED": "0", "FILE_STORE_PATH": str(instance / "files"),
                "MAIL_OUTBOX_PATH": str(instance / "outbox")})
    if port is not None:
        env.update({"PORT": str(port), "HOST": "127.0.0.1"})
    return env


def run_cli(csv_file: Path, db: Path, instance: Path) -> dict[str, float]:
    """Import `csv_file` with `flask import-cases` in a child process; return its wall seconds and peak RSS."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "import-cases", str(csv_file)],
                            cwd=bench.PROJECT_ROOT, env=_env(db, instance), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    # wait4 gives this child's own peak RSS (RUSAGE_CHILDREN would be the largest of every child so far).
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise bench.BenchError(f"import-cases failed (exit {proc.returncode}):\n{err[-2000:]}")
    match = re.search(r"Tid: ([\d.]+) s", out)
    return {"wall_s": wall, "import_s": float(match.group(1)) if match else float("nan"),
            "peak_rss_mb": usage.ru_maxrss / 1024}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _vmhwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _multipart(csv_file: Path, boundary: str) -> tuple[list[bytes], int]:
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"fil\"; filename=\"{csv_file.name}\"\r\n"
            "Content-Type: text/csv\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return [head, tail], len(head) + csv_file.stat().st_size + len(tail)


def _body(parts: list[bytes], csv_file: Path) -> Iterator[bytes]:
    # Streamed from disk a block at a time, as the browser sends a File: never read whole.
    yield parts[0]
    with csv_file.open("rb") as handle:
        while block := handle.read(BLOCK):
            yield block
    yield parts[1]


class _Portal:
    """The portal and its worker as `make run` starts them, and an SA user signed in over HTTP."""

    def __init__(self, db: Path, instance: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = _env(db, instance, self.port)
        self.web = subprocess.Popen([sys.executable, "app.py"], cwd=bench.PROJECT_ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "worker"], cwd=bench.PROJECT_ROOT,
                                       env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def wait_until_up(self, timeout: float = 60.0) -> None:
        """Wait for /health to answer 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.opener.open(self.base + "/health", timeout=2).status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise bench.BenchError("the portal did not start")

    def sign_in(self) -> None:
        """Sign the SA user in through the real /login form with its CSRF token."""
        page = self.opener.open(self.base + "/login").read().decode()
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        data = urllib.parse.urlencode({"email": SA_EMAIL, "password": SA_PASSWORD,
                                       "csrf_token": match.group(1) if match else ""}).encode()
        answer = self.opener.open(self.base + "/login", data=data)
        if answer.geturl().endswith("/to-trinsbekraeftelse/opsaet"):
            # SA staff must have a second factor: enrol as a person would, key read off the page.
            import pyotp

            page = answer.read().decode()
            secret = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
            self.opener.open(self.base + "/to-trinsbekraeftelse/opsaet", data=urllib.parse.urlencode(
                {"code": pyotp.TOTP(secret).now(), "csrf_token": token}).encode()).read()
        self.opener.open(self.base + "/sa/sagsimport").read()
        if self.token() is None:
            raise bench.BenchError("sign-in failed: no CSRF cookie")

    def token(self) -> str | None:
        """Return the _csrf_token cookie the page's script copies into X-CSRFToken."""
        return next((c.value for c in self.jar if c.name == "_csrf_token"), None)

    def upload(self, csv_file: Path) -> int:
        """POST `csv_file` as multipart/form-data, streamed; return the queued job's id."""
        boundary = uuid.uuid4().hex
        parts, length = _multipart(csv_file, boundary)
        request = urllib.request.Request(self.base + UPLOAD_PATH, data=_body(parts, csv_file), method="POST", headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(length),
            "X-CSRFToken": self.token() or "", "Accept": "application/json"})
        with self.opener.open(request) as response:
            return int(json.loads(response.read())["job"])

    def stop(self) -> None:
        """Stop the web server and the worker."""
        _stop(self.web)
        _stop(self.worker)


def _job(db: Path, job_id: int) -> tuple[str, int, int, str | None]:
    with sqlite3.connect(db, timeout=30) as conn:
        row = conn.execute("SELECT status, rows, error_count, report FROM case_import_job WHERE id = ?", (job_id,)).fetchone()
    return row if row else ("missing", 0, 0, None)


def _pickup_seconds(db: Path, job_id: int) -> float:
    """Return how long the job waited in the queue for the worker (its idle time decides)."""
    with sqlite3.connect(db, timeout=30) as conn:
        created, started = conn.execute("SELECT created_at, started_at FROM case_import_job WHERE id = ?",
                                        (job_id,)).fetchone()
    return (dt.datetime.fromisoformat(started) - dt.datetime.fromisoformat(created)).total_seconds()


def run_browser(csv_file: Path, db: Path, instance: Path, size: int) -> dict[str, float]:
    """Upload `csv_file` over HTTP and wait for the worker; return the seconds and the peak RSS of both processes."""
    portal = _Portal(db, instance)
    try:
        portal.wait_until_up()
        portal.sign_in()
        started = time.perf_counter()
        job_id = portal.upload(csv_file)
        uploaded = time.perf_counter()
        while True:
            status, rows, errors, report = _job(db, job_id)
            if status in ("done", "failed"):
                break
            time.sleep(0.05)
        finished = time.perf_counter()
        if status != "done" or rows != size:
            raise bench.BenchError(f"the worker did not import the file: {status}, {rows} rows, {errors} errors, {report}")
        return {"wall_s": finished - started, "upload_s": uploaded - started, "pickup_s": _pickup_seconds(db, job_id),
                "worker_rss_mb": _vmhwm_mb(portal.worker.pid), "web_rss_mb": _vmhwm_mb(portal.web.pid)}
    finally:
        portal.stop()


def measure(size: int, *, runs: int = 3, work_dir: Path = bench.WORK_DIR, seed: int = bench.SEED,
            log: Callable[[str], None] = print) -> dict[str, Any]:
    """Time the CLI and the browser path `runs` times each on the same file; return the medians and the verdicts."""
    from data.workdays import danish_today

    today = danish_today()
    csv_file = ensure_csv(work_dir, size, today, seed, log)
    db = work_dir / f"browser_import_{size}.db"
    instance = work_dir / f"browser_import_{size}_instance"
    cli: list[dict[str, float]] = []
    web: list[dict[str, float]] = []
    for index in range(runs):
        # Alternating which path goes first, so neither always gets the warmer caches.
        order = ("cli", "web") if index % 2 == 0 else ("web", "cli")
        for path in order:
            shutil.rmtree(instance, ignore_errors=True)
            fresh_database(db, seed)
            if path == "cli":
                cli.append(run_cli(csv_file, db, instance))
            else:
                web.append(run_browser(csv_file, db, instance, size))
        log(f"[{size:,}] run {index + 1}/{runs}: CLI {cli[-1]['wall_s']:.2f} s (import {cli[-1]['import_s']:.1f} s), "
            f"browser {web[-1]['wall_s']:.2f} s (upload {web[-1]['upload_s']:.2f} s, queued {web[-1]['pickup_s']:.2f} s), "
            f"worker peak RSS {web[-1]['worker_rss_mb']:.0f} MB")
    bench._remove_db(db)
    shutil.rmtree(instance, ignore_errors=True)

    def median(rows: list[dict[str, float]], key: str) -> float:
        return statistics.median(row[key] for row in rows)

    result = {
        "size": size, "runs": runs, "file_mb": round(csv_file.stat().st_size / (1024 * 1024), 1),
        "cli_wall_s": median(cli, "wall_s"), "cli_import_s": median(cli, "import_s"),
        "cli_peak_rss_mb": max(row["peak_rss_mb"] for row in cli),
        "browser_wall_s": median(web, "wall_s"), "browser_upload_s": median(web, "upload_s"),
        "browser_pickup_s": median(web, "pickup_s"),
        "worker_peak_rss_mb": max(row["worker_rss_mb"] for row in web),
        "web_peak_rss_mb": max(row["web_rss_mb"] for row in web),
    }
    result["ratio"] = result["browser_wall_s"] / result["cli_wall_s"]
    result["ratio_ok"] = result["ratio"] <= TARGET_RATIO
    # Stricter: against the CLI's import alone, without its start-up (the portal and worker are already up).
    result["ratio_import"] = result["browser_wall_s"] / result["cli_import_s"]
    result["ratio_import_ok"] = result["ratio_import"] <= TARGET_RATIO
    result["rss_ok"] = result["worker_peak_rss_mb"] < TARGET_RSS_MB
    return result


def format_result(result: dict[str, Any]) -> str:
    """Return the measurement as a few lines of text."""
    verdict = {True: "met", False: "MISSED"}
    return "\n".join([
        f"Case import of {result['size']:,} cases ({result['file_mb']} MB CSV), median of {result['runs']} runs:",
        f"  CLI (flask import-cases)     {result['cli_wall_s']:7.2f} s wall (import itself {result['cli_import_s']:.1f} s), "
        f"peak RSS {result['cli_peak_rss_mb']:.0f} MB",
        f"  browser (POST + worker)      {result['browser_wall_s']:7.2f} s (upload {result['browser_upload_s']:.2f} s, "
        f"waiting for the worker {result['browser_pickup_s']:.2f} s), "
        f"worker peak RSS {result['worker_peak_rss_mb']:.0f} MB, web server {result['web_peak_rss_mb']:.0f} MB",
        f"  {verdict[result['ratio_ok']]:>6}  browser within 20 % of the CLI: x {result['ratio']:.2f}",
        f"  {verdict[result['ratio_import_ok']]:>6}  browser within 20 % of the CLI's import alone (no start-up): "
        f"x {result['ratio_import']:.2f}",
        f"  {verdict[result['rss_ok']]:>6}  worker under 1 GB RSS: {result['worker_peak_rss_mb']:.0f} MB",
    ])
