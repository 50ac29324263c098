"""`make loadtest` in miniature: the whole path (database, gunicorn, locust) with 2 users for 20 seconds.

Not a measurement (nothing here is timed): it proves the load test runs end to end on the production
set-up, that every request type the simulated users send is answered without an error, and that the
output has the shape benchmarks/load.json promises.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from config import PROJECT_ROOT
from tests.test_production import _redis_answers, _redis_url

pytestmark = pytest.mark.production


def test_loadtest_runs_two_users_without_errors(tmp_path: Path):
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        pytest.skip("TEST_DATABASE_URL er ikke sat: belastningstesten (PostgreSQL) springes over")
    if not _redis_answers(_redis_url()):
        pytest.skip("Redis svarer ikke: belastningstesten springes over")
    name = f"kp_load_{uuid.uuid4().hex[:10]}"
    out_json, out_md = tmp_path / "load.json", tmp_path / "LOAD.md"
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.load", "--pg-url", base, "--database", name, "--redis-url", _redis_url(),
             "--cases", "2000", "--demo-cases", "200", "--levels", "2", "--duration", "20", "--workers", "2", "--spawn-rate", "2", "--think", "0.2,0.5",
             "--work-dir", str(tmp_path / "work"), "--json", str(out_json), "--markdown", str(out_md), "--rebuild"],
            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300,
        )
    finally:
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads(out_json.read_text())
    assert set(result) >= {"machine", "knee_users", "levels"}
    level = result["levels"]["2"]
    assert set(level) >= {"users", "duration_s", "requests", "errors", "p50_ms", "p95_ms", "p99_ms", "by_type"}
    assert level["users"] == 2 and level["duration_s"] == 20
    assert level["errors"] == 0, level.get("failures")
    # The users signed in (a callback without a session would answer 401, an error), opened pages
    # through Dash's router and fired the pages' main callbacks.
    kinds = set(level["by_type"])
    assert any(k.startswith("page /") for k in kinds) and any(k.startswith("callback ") for k in kinds), kinds
    assert all(fig["errors"] == 0 and fig["requests"] > 0 for fig in level["by_type"].values())
    assert "## Method" in out_md.read_text()
