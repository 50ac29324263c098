"""Load test of the production set-up (`make loadtest`, `python -m benchmarks.load`).

1. Prepares a dedicated PostgreSQL database (default ``kundeportal_load`` on 127.0.0.1:5432):
   migrated with `flask init-db`, filled with `flask seed-demo`, plus N generated cases (default
   1,000,000) spread over the demo customers' own units and service goals, loaded through the real
   import path (`data.cases_import.import_case_records`, the function behind `flask import-cases`
   and the browser import). The database is kept between runs (benchmarks/work/load_meta.json says
   what is in it); ``--rebuild`` builds it again.
2. Starts gunicorn with the README's command (`gunicorn 'app:server'`, 4 workers, loopback only)
   with PORTAL_ENV=production, REDIS_URL (its own Redis database number) and that database.
3. Runs locust headless (benchmarks/locustfile.py) at each level of concurrent users, each level
   bounded in time: the first level (50 users) for ``--duration`` seconds, the next ones for
   ``--step-duration`` seconds, until the overall p95 passes 1 s (the knee) or the levels run out.
4. Writes ``benchmarks/load.json`` and ``benchmarks/LOAD.md``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator, Sequence

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
WORK_DIR = BENCH_DIR / "work"
LOAD_JSON = BENCH_DIR / "load.json"
LOAD_MD = BENCH_DIR / "LOAD.md"
BIN = Path(sys.executable).parent
DATASET_VERSION = 1
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/12"  # a database number of its own: its counters meet nobody else's
KNEE_MS = 1000.0
TARGET_P95_MS = 100.0
SIGN_IN_SLACK_S = 120  # beyond the ramp-up, for the last users' sign-ins on a loaded machine


class LoadError(RuntimeError):
    """The load test could not be prepared or run."""


# --- the database -----------------------------------------------------------------------------------


def database_url(admin_url: str, name: str) -> str:
    """Return the URL of database `name` on the server of `admin_url`."""
    from sqlalchemy.engine import make_url

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def _app_env(db_url: str, work: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "GUNICORN_"))}
    env.update(DATABASE_URL=db_url, INSTANCE_PATH=str(work / "instance"), FILE_STORE_PATH=str(work / "files"),
               MAIL_OUTBOX_PATH=str(work / "outbox"), PYTHONDONTWRITEBYTECODE="1")
    env.update(extra)
    return env


def _flask(env: dict[str, str], *args: str, timeout: float = 1800) -> str:
    proc = subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=PROJECT_ROOT, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise LoadError(f"flask {' '.join(args)} failed:\n{proc.stdout[-2000:]}{proc.stderr[-4000:]}")
    return proc.stdout


def demo_world(session: Any) -> Any:
    """Return a benchmarks.run World made of the demo customers, their units and the service goals."""
    from sqlalchemy import select

    from benchmarks.run import PAYROLL_AREAS, CustomerSpec, World
    from data.models import AccountingUnit, Customer, PayrollGroup, ServiceGoal

    goals = [{"code": g.code, "area": g.area, "rule_kind": g.rule_kind, "rule_value": g.rule_value}
             for g in session.scalars(select(ServiceGoal).order_by(ServiceGoal.sort_order))]
    customers = []
    for rank, customer in enumerate(session.scalars(select(Customer).order_by(Customer.cvr)).all()):
        accounting = tuple(session.scalars(select(AccountingUnit.code).where(AccountingUnit.cvr == customer.cvr)))
        payroll = tuple(session.scalars(select(PayrollGroup.code).where(PayrollGroup.cvr == customer.cvr)))
        codes = tuple(g["code"] for g in goals if (payroll if g["area"] in PAYROLL_AREAS else accounting))
        if codes:
            customers.append(CustomerSpec(customer.cvr, customer.name, 1.0 / (rank + 2), accounting, payroll, codes))
    total = sum(c.weight for c in customers)
    customers = [CustomerSpec(c.cvr, c.name, c.weight / total, c.accounting_units, c.payroll_groups, c.goal_codes)
                 for c in customers]
    return World(tuple(customers), tuple(goals))


def import_cases(db_url: str, cases: int) -> dict[str, Any]:
    """Import `cases` generated cases for the demo customers through import_case_records; return the report's figures."""
    from sqlalchemy.orm import Session

    from benchmarks.run import case_stream
    from data.cases_import import import_case_records
    from data.db import make_engine
    from data.workdays import danish_today

    engine = make_engine(db_url)
    started = time.perf_counter()
    try:
        with Session(engine) as session:
            world = demo_world(session)
            session.commit()
            report = import_case_records(session, case_stream(world, cases, danish_today(), seed=15))
    finally:
        engine.dispose()
    if not report.ok:
        raise LoadError("the import refused the generated cases:\n" + "\n".join(report.summary_lines()[:20]))
    return {"rows": report.rows, "inserted": report.inserted, "seconds": round(time.perf_counter() - started, 1)}


