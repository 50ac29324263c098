"""Smoke test of the benchmark harness (benchmarks/run.py) at a tiny size: it must keep working."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import uuid
from pathlib import Path
from typing import Iterator

import pytest

from benchmarks import run as bench

SIZE = 2_000
CALLS = 5


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a private work folder, so the smoke test never touches benchmarks/work or the results."""
    return tmp_path_factory.mktemp("bench")


@pytest.fixture(scope="module")
def tiny(work_dir: Path) -> bench.SizeResult:
    """Run the whole harness once at 2,000 cases and 5 calls per callback."""
    lines: list[str] = []
    return bench.run_size(SIZE, work_dir=work_dir, calls=CALLS, naive_calls=3, duck_calls=5, log=lines.append)


def test_world_has_valid_cvrs_and_twenty_goals():
    from core.access import valid_cvr_format

    world = bench.make_world()
    assert len(world.customers) == bench.N_CUSTOMERS
    assert len({c.cvr for c in world.customers}) == bench.N_CUSTOMERS
    assert all(valid_cvr_format(c.cvr) for c in world.customers)
    assert len({g["code"] for g in world.goals}) == 20
    assert world.bench_cvr == max(world.customers, key=lambda c: c.weight).cvr


def test_case_stream_is_deterministic_valid_and_counted():
    world = bench.make_world()
    today = dt.date(2026, 6, 15)
    first = list(bench.case_stream(world, 1_500, today, chunk_size=400))
    again = list(bench.case_stream(world, 1_500, today, chunk_size=400))
    assert first == again
    assert len(first) == 1_500 == len({r["case_ref"] for r in first})
    units = {c.cvr: set(c.accounting_units) | set(c.payroll_groups) for c in world.customers}
    start, _ = bench.data_period(today)
    for record in first:
        assert record["unit_code"] in units[record["cvr"]]
        received = dt.datetime.fromisoformat(record["received_at"])
        assert start <= received.date() <= today
        if record["completed_at"] is not None:
            assert dt.datetime.fromisoformat(record["completed_at"]) >= received


def test_case_stream_of_this_morning_has_nothing_after_the_clock():
    # Between midnight and noon Danish time, today's noon is still ahead: the import refuses the future.
    world = bench.make_world()
    today = dt.date(2026, 6, 15)
    clock = dt.datetime(2026, 6, 15, 8, 30)
    records = list(bench.case_stream(world, 3_000, today, chunk_size=1_000, clock=clock))
    assert max(dt.datetime.fromisoformat(r["received_at"]) for r in records) <= clock
    assert max(dt.datetime.fromisoformat(r["completed_at"]) for r in records if r["completed_at"]) <= clock
    # The last day still receives cases (up to an hour before the clock): the stream ends today, not yesterday.
    assert max(dt.datetime.fromisoformat(r["received_at"]) for r in records).date() == today


def test_harness_measures_every_figure_at_a_tiny_size(tiny: bench.SizeResult, work_dir: Path):
    figures = tiny.figures
    for key in ("import_cases_per_s", "import_peak_rss_mb", "duckdb_p50_ms", "naive_p50_ms"):
        assert figures[key] > 0, key
    assert 20 < figures["import_peak_rss_mb"] < 1024
    for name, marker in (("kpi", bench.KPI_MARKER), ("info", bench.INFO_MARKER)):
        page = "rapporter" if name == "kpi" else "information"
        if not (Path(bench.PROJECT_ROOT) / "callbacks" / f"{page}.py").exists():
            pytest.skip(f"callbacks/{page}.py is not there yet")
        assert figures[f"{name}_p50_ms"] > 0, marker
        assert figures[f"{name}_p95_ms"] >= figures[f"{name}_p50_ms"]
    meta = json.loads((work_dir / f"cases_{SIZE}.json").read_text())
    assert meta["import"]["rows"] == SIZE and meta["import"]["ok"]


def test_cached_database_is_reused(tiny: bench.SizeResult, work_dir: Path):
    meta = bench.build_database(SIZE, work_dir, log=lambda _line: None)
    assert meta["cached"] is True


def test_databases_take_turns_in_processes_of_their_own(tiny: bench.SizeResult, work_dir: Path):
    # The full run's path: one child process per database, blocks of calls in turn, the same requests each.
    db = bench.db_path(work_dir, SIZE)
    cvr = bench.make_world().bench_cvr
    first, second = bench.time_callbacks_interleaved([bench.CallbackTarget(db, cvr), bench.CallbackTarget(db, cvr)],
                                                     work_dir, calls=5, warmups=1, block=2, log=lambda _line: None)
    for timings in (first, second):
        assert set(timings) == {"kpi", "info"}
        assert all(len(t.samples) == 5 and set(t.statuses) <= {200, 204} for t in timings.values())
    assert first["kpi"].plan == second["kpi"].plan


