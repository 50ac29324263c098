"""Flask CLI commands `import-cases FILE` (the case import, with a Danish summary or bad-row report) and
`recount-open-cases` (the open-case counts rewritten from the cases)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from data.db import unscoped_session


@click.command("import-cases")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--chunk-size", default=50_000, show_default=True, type=click.IntRange(min=100),
              help="Antal rækker der læses ad gangen.")
@click.option("--reopen", is_flag=True, default=False,
              help="Genåbn afsluttede sager, som filen giver en tom afslutningsdato "
                   "(ellers afvises linjen; enkelte linjer kan også have status 'genåbnet').")
def import_cases_command(path: Path, chunk_size: int, reopen: bool) -> None:
    """Import cases from a CSV or XLSX file; exit 1 and write nothing if any row is bad."""
    from data.cases_import import import_case_file

    try:
        with unscoped_session("import-cases: a file may hold cases of every customer") as session:
            report = import_case_file(session, path, chunk_size=chunk_size, reopen=reopen)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    if not report.ok:
        for line in report.summary_lines():
            click.echo(line, err=True)
        raise SystemExit(1)
    for line in report.summary_lines():
        click.echo(line)


@click.command("recount-open-cases")
def recount_open_cases_command() -> None:
    """Rewrite every customer's open-case counts (open_case_day) from the cases themselves."""
    # A repair tool: every import keeps the counts, but a case changed outside the import (by hand in
    # the database, a restore of one table) leaves them behind until this is run.
    from sqlalchemy import func, select

    from data.cases_import import refresh_open_counts
    from data.models import OpenCaseDay

    with unscoped_session("recount-open-cases: the counts of every customer") as session:
        refresh_open_counts(session.connection())
        session.commit()
        rows = session.scalar(select(func.count()).select_from(OpenCaseDay))
    click.echo(f"Åbne sager optalt igen: {rows} rækker (kunde, servicemål, enhed og modtagelsesdag).")


def init_app(app: Flask) -> None:
    """Register `import-cases` and `recount-open-cases` on `app`."""
    app.cli.add_command(import_cases_command)
    app.cli.add_command(recount_open_cases_command)