def prepare(admin_url: str, name: str, cases: int, work: Path, *, rebuild: bool, demo_cases: int | None = None,
            log: Any = print) -> str:
    """Create (or reuse) the load database with the demo data and `cases` cases; return its URL."""
    from sqlalchemy import create_engine, text

    db_url = database_url(admin_url, name)
    meta_file = work / "load_meta.json"
    wanted = {"dataset_version": DATASET_VERSION, "database": name, "cases": cases, "demo_cases": demo_cases}
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}) is not None
            meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
            if exists and not rebuild and all(meta.get(k) == v for k, v in wanted.items()) and meta.get("complete"):
                log(f"[load] reusing database {name} ({cases:,} cases, built {meta.get('built_at')})")
                _flask(_app_env(db_url, work), "init-db")  # brings the schema to the current migration
                return db_url
            meta_file.unlink(missing_ok=True)
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    work.mkdir(parents=True, exist_ok=True)
    env = _app_env(db_url, work)
    log(f"[load] migrating and seeding the demo data into {name} ...")
    _flask(env, "init-db")
    _flask(env, "seed-demo", *(["--cases", str(demo_cases)] if demo_cases is not None else []))
    log(f"[load] importing {cases:,} generated cases through import_case_records ...")
    proc = subprocess.run([sys.executable, "-m", "benchmarks.load", "--import-child", db_url, "--cases", str(cases)],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise LoadError(f"case import failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    figures = json.loads(line[len("RESULT "):])
    log(f"[load] imported {figures['rows']:,} cases in {figures['seconds']} s")
    meta_file.write_text(json.dumps(dict(wanted, complete=True, built_at=dt.datetime.now().isoformat(timespec="seconds"),
                                         import_=figures), indent=2))
    return db_url


def demo_accounts(db_url: str, work: Path) -> list[dict[str, Any]]:
    """Return the demo accounts the simulated users sign in with: customer accounts (no SA staff)."""
    accounts = json.loads(_flask(_app_env(db_url, work), "demo-accounts", "--json"))
    # SA staff get a second factor and see every customer; the load is the customers' own use.
    customers = [a for a in accounts if not a.get("sa_staff") and not a.get("sa_admin") and a.get("grants")]
    # Many simulated users share one demo account: an account with a second factor would have its one
    # code per 30 s spent by the first of them (a code counts once), so those accounts stay out.
    customers = [a for a in customers if not a.get("totp_secret")]
    # An account that must choose a new password first (the demo's new user) can do nothing else.
    from sqlalchemy import create_engine, select
    from sqlalchemy.orm import Session

    from data.models import User

    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            blocked = set(session.scalars(select(User.email).where(User.must_change_password.is_(True))))
    finally:
        engine.dispose()
    customers = [a for a in customers if a["email"] not in blocked]
    if not customers:
        raise LoadError("no customer demo accounts to sign in with")
    return customers


# --- the server -------------------------------------------------------------------------------------


def free_port() -> int:
    """Return a free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(db_url: str, redis_url: str, work: Path) -> dict[str, str]:
    """Return the environment of the production set-up on `db_url` (the README's variables)."""
    # No agreement is approved under load: production's sealing certificate is left out on purpose
    # (SEALING_DISABLED=1, the setting production refuses to start without when there is no certificate).
    return _app_env(db_url, work, REDIS_URL=redis_url, PORTAL_ENV="production",
                    PUBLIC_BASE_URL="https://kundeportal.example.dk", SECRET_KEY=secrets.token_hex(32),
                    SEALING_DISABLED="1")


def start_gunicorn(env: dict[str, str], port: int, workers: int, log_path: Path) -> subprocess.Popen:
    """Start `gunicorn app:server` on 127.0.0.1:`port`; wait until /health answers; raise LoadError otherwise."""
    handle = log_path.open("wb")
    proc = subprocess.Popen([str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                             "app:server"], cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
                            stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LoadError("gunicorn stopped while starting:\n" + log_path.read_text(errors="replace")[-4000:])
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as resp:
                if resp.status == 200:
                    return proc
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    stop(proc)
    raise LoadError("gunicorn did not answer /health within 90 s")


def stop(proc: subprocess.Popen) -> None:
    """Stop a process group started here (TERM, then KILL)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


# --- locust -----------------------------------------------------------------------------------------


def _number(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def parse_stats(path: Path) -> dict[str, Any]:
    """Read locust's `_stats.csv` into the level's figures (overall and by request type)."""
    by_type: dict[str, Any] = {}
    total: dict[str, Any] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            figures = {"requests": int(_number(row["Request Count"])), "errors": int(_number(row["Failure Count"])),
                       "p50_ms": _number(row["50%"]), "p95_ms": _number(row["95%"]), "p99_ms": _number(row["99%"]),
                       "mean_ms": round(_number(row["Average Response Time"]), 1),
                       "rps": round(_number(row["Requests/s"]), 2)}
            if row["Name"] == "Aggregated":
                total = figures
            elif figures["requests"]:  # sign-in's types are empty after the reset
                by_type[row["Name"]] = figures
    return {**total, "by_type": by_type}


def run_level(host: str, users: int, duration_s: int, spawn_rate: float, accounts_file: Path, work: Path,
              think: tuple[float, float]) -> dict[str, Any]:
    """Run locust headless with `users` users for `duration_s` seconds and return the level's figures."""
    prefix = work / f"locust_{users}"
    # Every user signs in once while the level ramps up (password hashing is slow by design); the
    # figures are the steady state after that: the locustfile resets the statistics when the last user
    # has signed in and stops locust `duration_s` later. --run-time is only the upper bound.
    ramp_s = int(users / spawn_rate + 0.999)
    marker = Path(f"{prefix}_window")
    marker.unlink(missing_ok=True)
    env = dict(os.environ, LOAD_ACCOUNTS=str(accounts_file), LOAD_THINK_MIN=str(think[0]),
               LOAD_THINK_MAX=str(think[1]), PYTHONPATH=str(PROJECT_ROOT), LOAD_USERS=str(users),
               LOAD_MEASURE_S=str(duration_s), LOAD_MARKER=str(marker))
    command = [str(BIN / "locust"), "-f", str(BENCH_DIR / "locustfile.py"), "--headless", "--host", host,
               "--users", str(users), "--spawn-rate", str(spawn_rate), "--run-time", f"{duration_s + ramp_s + SIGN_IN_SLACK_S}s",
               "--stop-timeout", "10", "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
               "--exit-code-on-error", "0"]
    started = time.monotonic()
    started_wall = time.time()
    proc = subprocess.run(command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=duration_s + ramp_s + SIGN_IN_SLACK_S + 180)
    if proc.returncode != 0:
        raise LoadError(f"locust failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    if not marker.exists():
        raise LoadError(f"not all {users} users had signed in within {ramp_s + SIGN_IN_SLACK_S} s of the ramp-up: "
                        f"no measurement (see {prefix}_failures.csv)")
    opened_at, ramp_errors = marker.read_text().split()
    signed_in_after_s = round(float(opened_at) - started_wall, 1)
    stats = parse_stats(Path(f"{prefix}_stats.csv"))
    failures = Path(f"{prefix}_failures.csv")
    level = {"users": users, "duration_s": duration_s, "signed_in_after_s": signed_in_after_s,
             "ramp_errors": int(ramp_errors), "wall_s": round(time.monotonic() - started, 1),
             "requests": stats.get("requests", 0), "errors": stats.get("errors", 0),
             "p50_ms": stats.get("p50_ms", 0.0), "p95_ms": stats.get("p95_ms", 0.0), "p99_ms": stats.get("p99_ms", 0.0),
             "rps": stats.get("rps", 0.0), "by_type": stats["by_type"]}
    # Errors while the users signed in count too (the statistics were reset when the window opened).
    level["errors"] += level["ramp_errors"]
    if failures.exists():
        level["failures"] = [dict(row) for row in csv.DictReader(failures.open(newline="", encoding="utf-8"))][:20]
    return level


def machine() -> dict[str, Any]:
    """Describe the machine the numbers come from."""
    load = os.getloadavg()
    return {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in load]}


def iter_levels(levels: Sequence[int], duration: int, step_duration: int) -> Iterator[tuple[int, int]]:
    """Yield (users, seconds): the first level for `duration`, the rest for `step_duration`."""
    for index, users in enumerate(levels):
        yield users, duration if index == 0 else step_duration


def knee(levels: dict[str, dict[str, Any]]) -> int | None:
    """Return the first number of users at which the overall p95 passed 1 s, or None."""
    for key in sorted(levels, key=int):
        if levels[key]["p95_ms"] > KNEE_MS:
            return int(key)
    return None


def write_markdown(result: dict[str, Any], path: Path) -> None:
    """Write LOAD.md: the method, then one table per level."""
    lines = ["# Load test of the production set-up", "",
             f"Run {result['finished_at']} by `make loadtest` (`python -m benchmarks.load`).", "",
             "## Method", "",
             "* **Server:** `gunicorn 'app:server'` with 4 workers on 127.0.0.1 (the README's command), "
             "PORTAL_ENV=production, Redis for the shared limits, PostgreSQL database "
             f"`{result['database']}`.",
             f"* **Data:** the demo data (`flask seed-demo`) plus {result['cases']:,} generated cases over three years "
             "for the demo customers' own units and goals, loaded through `import_case_records` "
             "(the import behind `flask import-cases` and /sa/sagsimport).",
             "* **Users:** locust (headless, loopback only, each level bounded in time). Each simulated user "
             "signs in once with a customer demo account (from `flask demo-accounts --json`; the form's CSRF "
             "token; accounts with a second factor left out: many simulated users share one account and a code counts once), reads `/_dash-dependencies` and "
             "`/_dash-layout`, then with "
             f"{result['think_s'][0]:g}–{result['think_s'][1]:g} s think time opens a page its rights allow "
             "(`GET /page?cvr=…` and Dash's router callback), fires the page's main callback twice with an "
             "input varied as a user does (payloads built from the live callback map and the drawn layout), "
             "and in one visit of ten exports (CSV).",
             "* **Steady state:** every user signs in once while its level ramps up (`--spawn-rate` users a "
             "second); when the last one has signed in and read the callback map, the locustfile resets the "
             "statistics and the level runs its full duration from then on, so sign-in (password hashing, slow "
             "by design) is outside the figures (`signed_in_after_s` in load.json says how long the ramp-up "
             "took). Each level is a fresh locust run against the same gunicorn.",
             "* **Measured:** locust's response times per request type (client side, so queueing in "
             "gunicorn's backlog is included); an error is any answer ≥ 400 or a broken connection. "
             "Percentiles are locust's (rounded to two significant digits above 100 ms).",
             f"* **Levels:** the first level for its full duration, then shorter steps with more users until the "
             f"overall p95 passes {KNEE_MS:g} ms (the knee). Target at 50 users: 0 errors and p95 ≤ "
             f"{TARGET_P95_MS:g} ms for every request type.", "",
             f"Machine: {result['machine']['cpus']} CPUs, {result['machine']['platform']}, Python "
             f"{result['machine']['python']}; load average at start {result['machine']['load_average_at_start']} "
             "(locust, gunicorn, PostgreSQL and Redis share the machine).", "",
             "## Results", ""]
    if result["levels"] and min(lv["duration_s"] for lv in result["levels"].values()) < 60:
        lines += ["**A short run (levels under 60 s): a smoke test of the harness, not the measurement.** "
                  "The measurement is `make loadtest` with its defaults on a quiet machine.", ""]
    knee_users = result["knee_users"]
    top = max((int(k) for k in result["levels"]), default=0)
    lines.append(f"**Knee (p95 > 1 s): {knee_users} users.**" if knee_users is not None
                 else f"**Knee: not reached; p95 stayed ≤ 1 s up to {top} users (the last level run).**")
    lines.append("")
    lines += ["| Users | Seconds | Requests | Errors | req/s | p50 ms | p95 ms | p99 ms |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for key in sorted(result["levels"], key=int):
        lv = result["levels"][key]
        lines.append(f"| {lv['users']} | {lv['duration_s']} | {lv['requests']:,} | {lv['errors']} | {lv['rps']} | "
                     f"{lv['p50_ms']:g} | {lv['p95_ms']:g} | {lv['p99_ms']:g} |")
    for key in sorted(result["levels"], key=int):
        lv = result["levels"][key]
        lines += ["", f"### {lv['users']} users, by request type", "",
                  "| Request | Requests | Errors | p50 ms | p95 ms | p99 ms |", "|---|---:|---:|---:|---:|---:|"]
        for name, fig in sorted(lv["by_type"].items()):
            flag = " ⚠" if fig["p95_ms"] > TARGET_P95_MS else ""
            lines.append(f"| {name} | {fig['requests']:,} | {fig['errors']} | {fig['p50_ms']:g} | "
                         f"{fig['p95_ms']:g}{flag} | {fig['p99_ms']:g} |")
        for failure in lv.get("failures", []):
            lines.append(f"\nFailure: {failure.get('Method')} {failure.get('Name')}: {failure.get('Error')} "
                         f"({failure.get('Occurrences')}×)")
    lines += ["", "⚠ marks a request type above the 100 ms p95 target.", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the load test; write load.json and LOAD.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=os.environ.get("LOAD_PG_URL") or DEFAULT_PG,
                        help="a PostgreSQL URL on the server to use (the load database is created beside it)")
    parser.add_argument("--database", default="kundeportal_load")
    parser.add_argument("--redis-url", default=os.environ.get("LOAD_REDIS_URL") or DEFAULT_REDIS)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--levels", default="50,100,150,200,300,400,600")
    parser.add_argument("--duration", type=int, default=300, help="seconds of the first level")
    parser.add_argument("--step-duration", type=int, default=60, help="seconds of each further level")
    parser.add_argument("--spawn-rate", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--think", default="1,3", help="think time range in seconds, 'min,max'")
    parser.add_argument("--work-dir", default=str(WORK_DIR / "load"))
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--demo-cases", type=int, default=None,
                        help="cases of the demo data itself (default: seed-demo's own); the smoke test uses few")
    parser.add_argument("--prepare-only", action="store_true", help="build (or reuse) the database and stop")
    parser.add_argument("--json", default=str(LOAD_JSON))
    parser.add_argument("--markdown", default=str(LOAD_MD))
    parser.add_argument("--import-child", metavar="DB_URL", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.import_child:
        print("RESULT " + json.dumps(import_cases(args.import_child, args.cases)), flush=True)
        return 0
    work = Path(args.work_dir)
    work.mkdir(parents=True, exist_ok=True)
    think = tuple(float(x) for x in args.think.split(","))
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    try:
        db_url = prepare(args.pg_url, args.database, args.cases, work, rebuild=args.rebuild,
                         demo_cases=args.demo_cases)
        if args.prepare_only:
            return 0
        accounts_file = work / "accounts.json"
        accounts_file.write_text(json.dumps(demo_accounts(db_url, work)), encoding="utf-8")
        result: dict[str, Any] = {"machine": machine(), "knee_users": None, "levels": {}, "database": args.database,
                                  "cases": args.cases, "workers": args.workers, "think_s": list(think)}
        port = free_port()
        server = start_gunicorn(production_env(db_url, args.redis_url, work), port, args.workers,
                                work / "gunicorn.log")
        try:
            for users, seconds in iter_levels(levels, args.duration, args.step_duration):
                print(f"[load] {users} users for {seconds} s ...", flush=True)
                level = run_level(f"http://127.0.0.1:{port}", users, seconds, args.spawn_rate, accounts_file, work,
                                  think)
                result["levels"][str(users)] = level
                print(f"[load] {users} users: {level['requests']:,} requests, {level['errors']} errors, "
                      f"p50 {level['p50_ms']:g} ms, p95 {level['p95_ms']:g} ms, p99 {level['p99_ms']:g} ms", flush=True)
                if level["p95_ms"] > KNEE_MS:
                    break
        finally:
            stop(server)
    except LoadError as exc:
        print(f"[load] {exc}", file=sys.stderr)
        return 1
    result["knee_users"] = knee(result["levels"])
    result["finished_at"] = dt.datetime.now().isoformat(timespec="seconds")
    Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    write_markdown(result, Path(args.markdown))
    print(f"[load] wrote {args.json} and {args.markdown}; knee: {result['knee_users']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
