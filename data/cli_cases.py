"""Flask CLI command `import-cases FILE`: the case import, with a Danish summary or bad-row report."""

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


def init_app(app: Flask) -> None:
    """Register `import-cases` on `app`."""
    app.cli.add_command(import_cases_command)
