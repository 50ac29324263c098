"""Page ready in a real browser: Rapporter and Information in headless Chromium (`python -m benchmarks.page_ready`).

For each size N the harness reuses (or builds) the benchmark database of `benchmarks.run`, starts the
portal as production runs it (``gunicorn app:server``, 2 workers × 4 threads, on a loopback port),
signs the benchmark user (Læser + Rapporter on the largest customer) in through the real ``/login``
form in Debian's ``/usr/bin/chromium`` (headless, driven by Playwright), then loads each page
`runs` times after `warmups` loads (the browser cache warm, as for a user who opens the page again).

**Ready** is the moment, counted from the navigation's start, when the page is drawn and every Dash
callback it fired has been answered and drawn (a page drawn into its layout, ``pages/_shell.py``, fires
none): a script added before the page's own wraps ``fetch`` and counts the ``/_dash-update-component``
requests; once the page's key elements exist (the KPI table's rows, the report's table) it must stay quiet (no
request in flight, no DOM change) for 0.5 s, and ready is the later of (a) two animation frames after the
last answer and (b) the last DOM change (Plotly's SVG, an AG Grid's rows). One DOM change is not counted as
drawing: AG Grid's toggle of the class ``ag-scrollbar-scrolling`` on its overlay scrollbar (a 400 ms
timer after the grid's first scroll event), which draws nothing on an overlay scrollbar outside macOS.
Sections below the fold are drawn when scrolled to (``pages/_lazy.py``): after each ready, the harness
scrolls to the page's end and records ``below_fold_p50_ms`` (from the scroll until those callbacks are
answered and drawn: the chart, the histogram, the trend charts). Also recorded: the number of callbacks fired on load and any output drawn twice, and the total
of the browser's long tasks (> 50 ms) until ready.

Reported per size and page: `page_ready_p50_ms` (median of the runs), p95, and the slower page as
`page_ready_p50_ms`; written (unless ``--no-write``) into ``benchmarks/results.json`` under
``"page_ready"`` → size, and as a section of ``benchmarks/RESULTS.md``. Target: ≤ 600 ms p50.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Callable, Sequence

from benchmarks import run as bench

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
TARGET_MS = 600.0
QUIET_MS = 500
RESULTS_JSON = bench.BENCH_DIR / "results.json"
RESULTS_MD = bench.BENCH_DIR / "RESULTS.md"
# The section's markers: benchmarks/run.py keeps the block when it rewrites the tables.
MD_START = bench.PAGE_READY_START
MD_END = bench.PAGE_READY_END

# Installed before any script of the page: counts Dash's callback requests, their outputs, DOM changes
# and long tasks, all on the page's own clock (performance.now(), 0 = navigation start).
INSTRUMENT = """
(() => {
  const pr = window.__pageReady = {inflight: 0, requests: 0, lastDone: 0, lastMutation: 0, outputs: [],
                                   longTasks: []};
  const realFetch = window.fetch;
  window.fetch = function (input, init) {
    const url = typeof input === 'string' ? input : (input && input.url) || '';
    if (!url.includes('/_dash-update-component')) { return realFetch.apply(this, arguments); }
    pr.inflight += 1; pr.requests += 1;
    try { pr.outputs.push(JSON.parse(init.body).output); } catch (e) { pr.outputs.push('?'); }
    const done = () => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => {
      pr.lastDone = performance.now(); pr.inflight -= 1; })), 0);
    return realFetch.apply(this, arguments).then(r => { r.clone().text().then(done, done); return r; },
                                                 e => { done(); throw e; });
  };
  // AG Grid marks its scrollbar "scrolling" on any scroll event and unmarks it 400 ms later: on an overlay
  // (invisible) scrollbar, as headless Chromium has, that class draws nothing except on macOS, so that
  // one class change alone is not counted as drawing.
  const scrollingOnly = (m) => {
    if (m.type !== 'attributes' || m.attributeName !== 'class') { return false; }
    const before = new Set((m.oldValue || '').split(/\s+/).filter(Boolean));
    const after = new Set(m.target.classList);
    const changed = [...before].filter(c => !after.has(c)).concat([...after].filter(c => !before.has(c)));
    return changed.length > 0 && changed.every(c => c === 'ag-scrollbar-scrolling');
  };
  new MutationObserver((list) => {
    if (list.some(m => !scrollingOnly(m))) { pr.lastMutation = performance.now(); }
  }).observe(document, {subtree: true, childList: true, attributes: true, attributeOldValue: true,
                        characterData: true});
  try {
    new PerformanceObserver(list => { for (const e of list.getEntries()) {
      pr.longTasks.push([e.startTime, e.duration]); } }).observe({type: 'longtask', buffered: true});
  } catch (e) { /* no long task API: reported as 0 */ }
})();
"""

# Quiet: at least `least` callback requests sent, none in flight, every selector drawn, and nothing answered
# or changed for `quiet` ms. A page drawn into its layout (pages/_shell.py) may send no callback at all.
QUIET = """([quiet, least, selectors]) => { const pr = window.__pageReady;
  if (!pr || pr.requests < least || pr.inflight) return false;
  if (selectors.some(s => !document.querySelector(s))) return false;
  const last = Math.max(pr.lastDone, pr.lastMutation); return performance.now() - last >= quiet; }"""

# Per page: what must be drawn when it is ready (above the fold), and what is drawn once scrolled to.
PAGES = {
    "rapporter": ("/rapporter", ["#rapporter-kpi-table tbody tr"],
                  ["#rapporter-chart .main-svg .scatterlayer .trace", "#rapporter-histogram .main-svg"]),
    "information": ("/information", ["#information-report table"], ["#information-trends .main-svg .scatterlayer"]),
}


class PageReadyError(bench.BenchError):
    """Raised when a page did not become ready or lacks what it should draw."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Portal:
    """The portal under gunicorn on a benchmark database."""

    def __init__(self, db: Path | str, work_dir: Path):
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        instance = work_dir / "instance-page-ready"
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "SECRET_KEY", "DATABASE_URL")}
        env.update({"DATABASE_URL": bench.database_url(db), "INSTANCE_PATH": str(instance),
                    "PORTAL_ENV": "development", "RATELIMIT_ENABLED": "0", "SECRET_KEY": "page-ready-" + "k" * 40,
                    "FILE_STORE_PATH": str(instance / "files"), "MAIL_OUTBOX_PATH": str(instance / "outbox")})
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.proc = subprocess.Popen([str(gunicorn), "-w", "2", "-k", "gthread", "--threads", "4", "-b",
                                      f"127.0.0.1:{self.port}", "app:server"], cwd=bench.PROJECT_ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_until_up(self, timeout: float = 90.0) -> None:
        """Wait for /health to answer 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(self.base + "/health", timeout=2).status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        raise PageReadyError("the portal did not start")

    def stop(self) -> None:
        """Stop gunicorn (its own process only)."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def load_once(page: Any, url: str, selectors: Sequence[str], below: Sequence[str] = (),
              timeout_ms: int = 30_000) -> dict[str, Any]:
    """Load `url` and return ready (ms from navigation start), callbacks fired, duplicates and long-task ms.

    With `below`, then scroll to the page's end and also return `below_ms`: from the scroll until the
    sections drawn when scrolled to (pages/_lazy.py) are answered and drawn.
    """
    page.goto(url, wait_until="commit")
    page.wait_for_function(QUIET, arg=[QUIET_MS, 0, list(selectors)], timeout=timeout_ms, polling=50)
    for selector in selectors:
        if page.locator(selector).count() == 0:
            raise PageReadyError(f"{url}: nothing drawn at {selector}")
    state = page.evaluate("() => window.__pageReady")
    ready = max(state["lastDone"], state["lastMutation"])
    outputs = state["outputs"]
    duplicates = sorted({o for o in outputs if outputs.count(o) > 1})
    long_ms = sum(d for start, d in state["longTasks"] if start <= ready)
    result = {"ready_ms": ready, "callbacks": len(outputs), "duplicates": duplicates, "long_task_ms": long_ms}
    if below:
        fired = page.evaluate("() => [...document.querySelectorAll('[data-lazy]')].filter(m => m.__portalLazyDone).length")
        result["below_fired_on_load"] = fired
        if fired:
            # Drawn with the page (its spot was in view): ready above includes it; nothing left to scroll to.
            result["below_ms"], result["below_callbacks"] = 0.0, 0
            return result
        scrolled = page.evaluate("() => { window.scrollTo(0, document.body.scrollHeight); return performance.now(); }")
        # Quiet again only after the sections' own callbacks have been sent and answered.
        page.wait_for_function(QUIET, arg=[QUIET_MS, len(outputs) + 1, list(below)], timeout=timeout_ms, polling=50)
        for selector in below:
            if page.locator(selector).count() == 0:
                raise PageReadyError(f"{url}: nothing drawn at {selector} after scrolling down")
        after = page.evaluate("() => window.__pageReady")
        result["below_ms"] = max(after["lastDone"], after["lastMutation"]) - scrolled
        result["below_callbacks"] = len(after["outputs"]) - len(outputs)
    return result


