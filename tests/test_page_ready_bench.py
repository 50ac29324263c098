"""The page-ready benchmark's bookkeeping (benchmarks/page_ready.py): results of both back ends, one run only."""

from __future__ import annotations

import json

from benchmarks import page_ready


def _figures(ms: float) -> dict:
    page = {"page_ready_p50_ms": ms, "page_ready_p95_ms": ms + 50, "callbacks_on_load": 5, "drawn_twice": [],
            "long_task_ms_p50": 80.0, "below_fold_p50_ms": 700.0, "below_fold_callbacks": 3, "runs": 5}
    return {"rapporter": page, "information": dict(page, page_ready_p50_ms=ms - 100),
            "page_ready_p50_ms": ms, "load_average_1m": 1.0}


def test_results_keep_both_back_ends_of_this_run_and_the_rest_of_the_file(tmp_path, monkeypatch):
    json_path, md_path = tmp_path / "results.json", tmp_path / "RESULTS.md"
    monkeypatch.setattr(page_ready, "RESULTS_JSON", json_path)
    monkeypatch.setattr(page_ready, "RESULTS_MD", md_path)
    # An older run's size (1M) is not kept beside this run's: figures of two runs are never mixed.
    json_path.write_text(json.dumps({"sizes": {"100000": {"kpi_p50_ms": 8.0}}, "postgresql": {"100000": {}},
                                     "page_ready": {"1000000": {"page_ready_p50_ms": 2000.0}}}))
    md_path.write_text(f"# Tables\n\n{page_ready.MD_START}\nstale figures\n{page_ready.MD_END}\n\n## Analysis\n\nKept.\n")
    facts = {"cpu": "Test CPU", "nproc": 2, "ram_gb": 8, "os": "Linux", "python": "3.11"}
    page_ready.write_results({100_000: _figures(550.0)}, facts, {100_000: _figures(650.0)}, "cmd")
    doc = json.loads(json_path.read_text())
    assert set(doc["page_ready"]) == {"100000"} and set(doc["page_ready_postgresql"]) == {"100000"}
    assert doc["sizes"]["100000"] == {"kpi_p50_ms": 8.0, "page_ready_p50_ms": 550.0}
    assert doc["postgresql"]["100000"]["page_ready_p50_ms"] == 650.0
    text = md_path.read_text()
    assert "stale figures" not in text and text.startswith("# Tables") and text.endswith("## Analysis\n\nKept.\n")
    rows = [line for line in text.splitlines() if line.startswith("| SQLite") or line.startswith("| PostgreSQL")]
    assert rows == [
        "| SQLite | 100,000 | rapporter | 550 | 600 | 5 | none | 80 | 700 | 1.0 | met |",
        "| SQLite | 100,000 | information | 450 | 600 | 5 | none | 80 | 700 | 1.0 | met |",
        "| PostgreSQL | 100,000 | rapporter | 650 | 700 | 5 | none | 80 | 700 | 1.0 | NOT met |",
        "| PostgreSQL | 100,000 | information | 550 | 700 | 5 | none | 80 | 700 | 1.0 | met |",
    ]


def test_scrolling_jitter_of_the_grid_is_not_drawing():
    # The instrument ignores only AG Grid's 'ag-scrollbar-scrolling' class toggle, nothing else.
    assert "ag-scrollbar-scrolling" in page_ready.INSTRUMENT
    assert "changed.every(c => c === 'ag-scrollbar-scrolling')" in page_ready.INSTRUMENT
