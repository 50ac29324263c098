"""The background worker: `flask --app app worker` runs the portal's queued work outside web requests.

Each task is a function `run_once() -> bool` (True when it did something) called inside an app
context; the worker loops over them and sleeps only when none had work. Tasks keep their state in
the database, so any number of web workers can queue work and one worker (or several: tasks claim
their rows in SQL) carries it out. `make run` starts it beside the web server; production runs the
same command beside gunicorn.
"""

from __future__ import annotations

import signal
import threading
import time
from typing import Callable

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

Task = Callable[[], bool]


def tasks() -> list[Task]:
    """Return the worker's tasks in the order they run each round."""
    # Imported here: each task module imports the models and the mail/import machinery it needs.
    from data.case_jobs import run_next_job
    from data.mail import send_due
    from data.notifications import notify_pending
    from data.privacy import purge_if_due

    # Announcements first, so their mails go out in the same round; a case import (minutes for a
    # large file) comes last, after the mail that was due.
    # The privacy log's daily purge is cheap and keeps its own date in the database.
    registered: list[Task] = [notify_pending, send_due, run_next_job, purge_if_due]
    return registered


def run_round(app: Flask) -> bool:
    """Run every task once, each in its own app context; return whether any had work."""
    busy = False
    for task in tasks():
        with app.app_context():
            try:
                busy = bool(task()) or busy
            except Exception:  # noqa: BLE001 - one failing task must not stop the others
                app.logger.exception("worker task %s failed", getattr(task, "__qualname__", task))
    return busy


def run_forever(app: Flask, idle_seconds: float, stop: threading.Event) -> None:
    """Loop over the tasks until `stop` is set, sleeping `idle_seconds` when there was nothing to do."""
    while not stop.is_set():
        if not run_round(app):
            stop.wait(idle_seconds)


@click.command("worker")
@click.option("--once", is_flag=True, help="Kør hver opgave én gang og stop (til test og cron).")
@click.option("--idle", default=2.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Sekunder der ventes, når der ikke er noget at lave.")
@with_appcontext
def worker_command(once: bool, idle: float) -> None:
    """Send queued mail and run queued case imports until stopped (Ctrl+C or SIGTERM)."""
    app = current_app._get_current_object()
    if once:
        run_round(app)
        return
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    click.echo("Baggrundsarbejderen kører (stop med Ctrl+C).")
    started = time.monotonic()
    run_forever(app, idle, stop)
    click.echo(f"Baggrundsarbejderen er stoppet efter {time.monotonic() - started:.0f} s.")


def init_app(app: Flask) -> None:
    """Register `flask worker` on `app`."""
    app.cli.add_command(worker_command)