def measure_size(size: int, *, runs: int, warmups: int, work_dir: Path, seed: int, pg_url: str | None = None,
                 log: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure both pages at `size` cases (on PostgreSQL with `pg_url`, else SQLite); return their figures."""
    from playwright.sync_api import sync_playwright

    if pg_url:
        bench.build_pg_database(size, pg_url, work_dir, seed=seed, log=log)
        db: Path | str = bench.pg_database_url(pg_url, size)
    else:
        bench.build_database(size, work_dir, seed=seed, log=log)
        db = bench.db_path(work_dir, size)
    cvr = bench.make_world(seed).bench_cvr
    bench.ensure_bench_user(db, cvr)
    label = f"{size:,}" + (" PostgreSQL" if pg_url else "")
    portal = Portal(db, work_dir)
    result: dict[str, Any] = {}
    try:
        portal.wait_until_up()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="da-DK")
                context.add_init_script(INSTRUMENT)
                page = context.new_page()
                page.goto(f"{portal.base}/login")
                page.fill("#email", bench.BENCH_EMAIL)
                page.fill("#password", bench.BENCH_PASSWORD)
                page.click("button[type=submit]")
                page.wait_for_url(lambda url: "/login" not in url)
                for name, (path, selectors, below) in PAGES.items():
                    url = f"{portal.base}{path}?cvr={cvr}"
                    loads = [load_once(page, url, selectors, below) for _ in range(warmups + runs)][warmups:]
                    ready = [load["ready_ms"] for load in loads]
                    result[name] = {
                        "page_ready_p50_ms": round(statistics.median(ready), 1),
                        "page_ready_p95_ms": round(bench.percentile_ms([r / 1000 for r in ready], 95), 1),
                        "callbacks_on_load": loads[-1]["callbacks"],
                        "drawn_twice": loads[-1]["duplicates"],
                        "long_task_ms_p50": round(statistics.median(load["long_task_ms"] for load in loads), 1),
                        "below_fold_p50_ms": round(statistics.median(load["below_ms"] for load in loads), 1),
                        "below_fold_callbacks": loads[-1]["below_callbacks"],
                        # Loads where a below-the-fold section was drawn on load (0 expected at 1366 × 900).
                        "below_fold_drawn_on_load": sum(1 for load in loads if load.get("below_fired_on_load")),
                        "runs": runs,
                    }
                    log(f"[{label}] {path}: ready p50 {result[name]['page_ready_p50_ms']:.0f} ms, "
                        f"p95 {result[name]['page_ready_p95_ms']:.0f} ms, {result[name]['callbacks_on_load']} "
                        f"callbacks on load, drawn twice: {result[name]['drawn_twice'] or 'none'}, long tasks "
                        f"{result[name]['long_task_ms_p50']:.0f} ms; below the fold drawn "
                        f"{result[name]['below_fold_p50_ms']:.0f} ms after scrolling down")
            finally:
                browser.close()
    finally:
        portal.stop()
    result["page_ready_p50_ms"] = max(result[name]["page_ready_p50_ms"] for name in PAGES)
    # The machine's load while measuring: a browser's page ready time grows with every process it shares
    # the CPUs with, so the figures are only comparable at a similar load.
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    return result


def write_results(by_size: dict[int, dict[str, Any]], facts: dict[str, Any],
                  pg_by_size: dict[int, dict[str, Any]] | None = None, command: str = "") -> None:
    """Write this run's figures into results.json and replace the section in RESULTS.md.

    The page figures go under "page_ready" (SQLite) and "page_ready_postgresql" (this run's sizes
    only: figures of different runs are not mixed), and each size's `page_ready_p50_ms` (the slower
    page) also into "sizes" / "postgresql" beside the callback figures.
    """
    data = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    data["page_ready"] = {str(size): figures for size, figures in by_size.items()}
    data["page_ready_postgresql"] = {str(size): figures for size, figures in (pg_by_size or {}).items()}
    for size, figures in by_size.items():
        data.setdefault("sizes", {}).setdefault(str(size), {})["page_ready_p50_ms"] = figures["page_ready_p50_ms"]
    for size, figures in (pg_by_size or {}).items():
        data.setdefault("postgresql", {}).setdefault(str(size), {})["page_ready_p50_ms"] = figures["page_ready_p50_ms"]
    data["page_ready_machine"] = facts
    RESULTS_JSON.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    RESULTS_MD.write_text(_with_section(RESULTS_MD.read_text() if RESULTS_MD.exists() else "",
                                        markdown_section(by_size, pg_by_size or {}, facts, command)))


def markdown_section(by_size: dict[int, dict[str, Any]], pg_by_size: dict[int, dict[str, Any]],
                     facts: dict[str, Any], command: str = "") -> str:
    """Return the RESULTS.md section of one page-ready run (both back ends), between its markers."""
    lines = [MD_START, "## Page ready in headless Chromium (`python -m benchmarks.page_ready`)", "",
             f"Measured {time.strftime('%Y-%m-%d %H:%M')} with `{command or 'python -m benchmarks.page_ready'}` "
             f"(all rows in this one run). {bench.machine_line(facts)}", "",
             "Ready = the page drawn and every callback it fired on load (none when it comes drawn in the layout) "
             "answered and drawn, from the navigation's start (the table above the fold: Rapporter's KPI table, "
             "Information's report); median of the runs after warm-up loads, portal under gunicorn (2 workers × 4 threads) on the benchmark database of each back end. "
             f"Target ≤ {TARGET_MS:.0f} ms p50. *Below the fold* = from scrolling to the page's end until the sections "
             "drawn when scrolled to (Rapporter's chart and histogram, Information's trend charts) are answered and "
             "drawn.", "",
             "| back end | cases | page | ready p50 ms | ready p95 ms | callbacks on load | drawn twice | long tasks p50 ms "
             "| below the fold p50 ms | load avg | target |",
             "|---|---:|---|---:|---:|---:|---|---:|---:|---:|---|"]
    for backend, results in (("SQLite", by_size), ("PostgreSQL", pg_by_size)):
        for size in sorted(results):
            figures = results[size]
            for name in PAGES:
                if name not in figures:
                    continue
                f = figures[name]
                verdict = "met" if f["page_ready_p50_ms"] <= TARGET_MS else "NOT met"
                lines.append(f"| {backend} | {size:,} | {name} | {f['page_ready_p50_ms']:.0f} | "
                             f"{f['page_ready_p95_ms']:.0f} | {f['callbacks_on_load']} | "
                             f"{', '.join(f['drawn_twice']) or 'none'} | {f['long_task_ms_p50']:.0f} | "
                             f"{f.get('below_fold_p50_ms', 0):.0f} | {figures.get('load_average_1m', '')} | {verdict} |")
    lines.append(MD_END)
    return "\n".join(lines)


def _with_section(text: str, block: str) -> str:
    if MD_START in text and MD_END in text:
        return re.sub(re.escape(MD_START) + ".*?" + re.escape(MD_END), lambda _m: block, text, flags=re.S)
    return text.rstrip("\n") + "\n\n" + block + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the page-ready benchmark; return the exit status (with --strict: 1 when a size misses the target)."""
    parser = argparse.ArgumentParser(description="Page ready of Rapporter and Information in headless Chromium.")
    parser.add_argument("--sizes", default="100000,1000000,10000000", help="SQLite sizes (empty: none)")
    parser.add_argument("--pg-sizes", default="10000000", help="PostgreSQL sizes (empty: none)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", bench.DEFAULT_PG_URL))
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmups", type=int, default=3)
    parser.add_argument("--work-dir", default=str(bench.WORK_DIR))
    parser.add_argument("--seed", type=int, default=bench.SEED)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a page misses the target")
    args = parser.parse_args(argv)
    if not CHROMIUM.exists():
        print(f"Chromium findes ikke ({CHROMIUM}); sideklar-målingen springes over.")
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    pg_sizes = [int(s) for s in args.pg_sizes.split(",") if s.strip()]
    if pg_sizes and (reason := bench.pg_unreachable(args.pg_url)):
        print(f"PostgreSQL svarer ikke ({reason}); PostgreSQL-rækkerne springes over.")
        pg_sizes = []
    work_dir = Path(args.work_dir)
    by_size = {size: measure_size(size, runs=args.runs, warmups=args.warmups, work_dir=work_dir, seed=args.seed)
               for size in sizes}
    pg_by_size = {size: measure_size(size, runs=args.runs, warmups=args.warmups, work_dir=work_dir, seed=args.seed,
                                     pg_url=args.pg_url) for size in pg_sizes}
    if not args.no_write:
        command = "python -m benchmarks.page_ready " + " ".join(argv if argv is not None else sys.argv[1:])
        write_results(by_size, bench.machine_facts(), pg_by_size, command.strip())
    missed = [r for r in [*by_size.values(), *pg_by_size.values()] if r["page_ready_p50_ms"] > TARGET_MS]
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main())
