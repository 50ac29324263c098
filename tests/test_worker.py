"""The background worker (data/worker.py): tasks run each round; one failing task stops none of the others."""

from __future__ import annotations

import threading

from data import worker


def test_a_round_runs_every_task_and_survives_a_failing_one(app, monkeypatch):
    ran: list[str] = []

    def broken() -> bool:
        ran.append("broken")
        raise RuntimeError("boom")

    def busy() -> bool:
        ran.append("busy")
        return True

    monkeypatch.setattr(worker, "tasks", lambda: [broken, busy])
    assert worker.run_round(app) is True
    assert ran == ["broken", "busy"]


def test_the_loop_stops_when_asked(app, monkeypatch):
    stop = threading.Event()
    rounds: list[int] = []

    def idle() -> bool:
        rounds.append(1)
        if len(rounds) == 3:
            stop.set()
        return False

    monkeypatch.setattr(worker, "tasks", lambda: [idle])
    worker.run_forever(app, 0.01, stop)
    assert len(rounds) == 3


def test_cli_once(runner, monkeypatch):
    ran: list[int] = []
    monkeypatch.setattr(worker, "tasks", lambda: [lambda: ran.append(1) or False])
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert ran == [1]
