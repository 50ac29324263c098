"""What the automatic scope costs: the KPI and Information callbacks with the scope hook and without it.

Run: `python -m benchmarks.ab_scope [--size 100000] [--rounds 3] [--calls 40]`. Uses (or builds) the
benchmark's cached database of that size and signs in as its customer user (a customer, so the
hook adds its criterion to every query); the rounds alternate which variant runs first, and the
medians of the rounds' p50s are compared. Prints; writes nothing.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics

from benchmarks import run
from data import scoping


def _largest_customer(size: int) -> str:
    conn = sqlite3.connect(run.db_path(run.WORK_DIR, size))
    try:
        return conn.execute("SELECT cvr FROM case_ GROUP BY cvr ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
    finally:
        conn.close()


def main() -> None:
    """Measure the callbacks with and without the scope hook, alternating, and print p50s and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    run.build_database(args.size)
    db, cvr = run.db_path(run.WORK_DIR, args.size), _largest_customer(args.size)
    real = scoping._apply_scope
    p50s: dict[str, dict[str, list[float]]] = {"med": {}, "uden": {}}
    try:
        for rnd in range(args.rounds):
            for variant in (("med", "uden") if rnd % 2 == 0 else ("uden", "med")):
                scoping._apply_scope = real if variant == "med" else (lambda state: None)
                timings = run.time_callbacks(db, cvr, run.WORK_DIR, calls=args.calls, log=lambda *_: None)
                for name, timing in timings.items():
                    p50s[variant].setdefault(name, []).append(statistics.median(timing.samples) * 1000)  # seconds -> ms
    finally:
        scoping._apply_scope = real
    for name in p50s["med"]:
        with_hook, without = statistics.median(p50s["med"][name]), statistics.median(p50s["uden"][name])
        print(f"{name}: p50 med scope-hook {with_hook:.2f} ms, uden {without:.2f} ms, forhold {with_hook / without:.3f}")


if __name__ == "__main__":
    main()
