"""Smoke test of the benchmark harness (benchmarks/run.py) at a tiny size: it must keep working."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path

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


def test_targets_are_judged_from_the_figures():
    figures = {
        100_000: {"kpi_p50_ms": 20.0, "info_p50_ms": 20.0},
        1_000_000: {"kpi_p50_ms": 20.0, "info_p50_ms": 25.0, "naive_p50_ms": 220.0},
        10_000_000: {"kpi_p50_ms": 25.0, "info_p50_ms": 60.0, "duckdb_p50_ms": 40.0,
                     "import_cases_per_s": 150_000.0, "import_peak_rss_mb": 400.0},
    }
    verdicts = {target: verdict for target, verdict, _d in bench.evaluate_targets(figures)}
    assert verdicts["KPI dashboard callback p50 ≤ 50 ms at 10M"] == "met"
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