def test_report_formats(tiny: bench.SizeResult):
    facts = bench.machine_facts()
    doc = bench.results_json([tiny], facts)
    assert set(doc) == {"machine", "sizes"}
    assert set(doc["sizes"][str(SIZE)]) <= set(bench.FIGURES)
    table = bench.format_table([tiny])
    assert "| 2,000 |" in table
    markdown = bench.results_markdown([tiny], facts, "python -m benchmarks.run --sizes 2000", CALLS)
    assert "## Targets" in markdown and facts["cpu"] in markdown
    verdicts = {verdict for _t, verdict, _d in bench.evaluate_targets({SIZE: tiny.figures})}
    assert verdicts == {"not measured"}  # no target is judged at a size the issue does not name


def _pg_server_url() -> str:
    # The tests' PostgreSQL server when the suite has one, else the benchmark's own default.
    return os.environ.get("TEST_DATABASE_URL") or os.environ.get("BENCH_PG_URL") or bench.DEFAULT_PG_URL


@pytest.fixture(scope="module")
def tiny_pg(work_dir: Path) -> Iterator[bench.SizeResult]:
    """Run the PostgreSQL round once at 2,000 cases in a database of its own (dropped afterwards)."""
    url = _pg_server_url()
    reason = bench.pg_unreachable(url)
    if reason is not None:
        pytest.skip(f"PostgreSQL svarer ikke ({reason})")
    # Its own name, so parallel test processes and a real benchmark database are never touched.
    database = f"{bench.PG_DB_PREFIX}t{uuid.uuid4().hex[:10]}"
    lines: list[str] = []
    try:
        yield bench.run_pg_size(SIZE, url, work_dir=work_dir, calls=CALLS, database=database, log=lines.append)
    finally:
        bench.drop_pg_database(url, database)


def test_pg_round_measures_the_postgresql_figures(tiny_pg: bench.SizeResult, tiny: bench.SizeResult, tmp_path: Path):
    figures = tiny_pg.figures
    assert figures["import_cases_per_s"] > 0
    assert 20 < figures["import_peak_rss_mb"] < 1024
    for name in ("kpi", "info"):
        assert figures[f"{name}_p50_ms"] > 0
        assert figures[f"{name}_p95_ms"] >= figures[f"{name}_p50_ms"]
    facts = bench.machine_facts()
    doc = bench.results_json([tiny], facts, [tiny_pg])
    assert set(doc["sizes"][str(SIZE)]) <= set(bench.FIGURES)
    assert set(doc["postgresql"][str(SIZE)]) == {"kpi_p50_ms", "kpi_p95_ms", "info_p50_ms", "info_p95_ms",
                                                 "import_cases_per_s", "import_peak_rss_mb"}
    markdown = bench.results_markdown([tiny], facts, "python -m benchmarks.run --sizes 2000 --pg-sizes 2000", CALLS,
                                      [tiny_pg])
    assert "## PostgreSQL (production path)" in markdown and "| 2,000 |" in markdown.split("## PostgreSQL")[1]

    # A rewrite keeps the hand-written analysis, the page_ready block and other tools' JSON sections.
    json_path, md_path = tmp_path / "results.json", tmp_path / "RESULTS.md"
    json_path.write_text(json.dumps({"machine": "old", "sizes": {"1": {}}, "page_ready": {"100000": {"x": 1}}}))
    block = f"{bench.PAGE_READY_START}\n## Page ready\n| 1 |\n{bench.PAGE_READY_END}"
    md_path.write_text(f"# old tables\n\n{block}\n\n{bench.ANALYSIS_HEADING}\n\nWhere the time goes.\n")
    bench.write_results([tiny], [tiny_pg], facts, "python -m benchmarks.run", CALLS, json_path=json_path,
                        md_path=md_path)
    doc = json.loads(json_path.read_text())
    assert doc["page_ready"] == {"100000": {"x": 1}} and str(SIZE) in doc["postgresql"]
    text = md_path.read_text()
    assert "# old tables" not in text and "## PostgreSQL (production path)" in text
    assert text.count(block) == 1 and text.count("Where the time goes.") == 1
    bench.write_results([tiny], [], facts, "python -m benchmarks.run", CALLS, "PostgreSQL svarer ikke",
                        json_path=json_path, md_path=md_path)
    again = md_path.read_text()
    assert again.count(block) == 1 and again.count("Where the time goes.") == 1
    assert "Not measured in this run: PostgreSQL svarer ikke." in again
    assert "postgresql" not in json.loads(json_path.read_text())


def test_results_md_rewrite_keeps_the_page_ready_block_inside_or_without_the_analysis():
    block = f"{bench.PAGE_READY_START}\nready\n{bench.PAGE_READY_END}"
    inside = f"# t\n\n{bench.ANALYSIS_HEADING}\n\nA.\n\n{block}\n\nB.\n"
    assert bench.rewrite_results_md(inside, "# new\n") == f"# new\n\n{bench.ANALYSIS_HEADING}\n\nA.\n\n{block}\n\nB.\n"
    without = f"# t\n\n{block}\n"
    assert bench.rewrite_results_md(without, "# new\n") == f"# new\n\n{block}\n"
    assert bench.rewrite_results_md("# t\n", "# new\n") == "# new\n"


def test_pg_targets_are_judged_at_10m():
    pg = {10_000_000: {"kpi_p50_ms": 12.0, "info_p50_ms": 16.0, "import_cases_per_s": 160_000.0,
                       "import_peak_rss_mb": 1100.0}}
    verdicts = {target: verdict for target, verdict, _d in bench.evaluate_targets({}, pg)}
    assert verdicts["PostgreSQL: KPI dashboard callback p50 ≤ 15 ms at 10M"] == "met"
    assert verdicts["PostgreSQL: Information callback p50 ≤ 15 ms at 10M"] == "MISSED"
    assert verdicts["PostgreSQL: import ≥ 150,000 cases/s at 10M (COPY)"] == "met"
    assert verdicts["PostgreSQL: import peak RSS < 1 GB at 10M"] == "MISSED"
    assert verdicts["KPI dashboard callback p50 ≤ 10 ms at 10M (issue 12)"] == "not measured"


def test_targets_are_judged_from_the_figures():
    figures = {
        100_000: {"kpi_p50_ms": 20.0, "info_p50_ms": 20.0},
        1_000_000: {"kpi_p50_ms": 20.0, "info_p50_ms": 25.0, "naive_p50_ms": 220.0},
        10_000_000: {"kpi_p50_ms": 25.0, "info_p50_ms": 60.0, "duckdb_p50_ms": 40.0,
                     "import_cases_per_s": 150_000.0, "import_peak_rss_mb": 400.0},
    }
    verdicts = {target: verdict for target, verdict, _d in bench.evaluate_targets(figures)}
    assert verdicts["KPI dashboard callback p50 ≤ 50 ms at 10M"] == "met"
    assert verdicts["KPI dashboard callback p50 ≤ 10 ms at 10M (issue 12)"] == "MISSED"  # 25 ms
    assert verdicts["Information callback p50 ≤ 50 ms at 10M"] == "MISSED"
    assert verdicts["KPI dashboard ≥ 10 × faster than naive at 1M"] == "met"
    assert verdicts["Information ≥ 10 × faster than naive at 1M"] == "MISSED"  # 220 < 250
    assert verdicts["Information p50 at 10M ≤ 1.5 × p50 at 100k"] == "MISSED"
    assert verdicts["Information faster than DuckDB on raw cases at 10M"] == "MISSED"
    assert verdicts["import ≥ 100,000 cases/s at 10M"] == "met"


def test_plan_varies_inputs_with_options():
    spec = {"inputs": [{"id": "x-year", "property": "value"}, {"id": "x-area", "property": "value"}],
            "state": [{"id": "x-cvr", "property": "data"}]}
    components = {"x-year": {"value": 2026, "options": [{"label": "2026", "value": 2026}, {"label": "2025", "value": 2025}]},
                  "x-area": {"value": "alle", "options": ["alle", "Løn"]},
                  "x-cvr": {"data": "31000009"}}
    plan = bench.make_plan("kpi", "..x-grid.rowData...x-chart.figure..", spec, components)
    assert plan.outputs == [{"id": "x-grid", "property": "rowData"}, {"id": "x-chart", "property": "figure"}]
    assert plan.state[0]["value"] == "31000009"
    import random

    rng = random.Random(1)
    seen = set()
    for _ in itertools.repeat(None, 20):
        changed = plan.step(rng)
        assert len(changed) == 1
        seen.add((plan.inputs[0]["value"], plan.inputs[1]["value"]))
    assert len(seen) > 1
    body = plan.body(["x-year.value"])
    assert body["output"] == "..x-grid.rowData...x-chart.figure.." and body["state"][0]["value"] == "31000009"
